"""Lifecycle hook executions of Lambda and ECS deployments, waiting for PutLifecycleEventHookExecutionStatus.

CodeDeploy invokes a hook function with ``{"DeploymentId": ..., "LifecycleEventHookExecutionId": ...}``
and waits until the function reports Succeeded or Failed. The emulator cannot run Lambda code, so it
records each invocation (``GET /_pipewright/hook-invocations``) and whoever plays the function (a test,
a user) reports through the real API. The ``hooks_answer`` knob makes the emulator answer on the
function's behalf ("Succeeded" or "Failed") for users who have nobody to play it.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Pending:
    deployment_id: str
    event: str
    function_arn: str
    execution_id: str
    status: str | None = None
    flag: threading.Event = field(default_factory=threading.Event)  # set when the function reports

    def payload(self) -> dict[str, str]:
        return {"DeploymentId": self.deployment_id, "LifecycleEventHookExecutionId": self.execution_id}


_lock = threading.Lock()
_executions: dict[str, Pending] = {}


def invoke(deployment_id: str, event: str, function_arn: str, auto_answer: Any = None) -> Pending:
    """Record an invocation; returns the pending execution (``.status`` set when it reports)."""
    # AWS's execution ids are opaque encrypted blobs ("eyJlbmNyeXB0ZWREYXRhIjoi..."); any opaque token will do
    token = base64.b64encode(json.dumps({"encryptedData": uuid.uuid4().hex, "event": event}).encode()).decode()
    pending = Pending(deployment_id, event, function_arn, token)
    with _lock:
        _executions[token] = pending
    if auto_answer in ("Succeeded", "Failed"):
        report(deployment_id, token, auto_answer)
    return pending


def report(deployment_id: str, execution_id: str, status: str) -> str | None:
    """PutLifecycleEventHookExecutionStatus: None if accepted, else the reason it is not."""
    with _lock:
        pending = _executions.get(execution_id)
    if pending is None or pending.deployment_id != deployment_id:
        return "LifecycleEventHookExecutionId"
    if status not in ("Succeeded", "Failed"):
        return "status"
    if pending.status is not None:
        return "already"
    pending.status = status
    pending.flag.set()
    return None


def describe(deployment_id: str | None = None) -> list[dict[str, Any]]:
    with _lock:
        items = list(_executions.values())
    return [{"deploymentId": p.deployment_id, "lifecycleEvent": p.event, "functionArn": p.function_arn,
             "payload": p.payload(), "status": p.status}
            for p in items if deployment_id in (None, p.deployment_id)]


def forget_all() -> None:
    with _lock:
        _executions.clear()
