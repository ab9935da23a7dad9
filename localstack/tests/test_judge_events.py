"""An S3 source with polling off starts only through an EventBridge rule on that bucket's object events,
delivered the way AWS documents (EventBridge notifications on the bucket, or a CloudTrail trail logging
its write data events), and invoked as the target's role.
"""

import json

from helpers import role, wait_for, zip_bytes

APPROVAL = {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
S3_SOURCE = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
OBJECT_CREATED = {"source": ["aws.s3"], "detail-type": ["Object Created"],
                  "detail": {"bucket": {"name": ["{bucket}"]}, "object": {"key": ["src.zip"]}}}
CLOUDTRAIL = {"source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
              "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["PutObject", "CompleteMultipartUpload",
                                                                           "CopyObject"],
                         "requestParameters": {"bucketName": ["{bucket}"], "key": ["src.zip"]}}}


class S3Pipeline:
    def __init__(self, aws, emulator, access_key, name, pattern: dict, events_policy: dict | None = None):
        emulator.control("POST", "/_pipewright/config", {"scope": access_key, "start_on_create": False})
        self.aws, self.name, self.bucket = aws, name, f"{name}-src"
        s3 = aws("s3")
        for bucket in (self.bucket, f"{name}-artifacts"):
            s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        self.cp = aws("codepipeline")
        self.cp.create_pipeline(pipeline={
            "name": name, "roleArn": role(aws("iam"), f"{name}-pipe"), "pipelineType": "V2",
            "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
            "stages": [{"name": "Source", "actions": [{"name": "Source", "actionTypeId": S3_SOURCE,
                                                       "outputArtifacts": [{"name": "Src"}],
                                                       "configuration": {"S3Bucket": self.bucket, "S3ObjectKey": "src.zip",
                                                                         "PollForSourceChanges": "false"}}]},
                       {"name": "Gate", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}]})
        self.arn = self.cp.get_pipeline(name=name)["metadata"]["pipelineArn"]
        allowed = events_policy or {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution", "Resource": self.arn}]}
        self.events_role = role(aws("iam"), f"{name}-events", allowed)
        events = aws("events")
        events.put_rule(Name=name, EventPattern=json.dumps(pattern).replace("{bucket}", self.bucket))
        events.put_targets(Rule=name, Targets=[{"Id": "pipeline", "Arn": self.arn, "RoleArn": self.events_role}])

    def upload(self, n: int) -> None:
        self.aws("s3").put_object(Bucket=self.bucket, Key="src.zip", Body=zip_bytes({"n": str(n)}))

    def executions(self) -> list:
        return self.cp.list_pipeline_executions(pipelineName=self.name)["pipelineExecutionSummaries"]

    def started(self) -> dict:
        return wait_for(lambda: (self.executions() or [None])[0], timeout=10, what="a started execution")

    def stop_all(self) -> None:
        for ex in self.executions():
            self.cp.stop_pipeline_execution(pipelineName=self.name, pipelineExecutionId=ex["pipelineExecutionId"],
                                            abandon=True)


def test_an_upload_starts_the_pipeline_only_once_the_bucket_sends_events_to_eventbridge(aws, emulator, access_key, name):
    p = S3Pipeline(aws, emulator, access_key, name, OBJECT_CREATED)
    p.upload(1)
    assert p.executions() == []  # the bucket does not send its events to EventBridge: no event, no start
    aws("s3").put_bucket_notification_configuration(Bucket=p.bucket, NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    p.upload(2)
    started = p.started()
    assert started["trigger"]["triggerType"] == "CloudWatchEvent"
    assert started["trigger"]["triggerDetail"].endswith(f":rule/{name}")
    p.stop_all()


def test_the_cloudtrail_route_needs_a_logging_trail_for_the_object(aws, emulator, access_key, name):
    p = S3Pipeline(aws, emulator, access_key, name, CLOUDTRAIL)
    s3, trail = aws("s3"), aws("cloudtrail")
    s3.create_bucket(Bucket=f"{name}-trail")
    trail.create_trail(Name=name, S3BucketName=f"{name}-trail")
    trail.put_event_selectors(TrailName=name, EventSelectors=[{"ReadWriteType": "WriteOnly", "DataResources": [
        {"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{p.bucket}/src.zip"]}]}])
    p.upload(1)
    assert p.executions() == []  # the trail is not logging yet
    trail.start_logging(Name=name)
    p.upload(2)
    assert p.started()["trigger"]["triggerType"] == "CloudWatchEvent"
    p.stop_all()


def test_the_rule_invokes_the_pipeline_as_its_target_role(aws, emulator, access_key, name):
    wrong = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "codepipeline:StartPipelineExecution",
         "Resource": "arn:aws:codepipeline:us-east-1:123456789012:someone-else"}]}
    p = S3Pipeline(aws, emulator, access_key, name, OBJECT_CREATED, events_policy=wrong)
    aws("s3").put_bucket_notification_configuration(Bucket=p.bucket, NotificationConfiguration={
        "EventBridgeConfiguration": {}})
    p.upload(1)
    assert p.executions() == []
    failed = [d for d in emulator.control("GET", "/_pipewright/event-deliveries") if d["target"] == p.arn]
    assert failed and failed[-1]["status"] == "FailedInvocations"
    assert (f"is not authorized to perform: codepipeline:StartPipelineExecution on resource: {p.arn} because no "
            "identity-based policy allows the codepipeline:StartPipelineExecution action") in failed[-1]["reason"]


def test_event_sources_have_a_knob(aws, emulator, access_key, name):
    p = S3Pipeline(aws, emulator, access_key, name, OBJECT_CREATED)
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "judge_event_sources": False})
    p.upload(1)  # every rule sees the object's events, as before the judge
    assert p.started()["trigger"]["triggerType"] == "CloudWatchEvent"
    p.stop_all()
