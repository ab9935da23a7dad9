"""The CodeDeploy engine: a local agent that runs appspec hooks as the real agent does.

Server (EC2/on-premises) deployments act on one local instance (``i-0emulator00000001``),
or on moto EC2 instances matching the group's tag filters if there are any. For each
instance the lifecycle events run in AWS's order; scripts run with bash from the unpacked
bundle, each with its timeout, and failures are reported with the agent's own wording
(``Script at specified location: X run as user Y failed with exit code N``, ScriptMissing,
ScriptTimedOut, the ``[stdout]``/``[stderr]`` log tail). ``files`` are copied under a
per-group install root instead of ``/``. Lambda and ECS deployments validate the appspec
and report their lifecycle events; their hook functions are not invoked.

It is a local runner, not a sandbox: hook scripts run as the current user.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

from . import artifacts as art
from . import registry, shell
from .build import BUILD_ACCESS_KEY
from .registry import Cancelled, Job

SYNTHETIC_INSTANCE = "i-0emulator00000001"
HEALTH_MESSAGE = ("The overall deployment failed because too many individual instances failed deployment, too few "
                  "healthy instances are available for deployment, or some instances in your deployment group are "
                  "experiencing problems.")
NO_INSTANCES_MESSAGE = ("The deployment failed because no instances were found for your deployment group. Check your "
                        "deployment group settings to make sure the tags for your Amazon EC2 instances or Auto Scaling "
                        "groups correctly identify the instances you want to deploy to, and then try again.")
APPSPEC_DOC = "http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html"

IN_PLACE_EVENTS = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
                   "ApplicationStart", "ValidateService"]
IN_PLACE_LB_EVENTS = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "DownloadBundle",
                      "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService",
                      "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
NATIVE_EVENTS = {"DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"}
PREVIOUS_REVISION_EVENTS = {"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"}
LAMBDA_EVENTS = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
ECS_EVENTS = ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
              "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
ECS_HOOKS = {"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}
LAMBDA_HOOKS = {"BeforeAllowTraffic", "AfterAllowTraffic"}
LOG_BUFFER = 2048  # the agent keeps ~2 KB of script output for the console's log tail


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class LifecycleError(Exception):
    def __init__(self, code: str, message: str, script: str = "", log: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.script, self.log = code, message, script, log


@dataclass
class Target:
    target_id: str
    target_arn: str
    kind: str  # InstanceTarget | LambdaTarget | ECSTarget
    events: list[dict[str, Any]]
    status: str = "Pending"
    last_updated: dt.datetime = field(default_factory=_now)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self, deployment_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {"deploymentId": deployment_id, "targetId": self.target_id, "targetArn": self.target_arn,
                                "status": self.status, "lastUpdatedAt": self.last_updated,
                                "lifecycleEvents": [dict(e) for e in self.events]}
        body.update(self.extra)
        key = {"InstanceTarget": "instanceTarget", "LambdaTarget": "lambdaTarget", "ECSTarget": "ecsTarget"}[self.kind]
        return {"deploymentTargetType": self.kind, key: body}


class ScriptLog:
    """The agent's rolling log: whole entries, oldest dropped past ~2 KB."""

    def __init__(self) -> None:
        self.entries: list[str] = []

    def append(self, entry: str) -> None:
        self.entries.append(entry)
        total = sum(len(e) for e in self.entries)
        while len(self.entries) > 1 and total > LOG_BUFFER:
            total -= len(self.entries.pop(0))

    def text(self) -> str:
        return "".join(self.entries)[-4096:]


# --- appspec ---------------------------------------------------------------------------------

