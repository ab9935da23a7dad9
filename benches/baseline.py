"""The baseline for `cargo bench --bench engine`: the static-site pipeline made, checked and
removed by a plain sequential boto3 script, as a user scripting it by hand would write it.

Each step checks whether a resource exists before creating or deleting it (so the script is
re-runnable, like `pipewright up`), and makes the same configuration calls pipewright makes.

    python benches/baseline.py up|noop|down ENDPOINT ACCESS_KEY NAME
"""

import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"


def clients(endpoint, key):
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key="x", region_name=REGION)
    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3})
    return lambda name: session.client(name, endpoint_url=endpoint, config=config)


def exists(call, *codes):
    try:
        call()
        return True
    except ClientError as err:
        if err.response["Error"]["Code"] in codes or err.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise


def names(name):
    return {
        "roles": {f"{name}-codebuild-role": "codebuild", f"{name}-codepipeline-role": "codepipeline",
                  f"{name}-events-role": "events"},
        "artifacts": f"{name}-artifacts-{ACCOUNT}-{REGION}",
        "site": f"{name}-site",
        "repo": name,
        "log_group": f"/aws/codebuild/{name}-build",
        "project": f"{name}-build",
        "pipeline": f"{name}-pipeline",
        "rule": f"{name}-source-change",
    }


def policy(resource):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [resource]}]})


def up(c, name, check_only=False):
    n = names(name)
    tags = [{"Key": "pipewright:pipeline", "Value": name}]
    c("sts").get_caller_identity()
    iam = c("iam")
    for role, service in n["roles"].items():
        if not exists(lambda: iam.get_role(RoleName=role), "NoSuchEntity") and not check_only:
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": f"{service}.amazonaws.com"}}]}
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), Tags=tags)
            iam.put_role_policy(RoleName=role, PolicyName="pipewright", PolicyDocument=policy("*"))
        elif check_only:
            iam.get_role_policy(RoleName=role, PolicyName="pipewright")
    s3 = c("s3")
    for bucket in (n["artifacts"], n["site"]):
        if not exists(lambda: s3.head_bucket(Bucket=bucket), "404", "NoSuchBucket") and not check_only:
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True})
            s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            s3.put_bucket_policy(Bucket=bucket, Policy=policy(f"arn:aws:s3:::{bucket}/*"))
            if bucket == n["artifacts"]:
                s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
                s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
                    {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})
            else:
                s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        elif check_only:
            for read in (s3.get_bucket_tagging, s3.get_bucket_versioning, s3.get_bucket_encryption,
                         s3.get_bucket_policy, s3.get_public_access_block):
                read(Bucket=bucket)
    cc = c("codecommit")
    if not exists(lambda: cc.get_repository(repositoryName=n["repo"]), "RepositoryDoesNotExistException") \
            and not check_only:
        cc.create_repository(repositoryName=n["repo"], tags={"pipewright:pipeline": name})
    logs = c("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=n["log_group"])["logGroups"]
    if not groups and not check_only:
        logs.create_log_group(logGroupName=n["log_group"], tags={"pipewright:pipeline": name})
        logs.put_retention_policy(logGroupName=n["log_group"], retentionInDays=30)
    cb = c("codebuild")
    if not cb.batch_get_projects(names=[n["project"]])["projects"] and not check_only:
        cb.create_project(
            name=n["project"], source={"type": "CODEPIPELINE", "buildspec": "version: 0.2\n"},
            artifacts={"type": "CODEPIPELINE"},
            environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                         "computeType": "BUILD_GENERAL1_SMALL"},
            serviceRole=f"arn:aws:iam::{ACCOUNT}:role/{name}-codebuild-role",
            logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": n["log_group"]}},
            tags=[{"key": "pipewright:pipeline", "value": name}])
    cp = c("codepipeline")
    if not exists(lambda: cp.get_pipeline(name=n["pipeline"]), "PipelineNotFoundException") and not check_only:
        cp.create_pipeline(pipeline={
            "name": n["pipeline"], "pipelineType": "V2",
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}-codepipeline-role",
            "artifactStore": {"type": "S3", "location": n["artifacts"]},
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "actionTypeId": {
                    "category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                    "configuration": {"RepositoryName": n["repo"], "BranchName": "main",
                                      "PollForSourceChanges": "false"},
                    "outputArtifacts": [{"name": "SourceOutput"}]}]},
                {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {
                    "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
                    "configuration": {"ProjectName": n["project"]},
                    "inputArtifacts": [{"name": "SourceOutput"}], "outputArtifacts": [{"name": "BuildOutput"}]}]},
                {"name": "Deploy", "actions": [{"name": "Deploy", "actionTypeId": {
                    "category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                    "configuration": {"BucketName": n["site"], "Extract": "true"},
                    "inputArtifacts": [{"name": "BuildOutput"}]}]}]},
            tags=[{"key": "pipewright:pipeline", "value": name}])
    events = c("events")
    if not exists(lambda: events.describe_rule(Name=n["rule"]), "ResourceNotFoundException") and not check_only:
        events.put_rule(Name=n["rule"], EventPattern=json.dumps({"source": ["aws.codecommit"]}),
                        Tags=[{"Key": "pipewright:pipeline", "Value": name}])
        events.put_targets(Rule=n["rule"], Targets=[{
            "Id": "pipeline", "Arn": f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:{n['pipeline']}",
            "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{name}-events-role"}])


def down(c, name):
    n = names(name)
    c("sts").get_caller_identity()
    events = c("events")
    if exists(lambda: events.describe_rule(Name=n["rule"]), "ResourceNotFoundException"):
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=n["rule"])["Targets"]]
        if ids:
            events.remove_targets(Rule=n["rule"], Ids=ids)
        events.delete_rule(Name=n["rule"])
    cp = c("codepipeline")
    if exists(lambda: cp.get_pipeline(name=n["pipeline"]), "PipelineNotFoundException"):
        cp.delete_pipeline(name=n["pipeline"])
    cb = c("codebuild")
    if cb.batch_get_projects(names=[n["project"]])["projects"]:
        cb.delete_project(name=n["project"])
    logs = c("logs")
    if logs.describe_log_groups(logGroupNamePrefix=n["log_group"])["logGroups"]:
        logs.delete_log_group(logGroupName=n["log_group"])
    s3 = c("s3")
    for bucket in (n["artifacts"], n["site"]):
        if exists(lambda: s3.head_bucket(Bucket=bucket), "404", "NoSuchBucket"):
            versions = s3.list_object_versions(Bucket=bucket)
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            s3.delete_bucket(Bucket=bucket)
    iam = c("iam")
    for role in n["roles"]:
        if exists(lambda: iam.get_role(RoleName=role), "NoSuchEntity"):
            for inline in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                iam.delete_role_policy(RoleName=role, PolicyName=inline)
            iam.delete_role(RoleName=role)


def main():
    command, endpoint, key, name = sys.argv[1:5]
    c = clients(endpoint, key)
    if command == "up":
        up(c, name)
    elif command == "noop":
        up(c, name, check_only=True)
    elif command == "down":
        down(c, name)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
