"""What every CodeDeploy deployment shares, whatever its platform: the record it updates, the role it
acts as, the clock it keeps, the traffic steps of its configuration, its alarms and Lambda hooks.

The platform engines (``deploy`` for EC2/on-premises, ``deploy_lambda``, ``deploy_ecs``) build on it.
Waits (canary and linear intervals, hook timeouts, the ECS termination wait) are real time scaled by
the ``build_timeout_scale`` knob of whoever created the deployment, so tests run a 5-minute canary in
well under a second.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import yaml

from ..control import CONTROL
from ..judge import access
from ..state.deployment_configs import find_config
from . import artifacts as art
from . import hooks
from .registry import Cancelled, Job

HOOK_FAILED_MESSAGE = "The deployment failed because one or more of the lifecycle event validation functions failed."
ALARM_MESSAGE = ("One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and "
                 "the affected deployments have been stopped. Activated alarms: {alarms}")
HOOK_TIMEOUT_S = 3600.0  # a lifecycle hook has an hour to report its status (AppSpec 'hooks' section)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class LifecycleError(Exception):
    def __init__(self, code: str, message: str, script: str = "", log: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.script, self.log = code, message, script, log


class DeploymentFailed(Exception):
    """The deployment ends here: status, error code and message as GetDeployment reports them."""

    def __init__(self, code: str, message: str, status: str = "Failed") -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


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
    on_ended: Callable[["DeployContext", str], None] | None = None  # the automatic rollback, given the end status
    scope: str = "*"  # the access key whose knobs apply (who created the deployment)
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

    @property
    def role(self) -> str:
        return self.group.service_role_arn or ""

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

    # --- as the deployment group's role ----------------------------------------------------------
    def refusal(self, *needs: access.Need) -> access.Refusal | None:
        """CodeDeploy's refusal (IAM_ROLE_PERMISSIONS) if the group's role may not make these calls."""
        return access.judge(access.codedeploy_step(self.role, list(needs)), account=self.account,
                            region=self.region, role_arn=self.role, session="CodeDeploy", scope=self.scope)

    def require(self, *needs: access.Need) -> None:
        refusal = self.refusal(*needs)
        if refusal is not None:
            raise DeploymentFailed(refusal.code, refusal.message)

    # --- time ------------------------------------------------------------------------------------
    def seconds(self, real: float) -> float:
        """A wait of ``real`` seconds on AWS, scaled by the creator's ``build_timeout_scale``."""
        return real * CONTROL.build_timeout_scale(self.scope)

    def sleep(self, job: Job, real: float, watch: Callable[[], None] | None = None) -> None:
        """Wait (scaled), checking the job and ``watch`` (alarms) every 20 ms."""
        deadline = time.monotonic() + self.seconds(real)
        while True:
            job.check()
            if watch is not None:
                watch()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.02, left))

    # --- configuration ---------------------------------------------------------------------------
    def config_name(self) -> str:
        default = {"Lambda": "CodeDeployDefault.LambdaAllAtOnce", "ECS": "CodeDeployDefault.ECSAllAtOnce"}.get(
            self.platform, "CodeDeployDefault.OneAtATime")
        return str(self.deployment.deployment_config_name or self.group.deployment_config_name or default)

    def traffic_steps(self) -> list[tuple[int, float]]:
        """(percent of traffic on the new version, seconds to hold it) for the deployment's configuration:
        AllAtOnce is one step; TimeBasedCanary moves its percentage, waits its interval, then moves the
        rest; TimeBasedLinear moves its percentage every interval until all traffic has moved
        (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html)."""
        config = find_config(self.backend, self.config_name()) or {}
        routing = config.get("trafficRoutingConfig") or {"type": "AllAtOnce"}
        if routing.get("type") == "TimeBasedCanary":
            canary = routing.get("timeBasedCanary") or {}
            return [(int(canary.get("canaryPercentage", 10)), 60.0 * int(canary.get("canaryInterval", 5))), (100, 0.0)]
        if routing.get("type") == "TimeBasedLinear":
            linear = routing.get("timeBasedLinear") or {}
            step, interval = int(linear.get("linearPercentage", 10)), 60.0 * int(linear.get("linearInterval", 1))
            steps = [(p, interval) for p in range(step, 100, step)]
            return steps + [(100, 0.0)]
        return [(100, 0.0)]

    # --- alarms ----------------------------------------------------------------------------------
    def alarm_names(self) -> list[str]:
        alarm = self.group.alarm_configuration
        if alarm is not None and not isinstance(alarm, dict):
            alarm = {"enabled": alarm.enabled, "alarms": alarm.alarms}
        if not alarm or not alarm.get("enabled"):
            return []
        return [a.get("name") for a in alarm.get("alarms") or [] if a.get("name")]

    def check_alarms(self) -> None:
        """Stop the deployment when one of the group's alarms is in ALARM (as cloudwatch:DescribeAlarms sees it)."""
        names = self.alarm_names()
        if not names or self.deployment.creator == "codeDeployRollback":
            return  # a rollback is not watched (on AWS it succeeds while the alarm that caused it still fires)
        self.require(access.need("cloudwatch:DescribeAlarms",
                                 *[f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:{n}" for n in names], "*"))
        from moto.cloudwatch.models import cloudwatch_backends

        alarms = cloudwatch_backends[self.account][self.region].alarms
        firing = [n for n in names if n in alarms and getattr(alarms[n], "state_value", "") == "ALARM"]
        if firing:
            raise DeploymentFailed("ALARM_ACTIVE", ALARM_MESSAGE.format(alarms=" ".join(f"<{n}>" for n in firing)),
                                   status="Stopped")

    # --- Lambda hooks (Lambda and ECS AppSpec files) ----------------------------------------------
    def run_hook(self, job: Job, event: str, function: str) -> None:
        """Invoke a lifecycle hook function with {DeploymentId, LifecycleEventHookExecutionId} and wait for it to
        report through PutLifecycleEventHookExecutionStatus (https://docs.aws.amazon.com/codedeploy/latest/
        userguide/reference-appspec-file-structure-hooks.html). Functions cannot run here (no container runtime):
        the invocation is recorded for GET /_pipewright/hook-invocations, and whoever plays the function reports."""
        arn = function if function.startswith("arn:") else \
            f"arn:aws:lambda:{self.region}:{self.account}:function:{function}"
        self.require(access.need("lambda:InvokeFunction", arn, f"{arn}:*"))
        pending = hooks.invoke(self.deployment_id, event, arn, CONTROL.effective(self.scope).get("hooks_answer"))
        deadline = time.monotonic() + self.seconds(HOOK_TIMEOUT_S)
        while pending.status is None:
            job.check()
            if time.monotonic() > deadline:
                pending.status = "Failed"
                break
            pending.flag.wait(0.02)
        if pending.status != "Succeeded":
            raise DeploymentFailed("HOOK_EXECUTION_FAILURE", HOOK_FAILED_MESSAGE)


def run_events(job: Job, ctx: DeployContext, target: Target, steps: dict[str, Callable[[], None]]) -> None:
    """Run the target's lifecycle events in order; a failure marks its event Failed and the rest Skipped,
    then ends the deployment with the failure's status (Failed, or Stopped for an alarm)."""
    target.status = "InProgress"
    ctx.touch()
    failure: DeploymentFailed | None = None
    for event in target.events:
        if failure is not None:
            event["status"] = "Skipped"
            continue
        job.check()
        event["status"] = "InProgress"
        event["startTime"] = _now()
        ctx.touch()
        try:
            steps.get(event["lifecycleEventName"], lambda: None)()
            event["status"] = "Succeeded"
            event["diagnostics"] = {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}
        except DeploymentFailed as err:
            failure = err
            event["status"] = "Failed"
            event["diagnostics"] = {"errorCode": "UnknownError", "scriptName": "", "message": err.message,
                                    "logTail": ""}
        except LifecycleError as err:
            failure = DeploymentFailed("INVALID_REVISION", err.message)
            event["status"] = "Failed"
            event["diagnostics"] = {"errorCode": err.code, "scriptName": err.script, "message": err.message,
                                    "logTail": err.log}
        event["endTime"] = _now()
        target.last_updated = event["endTime"]
        ctx.touch()
    target.status = "Failed" if failure is not None else "Succeeded"
    target.last_updated = _now()
    if failure is not None:
        raise failure


def finish(ctx: DeployContext, status: str, code: str | None = None, message: str | None = None) -> None:
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
    elif ctx.on_ended is not None:
        ctx.on_ended(ctx, status)
    d.status = status



class ResourceDeployment(Protocol):
    """What a Lambda or ECS deployment offers ``run_resource_deployment``."""

    def lifecycle_target(self) -> Target: ...
    def steps(self) -> dict[str, Callable[[], None]]: ...
    def complete(self) -> None: ...
    def restore(self) -> None: ...


def run_resource_deployment(job: Job, ctx: DeployContext, platform: str,
                            begin: Callable[[dict[str, Any], dict[str, str]], ResourceDeployment]) -> None:
    """A Lambda or ECS deployment: its appspec (INVALID_REVISION when wrong), then its one target's
    lifecycle events; a failure restores the original traffic before the deployment ends."""
    d = ctx.deployment
    try:
        spec = parse_resource_appspec(ctx.bundle().decode("utf-8", "replace"), platform)
    except LifecycleError as err:
        d._pw_targets = []
        finish(ctx, "Failed", "INVALID_REVISION", err.message)
        return
    deployment = begin(spec["resources"][0]["properties"], spec["hooks"])
    target = deployment.lifecycle_target()
    d._pw_targets = [target]
    try:
        run_events(job, ctx, target, deployment.steps())
        deployment.complete()
    except DeploymentFailed as err:
        deployment.restore()
        finish(ctx, err.status, err.code, err.message)
        return
    finish(ctx, "Succeeded")

# --- the Lambda and ECS AppSpec file ---------------------------------------------------------------

LAMBDA_EVENTS = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
ECS_EVENTS = ["BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
              "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
ECS_HOOKS = {"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}
LAMBDA_HOOKS = {"BeforeAllowTraffic", "AfterAllowTraffic"}
APPSPEC_INVALID = ("The deployment failed because the AppSpec file that specifies the deployment configuration is "
                   "missing or has an invalid configuration.")


def parse_resource_appspec(text: str, platform: str) -> dict[str, Any]:
    """Lambda / ECS appspec (YAML or JSON): Resources entries with Type and required properties; the hooks
    as {event: function}."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        raise LifecycleError("UnknownError", f"{APPSPEC_INVALID} The input AppSpec file is a not well-formed yaml. "
                             "The template cannot be parsed.") from None
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
    hooks_doc = doc.get("Hooks") or doc.get("hooks") or []
    found: dict[str, str] = {}
    for hook in hooks_doc if isinstance(hooks_doc, list) else [hooks_doc]:
        for event, function in (hook or {}).items():
            if event not in allowed:
                raise LifecycleError("UnknownError", f"The AppSpec file has an unknown hook {event} for a "
                                     f"{platform} deployment; allowed: {', '.join(sorted(allowed))}")
            found[str(event)] = str(function)
    return {"resources": parsed, "hooks": found}


__all__ = ["Cancelled", "DeployContext", "DeploymentFailed", "LifecycleError", "Target", "finish", "run_events",
           "parse_resource_appspec"]
