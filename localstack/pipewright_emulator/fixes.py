"""Fixes to moto services pipewright calls but does not need new operations from.

* Logs: builds write up to millions of events. moto keeps one dict-backed object per event
  and sorts the whole stream on every GetLogEvents; here events use ``__slots__`` and reads
  use binary search while a stream's timestamps are in order (they always are for builds).
* S3 / IAM / EventBridge: hooks the engines need (S3 source change detection) and the few
  behaviours pipewright relies on; see each function.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any


class SlimLogEvent:
    __slots__ = ("ingestion_time", "timestamp", "message", "event_id")
    _event_id = 0

    def __init__(self, ingestion_time: int, log_event: dict[str, Any]) -> None:
        self.ingestion_time = ingestion_time
        self.timestamp = log_event["timestamp"]
        self.message = log_event["message"]
        self.event_id = SlimLogEvent._event_id
        SlimLogEvent._event_id += 1

    def to_filter_dict(self) -> dict[str, Any]:
        return {"eventId": str(self.event_id), "ingestionTime": self.ingestion_time,
                "message": self.message, "timestamp": self.timestamp}

    def to_response_dict(self) -> dict[str, Any]:
        return {"ingestionTime": self.ingestion_time, "message": self.message, "timestamp": self.timestamp}


def _ts(event: SlimLogEvent) -> int:
    return event.timestamp


def install_logs() -> None:
    from moto.logs import models
    from moto.logs.exceptions import InvalidParameterException
    from moto.logs.utils import EventMessageFilter

    models.LogEvent = SlimLogEvent
    stream_cls = models.LogStream
    original_put = stream_cls.put_log_events
    original_get = stream_cls.get_log_events

    def put_log_events(self, log_events):
        events = self.events
        if log_events and events and log_events[0]["timestamp"] < events[-1].timestamp:
            self._pw_unsorted = True
        result = original_put(self, log_events)
        if log_events:
            first = log_events[0]["timestamp"]
            last = log_events[-1]["timestamp"]
            if self.first_event_timestamp is None or first < self.first_event_timestamp:
                self.first_event_timestamp = first
            if self.last_event_timestamp is None or last > self.last_event_timestamp:
                self.last_event_timestamp = last
        return result

    def _update(self) -> None:
        # O(1) instead of scanning every event on each DescribeLogStreams
        if getattr(self, "_pw_unsorted", False) or not self.events:
            self.first_event_timestamp = min((e.timestamp for e in self.events), default=None)
            self.last_event_timestamp = max((e.timestamp for e in self.events), default=None)
        else:
            self.first_event_timestamp = self.events[0].timestamp
            self.last_event_timestamp = self.events[-1].timestamp

    def get_log_events(self, start_time, end_time, limit, next_token, start_from_head):
        if getattr(self, "_pw_unsorted", False):
            return original_get(self, start_time, end_time, limit, next_token, start_from_head)
        if limit is None:
            limit = 10000
        events = self.events
        lo = bisect_left(events, start_time, key=_ts) if start_time else 0
        hi = bisect_right(events, end_time, key=_ts) if end_time else len(events)
        count = max(hi - lo, 0)
        direction, index = None, 0
        if next_token is not None:
            try:
                direction, index = next_token[0], int(next_token[2:])
            except (ValueError, IndexError):
                raise InvalidParameterException("The specified nextToken is invalid.") from None
        limit_index = limit - 1
        final_index = count - 1
        if direction is None:
            if start_from_head:
                start_index, end_index = 0, limit_index
            else:
                end_index = final_index
                start_index = end_index - limit_index
        elif direction == "f":
            start_index = index + 1
            end_index = start_index + limit_index
        elif direction == "b":
            end_index = index - 1
            start_index = end_index - limit_index
        else:
            raise InvalidParameterException("The specified nextToken is invalid.")
        if start_index < 0:
            start_index = 0
        elif start_index > final_index:
            return [], f"b/{final_index:056d}", f"f/{final_index:056d}"
        if end_index > final_index:
            end_index = final_index
        elif end_index < 0:
            return [], f"b/{0:056d}", f"f/{0:056d}"
        page = [e.to_response_dict() for e in events[lo + start_index: lo + end_index + 1]]
        return page, f"b/{start_index:056d}", f"f/{end_index:056d}"

    def filter_log_events(self, start_time, end_time, filter_pattern):
        events = self.events
        if getattr(self, "_pw_unsorted", False):
            candidates = sorted(events, key=_ts)
        else:
            lo = bisect_left(events, start_time, key=_ts) if start_time else 0
            hi = bisect_right(events, end_time, key=_ts) if end_time else len(events)
            candidates = events[lo:hi]
        matcher = EventMessageFilter(filter_pattern) if filter_pattern else None
        out = []
        for event in candidates:
            if start_time and event.timestamp < start_time:
                continue
            if end_time and event.timestamp > end_time:
                continue
            if matcher is not None and not matcher.matches(event.message):
                continue
            obj = event.to_filter_dict()
            obj["logStreamName"] = self.log_stream_name
            out.append(obj)
        return out

    stream_cls.put_log_events = put_log_events
    stream_cls._update = _update
    stream_cls.get_log_events = get_log_events
    stream_cls.filter_log_events = filter_log_events


def install_s3() -> None:
    """S3 source change detection: a new object version under a pipeline's S3 source key
    starts that pipeline when it polls or an EventBridge rule targets it."""
    from moto.s3.models import S3Backend

    original = S3Backend.put_object

    def put_object(self, bucket_name, key_name, value, *args, **kwargs):
        obj = original(self, bucket_name, key_name, value, *args, **kwargs)
        try:
            from .runner import triggers

            triggers.on_s3_change(self.account_id, bucket_name, key_name)
        except Exception:  # noqa: BLE001 - never break a PutObject for a trigger
            pass
        return obj

    S3Backend.put_object = put_object

    # moto 5.2.5 answers GetBucketVersioning with a <GetBucketVersioningResponse> root; AWS's
    # is <VersioningConfiguration>. botocore does not look at the root, the Rust SDK does.
    from moto.s3.responses import S3Response

    def get_bucket_versioning(self):
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{status}</Status>" if status else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"{inner}</VersioningConfiguration>"
        )
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning

    # moto 5.2.5 answers GetBucketNotificationConfiguration of a bucket without notifications with
    # a <GetBucketNotificationResponse> root, and never returns EventBridgeConfiguration once set.
    # AWS's answer is a <NotificationConfiguration> holding <EventBridgeConfiguration/> when the
    # bucket sends its events to EventBridge
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html).
    from moto.core.responses import ActionResult

    def get_bucket_notification(self):
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        result: dict = {}
        if config:
            def build(item, arn_key):
                entry = {"Id": item.id, arn_key: item.arn, "Events": item.events}
                if item.filters:
                    entry["Filter"] = {"Key": {"FilterRules": item.filters["S3Key"]["FilterRule"]}}
                return entry

            result = {
                "TopicConfigurations": [build(t, "TopicArn") for t in config.topic],
                "QueueConfigurations": [build(q, "QueueArn") for q in config.queue],
                "LambdaFunctionConfigurations": [build(c, "LambdaFunctionArn") for c in config.cloud_function],
            }
            if getattr(config, "event_bridge", None) is not None:
                result["EventBridgeConfiguration"] = {}
        self.data["Action"] = "GetBucketNotificationConfiguration"
        return self.serialized(ActionResult(result))

    S3Response.get_bucket_notification = get_bucket_notification

    # moto evaluates bucket policies for object requests but ignores their `Condition` blocks,
    # so a TLS-only statement (Deny unless aws:SecureTransport) denies every request. The
    # emulator stands in for AWS's HTTPS endpoint: a statement whose condition it cannot
    # evaluate does not apply, as it would not for a client on AWS over TLS.
    import json as _json

    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        try:
            document = _json.loads(self.policy.decode())
        except ValueError:
            return PermissionResult.NEUTRAL
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        document["Statement"] = [st for st in statements if "Condition" not in st]
        if not document["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(_json.dumps(document)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def install_iam() -> None:
    """Nothing to change: IAM calls pipewright makes work on moto 5.2.5 as they are."""


def install_events() -> None:
    """Nothing to change: EventBridge rules are read by the pipeline engine directly."""
