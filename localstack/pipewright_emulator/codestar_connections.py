class _S:
    def __init__(self): self.github_repos = {}
    def clear(self): pass
STORE=_S()