def parse_server_appspec(text: str) -> dict[str, Any]:
    """The agent's checks (application_specification.rb), with its messages."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise LifecycleError("UnknownError", f"The deployment failed because the application specification file is not valid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise LifecycleError("UnknownError", "The deployment failed because the application specification file is not a YAML mapping.")
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != 0.0:
        shown = "" if version is None else version
        raise LifecycleError("UnknownError", f"The deployment failed because an invalid version value ({shown}) was "
                             "entered in the application specification file. Make sure your AppSpec file specifies "
                             "\"0.0\" as the version, and then try again.")
    if doc.get("os") not in ("linux", "windows"):
        raise LifecycleError("UnknownError", "The deployment failed because the application specification file "
                             f"specifies an unsupported operating system ({doc.get('os') or ''}). Specify either "
                             "\"linux\" or \"windows\" in the os section of the AppSpec file, and then try again.")
    hooks: dict[str, list[dict[str, Any]]] = {}
    for event, scripts in (doc.get("hooks") or {}).items():
        parsed = []
        for script in scripts or []:
            if not isinstance(script, dict) or not str(script.get("location") or "").strip():
                raise LifecycleError("UnknownError", "The deployment failed because the application specification "
                                     "file specifies a script with no location value. Specify the location in the "
                                     "hooks section of the AppSpec file, and then try again.")
            timeout = script.get("timeout", 3600)
            try:
                timeout = int(timeout)
            except (TypeError, ValueError):
                timeout = 0
            if timeout <= 0:
                raise LifecycleError("UnknownError", "The deployment failed because an invalid timeout value was "
                                     "provided for a script in the application specification file. Make corrections "
                                     "in the hooks section of the AppSpec file, and then try again.")
            runas = script.get("runas")
            parsed.append({"location": str(script["location"]).strip(), "timeout": timeout,
                           "runas": None if runas is None else str(runas).strip()})
        hooks[str(event)] = parsed
    files = []
    for mapping in doc.get("files") or []:
        if isinstance(mapping, dict):
            files.append({"source": str(mapping.get("source", "/")), "destination": str(mapping.get("destination", "/"))})
    behavior = str(doc.get("file_exists_behavior") or "").upper() or None
    return {"version": version, "os": doc["os"], "hooks": hooks, "files": files, "file_exists_behavior": behavior}


def parse_resource_appspec(text: str, platform: str) -> dict[str, Any]:
    """Lambda / ECS appspec (YAML or JSON): Resources entries with Type and required properties."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise LifecycleError("UnknownError", f"The AppSpec file cannot be decoded: {err}") from None
    if not isinstance(doc, dict):
        raise LifecycleError("UnknownError", "The AppSpec file cannot be decoded: it is not a mapping")
    resources = doc.get("Resources") or doc.get("resources")
    if not isinstance(resources, list) or not resources:
        raise LifecycleError("UnknownError", "The AppSpec file must contain a Resources list with one resource")
    parsed = []
    for entry in resources:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise LifecycleError("UnknownError", "Each entry of Resources must be a single named resource")
        (logical, body), = entry.items()
        body = body or {}
        rtype = body.get("Type") or body.get("type")
        props = body.get("Properties") or body.get("properties") or {}
        if platform == "Lambda":
            if rtype != "AWS::Lambda::Function":
                raise LifecycleError("UnknownError", f"The AppSpec file resource {logical} has Type {rtype}; "
                                     "a Lambda deployment needs AWS::Lambda::Function")
            missing = [p for p in ("Name", "Alias", "CurrentVersion", "TargetVersion") if props.get(p) in (None, "")]
            if missing:
                raise LifecycleError("UnknownError", f"The AppSpec file resource {logical} is missing required "
                                     f"properties: {', '.join(missing)}")
        else:
            if rtype != "AWS::ECS::Service":
                raise LifecycleError("UnknownError", f"The AppSpec file resource {logical} has Type {rtype}; "
                                     "an ECS deployment needs AWS::ECS::Service")
            if not props.get("TaskDefinition"):
                raise LifecycleError("UnknownError", f"The AppSpec file resource {logical} is missing required "
                                     "property: TaskDefinition")
            lb = props.get("LoadBalancerInfo") or {}
            missing = [p for p in ("ContainerName", "ContainerPort") if lb.get(p) in (None, "")]
            if missing:
                raise LifecycleError("UnknownError", f"The AppSpec file resource {logical} is missing required "
                                     f"properties: LoadBalancerInfo.{', LoadBalancerInfo.'.join(missing)}")
        parsed.append({"logical": logical, "type": rtype, "properties": props})
    allowed = LAMBDA_HOOKS if platform == "Lambda" else ECS_HOOKS
    hooks = doc.get("Hooks") or doc.get("hooks") or []
    for hook in hooks if isinstance(hooks, list) else []:
        for event in (hook or {}):
            if event not in allowed:
                raise LifecycleError("UnknownError", f"The AppSpec file has an unknown hook {event} for a "
                                     f"{platform} deployment; allowed: {', '.join(sorted(allowed))}")
    return {"resources": parsed, "hooks": hooks}


