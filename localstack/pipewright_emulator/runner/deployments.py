"""Creating a CodeDeploy deployment, starting its agent, and rolling back a failed one.

CreateDeployment (the handler), a pipeline's CodeDeploy actions and a rollback all go
through ``create``: an AWS-style id (``d-XXXXXXXXX``), then ``deploy.run`` in a job.
"""

from __future__ import annotations

import threading
from typing import Any

from ..common import aws_error, random_suffix
from ..state.deployment_configs import find_config
from . import deploy, registry


def _start(account: str, region: str, backend: Any, deployment_id: str) -> None:
    """Start the agent on a deployment ``create`` registered."""
    d = backend.deployments[deployment_id]
    group = d.deployment_group
    platform = d.application.compute_platform or "Server"
    ctx = deploy.DeployContext(
        account=account, region=region, backend=backend, deployment=d, group=group, platform=platform,
        revision=d.revision or {}, file_exists_behavior=d.file_exists_behavior,
        ignore_stop_failures=bool(d.ignore_application_stop_failures), on_failed=roll_back,
    )
    registry.spawn("deployment", deployment_id, lambda job: deploy.run(job, ctx))


def create(account: str, region: str, backend: Any, application: str, group: str,
                    revision: dict[str, Any], description: str | None = None, creator: str = "user",
                    config_name: str | None = None, file_exists_behavior: str | None = None,
                    ignore_stop_failures: bool | None = None, external_id: str | None = None) -> str:
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
    _start(account, region, backend, new_id)
    return new_id


def roll_back(ctx: deploy.DeployContext) -> None:
    """Automatic rollback on DEPLOYMENT_FAILURE: redeploy the group's last good revision."""
    d, group = ctx.deployment, ctx.group
    config = d.auto_rollback_configuration or group.auto_rollback_configuration or {}
    if not config.get("enabled") or "DEPLOYMENT_FAILURE" not in (config.get("events") or []):
        return
    if d.creator == "codeDeployRollback":
        return  # a failed rollback is not rolled back again
    previous = getattr(group, "_pw_target_revision", None)
    if not previous:
        d._pw_rollback = {"rollbackMessage": "Automatic rollback was not performed because there is no last "
                                             "successful revision to roll back to."}
        return
    rollback_id = create(
        ctx.account, ctx.region, ctx.backend, d.application_name, d.deployment_group_name, previous,
        description=f"Rollback of {d.deployment_id}", creator="codeDeployRollback",
        config_name=str(d.deployment_config_name) if d.deployment_config_name else None)
    d._pw_rollback = {"rollbackDeploymentId": rollback_id,
                      "rollbackMessage": f"Rollback deployment {rollback_id} started because {d.deployment_id} failed."}
    ctx.backend.deployments[rollback_id]._pw_rollback = {"rollbackTriggeringDeploymentId": d.deployment_id}
