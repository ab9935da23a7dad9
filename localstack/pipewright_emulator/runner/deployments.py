"""Creating a CodeDeploy deployment, starting its agent, and rolling back a failed one.

CreateDeployment (the handler), a pipeline's CodeDeploy actions and a rollback all go
through ``create``: an AWS-style id (``d-XXXXXXXXX``), then ``deploy.run`` in a job.
"""

from __future__ import annotations

import threading
from typing import Any

from ..common import aws_error, random_suffix
from ..judge import providers
from ..state.deployment_configs import find_config
from . import deploy, registry
from .deploy_context import DeployContext


def _start(account: str, region: str, backend: Any, deployment_id: str, scope: str) -> None:
    """Start the agent on a deployment ``create`` registered."""
    d = backend.deployments[deployment_id]
    group = d.deployment_group
    platform = d.application.compute_platform or "Server"
    ctx = DeployContext(
        account=account, region=region, backend=backend, deployment=d, group=group, platform=platform,
        revision=d.revision or {}, file_exists_behavior=d.file_exists_behavior,
        ignore_stop_failures=bool(d.ignore_application_stop_failures), on_ended=roll_back, scope=scope,
    )
    registry.spawn("deployment", deployment_id, lambda job: deploy.run(job, ctx))


def create(account: str, region: str, backend: Any, application: str, group: str,
           revision: dict[str, Any], description: str | None = None, creator: str = "user",
           config_name: str | None = None, file_exists_behavior: str | None = None,
           ignore_stop_failures: bool | None = None, external_id: str | None = None, scope: str = "*") -> str:
    """CreateDeployment's checks, in AWS's order and words, then the deployment starts."""
    if application not in backend.applications:
        raise aws_error("ApplicationDoesNotExistException",
                        f"The application {application} does not exist with the user or AWS account.")
    if group not in backend.deployment_groups.get(application, {}):
        raise aws_error("DeploymentGroupDoesNotExistException",
                        f"The deployment group {group} does not exist with the user or AWS account.")
    if config_name and find_config(backend, config_name) is None:
        raise aws_error("DeploymentConfigDoesNotExistException",
                        f"The deployment configuration {config_name} does not exist with the applicable IAM user or "
                        "AWS account.")
    if not revision:
        raise aws_error("RevisionRequiredException", "The revision must be specified.")
    platform = backend.applications[application].compute_platform or "Server"
    if providers.judging(scope):
        refused = (providers.codedeploy_revision(platform, revision)
                   or providers.codedeploy_file_exists_behavior(platform, file_exists_behavior))
        if refused is not None:
            raise aws_error(*refused)
    moto_id = backend.create_deployment(application, group, revision, config_name, description,
                                        ignore_stop_failures, None, None, None, file_exists_behavior, None)
    d = backend.deployments.pop(moto_id)
    new_id = "d-" + random_suffix(9, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    d.deployment_id = new_id
    d.creator = creator
    d.external_id = external_id or ""
    d._pw_targets = []
    d._pw_done = threading.Event()
    grp = d.deployment_group
    if getattr(grp, "_pw_target_revision", None):
        d._pw_previous_revision = grp._pw_target_revision
    backend.deployments[new_id] = d
    _start(account, region, backend, new_id, scope)
    return new_id


ROLLBACK_EVENTS = {"Failed": "DEPLOYMENT_FAILURE", "Stopped": "DEPLOYMENT_STOP_ON_ALARM"}


def roll_back(ctx: DeployContext, status: str) -> None:
    """Automatic rollback (DEPLOYMENT_FAILURE, or DEPLOYMENT_STOP_ON_ALARM for an alarm's stop): redeploy the
    group's last good revision. Lambda and ECS rollbacks run all at once, whatever the group's configuration
    (observed on AWS: the rollback deployment of an ECS linear deployment is CodeDeployDefault.ECSAllAtOnce)."""
    d, group = ctx.deployment, ctx.group
    config = d.auto_rollback_configuration or group.auto_rollback_configuration or {}
    event = ROLLBACK_EVENTS.get(status)
    if status == "Stopped" and (getattr(d, "_pw_error", None) or {}).get("code") != "ALARM_ACTIVE":
        return  # a deployment stopped by a user is not rolled back
    if not config.get("enabled") or event not in (config.get("events") or []):
        return
    if d.creator == "codeDeployRollback":
        return  # a failed rollback is not rolled back again
    previous = getattr(group, "_pw_target_revision", None)
    if not previous:
        d._pw_rollback = {"rollbackMessage": "Automatic rollback was not performed because there is no last "
                                             "successful revision to roll back to."}
        return
    config_name = {"Lambda": "CodeDeployDefault.LambdaAllAtOnce", "ECS": "CodeDeployDefault.ECSAllAtOnce"}.get(
        ctx.platform, str(d.deployment_config_name) if d.deployment_config_name else None)
    rollback_id = create(
        ctx.account, ctx.region, ctx.backend, d.application_name, d.deployment_group_name, previous,
        description=f"Rollback of {d.deployment_id}", creator="codeDeployRollback", config_name=config_name,
        scope=ctx.scope)
    verb = "terminated" if status == "Stopped" else "failed"
    d._pw_rollback = {"rollbackDeploymentId": rollback_id,
                      "rollbackMessage": f"Deployment {d.deployment_id} {verb}. Automatic rollback is triggered with a "
                                         f"DeploymentId {rollback_id}."}
    ctx.backend.deployments[rollback_id]._pw_rollback = {
        "rollbackTriggeringDeploymentId": d.deployment_id,
        "rollbackMessage": f"Deployment {rollback_id} is triggered to roll back deployment {d.deployment_id}."}
