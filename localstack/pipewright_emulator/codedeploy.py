"""CodeDeploy: the missing operations, full round-trips, and deployments that really run.

moto 5.2.5 lacks Delete{Application,DeploymentGroup}, UpdateDeploymentGroup, deployment
configs and deployment targets, drops several group fields on read, and leaves every
deployment ``Created``. Here a deployment gets an AWS-style id (``d-XXXXXXXXX``) and runs
in the background through ``runner.deploy``: Created -> InProgress -> Succeeded/Failed,
with lifecycle events per target as the real agent reports them.
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from .common import add_methods, aws_error, role_trusts, utcnow
from .runner import deployments, hooks, registry
from .state.deployment_configs import PREDEFINED, configs_of, find_config

# --- read-back shapes -----------------------------------------------------------------------

def _compact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != {} and v != ""}


def deployment_group_info(group: Any) -> dict[str, Any]:
    style = group.deployment_style or {"deploymentType": "IN_PLACE", "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"}
    asgs = [{"name": a} if isinstance(a, str) else a for a in group.auto_scaling_groups or []]
    alarm = group.alarm_configuration
    if alarm is not None and not isinstance(alarm, dict):
        alarm = {"enabled": alarm.enabled, "ignorePollAlarmFailure": alarm.ignore_poll_alarm_failure,
                 "alarms": alarm.alarms}
    info = {
        "applicationName": group.application.application_name,
        "deploymentGroupId": group.deployment_group_id,
        "deploymentGroupName": group.deployment_group_name,
        "deploymentConfigName": str(group.deployment_config_name or "CodeDeployDefault.OneAtATime"),
        "ec2TagFilters": group.ec2_tag_filters or [],
        "onPremisesInstanceTagFilters": group.on_premises_instance_tag_filters or [],
        "autoScalingGroups": asgs,
        "serviceRoleArn": group.service_role_arn,
        "targetRevision": getattr(group, "_pw_target_revision", None),
        "triggerConfigurations": group.trigger_configurations or [],
        "alarmConfiguration": alarm or {"enabled": False, "ignorePollAlarmFailure": False, "alarms": []},
        "autoRollbackConfiguration": group.auto_rollback_configuration or None,
        "deploymentStyle": style,
        "outdatedInstancesStrategy": group.outdated_instances_strategy or "UPDATE",
        "blueGreenDeploymentConfiguration": group.blue_green_deployment_configuration or None,
        "loadBalancerInfo": group.load_balancer_info or None,
        "lastSuccessfulDeployment": getattr(group, "_pw_last_successful", None),
        "lastAttemptedDeployment": getattr(group, "_pw_last_attempted", None),
        "ec2TagSet": group.ec2_tag_set or None,
        "onPremisesTagSet": group.on_premises_tag_set or None,
        "computePlatform": group.application.compute_platform or "Server",
        "ecsServices": group.ecs_services or [],
        "ec2DeploymentOptions": getattr(group, "_pw_ec2_options", None),
        "terminationHookEnabled": bool(group.termination_hook_enabled),
    }
    return _compact(info)


def deployment_info(d: Any) -> dict[str, Any]:
    group = d.deployment_group
    info = {
        "applicationName": d.application_name,
        "deploymentGroupName": d.deployment_group_name,
        "deploymentConfigName": str(d.deployment_config_name or "CodeDeployDefault.OneAtATime"),
        "deploymentId": d.deployment_id,
        "previousRevision": getattr(d, "_pw_previous_revision", None),
        "revision": d.revision,
        "status": d.status,
        "errorInformation": getattr(d, "_pw_error", None),
        "createTime": d.create_time,
        "startTime": d.start_time,
        "completeTime": d.complete_time,
        "deploymentOverview": d.deployment_overview,
        "description": d.description,
        "creator": d.creator,
        "ignoreApplicationStopFailures": bool(d.ignore_application_stop_failures),
        "autoRollbackConfiguration": d.auto_rollback_configuration or group.auto_rollback_configuration or None,
        "updateOutdatedInstancesOnly": bool(d.update_outdated_instances_only),
        "rollbackInfo": getattr(d, "_pw_rollback", None),
        "deploymentStyle": group.deployment_style or {"deploymentType": "IN_PLACE",
                                                      "deploymentOption": "WITHOUT_TRAFFIC_CONTROL"},
        "targetInstances": d.target_instances,
        "instanceTerminationWaitTimeStarted": False,
        "blueGreenDeploymentConfiguration": group.blue_green_deployment_configuration or None,
        "loadBalancerInfo": group.load_balancer_info or None,
        "fileExistsBehavior": d.file_exists_behavior or "DISALLOW",
        "deploymentStatusMessages": d.deployment_status_messages or [],
        "computePlatform": d.application.compute_platform or "Server",
        "externalId": d.external_id or None,
        "overrideAlarmConfiguration": d.override_alarm_configuration,
    }
    return _compact(info)


# --- applications and groups --------------------------------------------------------------

def _app_or_raise(backend: Any, name: str | None) -> Any:
    if not name:
        raise aws_error("ApplicationNameRequiredException", "The application name must be specified.")
    return backend.get_application(name)


def delete_application(self) -> EmptyResult:
    backend = self.codedeploy_backend
    name = self._get_param("applicationName")
    if not name:
        raise aws_error("ApplicationNameRequiredException", "The application name must be specified.")
    if name in backend.applications:
        for group_name in list(backend.deployment_groups.get(name, {})):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(name, group_name))
        backend.deployment_groups.pop(name, None)
        backend.applications.pop(name)
        backend.tagger.delete_all_tags_for_resource(backend._application_arn(name))
    return EmptyResult()


def delete_deployment_group(self) -> ActionResult:
    backend = self.codedeploy_backend
    app = self._get_param("applicationName")
    group = self._get_param("deploymentGroupName")
    if not app:
        raise aws_error("ApplicationNameRequiredException", "The application name must be specified.")
    if not group:
        raise aws_error("DeploymentGroupNameRequiredException", "The deployment group name must be specified.")
    if group in backend.deployment_groups.get(app, {}):
        del backend.deployment_groups[app][group]
        backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(app, group))
    return ActionResult({"hooksNotCleanedUp": []})


def _check_group_inputs(self, backend: Any, config_name: str | None, role: str | None) -> None:
    if config_name and find_config(backend, config_name) is None:
        raise aws_error("DeploymentConfigDoesNotExistException",
                        f"The deployment configuration {config_name} does not exist with the applicable IAM user or "
                        "AWS account.")
    if role and not role_trusts(self.current_account, role, "codedeploy.amazonaws.com", self.get_access_key()):
        raise aws_error("InvalidRoleException",
                        f"AWS CodeDeploy does not have the permissions required to assume the role {role}.")


_original_create_group = None


def create_deployment_group(self) -> ActionResult:
    backend = self.codedeploy_backend
    app = _app_or_raise(backend, self._get_param("applicationName"))
    if not self._get_param("deploymentGroupName"):
        raise aws_error("DeploymentGroupNameRequiredException", "The deployment group name must be specified.")
    if not self._get_param("serviceRoleArn"):
        raise aws_error("RoleRequiredException", "The service role ARN must be specified.")
    _check_group_inputs(self, backend, self._get_param("deploymentConfigName"), self._get_param("serviceRoleArn"))
    if app.compute_platform == "ECS" and not self._get_param("ecsServices"):
        raise aws_error("InvalidECSServiceException", "The ECS service identifier must be specified for an ECS "
                        "deployment group.")
    result = _original_create_group(self)
    group = backend.deployment_groups[app.application_name][self._get_param("deploymentGroupName")]
    group._pw_ec2_options = self._get_param("ec2DeploymentOptions")
    return result


_UPDATABLE = {
    "deploymentConfigName": "deployment_config_name", "ec2TagFilters": "ec2_tag_filters",
    "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters", "autoScalingGroups": "auto_scaling_groups",
    "serviceRoleArn": "service_role_arn", "triggerConfigurations": "trigger_configurations",
    "alarmConfiguration": "alarm_configuration", "autoRollbackConfiguration": "auto_rollback_configuration",
    "outdatedInstancesStrategy": "outdated_instances_strategy", "deploymentStyle": "deployment_style",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info", "ec2TagSet": "ec2_tag_set", "ecsServices": "ecs_services",
    "onPremisesTagSet": "on_premises_tag_set", "terminationHookEnabled": "termination_hook_enabled",
    "ec2DeploymentOptions": "_pw_ec2_options",
}


def update_deployment_group(self) -> ActionResult:
    backend = self.codedeploy_backend
    app_name = self._get_param("applicationName")
    app = _app_or_raise(backend, app_name)
    current = self._get_param("currentDeploymentGroupName")
    if not current:
        raise aws_error("DeploymentGroupNameRequiredException", "The deployment group name must be specified.")
    group = backend.get_deployment_group(app.application_name, current)
    new_name = self._get_param("newDeploymentGroupName")
    if new_name and new_name != current and new_name in backend.deployment_groups.get(app_name, {}):
        raise aws_error("DeploymentGroupAlreadyExistsException", f"Deployment group {new_name} already exists.")
    _check_group_inputs(self, backend, self._get_param("deploymentConfigName"), self._get_param("serviceRoleArn"))
    for param, attr in _UPDATABLE.items():
        value = self._get_param(param)
        if value is not None:
            setattr(group, attr, value)
    if new_name and new_name != current:
        groups = backend.deployment_groups[app_name]
        groups[new_name] = groups.pop(current)
        group.deployment_group_name = new_name
        old_arn = backend._deployment_group_arn(app_name, current)
        tags = backend.tagger.list_tags_for_resource(old_arn)["Tags"]
        backend.tagger.delete_all_tags_for_resource(old_arn)
        if tags:
            backend.tagger.tag_resource(backend._deployment_group_arn(app_name, new_name), tags)
    return ActionResult({"hooksNotCleanedUp": []})


def get_deployment_group(self) -> ActionResult:
    backend = self.codedeploy_backend
    group = backend.get_deployment_group(self._get_param("applicationName"), self._get_param("deploymentGroupName"))
    return ActionResult({"deploymentGroupInfo": deployment_group_info(group)})


def batch_get_deployment_groups(self) -> ActionResult:
    backend = self.codedeploy_backend
    app = _app_or_raise(backend, self._get_param("applicationName"))
    infos, error = [], ""
    for name in self._get_param("deploymentGroupNames") or []:
        group = backend.deployment_groups.get(app.application_name, {}).get(name)
        if group is None:
            error = f"The deployment group {name} does not exist with the user or AWS account."
        else:
            infos.append(deployment_group_info(group))
    return ActionResult({"deploymentGroupsInfo": infos, "errorMessage": error} if error else
                        {"deploymentGroupsInfo": infos})


# --- deployment configs ---------------------------------------------------------------------

def create_deployment_config(self) -> ActionResult:
    backend = self.codedeploy_backend
    name = self._get_param("deploymentConfigName")
    if not name:
        raise aws_error("DeploymentConfigNameRequiredException", "The deployment configuration name must be specified.")
    if find_config(backend, name) is not None:
        raise aws_error("DeploymentConfigAlreadyExistsException",
                        f"A deployment configuration with the name {name} already exists with the applicable IAM "
                        "user or AWS account.")
    platform = self._get_param("computePlatform") or "Server"
    minimum = self._get_param("minimumHealthyHosts")
    routing = self._get_param("trafficRoutingConfig")
    if platform == "Server" and not minimum:
        raise aws_error("InvalidMinimumHealthyHostValueException", "The minimum healthy instance value is invalid.")
    if platform != "Server" and minimum:
        raise aws_error("InvalidMinimumHealthyHostValueException",
                        "Minimum healthy hosts is only supported for the Server compute platform.")
    if routing and routing.get("type") not in ("TimeBasedCanary", "TimeBasedLinear", "AllAtOnce"):
        raise aws_error("InvalidTrafficRoutingConfigurationException", "The traffic routing configuration is invalid.")
    config_id = str(uuid.uuid4())
    config = {"deploymentConfigId": config_id, "deploymentConfigName": name, "createTime": utcnow(),
              "computePlatform": platform}
    if minimum:
        config["minimumHealthyHosts"] = minimum
    if routing:
        config["trafficRoutingConfig"] = routing
    if self._get_param("zonalConfig"):
        config["zonalConfig"] = self._get_param("zonalConfig")
    configs_of(backend)[name] = config
    return ActionResult({"deploymentConfigId": config_id})


def get_deployment_config(self) -> ActionResult:
    backend = self.codedeploy_backend
    name = self._get_param("deploymentConfigName")
    if not name:
        raise aws_error("DeploymentConfigNameRequiredException", "The deployment configuration name must be specified.")
    config = find_config(backend, name)
    if config is None:
        raise aws_error("DeploymentConfigDoesNotExistException",
                        f"The deployment configuration {name} does not exist with the applicable IAM user or AWS account.")
    return ActionResult({"deploymentConfigInfo": dict(config)})


def list_deployment_configs(self) -> ActionResult:
    names = sorted(PREDEFINED) + sorted(configs_of(self.codedeploy_backend))
    return ActionResult({"deploymentConfigsList": names})


def delete_deployment_config(self) -> EmptyResult:
    backend = self.codedeploy_backend
    name = self._get_param("deploymentConfigName")
    if not name:
        raise aws_error("DeploymentConfigNameRequiredException", "The deployment configuration name must be specified.")
    if name in PREDEFINED:
        raise aws_error("InvalidOperationException",
                        f"The deployment configuration {name} is a predefined configuration and cannot be deleted.")
    for groups in backend.deployment_groups.values():
        for group in groups.values():
            if str(group.deployment_config_name) == name:
                raise aws_error("DeploymentConfigInUseException",
                                f"The deployment configuration {name} is still in use.")
    configs_of(backend).pop(name, None)
    return EmptyResult()


# --- deployments ----------------------------------------------------------------------------

def create_deployment(self) -> ActionResult:
    deployment_id = deployments.create(
        self.current_account, self.region, self.codedeploy_backend,
        self._get_param("applicationName"), self._get_param("deploymentGroupName"), self._get_param("revision"),
        description=self._get_param("description"), config_name=self._get_param("deploymentConfigName"),
        file_exists_behavior=self._get_param("fileExistsBehavior"),
        ignore_stop_failures=self._get_param("ignoreApplicationStopFailures"), scope=self.get_access_key(),
    )
    return ActionResult({"deploymentId": deployment_id})


def put_lifecycle_event_hook_execution_status(self) -> ActionResult:
    """What a Lambda or ECS hook function calls to report its validation (runner.hooks)."""
    deployment_id = self._get_param("deploymentId") or ""
    execution_id = self._get_param("lifecycleEventHookExecutionId") or ""
    if deployment_id not in self.codedeploy_backend.deployments:
        raise aws_error("DeploymentDoesNotExistException", f"The deployment {deployment_id} does not exist.")
    problem = hooks.report(deployment_id, execution_id, self._get_param("status") or "")
    if problem == "LifecycleEventHookExecutionId":
        raise aws_error("InvalidLifecycleEventHookExecutionIdException",
                        "A lifecycle event hook is invalid. Review the hooks section in your AppSpec file to ensure "
                        "the lifecycle events and hooks functions are valid.")
    if problem == "status":
        raise aws_error("InvalidLifecycleEventHookExecutionStatusException",
                        "The result of a Lambda validation function that verifies a lifecycle event is invalid. "
                        "It should return Succeeded or Failed.")
    if problem == "already":
        raise aws_error("LifecycleEventAlreadyCompletedException",
                        "An attempt to return the status of an already completed lifecycle event occurred.")
    return ActionResult({"lifecycleEventHookExecutionId": execution_id})


def get_deployment(self) -> ActionResult:
    d = self.codedeploy_backend.get_deployment(self._get_param("deploymentId"))
    return ActionResult({"deploymentInfo": deployment_info(d)})


def batch_get_deployments(self) -> ActionResult:
    backend = self.codedeploy_backend
    found = [deployment_info(backend.deployments[i]) for i in self._get_param("deploymentIds") or []
             if i in backend.deployments]
    return ActionResult({"deploymentsInfo": found})


def stop_deployment(self) -> ActionResult:
    backend = self.codedeploy_backend
    d = backend.get_deployment(self._get_param("deploymentId"))
    if d.status in ("Succeeded", "Failed", "Stopped"):
        raise aws_error("DeploymentAlreadyCompletedException", f"The deployment {d.deployment_id} has already completed.")
    for job in list(registry._jobs.values()):
        if job.kind == "deployment" and job.name == d.deployment_id:
            job.stop()
    return ActionResult({"status": "Pending", "statusMessage": "Stopping the deployment"})


def _deployment_for_targets(self) -> Any:
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise aws_error("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return self.codedeploy_backend.get_deployment(deployment_id)


def list_deployment_targets(self) -> ActionResult:
    d = _deployment_for_targets(self)
    targets = list(getattr(d, "_pw_targets", []))
    filters = self._get_param("targetFilters") or {}
    statuses = filters.get("TargetStatus")
    if statuses:
        targets = [t for t in targets if t.status in statuses]
    return ActionResult({"targetIds": [t.target_id for t in targets]})


def batch_get_deployment_targets(self) -> ActionResult:
    d = _deployment_for_targets(self)
    ids = self._get_param("targetIds") or []
    if len(ids) > 25:
        raise aws_error("DeploymentTargetListSizeExceededException",
                        "The maximum number of targets that can be associated with a deployment is 25.")
    by_id = {t.target_id: t for t in getattr(d, "_pw_targets", [])}
    out = []
    for target_id in ids:
        target = by_id.get(target_id)
        if target is None:
            raise aws_error("DeploymentTargetDoesNotExistException",
                            f"The deployment target {target_id} does not exist.")
        out.append(target.to_dict(d.deployment_id))
    return ActionResult({"deploymentTargets": out})


def get_deployment_target(self) -> ActionResult:
    d = _deployment_for_targets(self)
    target_id = self._get_param("targetId")
    for target in getattr(d, "_pw_targets", []):
        if target.target_id == target_id:
            return ActionResult({"deploymentTarget": target.to_dict(d.deployment_id)})
    raise aws_error("DeploymentTargetDoesNotExistException", f"The deployment target {target_id} does not exist.")


def _instance_summary(d: Any, target: Any) -> dict[str, Any]:
    return {"deploymentId": d.deployment_id, "instanceId": target.target_arn or target.target_id,
            "status": target.status, "lastUpdatedAt": target.last_updated,
            "lifecycleEvents": [dict(e) for e in target.events], "instanceType": "Blue"}


def list_deployment_instances(self) -> ActionResult:
    d = _deployment_for_targets(self)
    return ActionResult({"instancesList": [t.target_id for t in getattr(d, "_pw_targets", [])
                                           if t.kind == "InstanceTarget"]})


def batch_get_deployment_instances(self) -> ActionResult:
    d = _deployment_for_targets(self)
    wanted = set(self._get_param("instanceIds") or [])
    out = [_instance_summary(d, t) for t in getattr(d, "_pw_targets", []) if t.target_id in wanted]
    return ActionResult({"instancesSummary": out})


def get_deployment_instance(self) -> ActionResult:
    d = _deployment_for_targets(self)
    instance_id = self._get_param("instanceId")
    for target in getattr(d, "_pw_targets", []):
        if target.target_id == instance_id:
            return ActionResult({"instanceSummary": _instance_summary(d, target)})
    raise aws_error("InstanceDoesNotExistException", f"The instance {instance_id} does not exist in the deployment.")


def install() -> None:
    global _original_create_group
    from moto.codedeploy.responses import CodeDeployResponse

    _original_create_group = CodeDeployResponse.create_deployment_group
    add_methods(
        CodeDeployResponse,
        delete_application, delete_deployment_group, update_deployment_group, get_deployment_group,
        batch_get_deployment_groups, create_deployment_group,
        create_deployment_config, get_deployment_config, list_deployment_configs, delete_deployment_config,
        create_deployment, get_deployment, batch_get_deployments, stop_deployment,
        list_deployment_targets, batch_get_deployment_targets, get_deployment_target,
        list_deployment_instances, batch_get_deployment_instances, get_deployment_instance,
        put_lifecycle_event_hook_execution_status,
    )
