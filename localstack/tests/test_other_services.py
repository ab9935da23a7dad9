"""Every other call pipewright makes works on moto 5.2.5 (as extended here)."""

import json

import pytest
from botocore.exceptions import ClientError

from helpers import TRUST


def test_iam_role_lifecycle(aws, name):
    iam = aws("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST),
                          Tags=[{"Key": "pipewright:pipeline", "Value": "x"}])["Role"]["Arn"]
    assert iam.get_role(RoleName=name)["Role"]["Arn"] == arn
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(policy))
    got = iam.get_role_policy(RoleName=name, PolicyName="inline")["PolicyDocument"]
    assert got["Statement"][0]["Action"] == "s3:*"
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["inline"]
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(TRUST))
    iam.tag_role(RoleName=name, Tags=[{"Key": "b", "Value": "2"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}
    assert tags == {"pipewright:pipeline": "x", "b": "2"}
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as err:
        iam.get_role(RoleName=name)
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"


def test_s3_versioning_answers_with_aws_root_element(aws, emulator, name):
    """Strict clients (the Rust SDK) check the XML root: it must be <VersioningConfiguration>."""
    import urllib.request

    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    for expected in ("", "<Status>Enabled</Status>"):
        url = f"{emulator.url}/{name}?versioning"
        request = urllib.request.Request(url, headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDROOT/20260101/us-east-1/s3/aws4_request, "
                             "SignedHeaders=host, Signature=0"})
        body = urllib.request.urlopen(request).read().decode()
        assert "<VersioningConfiguration" in body and expected in body, body
        assert "GetBucketVersioningResponse" not in body
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def test_s3_notification_configuration_as_aws_answers_it(aws, emulator, name):
    """GetBucketNotificationConfiguration's root is <NotificationConfiguration> (strict clients check it),
    and it shows EventBridgeConfiguration once the bucket sends its events to EventBridge
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html)."""
    import urllib.request

    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    url = f"{emulator.url}/{name}?notification"
    request = urllib.request.Request(url, headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDROOT/20260101/us-east-1/s3/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    body = urllib.request.urlopen(request).read().decode()
    assert "<NotificationConfiguration" in body and "GetBucketNotificationResponse" not in body, body
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=name)
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket=name)["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=name)


def test_tls_only_bucket_policy_does_not_deny_emulator_requests(aws, name):
    """The emulator stands in for AWS's HTTPS endpoint: a Deny conditioned on
    aws:SecureTransport=false must not refuse its (plain HTTP) object requests."""
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*",
                       "Action": "s3:*", "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"v"


def test_s3_bucket_configuration(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.get_bucket_encryption(Bucket=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": f"arn:aws:s3:::{name}/*"}]}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"][0]["Action"] == "s3:GetObject"
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"][0]["ID"] == "old"
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    assert s3.get_bucket_website(Bucket=name)["IndexDocument"]["Suffix"] == "index.html"
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "pipewright:pipeline", "Value": "x"}]})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "pipewright:pipeline", "Value": "x"}]
    s3.put_object(Bucket=name, Key="a.txt", Body=b"1")
    s3.put_object(Bucket=name, Key="a.txt", Body=b"2")
    assert s3.get_object(Bucket=name, Key="a.txt")["Body"].read() == b"2"
    versions = s3.list_object_versions(Bucket=name)["Versions"]
    assert len(versions) == 2
    s3.delete_objects(Bucket=name, Delete={"Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]})
    s3.delete_bucket_policy(Bucket=name)
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as err:
        s3.head_bucket(Bucket=name)
    assert err.value.response["Error"]["Code"] == "404"


def test_cloudwatch_logs(aws, name):
    logs = aws("logs")
    group = f"/aws/codebuild/{name}"
    logs.create_log_group(logGroupName=group, tags={"pipewright:pipeline": "x"})
    logs.put_retention_policy(logGroupName=group, retentionInDays=14)
    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert found[0]["retentionInDays"] == 14
    arn = found[0]["arn"].rstrip("*").rstrip(":")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"pipewright:pipeline": "x"}
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"pipewright:pipeline": "x"}
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": _now_ms() + i, "message": f"line {i}"} for i in range(3)])
    events = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)
    assert [e["message"] for e in events["events"]] == ["line 0", "line 1", "line 2"]
    again = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True,
                                nextToken=events["nextForwardToken"])
    assert again["events"] == [] and again["nextForwardToken"] == events["nextForwardToken"]
    filtered = logs.filter_log_events(logGroupName=group, filterPattern="line")["events"]
    assert len(filtered) == 3
    assert logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"] == "s"
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def test_eventbridge_rules(aws, name):
    events = aws("events")
    pattern = {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"]}
    arn = events.put_rule(Name=name, EventPattern=json.dumps(pattern), State="ENABLED",
                          Tags=[{"Key": "pipewright:pipeline", "Value": "x"}])["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "pipeline", "Arn": "arn:aws:codepipeline:us-east-1:123456789012:p",
                                            "RoleArn": "arn:aws:iam::123456789012:role/r"}])
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    assert events.list_targets_by_rule(Rule=name)["Targets"][0]["Id"] == "pipeline"
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    tags = {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]}
    assert tags == {"pipewright:pipeline": "x", "b": "2"}
    events.remove_targets(Rule=name, Ids=["pipeline"])
    events.delete_rule(Name=name)
    with pytest.raises(ClientError) as err:
        events.describe_rule(Name=name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_sts_ssm_secrets_ec2(aws, name):
    assert aws("sts").get_caller_identity()["Account"] == "123456789012"
    ssm = aws("ssm")
    ssm.put_parameter(Name=f"/{name}/p", Value="v", Type="String")
    assert ssm.get_parameter(Name=f"/{name}/p")["Parameter"]["Value"] == "v"
    assert ssm.get_parameters(Names=[f"/{name}/p", f"/{name}/missing"])["InvalidParameters"] == [f"/{name}/missing"]
    sm = aws("secretsmanager")
    sm.create_secret(Name=name, SecretString='{"token": "s3cret"}')
    assert json.loads(sm.get_secret_value(SecretId=name)["SecretString"]) == {"token": "s3cret"}
    assert "Reservations" in aws("ec2").describe_instances()