# --- the agent ---------------------------------------------------------------------------------

@dataclass
class InstanceState:
    """What the agent remembers per (group, instance) between deployments."""

    last_archive: str | None = None
    installed: list[str] = field(default_factory=list)


def instance_state(backend: Any, group_id: str, instance_id: str) -> InstanceState:
    table = backend.__dict__.setdefault("_pw_instances", {})
    return table.setdefault((group_id, instance_id), InstanceState())


class Agent:
    def __init__(self, job: Job, ctx: "DeployContext", target: Target) -> None:
        self.job, self.ctx, self.target = job, ctx, target
        self.state = instance_state(ctx.backend, ctx.group.deployment_group_id, target.target_id)
        root = registry.workdir("codedeploy", ctx.group.deployment_group_id, target.target_id)
        self.deployment_root = os.path.join(root, ctx.deployment_id)
        self.archive = os.path.join(self.deployment_root, "deployment-archive")
        self.install_root = os.path.join(root, "install-root")
        os.makedirs(self.archive, exist_ok=True)
        os.makedirs(self.install_root, exist_ok=True)
        self.appspec: dict[str, Any] | None = None

    def env(self, event: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "PIPEWRIGHT_EMULATOR_"))}
        env.update({
            "LIFECYCLE_EVENT": event, "DEPLOYMENT_ID": self.ctx.deployment_id,
            "APPLICATION_NAME": self.ctx.application_name, "DEPLOYMENT_GROUP_NAME": self.ctx.group_name,
            "DEPLOYMENT_GROUP_ID": self.ctx.group.deployment_group_id,
            "PIPEWRIGHT_INSTALL_ROOT": self.install_root,
            "AWS_REGION": self.ctx.region, "AWS_DEFAULT_REGION": self.ctx.region,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{registry.port()}",
            "AWS_ACCESS_KEY_ID": BUILD_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "pipewright-emulator",
        })
        return env

    def load_appspec(self, archive: str) -> dict[str, Any]:
        path = os.path.join(archive, self.ctx.appspec_path)
        if not os.path.isfile(path):
            raise LifecycleError(
                "UnknownError",
                f"The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at "
                f"revision-relative path \"{self.ctx.appspec_path}\". The revision was unpacked to directory "
                f"\"{archive}\", and the AppSpec file was expected but not found at path \"{path}\". Consult the AWS "
                f"CodeDeploy Appspec documentation for more information at {APPSPEC_DOC}")
        with open(path, encoding="utf-8", errors="replace") as fh:
            return parse_server_appspec(fh.read())

    def download_bundle(self) -> None:
        data = self.ctx.bundle()
        bundle_type = (self.ctx.revision.get("s3Location") or {}).get("bundleType", "zip")
        if bundle_type in ("tar", "tgz"):
            import io
            import tarfile

            try:
                with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
                    tf.extractall(self.archive, filter="data")
            except tarfile.TarError as err:
                raise LifecycleError("UnknownError", f"The bundle could not be unpacked: {err}") from None
        else:
            try:
                art.extract(data, self.archive)
            except art.ArtifactError as err:
                raise LifecycleError("UnknownError", str(err)) from None

    def install(self) -> None:
        spec = self.appspec or self.load_appspec(self.archive)
        behavior = (self.ctx.file_exists_behavior or spec.get("file_exists_behavior") or "DISALLOW").upper()
        for old in self.state.installed:  # the agent first removes what the last deployment installed
            try:
                os.unlink(old)
            except OSError:
                pass
        installed: list[str] = []
        for mapping in spec["files"]:
            source = os.path.join(self.archive, mapping["source"].lstrip("/"))
            dest = os.path.join(self.install_root, mapping["destination"].lstrip("/"))
            pairs: list[tuple[str, str]] = []
            if os.path.isdir(source):
                for root, dirs, names in os.walk(source):
                    dirs.sort()
                    for name in sorted(names):
                        src = os.path.join(root, name)
                        rel = os.path.relpath(src, source)
                        pairs.append((src, os.path.join(dest, rel)))
            elif os.path.exists(source):
                pairs.append((source, os.path.join(dest, os.path.basename(source)) if mapping["destination"].endswith("/")
                              or os.path.isdir(dest) else dest))
            else:
                raise LifecycleError("UnknownError", f"The deployment failed because the specified source "
                                     f"{mapping['source']} does not exist in the revision.")
            for src, target in pairs:
                shown = "/" + os.path.relpath(target, self.install_root)
                if os.path.exists(target):
                    if behavior == "DISALLOW":
                        raise LifecycleError("UnknownError", "The deployment failed because a specified file already "
                                             f"exists at this location: {shown}")
                    if behavior == "RETAIN":
                        continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(src, target)
                installed.append(target)
        self.state.installed = installed

    def run_hooks(self, event: str, archive: str, spec: dict[str, Any], log: ScriptLog) -> None:
        scripts = spec["hooks"].get(event) or []
        if not scripts:
            return
        log.append(f"LifecycleEvent - {event}\n")
        for script in scripts:
            location = script["location"]
            path = os.path.join(archive, location.lstrip("/"))
            if not os.path.isfile(path):
                raise LifecycleError("ScriptMissing", "Script does not exist at specified location: "
                                     f"{os.path.abspath(path)}", location, log.text())
            if not os.access(path, os.X_OK):
                try:
                    os.chmod(path, os.stat(path).st_mode | 0o111)
                except OSError:
                    raise LifecycleError("ScriptNotExecutable", f"Unable to set script at specified location: "
                                         f"{location} as executable", location, log.text()) from None
            log.append(f"Script - {location}\n")
            with open(path, "rb") as fh:
                has_shebang = fh.read(2) == b"#!"
            argv = [path] if has_shebang else ["bash", path]
            result = shell.run(argv, env=self.env(event), cwd=archive, job=self.job, merge_stderr=False,
                               timeout=script["timeout"],
                               on_line=lambda stream, line: log.append(f"[{stream}]{line}\n"))
            if result.cancelled:
                raise Cancelled()
            if result.timed_out:
                raise LifecycleError("ScriptTimedOut", f"Script at specified location: {location} failed to complete "
                                     f"in {script['timeout']} seconds", location, log.text())
            if result.returncode != 0:
                prefix = f"Script at specified location: {location}"
                if script["runas"] is not None:
                    prefix += f" run as user {script['runas']}"
                raise LifecycleError("ScriptFailed", f"{prefix} failed with exit code {result.returncode}",
                                     location, log.text())

    def run_event(self, event: str) -> str:
        """Run one lifecycle event; returns the log tail."""
        log = ScriptLog()
        if event == "DownloadBundle":
            self.download_bundle()
            return ""
        if event == "Install":
            self.install()
            return ""
        if event in ("BlockTraffic", "AllowTraffic"):
            return ""
        if event in PREVIOUS_REVISION_EVENTS:
            previous = self.state.last_archive
            if previous is None or not os.path.isdir(previous):
                return ""  # first deployment to this instance: nothing to stop
            try:
                spec = self.load_appspec(previous)
            except LifecycleError:
                return ""
            self.run_hooks(event, previous, spec, log)
            return log.text()
        if self.appspec is None:
            self.appspec = self.load_appspec(self.archive)
        self.run_hooks(event, self.archive, self.appspec, log)
        return log.text()

    def run(self) -> bool:
        self.target.status = "InProgress"
        self.ctx.touch()
        failed = False
        for event in self.target.events:
            self.job.check()
            if failed:
                event["status"] = "Skipped"
                continue
            event["status"] = "InProgress"
            event["startTime"] = _now()
            self.ctx.touch()
            try:
                tail = self.run_event(event["lifecycleEventName"])
                event["diagnostics"] = {"errorCode": "Success", "scriptName": "", "message": "Succeeded",
                                        "logTail": tail}
                event["status"] = "Succeeded"
            except LifecycleError as err:
                if event["lifecycleEventName"] == "ApplicationStop" and self.ctx.ignore_stop_failures:
                    event["diagnostics"] = {"errorCode": err.code, "scriptName": err.script, "message": err.message,
                                            "logTail": err.log}
                    event["status"] = "Succeeded"
                else:
                    event["diagnostics"] = {"errorCode": err.code, "scriptName": err.script, "message": err.message,
                                            "logTail": err.log}
                    event["status"] = "Failed"
                    failed = True
            event["endTime"] = _now()
            self.target.last_updated = event["endTime"]
            self.ctx.touch()
        self.target.status = "Failed" if failed else "Succeeded"
        if not failed:
            self.state.last_archive = self.archive
        return not failed


