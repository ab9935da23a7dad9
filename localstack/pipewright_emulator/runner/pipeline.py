def on_codecommit_change(*a):
    pass
def on_s3_change(*a):
    pass
