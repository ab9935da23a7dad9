"""The rules CodePipeline's action providers and CodeDeploy apply to their input, in AWS's words.

Each function returns None when the input is acceptable (or ``judge_providers`` is off for the
scope) and otherwise the ``(code, message)`` AWS answers; the caller raises it where AWS does
(an API error, an action's error details). Where no public AWS wording exists the message is
ours, modelled on AWS's, and the README says so.
"""

from __future__ import annotations

import re
from typing import Any

from ..control import CONTROL

ECS_INPUT_LIMIT = 3 * 1024 * 1024  # bytes; see ecs_input_artifact


def judging(scope: str) -> bool:
    return CONTROL.judging(scope, "judge_providers")


# --- CodeDeploy ---------------------------------------------------------------------------------

def codedeploy_revision(platform: str, revision: dict[str, Any] | None) -> tuple[str, str] | None:
    """A Lambda or ECS deployment takes an AppSpec (YAML or JSON) revision, never a bundle.

    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_S3Location.html (bundleType: "YAML or JSON
    for Lambda and Amazon ECS deployments"); CodeDeploy answers a zip revision of a Lambda application with
    InvalidRevisionException "BundleType must be either YAML or JSON". This is also why CodePipeline's
    ``CodeDeploy`` action, which registers the input artifact as a zip, deploys EC2/on-premises applications
    only (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeDeploy.html).
    """
    if platform not in ("Lambda", "ECS") or not revision:
        return None
    if revision.get("revisionType") == "S3":
        bundle = str((revision.get("s3Location") or {}).get("bundleType") or "").upper()
        if bundle not in ("YAML", "JSON"):
            return "InvalidRevisionException", "BundleType must be either YAML or JSON"
    if revision.get("revisionType") == "GitHub":
        return "InvalidRevisionException", f"{platform} deployments do not support GitHub revisions"
    return None


def codedeploy_file_exists_behavior(platform: str, behavior: str | None) -> tuple[str, str] | None:
    # CreateDeployment: "For Lambda and ECS deployment, fileExistsBehavior can not be specified"
    # (https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html, fileExistsBehavior)
    if platform in ("Lambda", "ECS") and behavior:
        return "InvalidFileExistsBehaviorException", "For Lambda and ECS deployment, fileExistsBehavior can not be specified"
    return None


# --- CodePipeline: the pipeline's structure, V1 and V2 ---------------------------------------------
# https://docs.aws.amazon.com/codepipeline/latest/userguide/pipeline-types-planning.html: triggers, pipeline-level
# variables and the QUEUED/PARALLEL execution modes are V2 features; so is the Lambda deploy action
# (https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html, "This action is
# only supported for V2 type pipelines"). AWS answers InvalidStructureException ("Triggers on tag can only be used
# with V2 pipelines"); the other sentences follow that one.

def pipeline_structure(pipeline: dict[str, Any]) -> tuple[str, str] | None:
    if (pipeline.get("pipelineType") or "V1") == "V2":
        return None
    if pipeline.get("triggers"):
        return "InvalidStructureException", "Triggers can only be used with V2 pipelines"
    if pipeline.get("variables"):
        return "InvalidStructureException", "Pipeline-level variables can only be used with V2 pipelines"
    mode = pipeline.get("executionMode") or "SUPERSEDED"
    if mode != "SUPERSEDED":
        return "InvalidStructureException", f"Execution mode {mode} can only be used with V2 pipelines"
    for stage in pipeline.get("stages") or []:
        for action in stage.get("actions") or []:
            type_id = action.get("actionTypeId") or {}
            if (type_id.get("category"), type_id.get("provider")) == ("Deploy", "Lambda"):
                return "InvalidStructureException", (f"Action '{action.get('name')}' in stage '{stage.get('name')}': "
                                                     "the Lambda deploy action can only be used with V2 pipelines")
    return None


# --- CodePipeline: CodeDeployToECS ------------------------------------------------------------------

def ecs_input_artifact(name: str, size: int) -> tuple[str, str] | None:
    """The ECS blue/green action reads its task definition, AppSpec and image details from small input
    artifacts: https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html and
    the quotas page (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html) limit them to 3 MB.
    The sentence is ours (no public AWS wording found)."""
    if size > ECS_INPUT_LIMIT:
        return "JobFailed", (f"The input artifact {name} is {size} bytes; the CodeDeployToECS action accepts input "
                             f"artifacts of at most {ECS_INPUT_LIMIT} bytes (3 MB). Give the action an artifact "
                             "holding only the task definition, the AppSpec file and imageDetail.json.")
    return None


# --- CodePipeline: the Lambda deploy action ----------------------------------------------------------

_CANARY = re.compile(r"^Canary(\d{1,2})Percent(\d+)Minutes?$")
_LINEAR = re.compile(r"^Linear(\d{1,2})PercentEvery(\d+)Minutes?$")


def lambda_strategy(strategy: str | None) -> tuple[str, int, int] | None:
    """("AllAtOnce"|"Canary"|"Linear", percent, minutes), or None if AWS would not accept it.

    https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html: DeployStrategy is
    AllAtOnce (the default), Canary<P>Percent<M>Minutes or Linear<P>PercentEvery<M>Minute(s); the percentage and
    minutes can be changed."""
    text = (strategy or "AllAtOnce").strip()
    if text == "AllAtOnce":
        return "AllAtOnce", 100, 0
    for kind, pattern in (("Canary", _CANARY), ("Linear", _LINEAR)):
        match = pattern.match(text)
        if match:
            percent, minutes = int(match.group(1)), int(match.group(2))
            if 1 <= percent <= 99 and minutes >= 1:
                return kind, percent, minutes
    return None


def lambda_deploy_config(config: dict[str, Any], has_input: bool) -> tuple[str, str] | None:
    """The action's configuration as the Lambda deploy action reference documents it."""
    if not config.get("FunctionName"):
        return "ConfigurationError", "The action configuration is missing the required parameter FunctionName."
    if not has_input and not config.get("PublishedTargetVersion"):
        return "ConfigurationError", ("PublishedTargetVersion is required when the Lambda deploy action has no input "
                                      "artifact.")
    if lambda_strategy(config.get("DeployStrategy")) is None:
        return "ConfigurationError", (f"DeployStrategy {config.get('DeployStrategy')} is not valid: use AllAtOnce, "
                                      "Canary<percent>Percent<minutes>Minutes or "
                                      "Linear<percent>PercentEvery<minutes>Minutes.")
    if not config.get("FunctionAlias") and config.get("DeployStrategy") not in (None, "", "AllAtOnce"):
        return "ConfigurationError", ("A DeployStrategy other than AllAtOnce needs a FunctionAlias: without one the "
                                      "action deploys to $LATEST and publishes a version.")
    return None
