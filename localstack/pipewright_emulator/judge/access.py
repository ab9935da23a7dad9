"""May this role do this to that resource? Asked where AWS asks it, answered in AWS's words.

Each ``Rule`` below is one step a service takes as a role (CodePipeline running an action,
CodeBuild writing its logs, CodeDeploy shifting traffic, EventBridge starting a pipeline):
the actions and resource ARNs AWS checks for that step, from the AWS page cited beside it,
and how AWS words the refusal there. The runner asks ``judge(rule, ...)`` before the step and
reports a ``Refusal`` where AWS reports it (an action's error details, a build phase's
context, a deployment's error information).

What AWS checks is the page's list, not our guess: a step checks no more than its page
lists, so a policy that follows AWS's documentation always passes here.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from ..control import CONTROL
from .policy import Decision, decide, role_documents


@dataclass(frozen=True)
class Need:
    """One permission a step needs: ``action`` on any one of ``resources``."""

    action: str
    resources: tuple[str, ...]
    context: tuple[tuple[str, str], ...] = ()
    service: str = ""  # the service name CodeDeploy reports ("AmazonAutoScaling", ...)


def need(action: str, *resources: str, service: str = "", **context: str) -> Need:
    """``need("iam:PassRole", arn, iam__PassedToService="ecs-tasks.amazonaws.com")``."""
    return Need(action, tuple(resources) or ("*",),
                tuple((k.replace("__", ":"), v) for k, v in sorted(context.items())), service)


@dataclass
class Denial(Exception):
    """AWS's access-denied sentence for one action on one resource."""

    principal: str
    action: str
    resource: str
    explicit: bool = False
    service: str = ""
    role_arn: str = ""

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
        reason = ("with an explicit deny in an identity-based policy" if self.explicit
                  else f"because no identity-based policy allows the {self.action} action")
        return (f"User: {self.principal} is not authorized to perform: {self.action} on resource: "
                f"{self.resource} {reason}")


@dataclass(frozen=True)
class Refusal:
    """How a denied step fails: the code and message AWS reports there."""

    code: str
    message: str
    denial: Denial


@dataclass(frozen=True)
class Rule:
    """What AWS checks before one step, and how it words a refusal of that step."""

    needs: tuple[Need, ...]
    word: Callable[[Denial], tuple[str, str]]
    page: str = ""


# --- asking ---------------------------------------------------------------------------------

def principal(account: str, role_arn: str, session: str) -> str:
    """The assumed-role ARN AWS names in its refusals."""
    return f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/{session}"


def pipeline_session() -> str:
    """CodePipeline names its role sessions with a millisecond timestamp (``.../1564844186052``)."""
    return str(int(time.time() * 1000))


def build_session(build_id: str) -> str:
    """CodeBuild's session name: ``AWSCodeBuild-<build uuid>``."""
    return f"AWSCodeBuild-{build_id.rsplit(':', 1)[-1]}"


