"""CodePipeline: V2 pipelines, live executions, and the state/history operations.

moto 5.2.5 marks every execution Succeeded at once with no action executions, has no
GetPipelineState, ListActionExecutions, StopPipelineExecution or PutApprovalResult,
returns timestamps as strings (SDKs expecting epoch numbers cannot parse them) and rejects
a trust policy whose ``Principal.Service`` is a list. Here executions run through
``runner.pipeline`` and every read reflects them as they progress.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from .common import add_methods, aws_error, role_trusts, utcnow
from .control import CONTROL
from .judge import access, providers
from .runner import pipeline as engine


def _not_found(self, name: str):
    return aws_error("PipelineNotFoundException",
                     f"Account '{self.current_account}' does not have a pipeline with name '{name}'")


def _pipeline(self, name: str | None):
    obj = self.codepipeline_backend.pipelines.get(name or "")
    if obj is None:
        raise _not_found(self, name or "")
    return obj


def _validate_structure(pipeline: dict[str, Any], access_key: str | None) -> None:
    stages = pipeline.get("stages") or []
    if len(stages) < 2:
        raise aws_error("InvalidStructureException",
                        f"Pipeline has only {len(stages)} stage(s). There should be a minimum of 2 stages in a pipeline")
    produced: set[str] = set()
    for index, stage in enumerate(stages):
        actions = stage.get("actions") or []
        if not actions:
            raise aws_error("InvalidStructureException", f"Stage {stage.get('name')} should have at least one action")
        for action in actions:
            category = (action.get("actionTypeId") or {}).get("category")
            if index == 0 and category != "Source":
                raise aws_error("InvalidStructureException",
                                f"Action '{action.get('name')}' in stage '{stage.get('name')}' is not a source action. "
                                "The first stage of a pipeline can only contain source actions")
            if index > 0 and category == "Source":
                raise aws_error("InvalidStructureException",
                                f"Source action '{action.get('name')}' can only appear in the first stage")
        for action in actions:  # inputs must come from earlier stages (or earlier runOrders)
            for artifact in action.get("inputArtifacts") or []:
                if artifact["name"] not in produced:
                    earlier = [a for a in actions if int(a.get("runOrder", 1)) < int(action.get("runOrder", 1))]
                    if not any(o["name"] == artifact["name"] for a in earlier for o in a.get("outputArtifacts") or []):
                        raise aws_error("InvalidStructureException",
                                        f"Input Artifact Bundle {artifact['name']} in action '{action.get('name')}' "
                                        "is not declared as an output artifact in preceding stages")
        for action in actions:
            for artifact in action.get("outputArtifacts") or []:
                produced.add(artifact["name"])
    if pipeline.get("pipelineType", "V1") not in ("V1", "V2"):
        raise aws_error("ValidationException", "pipelineType must be V1 or V2")
    if pipeline.get("executionMode", "SUPERSEDED") not in ("SUPERSEDED", "QUEUED", "PARALLEL"):
        raise aws_error("ValidationException", "executionMode must be SUPERSEDED, QUEUED or PARALLEL")
    if providers.judging(access_key or "*"):
        refused = providers.pipeline_structure(pipeline)
        if refused is not None:
            raise aws_error(*refused)
    pipeline_role = pipeline.get("roleArn") or ""
    for stage in stages:
        for action in stage.get("actions") or []:
            if action.get("roleArn") and pipeline_role:
                refusal = access.judge(access.action_role(pipeline_role, action["roleArn"]),
                                       account=pipeline_role.split(":")[4], region=action.get("region") or "us-east-1",
                                       role_arn=pipeline_role, session=access.pipeline_session(),
                                       scope=access_key or "*")
                if refusal is not None:
                    raise aws_error(refusal.code, refusal.message)


def _with_defaults(pipeline: dict[str, Any]) -> dict[str, Any]:
    pipeline.setdefault("pipelineType", "V1")
    pipeline.setdefault("executionMode", "SUPERSEDED")
    return pipeline


def backend_create_pipeline(self, pipeline: dict[str, Any], tags: list[dict[str, str]] | None,
                            access_key: str | None = None):
    """moto's CreatePipeline, with a trust check that understands lists of principals."""
    from moto.codepipeline.models import CodePipeline

    name = pipeline["name"]
    if name in self.pipelines:
        raise aws_error("InvalidStructureException",
                        f"A pipeline with the name '{name}' already exists in account '{self.account_id}'")
    if not role_trusts(self.account_id, pipeline.get("roleArn", ""), "codepipeline.amazonaws.com", access_key):
        raise aws_error("InvalidStructureException",
                        f"CodePipeline is not authorized to perform AssumeRole on role {pipeline.get('roleArn')}")
    _validate_structure(pipeline, access_key)
    obj = CodePipeline(self.account_id, self.region_name, _with_defaults(pipeline))
    if tags:
        obj.validate_tags(tags)
        obj.tags.update({t["key"]: t["value"] for t in tags})
    self.pipelines[name] = obj
    return obj.pipeline, sorted(tags or [], key=lambda t: t["key"])