@dataclass
class DeployContext:
    account: str
    region: str
    backend: Any
    deployment: Any  # moto DeploymentInfo with our attributes
    group: Any
    platform: str
    revision: dict[str, Any]
    appspec_path: str = "appspec.yml"
    file_exists_behavior: str | None = None
    ignore_stop_failures: bool = False
    on_failed: Callable[["DeployContext"], None] | None = None  # e.g. the automatic rollback
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def deployment_id(self) -> str:
        return self.deployment.deployment_id

    @property
    def application_name(self) -> str:
        return self.deployment.application_name

    @property
    def group_name(self) -> str:
        return self.deployment.deployment_group_name

    def touch(self) -> None:
        overview = {"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}
        for target in self.deployment._pw_targets:
            if target.status in overview:
                overview[target.status] += 1
        self.deployment.deployment_overview = overview

    def bundle(self) -> bytes:
        kind = self.revision.get("revisionType")
        if kind == "S3":
            loc = self.revision.get("s3Location") or {}
            try:
                return art.get(self.account, loc.get("bucket", ""), loc.get("key", ""), loc.get("version")).value
            except art.ArtifactError as err:
                text = str(err)
                if text.startswith("NoSuchKey"):
                    text = "The specified key does not exist."
                elif text.startswith("NoSuchBucket"):
                    text = "The specified bucket does not exist"
                raise LifecycleError("UnknownError", text) from None
        if kind in ("String", "AppSpecContent"):
            body = self.revision.get("string") or self.revision.get("appSpecContent") or {}
            return (body.get("content") or "").encode()
        raise LifecycleError("UnknownError", f"The emulator cannot fetch a {kind} revision (no network access)")


def _server_targets(ctx: DeployContext) -> list[tuple[str, str]]:
    """(instance id, arn) of the instances this deployment goes to."""
    group = ctx.group
    filters = list(group.ec2_tag_filters or [])
    for tag_set in (group.ec2_tag_set or {}).get("ec2TagSetList", []) or []:
        filters.extend(tag_set or [])
    import sys

    if filters and "moto.ec2.models" in sys.modules:
        from moto.ec2.models import ec2_backends

        backend = ec2_backends[ctx.account][ctx.region]
        instances = [i for r in backend.reservations.values() for i in r.instances
                     if getattr(i, "state", "running") not in ("terminated", "shutting-down")]
        if instances:
            matched = []
            for instance in instances:
                tags = backend.tags.get(instance.id, {}) if hasattr(backend, "tags") else {}
                if not tags:
                    tags = {t["key"]: t["value"] for t in instance.get_tags()} if hasattr(instance, "get_tags") else {}
                for flt in filters:
                    key, value, ftype = flt.get("Key"), flt.get("Value"), flt.get("Type", "KEY_AND_VALUE")
                    if (ftype == "KEY_ONLY" and key in tags) or (ftype == "VALUE_ONLY" and value in tags.values()) or \
                            (ftype == "KEY_AND_VALUE" and tags.get(key) == value):
                        matched.append(instance.id)
                        break
            return [(i, f"arn:aws:ec2:{ctx.region}:{ctx.account}:instance/{i}") for i in matched]
    return [(SYNTHETIC_INSTANCE, f"arn:aws:ec2:{ctx.region}:{ctx.account}:instance/{SYNTHETIC_INSTANCE}")]


def _finish(ctx: DeployContext, status: str, code: str | None = None, message: str | None = None) -> None:
    """Record the outcome; the status is set last so a reader never sees a half-finished record."""
    d = ctx.deployment
    d.complete_time = _now()
    if code:
        d._pw_error = {"code": code, "message": message or ""}
        d.deployment_status_messages = [message or ""]
    ctx.touch()
    group = ctx.group
    info = {"deploymentId": d.deployment_id, "status": status, "endTime": d.complete_time, "createTime": d.create_time}
    group._pw_last_attempted = info
    if status == "Succeeded":
        group._pw_last_successful = info
        group._pw_target_revision = d.revision
    elif status == "Failed" and ctx.on_failed is not None:
        ctx.on_failed(ctx)
    d.status = status


def run(job: Job, ctx: DeployContext) -> None:
    d = ctx.deployment
    try:
        d.status = "InProgress"
        d.start_time = _now()
        if ctx.platform == "Server":
            instances = _server_targets(ctx)
            has_lb = bool((ctx.group.load_balancer_info or {})) and \
                (ctx.group.deployment_style or {}).get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
            names = IN_PLACE_LB_EVENTS if has_lb else IN_PLACE_EVENTS
            d._pw_targets = [Target(i, arn, "InstanceTarget",
                                    [{"lifecycleEventName": n, "status": "Pending"} for n in names])
                             for i, arn in instances]
            if not instances:
                _finish(ctx, "Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
                return
            ctx.touch()
            ok = True
            for target in d._pw_targets:
                ok = Agent(job, ctx, target).run() and ok
            if ok:
                _finish(ctx, "Succeeded")
            else:
                _finish(ctx, "Failed", "HEALTH_CONSTRAINTS", HEALTH_MESSAGE)
            return
        _run_resource_deployment(job, ctx)
    except Cancelled:
        if not job.stale and d.status == "InProgress":
            _finish(ctx, "Stopped", "MANUAL_STOP", "The deployment was stopped by the user.")
        raise
    except Exception as err:  # noqa: BLE001 - never leave a deployment InProgress
        import traceback

        traceback.print_exc()
        _finish(ctx, "Failed", "INTERNAL_ERROR", f"The emulator failed: {type(err).__name__}: {err}")
    finally:
        if not job.stale:
            d._pw_done.set()


def _run_resource_deployment(job: Job, ctx: DeployContext) -> None:
    d = ctx.deployment
    names = LAMBDA_EVENTS if ctx.platform == "Lambda" else ECS_EVENTS
    try:
        text = ctx.bundle().decode("utf-8", "replace")
        spec = parse_resource_appspec(text, ctx.platform)
    except LifecycleError as err:
        d._pw_targets = []
        _finish(ctx, "Failed", "INVALID_REVISION", err.message)
        return
    props = spec["resources"][0]["properties"]
    if ctx.platform == "Lambda":
        fn, alias = str(props["Name"]), str(props["Alias"])
        target = Target(f"{fn}:{alias}", f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{fn}:{alias}",
                        "LambdaTarget", [{"lifecycleEventName": n, "status": "Pending"} for n in names],
                        extra={"lambdaFunctionInfo": {"functionName": fn, "functionAlias": alias,
                                                      "currentVersion": str(props["CurrentVersion"]),
                                                      "targetVersion": str(props["TargetVersion"]),
                                                      "targetVersionWeight": 1.0}})
    else:
        services = ctx.group.ecs_services or [{}]
        cluster, service = services[0].get("clusterName", "default"), services[0].get("serviceName", "service")
        target = Target(f"{cluster}:{service}", f"arn:aws:ecs:{ctx.region}:{ctx.account}:service/{cluster}/{service}",
                        "ECSTarget", [{"lifecycleEventName": n, "status": "Pending"} for n in names])
    d._pw_targets = [target]
    target.status = "InProgress"
    ctx.touch()
    for event in target.events:
        job.check()
        now = _now()
        event.update(status="Succeeded", startTime=now, endTime=now,
                     diagnostics={"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""})
    target.status = "Succeeded"
    target.last_updated = _now()
    _finish(ctx, "Succeeded")


def appspec_sha256(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def json_dumps(value: Any) -> str:
    return json.dumps(value, default=str)
