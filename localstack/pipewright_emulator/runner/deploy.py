"""The CodeDeploy engine: a local agent that runs appspec hooks as the real agent does.

Server (EC2/on-premises) deployments act on one local instance (``i-0emulator00000001``),
or on moto EC2 instances matching the group's tag filters if there are any. For each
instance the lifecycle events run in AWS's order; scripts run with bash from the unpacked
bundle, each with its timeout, and failures are reported with the agent's own wording
(``Script at specified location: X run as user Y failed with exit code N``, ScriptMissing,
ScriptTimedOut, the ``[stdout]``/``[stderr]`` log tail). ``files`` are copied under a
per-group install root instead of ``/``. Lambda and ECS deployments run in ``deploy_lambda``
and ``deploy_ecs``. Every call CodeDeploy makes is made as the deployment group's role.

It is a local runner, not a sandbox: hook scripts run as the current user.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..judge import access
from . import artifacts as art
from . import deploy_ecs, deploy_lambda, registry, shell
from .build import HOOK_ACCESS_KEY
from .deploy_context import DeployContext, DeploymentFailed, LifecycleError, Target, _now, finish
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
LOG_BUFFER = 2048  # the agent keeps ~2 KB of script output for the console's log tail


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
        self.failure: DeploymentFailed | None = None

    def env(self, event: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_", "PIPEWRIGHT_EMULATOR_"))}
        env.update({
            "LIFECYCLE_EVENT": event, "DEPLOYMENT_ID": self.ctx.deployment_id,
            "APPLICATION_NAME": self.ctx.application_name, "DEPLOYMENT_GROUP_NAME": self.ctx.group_name,
            "DEPLOYMENT_GROUP_ID": self.ctx.group.deployment_group_id,
            "PIPEWRIGHT_INSTALL_ROOT": self.install_root,
            "AWS_REGION": self.ctx.region, "AWS_DEFAULT_REGION": self.ctx.region,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{registry.port()}",
            "AWS_ACCESS_KEY_ID": HOOK_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "pipewright-emulator",
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
        if event == "BlockTraffic":
            self.ctx.require(*server_traffic_needs(self.ctx, register=False))
            return ""
        if event == "AllowTraffic":
            self.ctx.require(*server_traffic_needs(self.ctx, register=True))
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
                self.ctx.check_alarms()
                tail = self.run_event(event["lifecycleEventName"])
                event["diagnostics"] = {"errorCode": "Success", "scriptName": "", "message": "Succeeded",
                                        "logTail": tail}
                event["status"] = "Succeeded"
            except DeploymentFailed as err:  # a refused call or an alarm: the deployment's own error says why
                self.failure = err
                event["diagnostics"] = {"errorCode": "UnknownError", "scriptName": "", "message": err.message,
                                        "logTail": ""}
                event["status"] = "Failed"
                failed = True
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


# --- what an EC2/on-premises deployment asks of the group's role -----------------------------------
# https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html (the
# AWSCodeDeployRole managed policy) and, for a blue/green copy of an Auto Scaling group created from a launch
# template, https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-auto-scaling.html
# ("ec2:RunInstances, ec2:CreateTags, iam:PassRole ... in addition to AWSCodeDeployRole").

def _asg_arn(ctx: DeployContext, name: str) -> str:
    return f"arn:aws:autoscaling:{ctx.region}:{ctx.account}:autoScalingGroup:*:autoScalingGroupName/{name}"


def _asg_names(ctx: DeployContext) -> list[str]:
    return [a if isinstance(a, str) else a.get("name", "") for a in ctx.group.auto_scaling_groups or []]


def _is_copy(ctx: DeployContext) -> bool:
    style = ctx.group.deployment_style or {}
    provisioning = ((ctx.group.blue_green_deployment_configuration or {}).get("greenFleetProvisioningOption") or {})
    return style.get("deploymentType") == "BLUE_GREEN" and provisioning.get("action") == "COPY_AUTO_SCALING_GROUP"


def _launch_template_role(ctx: DeployContext, asg: str) -> str | None:
    """The role of the instance profile in an Auto Scaling group's launch template (if moto knows the group)."""
    import sys

    if "moto.autoscaling.models" not in sys.modules:
        return None
    from moto.autoscaling.models import autoscaling_backends
    from moto.iam.models import iam_backends

    group = autoscaling_backends[ctx.account][ctx.region].autoscaling_groups.get(asg)
    template = getattr(group, "ec2_launch_template", None) if group is not None else None
    if template is None:
        return None
    data = getattr(template.latest_version(), "data", None) or {}
    profile = (data.get("IamInstanceProfile") or {})
    name = profile.get("Name") or str(profile.get("Arn", "")).rsplit("/", 1)[-1]
    if not name:
        return ""
    try:
        roles = iam_backends[ctx.account]["aws"].get_instance_profile(name).roles
    except Exception:  # noqa: BLE001
        return ""
    return roles[0].arn if roles else ""


