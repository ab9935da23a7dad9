"""Prepare a moto service just before it is first used: a registry the top layer fills.

moto dispatches an action by looking up its snake_case name on the service's ``*Response``
class at request time, so methods added before that service's first request become
operations. Importing every patched service at start-up would cost most of the cold-start
budget, so ``ensure(service)`` runs an installer just before moto builds a service's Flask
app, and the runner calls it before touching a backend directly.

This module sits at the bottom and knows no handler: the server (top layer) registers the
installers with ``configure`` (``"module:function"`` names, imported on first use), so the
runner can ask for a prepared service without importing the handlers above it.
"""

from __future__ import annotations

import importlib
import threading

_lock = threading.RLock()
_done: set[str] = set()
_installers: dict[str, str] = {}  # moto service name -> "module:function" (relative to the package)


def configure(installers: dict[str, str]) -> None:
    """Register installers; called once by the server before it serves anything."""
    with _lock:
        _installers.update(installers)


def ensure(service: str) -> None:
    if service in _done:
        return
    with _lock:
        if service in _done:
            return
        spec = _installers.get(service)
        if spec is not None:
            module_name, func = spec.split(":")
            module = importlib.import_module(f"{__package__}.{module_name}")
            getattr(module, func)()
        _done.add(service)


def ensure_all(*services: str) -> None:
    for service in services:
        ensure(service)