def _metadata(obj) -> dict[str, Any]:
    return {"pipelineArn": obj._arn, "created": obj._created, "updated": obj._updated}


def create_pipeline(self) -> ActionResult:
    pipeline, tags = self.codepipeline_backend.create_pipeline(self._get_param("pipeline"), self._get_param("tags"),
                                                               self.get_access_key())
    obj = self.codepipeline_backend.pipelines[pipeline["name"]]
    if CONTROL.start_on_create(self.get_access_key()):
        engine.start(self.current_account, self.region, obj,
                     {"triggerType": "CreatePipeline", "triggerDetail": _caller(self)}, self.get_access_key())
    return ActionResult({"pipeline": pipeline, "tags": tags})


def get_pipeline(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("name"))
    return ActionResult({"pipeline": obj.pipeline, "metadata": _metadata(obj)})


def update_pipeline(self) -> ActionResult:
    pipeline = self._get_param("pipeline") or {}
    obj = self.codepipeline_backend.pipelines.get(pipeline.get("name", ""))
    if obj is None:
        raise _not_found(self, pipeline.get("name", ""))
    if not role_trusts(self.current_account, pipeline.get("roleArn", ""), "codepipeline.amazonaws.com",
                       self.get_access_key()):
        raise aws_error("InvalidStructureException",
                        f"CodePipeline is not authorized to perform AssumeRole on role {pipeline.get('roleArn')}")
    _validate_structure(pipeline, self.get_access_key())
    pipeline["version"] = int(obj.pipeline.get("version", 1)) + 1
    obj.pipeline = obj.add_default_values(_with_defaults(pipeline))
    obj._updated = utcnow()
    return ActionResult({"pipeline": obj.pipeline})


def list_pipelines(self) -> ActionResult:
    out = []
    for name, obj in sorted(self.codepipeline_backend.pipelines.items()):
        out.append({"name": name, "version": obj.pipeline.get("version", 1), "created": obj._created,
                    "updated": obj._updated, "pipelineType": obj.pipeline.get("pipelineType", "V1"),
                    "executionMode": obj.pipeline.get("executionMode", "SUPERSEDED")})
    return ActionResult({"pipelines": out})


def delete_pipeline(self) -> EmptyResult:
    obj = self.codepipeline_backend.pipelines.pop(self._get_param("name") or "", None)
    if obj is not None:
        rt = engine.runtime_of(obj)
        with rt.lock:
            executions = list(rt.executions.values())
        for ex in executions:
            if ex.job is not None:
                ex.job.stop()
    return EmptyResult()


def _caller(self) -> str:
    return f"arn:aws:iam::{self.current_account}:user/{self.get_access_key()}"


