"""A build's own requests, judged as its role: whose credentials, which IAM action, which resource.

CodeBuild gives every build temporary credentials of its service role
(https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html), so an
``aws ...`` command in a buildspec can do exactly what that role allows. The emulator issues
moto STS credentials for the role (``open_session``) and the server asks ``authorize`` about
every request signed with them. Requests signed with any other key (the user's own) are not
judged, as today.

An operation's IAM action is ``<service prefix>:<Operation>`` except where AWS names it
otherwise (S3's ListObjectsV2 is ``s3:ListBucket``, Lambda's Invoke is ``lambda:InvokeFunction``,
...); its resource is read from the request where the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/) gives the operation a
resource type this module knows. For anything else only the action is judged (a statement
allows it if its ``Action`` matches, whatever its ``Resource``): never stricter than AWS.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from ..control import CONTROL
from .access import Denial, principal
from .policy import Decision, decide, role_documents


@dataclass(frozen=True)
class Session:
    """Temporary credentials of a role, as a build holds them."""

    access_key: str
    role_arn: str
    name: str  # the role session name (AWSCodeBuild-<uuid>)
    account: str
    scope: str  # the access key whose knobs apply (who started the build)


_lock = threading.Lock()
_sessions: dict[str, Session] = {}


def open_session(account: str, region: str, role_arn: str, name: str, scope: str) -> dict[str, str]:
    """moto STS credentials for ``role_arn``, remembered so requests signed with them are judged."""
    from moto.sts.models import sts_backends

    assumed = sts_backends[account]["aws"].assume_role(region, name, role_arn, None, 3600, None)
    with _lock:
        _sessions[assumed.access_key_id] = Session(assumed.access_key_id, role_arn, name, account, scope)
    return {"AWS_ACCESS_KEY_ID": assumed.access_key_id, "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
            "AWS_SESSION_TOKEN": assumed.session_token}


def session_of(access_key: str) -> Session | None:
    with _lock:
        return _sessions.get(access_key)


def forget_all() -> None:
    with _lock:
        _sessions.clear()


# --- the request's IAM action and resource ---------------------------------------------------

# signing name -> IAM service prefix, where they differ
PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "codestar-connections": "codestar-connections"}

# (prefix, operation) -> IAM action name, where AWS does not use the operation's name
ACTIONS = {
    ("s3", "ListObjects"): "ListBucket", ("s3", "ListObjectsV2"): "ListBucket", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "HeadObject"): "GetObject", ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "ListBuckets"): "ListAllMyBuckets", ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject", ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject", ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads", ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "DeleteObjects"): "DeleteObject", ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "GetBucketLifecycleConfiguration"): "GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "GetBucketCors"): "GetBucketCORS", ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS", ("s3", "DeleteBucketTagging"): "PutBucketTagging",
    ("s3", "GetBucketReplication"): "GetReplicationConfiguration",
    ("s3", "PutBucketReplication"): "PutReplicationConfiguration",
    ("s3", "DeleteBucketOwnershipControls"): "PutBucketOwnershipControls",
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeAsync"): "InvokeAsync",
    ("lambda", "GetFunctionConfiguration"): "GetFunctionConfiguration",
    ("lambda", "ListVersionsByFunction"): "ListVersionsByFunction",
}

# operations that need no permission at all
FREE = {"sts:GetCallerIdentity"}

# actions AWS evaluates only against "*" (no resource-level permissions)
STAR_ONLY = {"ecr:GetAuthorizationToken", "s3:ListAllMyBuckets", "lambda:ListFunctions", "sts:GetSessionToken",
             "ecs:RegisterTaskDefinition", "ecs:ListClusters", "ecs:DescribeTaskDefinition",
             "cloudwatch:PutMetricData", "logs:DescribeLogGroups", "ec2:DescribeInstances"}


def iam_action(service: str, operation: str) -> str:
    prefix = PREFIXES.get(service, service)
    return f"{prefix}:{ACTIONS.get((prefix, operation), operation)}"


def _params(environ: dict, body: bytes, protocol: str) -> dict[str, Any]:
    if protocol in ("json", "rest-json") and body.strip():
        try:
            doc = json.loads(body)
            return doc if isinstance(doc, dict) else {}
        except ValueError:
            return {}
    if protocol in ("query", "ec2"):
        fields = parse_qs(body.decode("utf-8", "replace")) if body else {}
        fields.update(parse_qs(environ.get("QUERY_STRING", "")))
        return {k: v[0] for k, v in fields.items()}
    return {}


def _s3_resource(environ: dict) -> tuple[str, str | None]:
    path = unquote(environ.get("PATH_INFO", "")).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket:
        return "*", None
    version = parse_qs(environ.get("QUERY_STRING", "")).get("versionId", [None])[0]
    return (f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"), version


def resources(prefix: str, action: str, environ: dict, params: dict[str, Any], region: str,
              account: str) -> list[tuple[str, ...]] | None:
    """What AWS evaluates: one entry per resource the request touches (each must be allowed), each entry
    the ARN forms any one of which a policy may name; None when only the action can be judged."""
    found = _resources(prefix, action, environ, params, region, account)
    return None if found is None else [tuple(r) if isinstance(r, tuple) else (r,) for r in found]


def _resources(prefix: str, action: str, environ: dict, params: dict[str, Any], region: str,
               account: str) -> list[Any] | None:
    if action in STAR_ONLY:
        return ["*"]
    base = f"arn:aws:{prefix}:{region}:{account}"
    if prefix == "s3":
        return [_s3_resource(environ)[0]]
    if prefix == "lambda":
        parts = unquote(environ.get("PATH_INFO", "")).strip("/").split("/")
        if len(parts) >= 3 and parts[1] == "functions":
            name = parts[2]
            fn = name if name.startswith("arn:") else f"{base}:function:{name}"
            qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
            if len(parts) >= 5 and parts[3] == "aliases":
                qualifier = parts[4]
            return [(fn, f"{fn}:{qualifier}") if qualifier else (fn,)]
        return None
    if prefix == "ecr" and params.get("repositoryName"):
        return [f"{base}:repository/{params['repositoryName']}"]
    if prefix == "logs" and params.get("logGroupName"):
        group = f"{base}:log-group:{params['logGroupName']}"
        stream = params.get("logStreamName")
        return [f"{group}:log-stream:{stream}"] if stream else [(group, f"{group}:*")]
    if prefix == "ssm":
        names = params.get("Names") or ([params["Name"]] if params.get("Name") else [])
        if names:
            return [n if str(n).startswith("arn:") else f"{base}:parameter/{str(n).lstrip('/')}" for n in names]
        return None
    if prefix == "secretsmanager" and params.get("SecretId"):
        secret = str(params["SecretId"])
        if secret.startswith("arn:"):
            return [secret]
        from moto.secretsmanager.models import secretsmanager_backends

        try:
            return [secretsmanager_backends[account][region].describe_secret(secret).arn]
        except Exception:  # noqa: BLE001
            return [f"{base}:secret:{secret}-??????"]
    if prefix == "dynamodb" and params.get("TableName"):
        return [f"{base}:table/{params['TableName']}"]
    if prefix == "codebuild" and params.get("projectName"):
        return [f"{base}:project/{params['projectName']}"]
    if prefix == "codepipeline" and (params.get("name") or params.get("pipelineName")):
        return [f"{base}:{params.get('name') or params.get('pipelineName')}"]
    if prefix == "codecommit" and params.get("repositoryName"):
        return [f"{base}:{params['repositoryName']}"]
    if prefix == "sns" and params.get("TopicArn"):
        return [params["TopicArn"]]
    if prefix == "sqs" and params.get("QueueUrl"):
        return [f"{base}:{str(params['QueueUrl']).rstrip('/').rsplit('/', 1)[-1]}"]
    return None


def authorize(info: Any, environ: dict, body: bytes) -> Denial | None:
    """None if the request may go on: unsigned by a build session, judging off, or allowed by the role."""
    session = session_of(info.access_key)
    if session is None or not CONTROL.judging(session.scope, "judge_requests"):
        return None
    action = iam_action(info.service, info.operation)
    if action in FREE:
        return None
    prefix = action.split(":", 1)[0]
    params = _params(environ, body, info.protocol)
    arns = resources(prefix, action, environ, params, info.region, session.account)
    documents = role_documents(session.account, session.role_arn) or []
    context = {"aws:SecureTransport": ["true"], "aws:PrincipalAccount": [session.account],
               "aws:RequestedRegion": [info.region], "aws:PrincipalArn": [session.role_arn]}
    who = principal(session.account, session.role_arn, session.name)
    if arns is None:
        answer = decide(documents, action, "*", context, action_only=True)
        if answer is not Decision.ALLOWED:
            return Denial(who, action, "*", explicit=answer is Decision.EXPLICIT_DENY, role_arn=session.role_arn)
        return None
    for forms in arns:
        answers = [decide(documents, action, arn, context) for arn in forms]
        if Decision.EXPLICIT_DENY in answers or Decision.ALLOWED not in answers:
            return Denial(who, action, forms[0], explicit=Decision.EXPLICIT_DENY in answers,
                          role_arn=session.role_arn)
    return None


# --- how each protocol answers a denied request ---------------------------------------------------
STATUS_403 = {"lambda", "s3", "iam", "sts", "ec2", "cloudformation", "autoscaling", "elasticloadbalancing", "sns",
              "cloudwatch", "monitoring"}


def refusal(info: Any, denial: Denial) -> tuple[str, str, int]:
    """(error code, message, HTTP status) of AWS's answer to a denied request, in the service's protocol."""
    status = 403 if info.service in STATUS_403 else 400
    if info.protocol == "s3":
        # S3 quotes the resource: ... on resource: "arn:aws:s3:::bucket/key" because no identity-based policy ...
        message = denial.message.replace(f"on resource: {denial.resource} ", f'on resource: "{denial.resource}" ')
        return "AccessDenied", message, 403
    if info.protocol == "ec2":
        return "UnauthorizedOperation", f"You are not authorized to perform this operation. {denial.message}", 403
    if info.protocol == "query":
        return "AccessDenied", denial.message, status
    return "AccessDeniedException", denial.message, status
