"""Run one command with its output streamed line by line, a timeout, and cancellation.

Each command gets its own session (process group) so a timeout, a StopBuild or a reset
kills everything it started. Output is read in 64 KiB chunks and split into lines here,
so a command printing a million lines never has more than one chunk in flight.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Callable

from .registry import Job

MAX_LINE = 256 * 1024 - 64  # CloudWatch's event size limit, less room for the newline


@dataclass
class Result:
    returncode: int
    timed_out: bool = False
    cancelled: bool = False


def run(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    job: Job,
    on_line: Callable[[str, str], None],
    timeout: float | None = None,
    merge_stderr: bool = True,
) -> Result:
    """Run argv; call on_line(stream, text) for every output line ('stdout'/'stderr')."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        start_new_session=True,
    )
    job.add_process(proc.pid)
    deadline = None if timeout is None else time.monotonic() + timeout
    selector = selectors.DefaultSelector()
    buffers: dict[str, bytes] = {}
    streams = {"stdout": proc.stdout}
    if not merge_stderr:
        streams["stderr"] = proc.stderr
    for name, stream in streams.items():
        os.set_blocking(stream.fileno(), False)
        selector.register(stream, selectors.EVENT_READ, name)
        buffers[name] = b""

    def emit(name: str, data: bytes) -> None:
        buf = buffers[name] + data
        lines = buf.split(b"\n")
        buffers[name] = lines.pop()
        for raw in lines:
            _emit_line(name, raw)
        while len(buffers[name]) > MAX_LINE:
            _emit_line(name, buffers[name][:MAX_LINE])
            buffers[name] = buffers[name][MAX_LINE:]

    def _emit_line(name: str, raw: bytes) -> None:
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        for start in range(0, max(len(raw), 1), MAX_LINE):
            on_line(name, raw[start:start + MAX_LINE].decode("utf-8", "replace"))

    timed_out = cancelled = False
    exited_at = None
    try:
        while selector.get_map():
            if job.cancel.is_set() or job.stale:
                cancelled = True
                break
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                break
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > 0.5:
                break  # a background child keeps the pipe open: stop waiting for it
            for key, _ in selector.select(timeout=0.1):
                try:
                    data = os.read(key.fileobj.fileno(), 65536)
                except BlockingIOError:
                    continue
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                emit(key.data, data)
        if timed_out or cancelled:
            _kill(proc)
        for name, rest in buffers.items():
            if rest:
                _emit_line(name, rest)
        rc = proc.wait()
    finally:
        selector.close()
        for stream in streams.values():
            stream.close()
        if proc.poll() is None:
            _kill(proc)
        # Background processes the command started keep running until the job ends
        # (a server started in pre_build for tests in build); the job kills its groups then.
    return Result(rc, timed_out, cancelled)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    try:
        proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
