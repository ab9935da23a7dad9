"""CodeCommit repositories' contents: git objects, branches and commits, hashed like git.

Every repository keeps a small object store: blobs, trees and commits are hashed exactly
like git (``sha1("<type> <len>\\0" + body)``), so commit and blob ids look and behave like
real ones. The handler (``codecommit``) serves the API; the pipeline's CodeCommit source and
CodeBuild's CODECOMMIT source read the same store.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from ..common import aws_error

MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
MODE_NAMES = {v: k for k, v in MODES.items()}
TREE_MODE = "40000"


@dataclass
class Commit:
    commit_id: str
    tree_id: str
    parents: list[str]
    message: str
    author: dict[str, str]
    committer: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "commitId": self.commit_id, "treeId": self.tree_id, "parents": list(self.parents),
            "message": self.message, "author": dict(self.author), "committer": dict(self.committer),
            "additionalData": "",
        }


@dataclass
class GitStore:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # sha -> [(mode, name, sha)]
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    default_branch: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    # --- objects ---------------------------------------------------------------------
    @staticmethod
    def hash(kind: str, body: bytes) -> str:
        return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()

    def put_blob(self, content: bytes) -> str:
        sha = self.hash("blob", content)
        self.blobs[sha] = content
        return sha

    def write_tree(self, files: dict[str, tuple[str, str]], keep_dirs: set[str] | None = None) -> str:
        """files: path -> (mode, blob sha). Returns the root tree id (written recursively)."""
        here: dict[str, tuple[str, str]] = {}
        subdirs: dict[str, dict[str, tuple[str, str]]] = {}
        for path, entry in files.items():
            head, _, rest = path.partition("/")
            if rest:
                subdirs.setdefault(head, {})[rest] = entry
            else:
                here[head] = entry
        entries: list[tuple[str, str, str]] = [(mode, name, sha) for name, (mode, sha) in here.items()]
        for name, sub in subdirs.items():
            entries.append((TREE_MODE, name, self.write_tree(sub)))
        entries.sort(key=lambda e: e[1] + ("/" if e[0] == TREE_MODE else ""))
        body = b"".join(f"{mode} {name}".encode() + b"\0" + bytes.fromhex(sha) for mode, name, sha in entries)
        sha = self.hash("tree", body)
        self.trees[sha] = entries
        return sha

    def files_of_tree(self, tree_id: str, prefix: str = "") -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for mode, name, sha in self.trees.get(tree_id, []):
            path = f"{prefix}{name}"
            if mode == TREE_MODE:
                out.update(self.files_of_tree(sha, path + "/"))
            else:
                out[path] = (mode, sha)
        return out

    def files_at(self, commit_id: str) -> dict[str, tuple[str, str]]:
        return self.files_of_tree(self.commits[commit_id].tree_id)

    def write_commit(self, tree_id: str, parents: list[str], message: str, name: str, email: str) -> Commit:
        date = f"{int(time.time())} +0000"
        person = {"name": name, "email": email, "date": date}
        text = f"tree {tree_id}\n"
        text += "".join(f"parent {p}\n" for p in parents)
        text += f"author {name} <{email}> {date}\ncommitter {name} <{email}> {date}\n\n{message}"
        if message and not message.endswith("\n"):
            text += "\n"
        sha = self.hash("commit", text.encode())
        commit = Commit(sha, tree_id, list(parents), message, dict(person), dict(person))
        self.commits[sha] = commit
        return commit

    # --- lookups ---------------------------------------------------------------------
    def resolve(self, specifier: str, repo_name: str) -> str:
        """A branch name, tag-less commit id or unambiguous prefix -> full commit id."""
        if specifier in self.branches:
            return self.branches[specifier]
        if specifier.startswith("refs/heads/") and specifier[11:] in self.branches:
            return self.branches[specifier[11:]]
        if specifier in self.commits:
            return specifier
        matches = [c for c in self.commits if len(specifier) >= 7 and c.startswith(specifier)]
        if len(matches) == 1:
            return matches[0]
        raise aws_error("CommitDoesNotExistException",
                        f"Could not find commit, branch or tag {specifier} in repository {repo_name}.")


def store_of(repo: Any) -> GitStore:
    store = getattr(repo, "_pw_git", None)
    if store is None:
        store = GitStore()
        repo._pw_git = store
    return store


class RepositoryMissing(Exception):
    """The repository does not exist."""


class BranchMissing(Exception):
    """The repository exists; the branch does not (nothing pushed to it yet)."""


def repository_files(account: str, region: str, repo_name: str, branch: str) -> tuple[Commit, dict[str, tuple[str, bytes]]]:
    """For the pipeline's Source action: the branch head and its files (path -> (mode, bytes))."""
    from moto.codecommit.models import codecommit_backends

    backend = codecommit_backends[account][region]
    repo = backend.repositories.get(repo_name)
    if repo is None:
        raise RepositoryMissing(repo_name)
    store = store_of(repo)
    if branch not in store.branches:
        raise BranchMissing(branch)
    commit = store.commits[store.branches[branch]]
    files = {path: (mode, store.blobs[sha]) for path, (mode, sha) in store.files_at(commit.commit_id).items()}
    return commit, files
