"""Apply our extensions to moto lazily, one service at a time.

moto dispatches an action by looking up its snake_case name on the service's ``*Response``
class at request time, so methods added before that service's first request become
operations. Importing every patched service at start-up would cost most of the cold-start
budget, so ``ensure(service)`` runs just before moto builds a service's Flask app, and the
runner calls it before touching a backend directly.
"""

from __future__ import annotations

import importlib
import threading

_lock = threading.RLock()
_done: set[str] = set()

# moto service name -> "module:function" installing our changes for it
_INSTALLERS = {
    "codecommit": "codecommit:install",
    "codebuild": "codebuild:install",
    "codedeploy": "codedeploy:install",
    "codepipeline": "codepipeline:install",
    "logs": "fixes:install_logs",
    "s3": "fixes:install_s3",
    "iam": "fixes:install_iam",
    "events": "fixes:install_events",
}


def ensure(service: str) -> None:
    if service in _done:
        return
    with _lock:
        if service in _done:
            return
        spec = _INSTALLERS.get(service)
        if spec is not None:
            module_name, func = spec.split(":")
            module = importlib.import_module(f"{__package__}.{module_name}")
            getattr(module, func)()
        _done.add(service)


def ensure_all(*services: str) -> None:
    for service in services:
        ensure(service)
