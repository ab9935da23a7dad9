"""Change detection: a new commit or S3 object starts the pipelines watching it.

A source action watches a change when it polls (``PollForSourceChanges``, true unless set
to false, as on AWS) or when an ENABLED EventBridge rule whose event pattern matches the
change (the same events AWS emits) targets the pipeline's ARN.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from .pipeline import start


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _truthy(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    return str(value).lower() == "true"


def _rules_targeting(account: str, region: str, arn: str, event: dict[str, Any]) -> str | None:
    import sys

    if "moto.events.models" not in sys.modules:
        return None
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    for bus in list(backend.event_buses.values()):
        for rule in list(bus.rules.values()):
            if rule.state != "ENABLED":
                continue
            if not any(t.get("Arn") == arn for t in rule.targets):
                continue
            try:
                if rule.event_pattern.matches_event(event):
                    return rule.arn
            except Exception:  # noqa: BLE001
                continue
    return None


def _start_for_change(account: str, region: str, pipelines: list[tuple[Any, str | None, str]],
                      events: list[dict[str, Any]], access_key: str = "change-detection") -> None:
    for pipeline_obj, poll, action_name in pipelines:
        rule = None
        for event in events:
            rule = rule or _rules_targeting(account, region, pipeline_obj._arn, event)
        if rule:
            trigger = {"triggerType": "CloudWatchEvent", "triggerDetail": rule}
        elif _truthy(poll):
            trigger = {"triggerType": "PollForSourceChanges", "triggerDetail": action_name}
        else:
            continue
        start(account, region, pipeline_obj, trigger, access_key=access_key)


def _pipelines_with_source(account: str, region: str, provider: str, match) -> list[tuple[Any, str | None, str]]:
    import sys

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


def on_s3_change(account: str, bucket: str, key: str) -> None:
    import sys

    if "moto.codepipeline.models" not in sys.modules:
        return
    from moto.codepipeline.models import codepipeline_backends

    for region in list(codepipeline_backends[account].keys()):
        pipelines = _pipelines_with_source(account, region, "S3",
                                           lambda c: c.get("S3Bucket") == bucket and c.get("S3ObjectKey") == key)
        if not pipelines:
            continue
        events = [
            {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
             "account": account, "region": region, "resources": [f"arn:aws:s3:::{bucket}"],
             "detail": {"bucket": {"name": bucket}, "object": {"key": key}}},
            {"version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
             "source": "aws.s3", "account": account, "region": region, "resources": [],
             "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutObject",
                        "requestParameters": {"bucketName": bucket, "key": key},
                        "resources": [{"ARN": f"arn:aws:s3:::{bucket}/{key}", "type": "AWS::S3::Object"}]}},
        ]
        _start_for_change(account, region, pipelines, events)

