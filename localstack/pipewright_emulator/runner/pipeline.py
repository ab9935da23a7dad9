"""The CodePipeline engine: run a pipeline execution's stages in order, for real.

One background job per execution walks the stages; within a stage, actions run by
``runOrder`` (same runOrder = in parallel). Each action records what GetPipelineState,
ListActionExecutions and GetPipelineExecution report: status, summary, externalExecutionId
and URL, errorDetails, token, input/output artifacts and output variables.

Stage occupancy follows the pipeline's executionMode: SUPERSEDED (default: an execution
waiting for a stage is replaced by a newer one), QUEUED (first come, first served) or
PARALLEL (no waiting).

The records live in ``records``, the action handlers in ``actions``, change detection in
``triggers``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from typing import Any

from . import registry
from .actions import Actions
from .records import Abandoned, ActionFailed, ActionRun, Execution, Runtime, _now, runtime_of
from .registry import Cancelled, Job

__all__ = ["start", "runtime_of", "approve", "stop_execution", "retry_stage", "Execution", "Runtime"]

VAR_RE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}")


# --- starting --------------------------------------------------------------------------------

def start(account: str, region: str, pipeline_obj: Any, trigger: dict[str, str], access_key: str,
          variables: list[dict[str, str]] | None = None) -> Execution:
    structure = json.loads(json.dumps(pipeline_obj.pipeline, default=str))
    declared = {v["name"]: v.get("defaultValue", "") for v in structure.get("variables") or []}
    for var in variables or []:
        declared[var["name"]] = var.get("value", "")
    execution = Execution(
        id=str(uuid.uuid4()), pipeline=structure["name"], version=int(structure.get("version", 1)),
        structure=structure, trigger=trigger, access_key=access_key,
        variables=[{"name": k, "value": v} for k, v in declared.items()],
    )
    rt = runtime_of(pipeline_obj)
    with rt.lock:
        rt.executions[execution.id] = execution
    runner = PipelineRunner(account, region, pipeline_obj, execution)
    execution.job = registry.spawn("pipeline", f"{execution.pipeline}/{execution.id}", runner.run)
    return execution



# --- the runner ----------------------------------------------------------------------------

class PipelineRunner(Actions):
    def __init__(self, account: str, region: str, pipeline_obj: Any, execution: Execution) -> None:
        self.account, self.region = account, region
        self.pipeline_obj = pipeline_obj
        self.rt = runtime_of(pipeline_obj)
        self.ex = execution
        self.arn = pipeline_obj._arn

    # stage occupancy
    def acquire(self, stage: str) -> bool:
        if self.ex.mode == "PARALLEL":
            return True
        with self.rt.cond:
            queue = self.rt.waiting.setdefault(stage, [])
            queue.append(self.ex)
            try:
                while True:
                    self.job.check()
                    if self.ex.stop is not None:
                        return False
                    if self.ex.mode == "SUPERSEDED" and any(e.start > self.ex.start for e in queue):
                        self.ex.set_status("Superseded", "Superseded by a newer execution")
                        return False
                    first = min(queue, key=lambda e: e.start)
                    if self.rt.occupant.get(stage) is None and (self.ex.mode != "QUEUED" or first is self.ex):
                        self.rt.occupant[stage] = self.ex.id
                        return True
                    self.rt.cond.wait(0.2)
            finally:
                queue.remove(self.ex)

    def release(self, stage: str) -> None:
        with self.rt.cond:
            if self.rt.occupant.get(stage) == self.ex.id:
                del self.rt.occupant[stage]
            self.rt.cond.notify_all()

    def run(self, job: Job) -> None:
        self.job = job
        stages = self.ex.structure.get("stages", [])
        try:
            self.run_stages(stages, 0)
        except Cancelled:
            raise
        except Exception as err:  # noqa: BLE001 - never leave an execution InProgress
            import traceback

            traceback.print_exc()
            self.ex.set_status("Failed", f"Emulator fault: {type(err).__name__}: {err}")

    def run_stages(self, stages: list[dict[str, Any]], first: int, only_failed: bool = False) -> None:
        for index, stage in enumerate(stages[first:], start=first):
            name = stage["name"]
            if self.ex.stop is not None:
                self.ex.set_status("Stopped")
                return
            if not self.acquire(name):
                if self.ex.stop is not None:
                    self.ex.set_status("Stopped")
                return
            try:
                ok = self.run_stage(stage, only_failed and index == first)
            finally:
                self.release(name)
            if self.ex.stop is not None:
                self.ex.set_status("Stopped")
                return
            if not ok:
                failed = [r for r in self.rt.runs if r.pipeline_execution_id == self.ex.id and r.stage == name
                          and r.status == "Failed"]
                message = failed[-1].error["message"] if failed and failed[-1].error else "Action failed"
                self.ex.set_status("Failed", message)
                return
        self.ex.set_status("Succeeded")

    def _stage_state(self, stage: str, status: str) -> None:
        with self.rt.lock:
            self.ex.stage_status[stage] = status
            self.rt.stage_latest[stage] = (self.ex.id, status)
        self.ex.updated = _now()

    def run_stage(self, stage: dict[str, Any], only_failed: bool) -> bool:
        name = stage["name"]
        self._stage_state(name, "InProgress")
        actions = sorted(stage.get("actions", []), key=lambda a: int(a.get("runOrder", 1)))
        if only_failed:
            keep = {r.action for r in self.rt.runs if r.pipeline_execution_id == self.ex.id and r.stage == name
                    and r.status in ("Failed", "Abandoned")}
            actions = [a for a in actions if a["name"] in keep]
        groups: dict[int, list[dict[str, Any]]] = {}
        for action in actions:
            groups.setdefault(int(action.get("runOrder", 1)), []).append(action)
        ok = True
        for order in sorted(groups):
            results: list[bool] = []
            threads = []
            for action in groups[order]:
                thread = threading.Thread(target=lambda a=action: results.append(self.run_action(name, a)),
                                          daemon=True)
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            if self.job.stale:
                raise Cancelled()
            if not all(results) or len(results) != len(threads):
                ok = False
                break
            if self.ex.stop is not None:
                break
        if self.ex.stop is not None:
            self._stage_state(name, "Stopped")
            return True
        self._stage_state(name, "Succeeded" if ok else "Failed")
        return ok

    # --- one action ------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value

        def sub(match: re.Match) -> str:
            ns, var = match.group(1), match.group(2)
            if ns == "codepipeline" and var == "PipelineExecutionId":
                return self.ex.id
            if ns == "variables":
                for v in self.ex.variables:
                    if v["name"] == var:
                        return v["value"]
            found = self.ex.namespaces.get(ns, {}).get(var)
            return found if found is not None else match.group(0)

        return VAR_RE.sub(sub, value)

    def run_action(self, stage: str, action: dict[str, Any]) -> bool:
        config = dict(action.get("configuration") or {})
        resolved = {k: self.resolve(v) for k, v in config.items()}
        inputs = []
        for artifact in action.get("inputArtifacts") or []:
            loc = self.ex.artifacts.get(artifact["name"])
            entry: dict[str, Any] = {"name": artifact["name"]}
            if loc:
                entry["s3location"] = {"bucket": loc["bucket"], "key": loc["key"]}
            inputs.append(entry)
        run = ActionRun(
            pipeline_execution_id=self.ex.id, pipeline_version=self.ex.version, stage=stage, action=action["name"],
            action_type=dict(action["actionTypeId"]), configuration=config, resolved=resolved,
            role_arn=action.get("roleArn"), region=action.get("region") or self.region,
            namespace=action.get("namespace"), inputs=inputs,
        )
        with self.rt.lock:
            self.rt.runs.append(run)
            self.rt.latest[(stage, action["name"])] = run
        try:
            handler = self.handler_for(action["actionTypeId"])
            handler(run, action)
            if self.ex.stop is not None and self.ex.stop.get("abandon") and run.status == "InProgress":
                run.status = "Abandoned"
            elif run.status == "InProgress":
                run.status = "Succeeded"
        except ActionFailed as err:  # details first: a reader never sees Failed without them
            run.error = {"code": err.code, "message": err.message}
            run.summary = err.summary if err.summary is not None else run.summary
            run.status = "Failed"
        except Abandoned:
            run.status = "Abandoned"
        except Cancelled:
            raise
        except Exception as err:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            run.error = {"code": "JobFailed", "message": f"Emulator fault: {type(err).__name__}: {err}"}
            run.status = "Failed"
        run.touch()
        if run.namespace and run.variables:
            self.ex.namespaces[run.namespace] = dict(run.variables)
        return run.status == "Succeeded"


# --- approvals, stops, retries (called by the API) ---------------------------------------------

def approve(rt: Runtime, stage: str, action: str, token: str, result: dict[str, str], who: str) -> dt.datetime:
    from ..common import aws_error

    with rt.lock:
        run = rt.latest.get((stage, action))
    if run is None or run.approval is None:
        raise aws_error("ActionNotFoundException", f"Action {action} in stage {stage} has no approval in progress")
    if run.token != token:
        raise aws_error("InvalidApprovalTokenException", f"The token {token} is not valid for action {action}")
    if run.approval["result"] is not None or run.status != "InProgress":
        raise aws_error("ApprovalAlreadyCompletedException", f"The approval for action {action} is already completed")
    if result.get("status") not in ("Approved", "Rejected"):
        raise aws_error("InvalidApprovalTokenException", "The approval status must be Approved or Rejected")
    run.updated_by = who
    run.approval["result"] = result
    run.approval["event"].set()
    return _now()


def stop_execution(rt: Runtime, execution_id: str, abandon: bool, reason: str | None) -> None:
    from ..common import aws_error

    with rt.lock:
        ex = rt.executions.get(execution_id)
    if ex is None:
        raise aws_error("PipelineExecutionNotFoundException", f"Pipeline execution {execution_id} not found")
    if ex.status != "InProgress":
        raise aws_error("PipelineExecutionNotStoppableException",
                        f"Unable to stop pipeline execution '{execution_id}' because it is in status {ex.status}")
    if ex.stop is not None and not (abandon and not ex.stop.get("abandon")):
        raise aws_error("DuplicatedStopRequestException",
                        f"A stop request for pipeline execution '{execution_id}' is already in progress")
    ex.stop = {"abandon": abandon, "reason": reason}
    ex.set_status("Stopping")
    with rt.cond:
        rt.cond.notify_all()
    if abandon:
        deadline = time.monotonic() + 2
        while ex.status == "Stopping" and time.monotonic() < deadline:
            time.sleep(0.01)


def retry_stage(account: str, region: str, pipeline_obj: Any, execution_id: str, stage: str, mode: str) -> None:
    from ..common import aws_error

    rt = runtime_of(pipeline_obj)
    with rt.lock:
        ex = rt.executions.get(execution_id)
    if ex is None:
        raise aws_error("PipelineExecutionNotFoundException", f"Pipeline execution {execution_id} not found")
    names = [s["name"] for s in ex.structure.get("stages", [])]
    if stage not in names:
        raise aws_error("StageNotFoundException", f"Stage {stage} not found in pipeline {ex.pipeline}")
    if ex.status != "Failed" or ex.stage_status.get(stage) != "Failed":
        raise aws_error("StageNotRetryableException", f"Stage {stage} of execution {execution_id} cannot be retried "
                        "because it did not fail in that execution")
    if ex.version != int(pipeline_obj.pipeline.get("version", 1)):
        raise aws_error("NotLatestPipelineExecutionException",
                        "The stage cannot be retried: the pipeline was updated since this execution started")
    ex.set_status("InProgress", "")
    ex.summary = None
    runner = PipelineRunner(account, region, pipeline_obj, ex)

    def go(job: Job) -> None:
        runner.job = job
        runner.run_stages(ex.structure.get("stages", []), names.index(stage), only_failed=(mode == "FAILED_ACTIONS"))

    ex.job = registry.spawn("pipeline", f"{ex.pipeline}/{ex.id}/retry", go)


