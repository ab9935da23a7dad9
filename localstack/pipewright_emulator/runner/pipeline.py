"""The CodePipeline engine: run a pipeline execution's stages in order, for real.

One background job per execution walks the stages; within a stage, actions run by
``runOrder`` (same runOrder = in parallel). Each action records what GetPipelineState,
ListActionExecutions and GetPipelineExecution report: status, summary, externalExecutionId
and URL, errorDetails, token, input/output artifacts and output variables.

Stage occupancy follows the pipeline's executionMode: SUPERSEDED (default: an execution
waiting for a stage is replaced by a newer one), QUEUED (first come, first served) or
PARALLEL (no waiting).

Change detection: a new commit on a CodeCommit branch (or a new object under an S3 source
key) starts the pipelines whose source action watches it, when the action polls
(``PollForSourceChanges`` true, AWS's default) or an ENABLED EventBridge rule whose event
pattern matches the change targets the pipeline's ARN.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..patches import ensure
from . import artifacts as art
from . import registry
from .registry import Cancelled, Job

VAR_RE = re.compile(r"#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_]+)\}")
TERMINAL = {"Succeeded", "Failed", "Stopped", "Cancelled", "Superseded"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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

class PipelineRunner:
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
        except ActionFailed as err:
            run.status = "Failed"
            run.error = {"code": err.code, "message": err.message}
            run.summary = err.summary if err.summary is not None else run.summary
        except _Abandoned:
            run.status = "Abandoned"
        except Cancelled:
            raise
        except Exception as err:  # noqa: BLE001
            import traceback

            traceback.print_exc()
            run.status = "Failed"
            run.error = {"code": "JobFailed", "message": f"Emulator fault: {type(err).__name__}: {err}"}
        run.touch()
        if run.namespace and run.variables:
            self.ex.namespaces[run.namespace] = dict(run.variables)
        return run.status == "Succeeded"

    def handler_for(self, type_id: dict[str, str]):
        key = (type_id.get("category"), type_id.get("owner"), type_id.get("provider"))
        table = {
            ("Source", "AWS", "CodeCommit"): self.source_codecommit,
            ("Source", "AWS", "S3"): self.source_s3,
            ("Source", "AWS", "CodeStarSourceConnection"): self.source_connection,
            ("Build", "AWS", "CodeBuild"): self.build,
            ("Test", "AWS", "CodeBuild"): self.build,
            ("Approval", "AWS", "Manual"): self.approval,
            ("Deploy", "AWS", "S3"): self.deploy_s3,
            ("Deploy", "AWS", "CodeDeploy"): self.deploy_codedeploy,
            ("Deploy", "AWS", "CodeDeployToECS"): self.deploy_ecs,
        }
        handler = table.get(key)
        if handler is None:
            def unsupported(run: ActionRun, action: dict[str, Any]) -> None:
                raise ActionFailed(f"The pipewright emulator does not run {key[1]}/{key[2]} {key[0]} actions")
            return unsupported
        return handler

    # --- helpers ---------------------------------------------------------------------------
    def store_bucket(self, region: str) -> str:
        structure = self.ex.structure
        stores = structure.get("artifactStores") or {}
        store = stores.get(region) or structure.get("artifactStore") or {}
        bucket = store.get("location")
        if not bucket:
            raise ActionFailed("The pipeline has no artifact store location")
        return bucket

    def put_output(self, run: ActionRun, action: dict[str, Any], data: bytes, index: int = 0) -> None:
        outputs = action.get("outputArtifacts") or []
        if len(outputs) <= index:
            return
        name = outputs[index]["name"]
        bucket = self.store_bucket(run.region)
        key = art.artifact_key(self.ex.pipeline, name)
        try:
            art.put(self.account, bucket, key, data)
        except art.ArtifactError as err:
            raise ActionFailed(f"Insufficient permissions or missing bucket: the pipeline could not write its "
                               f"artifact to the artifact store ({err})") from None
        self.record_output(run, name, bucket, key)

    def record_output(self, run: ActionRun, name: str, bucket: str, key: str) -> None:
        self.ex.artifacts[name] = {"bucket": bucket, "key": key}
        run.outputs.append({"name": name, "s3location": {"bucket": bucket, "key": key}})

    def input_bytes(self, action: dict[str, Any], name: str | None = None) -> tuple[str, bytes]:
        inputs = action.get("inputArtifacts") or []
        if not inputs:
            raise ActionFailed("The action has no input artifact")
        wanted = name or inputs[0]["name"]
        loc = self.ex.artifacts.get(wanted)
        if loc is None:
            raise ActionFailed(f"Input artifact {wanted} was not produced by an earlier action")
        try:
            return wanted, art.get(self.account, loc["bucket"], loc["key"]).value
        except art.ArtifactError as err:
            raise ActionFailed(f"Could not read input artifact {wanted}: {err}") from None

    def wait(self, done: threading.Event, run: ActionRun) -> None:
        while not done.wait(0.05):
            self.job.check()
            if self.ex.stop is not None and self.ex.stop.get("abandon"):
                raise _Abandoned()

    def add_revision(self, action: str, artifact: str | None, revision_id: str, summary: str | None,
                     url: str | None) -> None:
        if artifact:
            self.ex.artifact_revision[artifact] = revision_id
        self.ex.revisions.append({k: v for k, v in {"name": artifact, "revisionId": revision_id,
                                                      "revisionSummary": summary, "revisionUrl": url,
                                                      "created": _now()}.items() if v is not None})
        self.ex.source_revisions.append({k: v for k, v in {"actionName": action, "revisionId": revision_id,
                                                             "revisionSummary": summary, "revisionUrl": url}.items()
                                         if v is not None})

    # --- sources ---------------------------------------------------------------------------
    def source_codecommit(self, run: ActionRun, action: dict[str, Any]) -> None:
        ensure("codecommit")
        from .. import codecommit

        repo, branch = run.resolved.get("RepositoryName", ""), run.resolved.get("BranchName", "")
        try:
            commit, files = codecommit.repository_files(self.account, run.region, repo, branch)
        except LookupError:
            raise ActionFailed(f"The repository {repo} does not exist or could not be found. Make sure the "
                               "repository exists and try again.") from None
        except KeyError:
            raise ActionFailed(f"The action failed because no branch named {branch} was found in the selected AWS "
                               f"CodeCommit repository {repo}. Make sure you are using the correct branch name, and "
                               "then try again. Error: null") from None
        url = (f"https://{run.region}.console.aws.amazon.com/codesuite/codecommit/repositories/{repo}/commit/"
               f"{commit.commit_id}?region={run.region}")
        run.external_id, run.summary, run.external_url = commit.commit_id, commit.message, url
        self.put_output(run, action, art.zip_files(files))
        when = dt.datetime.fromtimestamp(int(commit.author["date"].split()[0]), dt.timezone.utc)
        run.variables = {"CommitId": commit.commit_id, "CommitMessage": commit.message, "RepositoryName": repo,
                         "BranchName": branch, "AuthorDate": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "CommitterDate": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), commit.commit_id, commit.message, url)

    def source_s3(self, run: ActionRun, action: dict[str, Any]) -> None:
        bucket, key = run.resolved.get("S3Bucket", ""), run.resolved.get("S3ObjectKey", "")
        backend = art.s3_backend(self.account)
        try:
            bucket_obj = backend.get_bucket(bucket)
        except Exception:  # noqa: BLE001
            raise ActionFailed(f"The specified bucket {bucket} does not exist.") from None
        if not bucket_obj.is_versioned:
            raise ActionFailed(f"Bucket versioning is not enabled on {bucket}. An Amazon S3 source bucket must have "
                               "versioning enabled.")
        try:
            obj = art.get(self.account, bucket, key)
        except art.ArtifactError:
            raise ActionFailed(f"The object with key {key} does not exist in bucket {bucket}.") from None
        run.external_id = obj.version_id
        run.summary = f"Amazon S3 version id: {obj.version_id}"
        self.put_output(run, action, obj.value)
        run.variables = {"ETag": obj.etag.strip('"'), "VersionId": obj.version_id, "ObjectKey": key}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), obj.version_id, None, None)

    def source_connection(self, run: ActionRun, action: dict[str, Any]) -> None:
        from .. import codestar_connections

        arn = run.resolved.get("ConnectionArn", "")
        repo = run.resolved.get("FullRepositoryId", "")
        conn = codestar_connections.STORE.get(arn)
        if conn is None:
            raise ActionFailed(f"Connection {arn} does not exist.")
        if conn.status != "AVAILABLE":
            raise ActionFailed(f"Connection {arn} is not available (status {conn.status}). Complete the connection "
                               "in the console first (emulator: POST /_pipewright/codestar-connections/status with "
                               "status AVAILABLE).")
        local = codestar_connections.STORE.github_repos.get(repo)
        if local is None:
            raise ActionFailed(f"The pipewright emulator cannot reach {conn.provider} to fetch {repo}: it has no "
                               "network access. Map the repository to a local directory with "
                               "POST /_pipewright/github-repos {\"fullRepositoryId\": ..., \"path\": ...}.")
        workdir = registry.new_tempdir("connection-")
        art.copy_tree(local, workdir)
        revision = _git_head(local) or "local"
        run.external_id, run.summary = revision, f"Local copy of {repo} ({local})"
        self.put_output(run, action, art.zip_directory(workdir))
        run.variables = {"CommitId": revision, "FullRepositoryName": repo,
                         "BranchName": run.resolved.get("BranchName", ""), "ConnectionArn": arn,
                         "ProviderType": conn.provider}
        outputs = action.get("outputArtifacts") or [{}]
        self.add_revision(run.action, outputs[0].get("name"), revision, run.summary, None)

    # --- build -----------------------------------------------------------------------------
    def build(self, run: ActionRun, action: dict[str, Any]) -> None:
        ensure("codebuild")
        from .. import codebuild
        from .build import Output

        project = run.resolved.get("ProjectName", "")
        env_overrides: list[dict[str, str]] = []
        if run.resolved.get("EnvironmentVariables"):
            try:
                env_overrides = [{"name": v["name"], "value": self.resolve(str(v.get("value", ""))),
                                  "type": v.get("type", "PLAINTEXT")}
                                 for v in json.loads(run.resolved["EnvironmentVariables"])]
            except (ValueError, KeyError, TypeError):
                raise ActionFailed("The EnvironmentVariables configuration is not a valid JSON list of "
                                   "{name, value, type}") from None
        inputs = [a["name"] for a in action.get("inputArtifacts") or []]
        primary = run.resolved.get("PrimarySource") or (inputs[0] if inputs else None)

        def loader(name: str):
            def load(dest: str) -> str | None:
                _, data = self.input_bytes(action, name)
                try:
                    art.extract(data, dest)
                except art.ArtifactError as err:
                    from .build import SourceError

                    raise SourceError("CLIENT_ERROR", str(err)) from None
                return self.ex.artifact_revision.get(name)
            return load

        load_source = loader(primary) if primary else (lambda dest: None)
        secondary = {name: loader(name) for name in inputs if name != primary}
        outputs = []
        for out in action.get("outputArtifacts") or []:
            bucket = self.store_bucket(run.region)
            outputs.append(Output(out["name"], bucket, art.artifact_key(self.ex.pipeline, out["name"])))
        primary_loc = self.ex.artifacts.get(primary or "")
        source_version = f"arn:aws:s3:::{primary_loc['bucket']}/{primary_loc['key']}" if primary_loc else None
        try:
            build = codebuild.start(self.account, run.region, project, access_key=self.ex.access_key,
                                    initiator=f"codepipeline/{self.ex.pipeline}", load_source=load_source,
                                    secondary_sources=secondary, env_overrides=env_overrides, outputs=outputs,
                                    source_version=source_version)
        except Exception as err:  # noqa: BLE001 - e.g. the project does not exist
            message = getattr(err, "message", None) or str(err)
            raise ActionFailed(f"Error calling startBuild: {message}") from None
        build_id = build.data["id"]
        run.external_id = build_id
        run.external_url = f"https://console.aws.amazon.com/codebuild/home?region={run.region}#/builds/{build_id}/view/new"
        self.wait(build.done, run)
        if build.status != "SUCCEEDED":
            message = build.failure_message()
            raise ActionFailed(message, summary=message)
        for out in outputs:
            placed = build.output_locations.get(out.identifier)
            if placed:
                self.record_output(run, out.identifier, placed["bucket"], placed["key"])
        run.variables = dict(build.exported)

    # --- approval ----------------------------------------------------------------------------
    def approval(self, run: ActionRun, action: dict[str, Any]) -> None:
        run.token = str(uuid.uuid4())
        run.approval = {"event": threading.Event(), "result": None}
        while not run.approval["event"].wait(0.05):
            self.job.check()
            if self.ex.stop is not None:
                if self.ex.stop.get("abandon"):
                    raise _Abandoned()
        result = run.approval["result"] or {}
        run.summary = result.get("summary")
        if result.get("status") == "Rejected":
            raise ActionFailed(f"Rejected by {run.updated_by}: {result.get('summary') or ''}".rstrip(": "),
                               code="JobFailed", summary=result.get("summary"))

    # --- deploys ---------------------------------------------------------------------------
    def deploy_s3(self, run: ActionRun, action: dict[str, Any]) -> None:
        bucket = run.resolved.get("BucketName", "")
        extract = str(run.resolved.get("Extract", "false")).lower() == "true"
        object_key = run.resolved.get("ObjectKey") or ""
        if not extract and not object_key:
            raise ActionFailed("ObjectKey is required when Extract is false")
        if not art.bucket_exists(self.account, bucket):
            raise ActionFailed(f"The specified bucket does not exist: {bucket}")
        _, data = self.input_bytes(action)
        if not extract:
            art.put(self.account, bucket, object_key, data)
            run.summary = f"Deployed {object_key} to {bucket}"
            return
        workdir = registry.new_tempdir("s3deploy-")
        try:
            art.extract(data, workdir)
        except art.ArtifactError as err:
            raise ActionFailed(str(err)) from None
        count = 0
        for root, _dirs, names in os.walk(workdir):
            for name in names:
                full = os.path.join(root, name)
                rel = os.path.relpath(full, workdir).replace(os.sep, "/")
                key = f"{object_key.strip('/')}/{rel}" if object_key.strip("/") else rel
                with open(full, "rb") as fh:
                    art.put(self.account, bucket, key, fh.read())
                count += 1
        run.summary = f"Extracted {count} file(s) to {bucket}"

    def _codedeploy(self, run: ActionRun, revision: dict[str, Any]) -> None:
        ensure("codedeploy")
        from moto.codedeploy.models import codedeploy_backends

        from .. import codedeploy

        backend = codedeploy_backends[self.account][run.region]
        app, group = run.resolved.get("ApplicationName", ""), run.resolved.get("DeploymentGroupName", "")
        try:
            deployment_id = codedeploy.create_internal(self.account, run.region, backend, app, group, revision,
                                                       description=f"Deployment from CodePipeline {self.ex.pipeline}",
                                                       external_id=None)
        except Exception as err:  # noqa: BLE001
            raise ActionFailed(getattr(err, "message", None) or str(err)) from None
        run.external_id = deployment_id
        run.external_url = f"https://console.aws.amazon.com/codedeploy/home?region={run.region}#/deployments/{deployment_id}"
        d = backend.deployments[deployment_id]
        self.wait(d._pw_done, run)
        if d.status != "Succeeded":
            error = getattr(d, "_pw_error", None) or {"message": f"Deployment {deployment_id} {d.status}"}
            raise ActionFailed(error["message"], summary=error["message"])
        run.summary = f"Deployment {deployment_id} succeeded"

    def deploy_codedeploy(self, run: ActionRun, action: dict[str, Any]) -> None:
        name = (action.get("inputArtifacts") or [{}])[0].get("name")
        loc = self.ex.artifacts.get(name or "")
        if loc is None:
            raise ActionFailed(f"Input artifact {name} was not produced by an earlier action")
        obj = art.get(self.account, loc["bucket"], loc["key"])
        revision = {"revisionType": "S3", "s3Location": {"bucket": loc["bucket"], "key": loc["key"],
                                                        "bundleType": "zip", "eTag": obj.etag.strip('"')}}
        self._codedeploy(run, revision)

    def deploy_ecs(self, run: ActionRun, action: dict[str, Any]) -> None:
        import hashlib
        import io
        import zipfile

        def read(artifact_param: str, path_param: str, default: str) -> str:
            artifact = run.resolved.get(artifact_param)
            _, data = self.input_bytes(action, artifact)
            path = run.resolved.get(path_param) or default
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as zf:
                    return zf.read(path).decode()
            except (KeyError, zipfile.BadZipFile):
                raise ActionFailed(f"Exception while trying to read the file {path} in artifact {artifact}: "
                                   "no such file") from None

        appspec = read("AppSpecTemplateArtifact", "AppSpecTemplatePath", "appspec.yaml")
        taskdef = read("TaskDefinitionTemplateArtifact", "TaskDefinitionTemplatePath", "taskdef.json")
        try:
            family = json.loads(taskdef).get("family", "task")
        except ValueError:
            raise ActionFailed("The task definition template is not valid JSON") from None
        arn = f"arn:aws:ecs:{run.region}:{self.account}:task-definition/{family}:1"
        content = appspec.replace("<TASK_DEFINITION>", arn)
        revision = {"revisionType": "AppSpecContent",
                    "appSpecContent": {"content": content, "sha256": hashlib.sha256(content.encode()).hexdigest()}}
        self._codedeploy(run, revision)


class _Abandoned(Exception):
    pass


def _git_head(path: str) -> str | None:
    head = os.path.join(path, ".git", "HEAD")
    try:
        with open(head) as fh:
            ref = fh.read().strip()
        if ref.startswith("ref: "):
            with open(os.path.join(path, ".git", ref[5:])) as fh:
                return fh.read().strip()
        return ref
    except OSError:
        return None


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


# --- change detection ----------------------------------------------------------------------------

def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    return str(value).lower() == "true"


def _rules_targeting(account: str, region: str, arn: str, event: dict[str, Any]) -> str | None:
    import sys

    if "moto.events.models" not in sys.modules:
        return None
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    for bus in list(backend.event_buses.values()):
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED":
                continue
            if not any(t.get("Arn") == arn for t in rule.targets):
                continue
            try:
                if rule.event_pattern.matches_event(event):
                    return rule.arn
            except Exception:  # noqa: BLE001
                continue
    return None


def _start_for_change(account: str, region: str, pipelines: list[tuple[Any, str | None, str]],
                      events: list[dict[str, Any]], access_key: str = "change-detection") -> None:
    for pipeline_obj, poll, action_name in pipelines:
        rule = None
        for event in events:
            rule = rule or _rules_targeting(account, region, pipeline_obj._arn, event)
        if rule:
            trigger = {"triggerType": "CloudWatchEvent", "triggerDetail": rule}
        elif _truthy(poll):
            trigger = {"triggerType": "PollForSourceChanges", "triggerDetail": action_name}
        else:
            continue
        start(account, region, pipeline_obj, trigger, access_key=access_key)


def _pipelines_with_source(account: str, region: str, provider: str, match) -> list[tuple[Any, str | None, str]]:
    import sys

    if "moto.codepipeline.models" not in sys.modules:
        return []
    from moto.codepipeline.models import codepipeline_backends

    found = []
    for pipeline_obj in list(codepipeline_backends[account][region].pipelines.values()):
        stages = pipeline_obj.pipeline.get("stages") or []
        for action in (stages[0].get("actions") or []) if stages else []:
            type_id = action.get("actionTypeId") or {}
            config = action.get("configuration") or {}
            if type_id.get("category") == "Source" and type_id.get("provider") == provider and match(config):
                found.append((pipeline_obj, config.get("PollForSourceChanges"), action.get("name", "")))
                break
    return found


def on_codecommit_change(account: str, region: str, repo: str, branch: str, commit_id: str,
                         created: bool = False, access_key: str = "change-detection") -> None:
    pipelines = _pipelines_with_source(account, region, "CodeCommit",
                                       lambda c: c.get("RepositoryName") == repo and c.get("BranchName") == branch)
    if not pipelines:
        return
    event = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "CodeCommit Repository State Change",
        "source": "aws.codecommit", "account": account, "time": _now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region, "resources": [f"arn:aws:codecommit:{region}:{account}:{repo}"],
        "detail": {"event": "referenceCreated" if created else "referenceUpdated", "repositoryName": repo,
                   "referenceType": "branch", "referenceName": branch, "referenceFullName": f"refs/heads/{branch}",
                   "commitId": commit_id},
    }
    _start_for_change(account, region, pipelines, [event], access_key)


def on_s3_change(account: str, bucket: str, key: str) -> None:
    import sys

    if "moto.codepipeline.models" not in sys.modules:
        return
    from moto.codepipeline.models import codepipeline_backends

    for region in list(codepipeline_backends[account].keys()):
        pipelines = _pipelines_with_source(account, region, "S3",
                                           lambda c: c.get("S3Bucket") == bucket and c.get("S3ObjectKey") == key)
        if not pipelines:
            continue
        events = [
            {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
             "account": account, "region": region, "resources": [f"arn:aws:s3:::{bucket}"],
             "detail": {"bucket": {"name": bucket}, "object": {"key": key}}},
            {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
             "source": "aws.s3", "account": account, "region": region, "resources": [],
             "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutObject",
                        "requestParameters": {"bucketName": bucket, "key": key},
                        "resources": [{"ARN": f"arn:aws:s3:::{bucket}/{key}", "type": "AWS::S3::Object"}]}},
        ]
        _start_for_change(account, region, pipelines, events)
