"""pipewright's local AWS emulator.

moto 5.2.5 (``moto[server]``) serves the AWS wire protocols; this package fills the holes
pipewright needs before the server starts (one module per service), wraps moto's WSGI app
with knobs for tests (latency, faults, disabled operations, per-key request counters), and
really *runs* pipelines: buildspec commands and CodeDeploy hooks execute locally, as the
current user. It is a local runner, not a sandbox.
"""

__version__ = "0.1.0"

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