def server_fleet_needs(ctx: DeployContext) -> list[access.Need]:
    """Finding the instances, and for a blue/green copy creating the replacement Auto Scaling group."""
    needs: list[access.Need] = []
    group = ctx.group
    if group.ec2_tag_filters or (group.ec2_tag_set or {}).get("ec2TagSetList"):
        needs += [access.need("ec2:DescribeInstances"), access.need("ec2:DescribeInstanceStatus")]
    asgs = _asg_names(ctx)
    if asgs:
        needs.append(access.need("autoscaling:DescribeAutoScalingGroups"))
    if _is_copy(ctx):
        copy = f"CodeDeploy_{ctx.group_name}_{ctx.deployment_id}"
        needs += [access.need(f"autoscaling:{a}", _asg_arn(ctx, copy), "*")
                  for a in ("CreateAutoScalingGroup", "UpdateAutoScalingGroup", "PutLifecycleHook")]
        for asg in asgs:
            role = _launch_template_role(ctx, asg)
            if role is None:
                continue
            # Auto Scaling launches the copy's instances with the caller's (CodeDeploy's) permissions
            instances = f"arn:aws:ec2:{ctx.region}:{ctx.account}:instance/*"
            needs += [access.need("ec2:RunInstances", instances, "*", service="AmazonAutoScaling"),
                      access.need("ec2:CreateTags", instances, "*", service="AmazonAutoScaling")]
            if role:
                needs.append(access.need("iam:PassRole", role, service="AmazonAutoScaling",
                                         iam__PassedToService="ec2.amazonaws.com"))
    return needs


def server_retire_needs(ctx: DeployContext) -> list[access.Need]:
    """A successful blue/green copy retires the original fleet (terminateBlueInstancesOnDeploymentSuccess)."""
    config = (ctx.group.blue_green_deployment_configuration or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
    if not _is_copy(ctx) or config.get("action", "TERMINATE") != "TERMINATE":
        return []
    instances = f"arn:aws:ec2:{ctx.region}:{ctx.account}:instance/*"
    return [access.need("ec2:TerminateInstances", instances, "*")] + \
        [access.need("autoscaling:DeleteAutoScalingGroup", _asg_arn(ctx, a), "*") for a in _asg_names(ctx)]


def _target_group_arn(ctx: DeployContext, name: str) -> str:
    import sys

    if "moto.elbv2.models" in sys.modules:
        from moto.elbv2.models import elbv2_backends

        for tg in elbv2_backends[ctx.account][ctx.region].target_groups.values():
            if tg.name == name:
                return tg.arn
    return f"arn:aws:elasticloadbalancing:{ctx.region}:{ctx.account}:targetgroup/{name}/0000000000000000"


def server_traffic_needs(ctx: DeployContext, register: bool) -> list[access.Need]:
    """BlockTraffic deregisters the instance from the group's target groups (or classic load balancers),
    AllowTraffic registers it again and waits for it to be healthy."""
    info = ctx.group.load_balancer_info or {}
    groups = [g.get("name") for g in info.get("targetGroupInfoList") or [] if g.get("name")]
    for pair in info.get("targetGroupPairInfoList") or []:
        groups += [g.get("name") for g in pair.get("targetGroups") or [] if g.get("name")]
    classic = [e.get("name") for e in info.get("elbInfoList") or [] if e.get("name")]
    verb = "RegisterTargets" if register else "DeregisterTargets"
    needs = [access.need("elasticloadbalancing:DescribeTargetGroups")] if groups else []
    needs += [access.need(f"elasticloadbalancing:{verb}", _target_group_arn(ctx, g)) for g in groups]
    if register and groups:
        needs.append(access.need("elasticloadbalancing:DescribeTargetHealth"))
    classic_verb = "RegisterInstancesWithLoadBalancer" if register else "DeregisterInstancesFromLoadBalancer"
    needs += [access.need(f"elasticloadbalancing:{classic_verb}",
                          f"arn:aws:elasticloadbalancing:{ctx.region}:{ctx.account}:loadbalancer/{e}") for e in classic]
    return needs


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
            try:
                ctx.require(*server_fleet_needs(ctx))
                ctx.check_alarms()
            except DeploymentFailed as err:
                finish(ctx, err.status, err.code, err.message)
                return
            if not instances:
                finish(ctx, "Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
                return
            ctx.touch()
            ok, failure = True, None
            for target in d._pw_targets:
                agent = Agent(job, ctx, target)
                ok = agent.run() and ok
                failure = failure or agent.failure
            if failure is not None:
                finish(ctx, failure.status, failure.code, failure.message)
            elif not ok:
                finish(ctx, "Failed", "HEALTH_CONSTRAINTS", HEALTH_MESSAGE)
            else:
                try:
                    ctx.require(*server_retire_needs(ctx))
                except DeploymentFailed as err:
                    finish(ctx, err.status, err.code, err.message)
                    return
                finish(ctx, "Succeeded")
            return
        if ctx.platform == "Lambda":
            deploy_lambda.run(job, ctx)
        else:
            deploy_ecs.run(job, ctx)
    except Cancelled:
        if not job.stale and d.status == "InProgress":
            finish(ctx, "Stopped", "MANUAL_STOP", "The deployment was stopped by the user.")
        raise
    except Exception as err:  # noqa: BLE001 - never leave a deployment InProgress
        import traceback

        traceback.print_exc()
        finish(ctx, "Failed", "INTERNAL_ERROR", f"The emulator failed: {type(err).__name__}: {err}")
    finally:
        if not job.stale:
            d._pw_done.set()