def start_pipeline_execution(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("name"))
    declared = {v["name"] for v in obj.pipeline.get("variables") or []}
    for var in self._get_param("variables") or []:
        if var.get("name") not in declared:
            raise aws_error("ValidationException",
                            f"Variable {var.get('name')} is not declared in pipeline {obj.pipeline['name']}")
    ex = engine.start(self.current_account, self.region, obj,
                      {"triggerType": "StartPipelineExecution", "triggerDetail": _caller(self)},
                      self.get_access_key(), self._get_param("variables"))
    return ActionResult({"pipelineExecutionId": ex.id})


def _execution(self, obj, execution_id: str | None):
    rt = engine.runtime_of(obj)
    with rt.lock:
        ex = rt.executions.get(execution_id or "")
    if ex is None:
        raise aws_error("PipelineExecutionNotFoundException",
                        f"Account '{self.current_account}' does not have an execution with id '{execution_id}' "
                        f"for pipeline '{obj.pipeline['name']}'")
    return ex


def get_pipeline_execution(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    ex = _execution(self, obj, self._get_param("pipelineExecutionId"))
    return ActionResult({"pipelineExecution": ex.to_dict()})


def list_pipeline_executions(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    rt = engine.runtime_of(obj)
    with rt.lock:
        executions = sorted(rt.executions.values(), key=lambda e: e.start, reverse=True)
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or 100)
    out: dict[str, Any] = {"pipelineExecutionSummaries": [e.summary_dict() for e in executions[start:start + size]]}
    if start + size < len(executions):
        out["nextToken"] = str(start + size)
    return ActionResult(out)


def get_pipeline_state(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("name"))
    rt = engine.runtime_of(obj)
    region = self.region
    stages = []
    with rt.lock:
        waiting = {stage: [e for e in queue] for stage, queue in rt.waiting.items()}
        for stage in obj.pipeline.get("stages", []):
            name = stage["name"]
            state: dict[str, Any] = {"stageName": name, "inboundTransitionState": {"enabled": True}, "actionStates": []}
            if name in rt.stage_latest:
                ex_id, status = rt.stage_latest[name]
                state["latestExecution"] = {"pipelineExecutionId": ex_id, "status": status}
            if waiting.get(name):
                newest = max(waiting[name], key=lambda e: e.start)
                state["inboundExecution"] = {"pipelineExecutionId": newest.id, "status": "InProgress"}
                state["inboundExecutions"] = [{"pipelineExecutionId": e.id, "status": "InProgress"}
                                              for e in waiting[name]]
            for action in stage.get("actions", []):
                entry: dict[str, Any] = {"actionName": action["name"]}
                url = _entity_url(action, region)
                if url:
                    entry["entityUrl"] = url
                run = rt.latest.get((name, action["name"]))
                if run is not None:
                    entry["latestExecution"] = run.latest()
                    if (action.get("actionTypeId") or {}).get("category") == "Source" and run.external_id:
                        entry["currentRevision"] = {"revisionId": run.external_id, "created": run.updated}
                state["actionStates"].append(entry)
            stages.append(state)
    return ActionResult({"pipelineName": obj.pipeline["name"], "pipelineVersion": obj.pipeline.get("version", 1),
                         "stageStates": stages, "created": obj._created, "updated": obj._updated})


def _entity_url(action: dict[str, Any], region: str) -> str | None:
    provider = (action.get("actionTypeId") or {}).get("provider")
    config = action.get("configuration") or {}
    if provider == "CodeBuild":
        return f"https://console.aws.amazon.com/codebuild/home?region={region}#/projects/{config.get('ProjectName')}/view"
    if provider == "CodeCommit":
        return (f"https://console.aws.amazon.com/codecommit/home?region={region}#/repository/"
                f"{config.get('RepositoryName')}/browse/{config.get('BranchName')}/--/")
    if provider == "S3":
        bucket = config.get("S3Bucket") or config.get("BucketName")
        return f"https://console.aws.amazon.com/s3/home?region={region}#/bucket/{bucket}" if bucket else None
    if provider in ("CodeDeploy", "CodeDeployToECS"):
        return (f"https://console.aws.amazon.com/codedeploy/home?region={region}#/applications/"
                f"{config.get('ApplicationName')}/deployment-groups/{config.get('DeploymentGroupName')}")
    return None


def list_action_executions(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    rt = engine.runtime_of(obj)
    flt = self._get_param("filter") or {}
    with rt.lock:
        runs = list(rt.runs)
    if flt.get("pipelineExecutionId"):
        wanted = flt["pipelineExecutionId"]
        with rt.lock:
            if wanted not in rt.executions:
                raise aws_error("PipelineExecutionNotFoundException",
                                f"Account '{self.current_account}' does not have an execution with id '{wanted}' for "
                                f"pipeline '{obj.pipeline['name']}'")
        runs = [r for r in runs if r.pipeline_execution_id == wanted]
    runs.sort(key=lambda r: r.start, reverse=True)
    start = int(self._get_param("nextToken") or 0)
    size = int(self._get_param("maxResults") or 100)
    out: dict[str, Any] = {"actionExecutionDetails": [r.detail() for r in runs[start:start + size]]}
    if start + size < len(runs):
        out["nextToken"] = str(start + size)
    return ActionResult(out)


def stop_pipeline_execution(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    execution_id = self._get_param("pipelineExecutionId")
    engine.stop_execution(engine.runtime_of(obj), execution_id, bool(self._get_param("abandon")),
                          self._get_param("reason"))
    return ActionResult({"pipelineExecutionId": execution_id})


def put_approval_result(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    stage, action = self._get_param("stageName"), self._get_param("actionName")
    stages = {s["name"]: s for s in obj.pipeline.get("stages", [])}
    if stage not in stages:
        raise aws_error("StageNotFoundException", f"Stage {stage} not found in pipeline {obj.pipeline['name']}")
    if action not in {a["name"] for a in stages[stage].get("actions", [])}:
        raise aws_error("ActionNotFoundException", f"Action {action} not found in stage {stage}")
    when = engine.approve(engine.runtime_of(obj), stage, action, self._get_param("token") or "",
                          self._get_param("result") or {}, _caller(self))
    return ActionResult({"approvedAt": when})


def retry_stage_execution(self) -> ActionResult:
    obj = _pipeline(self, self._get_param("pipelineName"))
    execution_id = self._get_param("pipelineExecutionId")
    engine.retry_stage(self.current_account, self.region, obj, execution_id, self._get_param("stageName"),
                       self._get_param("retryMode") or "FAILED_ACTIONS")
    return ActionResult({"pipelineExecutionId": execution_id})


def tag_resource(self) -> EmptyResult:
    self.codepipeline_backend.tag_resource(self._get_param("resourceArn"), self._get_param("tags") or [])
    return EmptyResult()  # moto answered an empty body; AWS (and the SDKs) expect "{}"


def untag_resource(self) -> EmptyResult:
    self.codepipeline_backend.untag_resource(self._get_param("resourceArn"), self._get_param("tagKeys") or [])
    return EmptyResult()


def list_tags_for_resource(self) -> ActionResult:
    return ActionResult({"tags": self.codepipeline_backend.list_tags_for_resource(self._get_param("resourceArn"))})


def install() -> None:
    from moto.codepipeline.models import CodePipelineBackend
    from moto.codepipeline.responses import CodePipelineResponse

    CodePipelineBackend.create_pipeline = backend_create_pipeline
    add_methods(
        CodePipelineResponse,
        create_pipeline, get_pipeline, update_pipeline, list_pipelines, delete_pipeline,
        start_pipeline_execution, get_pipeline_execution, list_pipeline_executions, get_pipeline_state,
        list_action_executions, stop_pipeline_execution, put_approval_result, retry_stage_execution,
        tag_resource, untag_resource, list_tags_for_resource,
    )
