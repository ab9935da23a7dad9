"""What an execution records, as CodePipeline reports it: action runs, executions, per-pipeline runtime."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..judge import access
from .registry import Job


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Abandoned(Exception):
    """The execution was stopped with abandon=true while this action ran."""


class ActionFailed(Exception):
    def __init__(self, message: str, code: str = "JobFailed", summary: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.summary = code, message, summary


# --- records -------------------------------------------------------------------------------

@dataclass
class ActionRun:
    pipeline_execution_id: str
    pipeline_version: int
    stage: str
    action: str
    action_type: dict[str, Any]
    configuration: dict[str, Any]
    resolved: dict[str, Any]
    role_arn: str | None
    region: str
    namespace: str | None
    inputs: list[dict[str, Any]]
    action_execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "InProgress"
    start: dt.datetime = field(default_factory=_now)
    updated: dt.datetime = field(default_factory=_now)
    summary: str | None = None
    external_id: str | None = None
    external_url: str | None = None
    error: dict[str, str] | None = None
    token: str | None = None
    updated_by: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    approval: dict[str, Any] | None = None
    percent: int | None = None
    session: str = field(default_factory=access.pipeline_session)  # the role session AWS names in refusals

    def touch(self) -> None:
        self.updated = _now()

    def latest(self) -> dict[str, Any]:
        body: dict[str, Any] = {"actionExecutionId": self.action_execution_id, "status": self.status,
                                "lastStatusChange": self.updated}
        for key, value in (("summary", self.summary), ("token", self.token), ("lastUpdatedBy", self.updated_by),
                           ("externalExecutionId", self.external_id), ("externalExecutionUrl", self.external_url),
                           ("errorDetails", self.error), ("percentComplete", self.percent)):
            if value is not None:
                body[key] = value
        return body

    def detail(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in (("externalExecutionId", self.external_id), ("externalExecutionSummary", self.summary),
                           ("externalExecutionUrl", self.external_url), ("errorDetails", self.error)):
            if value is not None:
                result[key] = value
        body: dict[str, Any] = {
            "pipelineExecutionId": self.pipeline_execution_id,
            "actionExecutionId": self.action_execution_id,
            "pipelineVersion": self.pipeline_version,
            "stageName": self.stage,
            "actionName": self.action,
            "startTime": self.start,
            "lastUpdateTime": self.updated,
            "status": self.status,
            "input": {
                "actionTypeId": self.action_type,
                "configuration": {k: str(v) for k, v in self.configuration.items()},
                "resolvedConfiguration": {k: str(v) for k, v in self.resolved.items()},
                "region": self.region,
                "inputArtifacts": self.inputs,
            },
            "output": {"outputArtifacts": self.outputs, "executionResult": result,
                       "outputVariables": dict(self.variables)},
        }
        if self.role_arn:
            body["input"]["roleArn"] = self.role_arn
        if self.namespace:
            body["input"]["namespace"] = self.namespace
        if self.updated_by:
            body["updatedBy"] = self.updated_by
        return body


@dataclass
class Execution:
    id: str
    pipeline: str
    version: int
    structure: dict[str, Any]
    trigger: dict[str, str]
    access_key: str
    variables: list[dict[str, str]] = field(default_factory=list)
    status: str = "InProgress"
    summary: str | None = None
    start: dt.datetime = field(default_factory=_now)
    updated: dt.datetime = field(default_factory=_now)
    stop: dict[str, Any] | None = None  # {"abandon": bool, "reason": str}
    artifacts: dict[str, dict[str, str]] = field(default_factory=dict)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    artifact_revision: dict[str, str] = field(default_factory=dict)  # artifact name -> source revision id
    source_revisions: list[dict[str, Any]] = field(default_factory=list)
    stage_status: dict[str, str] = field(default_factory=dict)
    job: Job | None = None

    @property
    def mode(self) -> str:
        return self.structure.get("executionMode") or "SUPERSEDED"

    def set_status(self, status: str, summary: str | None = None) -> None:
        self.status = status
        if summary is not None:
            self.summary = summary
        self.updated = _now()

    def summary_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pipelineExecutionId": self.id, "status": self.status, "startTime": self.start,
            "lastUpdateTime": self.updated, "sourceRevisions": list(self.source_revisions),
            "trigger": dict(self.trigger), "executionMode": self.mode, "executionType": "STANDARD",
        }
        if self.summary:
            body["statusSummary"] = self.summary
        if self.stop and self.stop.get("reason"):
            body["stopTrigger"] = {"reason": self.stop["reason"]}
        return body

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "pipelineName": self.pipeline, "pipelineVersion": self.version, "pipelineExecutionId": self.id,
            "status": self.status, "artifactRevisions": list(self.revisions),
            "variables": [{"name": v["name"], "resolvedValue": v["value"]} for v in self.variables],
            "trigger": dict(self.trigger), "executionMode": self.mode, "executionType": "STANDARD",
        }
        if self.summary:
            body["statusSummary"] = self.summary
        return body


class Runtime:
    """Per pipeline: its executions, action runs, and who occupies which stage."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.executions: dict[str, Execution] = {}
        self.runs: list[ActionRun] = []
        self.latest: dict[tuple[str, str], ActionRun] = {}
        self.stage_latest: dict[str, tuple[str, str]] = {}
        self.occupant: dict[str, str] = {}
        self.waiting: dict[str, list[Execution]] = {}


def runtime_of(pipeline_obj: Any) -> Runtime:
    rt = pipeline_obj.__dict__.get("_pw_runtime")
    if rt is None:
        rt = Runtime()
        pipeline_obj._pw_runtime = rt
    return rt


