"""Change detection: a new commit or S3 object starts the pipelines watching it.

A source action watches a change when it polls (``PollForSourceChanges``, true unless set
to false, as on AWS) or when an ENABLED EventBridge rule whose event pattern matches the
change targets the pipeline's ARN. The rule's target invokes the pipeline as the target's
role: that role must trust events.amazonaws.com and be allowed
``codepipeline:StartPipelineExecution`` on the pipeline, else the invocation fails (recorded
for ``GET /_pipewright/event-deliveries``; AWS shows it only as a FailedInvocations metric).

S3 object events exist only where AWS emits them
(https://docs.aws.amazon.com/codepipeline/latest/userguide/create-S3-source-events.html and
create-cloudtrail-S3-source.html): an "Object Created" event when the bucket sends its events to
EventBridge (PutBucketNotificationConfiguration with EventBridgeConfiguration), an "AWS API Call
via CloudTrail" event when a logging trail records the object's write data events. CodeCommit
always emits its repository state changes.
"""

from __future__ import annotations

import datetime as dt
import sys
import uuid
from typing import Any

from ..common import role_trusts
from ..control import CONTROL, CURRENT_KEY
from ..judge import access
from .pipeline import start


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    return str(value).lower() == "true"


def _deliver(account: str, region: str, rule: Any, target: dict[str, Any], pipeline_arn: str, scope: str) -> bool:
    """Invoke a rule's CodePipeline target as its role; False (and a recorded failure) if AWS would refuse."""
    role = target.get("RoleArn") or ""
    if CONTROL.judging(scope, "judge_roles"):
        if not role or not role_trusts(account, role, "events.amazonaws.com"):
            access.DELIVERIES.add(rule=rule.arn, target=pipeline_arn, status="FailedInvocations",
                                  reason=f"EventBridge cannot assume the target's role {role or '(none)'}")
            return False
        refusal = access.judge(access.events_start_pipeline(pipeline_arn), account=account, region=region,
                               role_arn=role, session="EventBridge", scope=scope)
        if refusal is not None:
            access.DELIVERIES.add(rule=rule.arn, target=pipeline_arn, status="FailedInvocations",
                                  reason=refusal.message)
            return False
    access.DELIVERIES.add(rule=rule.arn, target=pipeline_arn, status="Invoked", reason="")
    return True


def _rule_starting(account: str, region: str, arn: str, event: dict[str, Any], scope: str) -> str | None:
    """The ARN of an enabled rule matching ``event`` that delivers it to the pipeline ``arn``."""
    if "moto.events.models" not in sys.modules:
        return None
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    for bus in list(backend.event_buses.values()):
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED":
                continue
            targets = [t for t in rule.targets if t.get("Arn") == arn]
            if not targets:
                continue
            try:
                if not rule.event_pattern.matches_event(event):
                    continue
            except Exception:  # noqa: BLE001
                continue
            if any(_deliver(account, region, rule, t, arn, scope) for t in targets):
                return rule.arn
    return None


def _start_for_change(account: str, region: str, pipelines: list[tuple[Any, str | None, str]],
                      events: list[dict[str, Any]], access_key: str = "change-detection") -> None:
    for pipeline_obj, poll, action_name in pipelines:
        rule = None
        for event in events:
            rule = rule or _rule_starting(account, region, pipeline_obj._arn, event, access_key)
        if rule:
            trigger = {"triggerType": "CloudWatchEvent", "triggerDetail": rule}
        elif _truthy(poll):
            trigger = {"triggerType": "PollForSourceChanges", "triggerDetail": action_name}
        else:
            continue
        start(account, region, pipeline_obj, trigger, access_key=access_key)


def _pipelines_with_source(account: str, region: str, provider: str, match) -> list[tuple[Any, str | None, str]]:
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


def _sends_to_eventbridge(account: str, bucket: str) -> bool:
    from moto.s3.models import s3_backends

    try:
        config = s3_backends[account]["aws"].get_bucket(bucket).notification_configuration
    except Exception:  # noqa: BLE001
        return False
    return config is not None and getattr(config, "event_bridge", None) is not None


def _selector_covers(selector: dict[str, Any], arn: str) -> bool:
    if selector.get("ReadWriteType", "All") not in ("All", "WriteOnly"):
        return False
    for resource in selector.get("DataResources") or []:
        if resource.get("Type") != "AWS::S3::Object":
            continue
        for value in resource.get("Values") or []:
            if value in ("arn:aws:s3", "arn:aws:s3:::") or arn.startswith(value):
                return True
    return False


def _advanced_covers(selector: dict[str, Any], arn: str) -> bool:
    fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
    if "Data" not in (fields.get("eventCategory") or {}).get("Equals", []):
        return False
    if "AWS::S3::Object" not in (fields.get("resources.type") or {}).get("Equals", []):
        return False
    if "true" in [str(v).lower() for v in (fields.get("readOnly") or {}).get("Equals", [])]:
        return False
    arns = fields.get("resources.ARN")
    if arns is None:
        return True
    return any(arn.startswith(p) for p in arns.get("StartsWith", [])) or arn in arns.get("Equals", [])


def _trail_records(account: str, bucket: str, key: str) -> bool:
    """Does a logging trail record this object's write data events (what CodePipeline's CloudTrail route needs)?"""
    if "moto.cloudtrail.models" not in sys.modules:
        return False
    from moto.cloudtrail.models import cloudtrail_backends

    arn = f"arn:aws:s3:::{bucket}/{key}"
    for region_backend in cloudtrail_backends[account].values():
        for trail in list(region_backend.trails.values()):
            if not trail.status.is_logging:
                continue
            if any(_selector_covers(s, arn) for s in trail.event_selectors):
                return True
            if any(_advanced_covers(s, arn) for s in trail.advanced_event_selectors):
                return True
    return False


def on_s3_change(account: str, bucket: str, key: str) -> None:
    if "moto.codepipeline.models" not in sys.modules:
        return
    from moto.codepipeline.models import codepipeline_backends

    scope = CURRENT_KEY.get()
    strict = CONTROL.judging(scope, "judge_event_sources")
    for region in list(codepipeline_backends[account].keys()):
        pipelines = _pipelines_with_source(account, region, "S3",
                                           lambda c: c.get("S3Bucket") == bucket and c.get("S3ObjectKey") == key)
        if not pipelines:
            continue
        events = []
        if not strict or _sends_to_eventbridge(account, bucket):
            events.append({"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created",
                           "source": "aws.s3", "account": account, "region": region,
                           "resources": [f"arn:aws:s3:::{bucket}"],
                           "detail": {"version": "0", "bucket": {"name": bucket},
                                      "object": {"key": key}, "reason": "PutObject"}})
        if not strict or _trail_records(account, bucket, key):
            events.append({"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
                           "source": "aws.s3", "account": account, "region": region, "resources": [],
                           "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutObject",
                                      "requestParameters": {"bucketName": bucket, "key": key},
                                      "resources": [{"ARN": f"arn:aws:s3:::{bucket}/{key}", "type": "AWS::S3::Object"}]}})
        _start_for_change(account, region, pipelines, events, scope)
