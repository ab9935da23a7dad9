"""Write a job's output into moto's CloudWatch Logs backend, in process, as it happens.

Lines are buffered and flushed in batches: when the buffer holds 5 000 events, and at
least every 100 ms by a flusher thread, so a live tail sees a running build's output and a
build printing a million lines never holds more than one batch. Each event's message ends
with a newline, as CodeBuild's do; timestamps never go backwards within a stream.
"""

from __future__ import annotations

import threading
import time

from ..patches import ensure
from .registry import Job

BATCH = 5000
INTERVAL = 0.1


class LogSink:
    def __init__(self, account: str, region: str, group: str, stream: str, job: Job) -> None:
        ensure("logs")
        from moto.logs.exceptions import ResourceAlreadyExistsException
        from moto.logs.models import logs_backends

        self.group, self.stream, self.job = group, stream, job
        self.backend = logs_backends[account][region]
        if group not in self.backend.groups:
            try:
                self.backend.create_log_group(group, {})
            except ResourceAlreadyExistsException:
                pass
        try:
            self.backend.create_log_stream(group, stream)
        except ResourceAlreadyExistsException:
            pass
        self._buffer: list[dict] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._last_ts = 0
        self._closed = threading.Event()
        self.lines = 0
        self._thread = threading.Thread(target=self._flusher, daemon=True, name=f"logs:{stream}")
        self._thread.start()

    @staticmethod
    def group_exists(account: str, region: str, group: str) -> bool:
        ensure("logs")
        from moto.logs.models import logs_backends

        return group in logs_backends[account][region].groups

    def write(self, message: str) -> None:
        now = int(time.time() * 1000)
        with self._lock:
            ts = now if now > self._last_ts else self._last_ts
            self._last_ts = ts
            self._buffer.append({"timestamp": ts, "message": message + "\n"})
            self.lines += 1
            full = len(self._buffer) >= BATCH
        if full:
            self.flush()

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            if not batch or self.job.stale:
                return
            try:
                self.backend.put_log_events(self.group, self.stream, batch)
            except Exception:  # noqa: BLE001 - the group was deleted under us: drop the lines
                pass

    def _flusher(self) -> None:
        while not self._closed.wait(INTERVAL):
            self.flush()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2)
        self.flush()
