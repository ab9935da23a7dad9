"""Every running job (pipeline execution, build, deployment), so a reset can stop them all.

A job carries a cancel event and the process groups it started. ``cancel_all`` bumps the
generation: a thread that outlives a reset sees ``job.stale`` and stops writing into the
fresh moto state.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from typing import Any, Callable

_lock = threading.Lock()
_state: dict[str, Any] = {"generation": 0, "workdir": None, "port": None}
_jobs: dict[str, "Job"] = {}


class Cancelled(Exception):
    """Raised inside a job when it was stopped or the emulator was reset."""


class Job:
    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        self.id = uuid.uuid4().hex
        self.generation = _state["generation"]
        self.cancel = threading.Event()
        self.started = time.time()
        self._pgids: set[int] = set()
        self._plock = threading.Lock()

    @property
    def stale(self) -> bool:
        return self.generation != _state["generation"]

    def check(self) -> None:
        if self.cancel.is_set() or self.stale:
            raise Cancelled()

    def add_process(self, pid: int) -> None:
        with self._plock:
            self._pgids.add(pid)
        if self.cancel.is_set():
            self.kill_processes()

    def remove_process(self, pid: int) -> None:
        with self._plock:
            self._pgids.discard(pid)

    def kill_processes(self, sig: int = signal.SIGKILL) -> None:
        with self._plock:
            pgids = list(self._pgids)
        for pgid in pgids:
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass

    def stop(self) -> None:
        self.cancel.set()
        self.kill_processes()


def init(port: int) -> None:
    base = os.environ.get("PIPEWRIGHT_EMULATOR_WORKDIR") or None
    if base:
        os.makedirs(base, exist_ok=True)
    _state["port"] = port
    _state["workdir"] = tempfile.mkdtemp(prefix=f"pipewright-emulator-{port}-", dir=base)


def port() -> int:
    return int(_state["port"] or os.environ.get("MOTO_PORT", "4566"))


def workdir(*parts: str) -> str:
    if _state["workdir"] is None:
        init(port())
    path = os.path.join(_state["workdir"], *parts)
    os.makedirs(path, exist_ok=True)
    return path


def tools_dir() -> str:
    """What CodeBuild's standard image puts on a build's PATH that this machine may lack: the AWS CLI
    (pinned in the emulator's venv), plus the CLI config every build reads (path-style S3, as the
    emulator serves it)."""
    path = workdir("tools")
    aws = os.path.join(path, "aws")
    venv_aws = os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.lexists(aws) and os.path.exists(venv_aws):
        try:
            os.symlink(venv_aws, aws)
        except FileExistsError:
            pass
    config = os.path.join(path, "aws-config")
    if not os.path.exists(config):
        with open(config + ".tmp", "w", encoding="utf-8") as fh:
            fh.write("[default]\ns3 =\n    addressing_style = path\ncli_pager =\n")
        os.replace(config + ".tmp", config)
    return path


def new_tempdir(prefix: str) -> str:
    return tempfile.mkdtemp(prefix=prefix, dir=workdir("tmp"))


def spawn(kind: str, name: str, target: Callable[[Job], None]) -> Job:
    job = Job(kind, name)
    with _lock:
        _jobs[job.id] = job

    def run() -> None:
        try:
            target(job)
        except Cancelled:
            pass
        finally:
            job.kill_processes()
            with _lock:
                _jobs.pop(job.id, None)

    threading.Thread(target=run, name=f"{kind}:{name}", daemon=True).start()
    return job


def cancel_all() -> None:
    with _lock:
        _state["generation"] += 1
        jobs = list(_jobs.values())
        _jobs.clear()
    for job in jobs:
        job.stop()


def clean_workdir_async() -> None:
    current = _state["workdir"]
    if not current or not os.path.isdir(current):
        return
    doomed = current + f".old-{uuid.uuid4().hex[:8]}"
    try:
        os.rename(current, doomed)
    except OSError:
        return
    os.makedirs(current, exist_ok=True)
    threading.Thread(target=shutil.rmtree, args=(doomed, True), daemon=True).start()


def shutdown() -> None:
    cancel_all()
    if _state["workdir"]:
        shutil.rmtree(_state["workdir"], ignore_errors=True)


def describe() -> list[dict[str, Any]]:
    with _lock:
        return [{"kind": j.kind, "name": j.name, "running_s": round(time.time() - j.started, 3)}
                for j in _jobs.values()]