def _context(account: str, region: str, role_arn: str, extra: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    """The request context keys a service's call carries (the ones policies commonly test)."""
    ctx = {
        "aws:SecureTransport": ["true"],
        "aws:PrincipalAccount": [account],
        "aws:ResourceAccount": [account],
        "aws:RequestedRegion": [region],
        "aws:PrincipalArn": [role_arn],
        "aws:PrincipalType": ["AssumedRole"],
    }
    for key, value in extra:
        ctx[key] = [value]
    return ctx


def decision(account: str, region: str, role_arn: str, item: Need) -> tuple[Decision, str]:
    """The role's answer for one need, and the resource AWS names if it is denied."""
    documents = role_documents(account, role_arn)
    if documents is None:
        return Decision.IMPLICIT_DENY, item.resources[0]
    ctx = _context(account, region, role_arn, item.context)
    answers = [(decide(documents, item.action, resource, ctx), resource) for resource in item.resources]
    for answer, resource in answers:
        if answer is Decision.EXPLICIT_DENY:
            return answer, resource
    for answer, resource in answers:
        if answer is Decision.ALLOWED:
            return answer, resource
    return Decision.IMPLICIT_DENY, item.resources[0]


def first_denial(account: str, region: str, role_arn: str, needs: tuple[Need, ...], session: str) -> Denial | None:
    for item in needs:
        answer, resource = decision(account, region, role_arn, item)
        if answer is not Decision.ALLOWED:
            return Denial(principal(account, role_arn, session), item.action, resource,
                          explicit=answer is Decision.EXPLICIT_DENY, service=item.service, role_arn=role_arn)
    return None


def judge(rule: Rule, *, account: str, region: str, role_arn: str | None, session: str, scope: str) -> Refusal | None:
    """None if the role may take this step (or role judgement is off for ``scope``), else AWS's refusal."""
    if not role_arn or not CONTROL.judging(scope, "judge_roles"):
        return None
    denial = first_denial(account, region, role_arn, rule.needs, session)
    if denial is None:
        return None
    code, message = rule.word(denial)
    return Refusal(code, message, denial)


def request_id() -> str:
    return str(uuid.uuid4())


# --- how each service words a refusal -------------------------------------------------------

def _sdk_suffix(service: str, code: str, status: int = 400) -> str:
    """The AWS SDK for Java's tail that CodePipeline's job workers append to a service error."""
    return f" (Service: {service}; Status Code: {status}; Error Code: {code}; Request ID: {request_id()}; Proxy: null)"


def _role_cannot_access(what: str) -> Callable[[Denial], tuple[str, str]]:
    # The source actions' wording, e.g. "The service role or action role doesn’t have the permissions
    # required to access the AWS CodeCommit repository named R. Update the IAM role permissions, and then
    # try again. Error: User: ... is not authorized to perform: codecommit:GetBranch on resource: ..."
    def word(denial: Denial) -> tuple[str, str]:
        return "PermissionError", (f"The service role or action role doesn’t have the permissions required to "
                                   f"access the {what}. Update the IAM role permissions, and then try again. "
                                   f"Error: {denial.message}")
    return word


def _s3_access(bucket: str) -> Callable[[Denial], tuple[str, str]]:
    def word(denial: Denial) -> tuple[str, str]:
        request = request_id()[:16].upper()
        return "PermissionError", (
            f"The service role or action role doesn’t have the permissions required to access the Amazon S3 "
            f"bucket named {bucket}. Update the IAM role permissions, and then try again. Error: Amazon "
            f"S3:AccessDenied:Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; "
            f"Request ID: {request}; S3 Extended Request ID: {request_id()}; Proxy: null)")
    return word


def _calling(operation: str, service: str) -> Callable[[Denial], tuple[str, str]]:
    # "Error calling startBuild: User: ... is not authorized to perform: codebuild:StartBuild on resource:
    # arn:... because no identity-based policy allows the codebuild:StartBuild action (Service: AWSCodeBuild;
    # Status Code: 400; Error Code: AccessDeniedException; Request ID: ...; Proxy: null)", code JobFailed
    def word(denial: Denial) -> tuple[str, str]:
        return "JobFailed", f"Error calling {operation}: {denial.message}{_sdk_suffix(service, 'AccessDeniedException')}"
    return word


def _denied(code: str) -> Callable[[Denial], tuple[str, str]]:
    def word(denial: Denial) -> tuple[str, str]:
        return code, denial.message
    return word


# --- CodePipeline's service role, per action ------------------------------------------------
# The actions each provider calls with the pipeline's role are listed on the page
# "Manage the CodePipeline service role" and on each action's reference page:
CODEPIPELINE_ROLE_PAGE = "https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html"


def codecommit_source(region: str, account: str, repo: str) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeCommit.html
    # (service role permissions: GetBranch, GetCommit, UploadArchive, GetUploadArchiveStatus; CancelUploadArchive
    # is only called when an upload is cancelled, which the emulator never does)
    arn = f"arn:aws:codecommit:{region}:{account}:{repo}"
    return Rule(tuple(need(f"codecommit:{a}", arn) for a in
                      ("GetBranch", "GetCommit", "UploadArchive", "GetUploadArchiveStatus")),
                _role_cannot_access(f"AWS CodeCommit repository named {repo}"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeCommit.html")


def s3_source(bucket: str, key: str, version_id: str | None) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html
    # (service role permissions: s3:GetObject, s3:GetObjectVersion, s3:GetBucketVersioning)
    needs = [need("s3:GetBucketVersioning", f"arn:aws:s3:::{bucket}"), need("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}")]
    if version_id and version_id != "null":
        needs.append(need("s3:GetObjectVersion", f"arn:aws:s3:::{bucket}/{key}"))
    return Rule(tuple(needs), _s3_access(bucket),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3.html")


def connection_source(connection_arn: str) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html
    # (service role permissions: codestar-connections:UseConnection, or codeconnections:UseConnection for a
    # connection ARN in the codeconnections form)
    service = "codeconnections" if ":codeconnections:" in connection_arn else "codestar-connections"
    return Rule((need(f"{service}:UseConnection", connection_arn),),
                _role_cannot_access(f"connection {connection_arn}"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html")


def action_role(pipeline_role: str, role: str) -> Rule:
    # An action's own roleArn is assumed by the pipeline's role: sts:AssumeRole on it, checked when the pipeline is
    # created or updated ("arn:...:role/P is not authorized to perform AssumeRole on role arn:...:role/A",
    # InvalidStructureException). https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html
    return Rule((need("sts:AssumeRole", role),),
                lambda d: ("InvalidStructureException", f"{pipeline_role} is not authorized to perform AssumeRole on "
                                                        f"role {role}"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-create-cross-account.html")


def artifact_read(bucket: str, key: str) -> Rule:
    # The artifact store: an action's input artifacts are read with s3:GetObject (CODEPIPELINE_ROLE_PAGE;
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html#how-to-custom-role)
    return Rule((need("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"),), _s3_access(bucket), CODEPIPELINE_ROLE_PAGE)


def artifact_write(bucket: str, key: str) -> Rule:
    # ... and its output artifacts written with s3:PutObject (same page)
    return Rule((need("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}"),), _s3_access(bucket), CODEPIPELINE_ROLE_PAGE)


def codebuild_action(region: str, account: str, project: str) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html
    # (service role permissions: codebuild:StartBuild and codebuild:BatchGetBuilds on the project)
    arn = f"arn:aws:codebuild:{region}:{account}:project/{project}"
    return Rule((need("codebuild:StartBuild", arn), need("codebuild:BatchGetBuilds", arn)),
                _calling("startBuild", "AWSCodeBuild"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeBuild.html")


def codedeploy_action(region: str, account: str, application: str, group: str, config: str) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeDeploy.html and
    # CODEPIPELINE_ROLE_PAGE: CreateDeployment and GetDeployment on the deployment group, GetDeploymentConfig on
    # the configuration, RegisterApplicationRevision, GetApplicationRevision and GetApplication on the application
    # (resource ARNs: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html)
    prefix = f"arn:aws:codedeploy:{region}:{account}"
    group_arn = f"{prefix}:deploymentgroup:{application}/{group}"
    app_arn = f"{prefix}:application:{application}"
    return Rule((need("codedeploy:CreateDeployment", group_arn),
                 need("codedeploy:GetDeploymentConfig", f"{prefix}:deploymentconfig:{config}"),
                 need("codedeploy:RegisterApplicationRevision", app_arn),
                 need("codedeploy:GetApplicationRevision", app_arn),
                 need("codedeploy:GetApplication", app_arn),
                 need("codedeploy:GetDeployment", group_arn)),
                _denied("JobFailed"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodeDeploy.html")


def ecs_task_definition(region: str, account: str, family: str, revision: int, roles: list[str]) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html: the action
    # registers the task definition from the template with the pipeline's role (ecs:RegisterTaskDefinition) and
    # passes its task and execution roles to ECS (iam:PassRole, iam:PassedToService ecs-tasks.amazonaws.com);
    # CODEPIPELINE_ROLE_PAGE lists both.
    needs = [need("ecs:RegisterTaskDefinition", f"arn:aws:ecs:{region}:{account}:task-definition/{family}:{revision}", "*")]
    needs += [need("iam:PassRole", role, iam__PassedToService="ecs-tasks.amazonaws.com") for role in roles]
    return Rule(tuple(needs), _denied("JobFailed"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-ECSbluegreen.html")


def s3_deploy(bucket: str, key: str, canned_acl: str | None) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3Deploy.html
    # (s3:PutObject on the objects; s3:PutObjectAcl when CannedACL is set)
    arn = f"arn:aws:s3:::{bucket}/{key}"
    needs = [need("s3:PutObject", arn)] + ([need("s3:PutObjectAcl", arn)] if canned_acl else [])
    return Rule(tuple(needs), _s3_access(bucket),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-S3Deploy.html")


def lambda_deploy(region: str, account: str, function: str, alias: str | None, publishes: bool,
                  alarms: list[str]) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html ("Service role
    # policy permissions for the Lambda deploy action"): lambda:GetFunctionConfiguration, lambda:UpdateFunctionCode
    # and lambda:PublishVersion for a code artifact, lambda:GetAlias and lambda:UpdateAlias on the alias,
    # cloudwatch:DescribeAlarms for the alarms it watches.
    fn = f"arn:aws:lambda:{region}:{account}:function:{function}"
    needs = [need("lambda:GetFunctionConfiguration", fn, f"{fn}:*")]
    if publishes:
        needs += [need("lambda:UpdateFunctionCode", fn), need("lambda:PublishVersion", fn, f"{fn}:*")]
    if alias:
        needs += [need("lambda:GetAlias", f"{fn}:{alias}", fn), need("lambda:UpdateAlias", f"{fn}:{alias}", fn)]
    needs += [need("cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:{region}:{account}:alarm:{a}", "*") for a in alarms]
    return Rule(tuple(needs), _denied("JobFailed"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html")


# --- CodeBuild's service role ---------------------------------------------------------------
# https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html lists what a build does
# with its role: write its logs, read and write its artifacts, read its Parameter Store and Secrets Manager
# variables, write its test reports.
CODEBUILD_ROLE_PAGE = "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html"


def build_logs(region: str, account: str, group: str, stream: str, create_group: bool, role_arn: str,
               build_arn: str) -> Rule:
    # logs:CreateLogGroup (only when the group is missing), logs:CreateLogStream and logs:PutLogEvents on the
    # stream. A refusal fails the build in QUEUED with ACCESS_DENIED: "Service role R does not allow AWS
    # CodeBuild to create Amazon CloudWatch Logs log streams for build B. Error message: User: ..."
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    stream_arn = f"{group_arn}:log-stream:{stream}"
    needs = ([need("logs:CreateLogGroup", group_arn, f"{group_arn}:*")] if create_group else [])
    needs += [need("logs:CreateLogStream", stream_arn), need("logs:PutLogEvents", stream_arn)]

    def word(denial: Denial) -> tuple[str, str]:
        what = "log groups" if denial.action == "logs:CreateLogGroup" else "log streams"
        return "ACCESS_DENIED", (f"Service role {role_arn} does not allow AWS CodeBuild to create Amazon CloudWatch "
                                 f"Logs {what} for build {build_arn}. Error message: {denial.message}")
    return Rule(tuple(needs), word, CODEBUILD_ROLE_PAGE)


def build_source(bucket: str, key: str) -> Rule:
    # a CODEPIPELINE (or S3) source is downloaded with s3:GetObject (and s3:GetObjectVersion) - CODEBUILD_ROLE_PAGE
    return Rule((need("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"),),
                lambda d: ("CLIENT_ERROR", f"AccessDenied: {d.message}"), CODEBUILD_ROLE_PAGE)


def build_artifact(bucket: str, key: str) -> Rule:
    # artifacts are uploaded with s3:PutObject - CODEBUILD_ROLE_PAGE
    return Rule((need("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}"),),
                lambda d: ("CLIENT_ERROR", f"AccessDenied: {d.message}"), CODEBUILD_ROLE_PAGE)


def build_parameter(region: str, account: str, name: str) -> Rule:
    # PARAMETER_STORE variables: ssm:GetParameters on the parameter; a refusal fails DOWNLOAD_SOURCE with
    # "Decrypted Variables Error" and the SDK's AccessDeniedException text - CODEBUILD_ROLE_PAGE
    arn = name if name.startswith("arn:") else f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
    return Rule((need("ssm:GetParameters", arn),),
                lambda d: ("Decrypted Variables Error", f"AccessDeniedException: {d.message}"), CODEBUILD_ROLE_PAGE)


def build_secret(secret_arn: str) -> Rule:
    # SECRETS_MANAGER variables: secretsmanager:GetSecretValue on the secret - CODEBUILD_ROLE_PAGE
    return Rule((need("secretsmanager:GetSecretValue", secret_arn),),
                lambda d: ("Secrets Manager Error", f"AccessDeniedException: {d.message}"), CODEBUILD_ROLE_PAGE)


def build_reports(region: str, account: str, group_arn: str, create: bool) -> Rule:
    # https://docs.aws.amazon.com/codebuild/latest/userguide/test-report-group-create.html (report permissions):
    # codebuild:CreateReportGroup (when the group does not exist), CreateReport, UpdateReport, BatchPutTestCases
    needs = ([need("codebuild:CreateReportGroup", group_arn)] if create else [])
    needs += [need(f"codebuild:{a}", group_arn) for a in ("CreateReport", "UpdateReport", "BatchPutTestCases")]
    return Rule(tuple(needs), _denied("CLIENT_ERROR"),
                "https://docs.aws.amazon.com/codebuild/latest/userguide/test-report-group-create.html")


# --- CodeDeploy's service role --------------------------------------------------------------
# https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html and the managed
# policies it names (AWSCodeDeployRole, AWSCodeDeployRoleForLambda, AWSCodeDeployRoleForECS) list the calls a
# deployment makes. A refusal fails the deployment with IAM_ROLE_PERMISSIONS and this sentence, naming the service
# (https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-auto-scaling.html#troubleshooting-auto-scaling-permissions-error).
CODEDEPLOY_ROLE_PAGE = "https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html"
SERVICE_NAMES = {"autoscaling": "AmazonAutoScaling", "ec2": "AmazonEC2", "elasticloadbalancing":
                 "AmazonElasticLoadBalancingV2", "lambda": "AWSLambda", "ecs": "AmazonECS",
                 "cloudwatch": "AmazonCloudWatch", "s3": "AmazonS3", "sns": "AmazonSNS", "tag": "AWSResourceGroupsTagging",
                 "iam": "AWSIdentityManagement"}


def codedeploy_step(role_arn: str, needs: list[Need]) -> Rule:
    def word(denial: Denial) -> tuple[str, str]:
        service = denial.service or SERVICE_NAMES.get(denial.action.split(":", 1)[0], denial.action.split(":", 1)[0])
        return "IAM_ROLE_PERMISSIONS", (f"The IAM role {role_arn} does not give you permission to perform operations "
                                        f"in the following AWS service: {service}. Contact your AWS administrator if "
                                        "you need help. If you are an AWS administrator, you can grant permissions to "
                                        "your users or groups by creating IAM policies.")
    return Rule(tuple(needs), word, CODEDEPLOY_ROLE_PAGE)


# --- EventBridge's role ---------------------------------------------------------------------

def events_start_pipeline(pipeline_arn: str) -> Rule:
    # https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-trigger-source-repo-changes-cli.html
    # (the rule's target role needs codepipeline:StartPipelineExecution on the pipeline). EventBridge reports a
    # refused invocation only as a FailedInvocations metric: the emulator records it (GET /_pipewright/event-deliveries).
    return Rule((need("codepipeline:StartPipelineExecution", pipeline_arn),), _denied("FailedInvocations"),
                "https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-trigger-source-repo-changes-cli.html")


@dataclass
class Deliveries:
    """EventBridge target invocations, for GET /_pipewright/event-deliveries (AWS shows them only as metrics)."""

    records: list[dict[str, str]] = field(default_factory=list)

    def add(self, **record: str) -> None:
        self.records.append(dict(record))
        del self.records[:-200]


DELIVERIES = Deliveries()
