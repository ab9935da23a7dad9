"""CodePipeline's and CodeBuild's service roles, judged where AWS judges them, refused in AWS's words.

Each case runs the same pipeline (CodeCommit source -> CodeBuild -> S3 deploy) with least-privilege
roles built from AWS's service-role pages, minus one permission: the step that needs it fails where
AWS reports it, naming the action and the resource; with the full policy the pipeline succeeds.
"""

import json

import pytest

from helpers import role, wait_for, zip_bytes

ACCOUNT = "123456789012"
ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
SOURCE = {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"}
BUILD = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
DEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"}
BUILDSPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p out && cp msg.txt out/\nartifacts:\n  base-directory: out\n  files: ['**/*']\n"


def pipeline_policy(name: str, drop: str = "") -> dict:
    statements = [
        ("codecommit", ["GetBranch", "GetCommit", "UploadArchive", "GetUploadArchiveStatus", "CancelUploadArchive"],
         [f"arn:aws:codecommit:us-east-1:{ACCOUNT}:{name}"]),
        ("s3", ["GetObject", "GetObjectVersion", "PutObject"], [f"arn:aws:s3:::{name}-artifacts/*"]),
        ("codebuild", ["StartBuild", "BatchGetBuilds"], [f"arn:aws:codebuild:us-east-1:{ACCOUNT}:project/{name}"]),
        ("s3", ["PutObject"], [f"arn:aws:s3:::{name}-site/*"]),
    ]
    return policy(statements, drop)


def build_policy(name: str, drop: str = "") -> dict:
    group = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/codebuild/{name}"
    statements = [
        ("logs", ["CreateLogGroup", "CreateLogStream", "PutLogEvents"], [group, f"{group}:*"]),
        ("s3", ["GetObject", "GetObjectVersion", "PutObject"], [f"arn:aws:s3:::{name}-artifacts/*"]),
    ]
    return policy(statements, drop)


def policy(statements, drop: str) -> dict:
    """``drop`` is "service:Action" (removed) or "service:Action@resource-prefix" (only there)."""
    out = []
    for service, actions, resources in statements:
        kept = [f"{service}:{a}" for a in actions if f"{service}:{a}" != drop.split("@")[0]
                or ("@" in drop and not any(r.startswith(drop.split("@")[1]) for r in resources))]
        if kept:
            out.append({"Effect": "Allow", "Action": kept, "Resource": resources})
    return {"Version": "2012-10-17", "Statement": out}


class Pipeline:
    def __init__(self, aws, name: str, pipeline_drop: str = "", build_drop: str = "", extra=None):
        self.aws, self.name = aws, name
        iam = aws("iam")
        self.pipeline_role = role(iam, f"{name}-pipe", pipeline_policy(name, pipeline_drop))
        self.build_role = role(iam, f"{name}-build", build_policy(name, build_drop))
        if extra:
            iam.put_role_policy(RoleName=f"{name}-pipe", PolicyName="extra", PolicyDocument=json.dumps(extra))
        s3, cc, self.cp = aws("s3"), aws("codecommit"), aws("codepipeline")
        s3.create_bucket(Bucket=f"{name}-artifacts")
        s3.create_bucket(Bucket=f"{name}-site")
        cc.create_repository(repositoryName=name)
        cc.create_commit(repositoryName=name, branchName="main", commitMessage="first", putFiles=[
            {"filePath": "buildspec.yml", "fileContent": BUILDSPEC.encode()},
            {"filePath": "msg.txt", "fileContent": b"hello"}])
        aws("codebuild").create_project(name=name, source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
                                        environment=ENV, serviceRole=self.build_role)
        self.cp.create_pipeline(pipeline={
            "name": name, "roleArn": self.pipeline_role, "pipelineType": "V2",
            "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
            "stages": [
                {"name": "Source", "actions": [{"name": "Source", "actionTypeId": SOURCE, "outputArtifacts": [
                    {"name": "Src"}], "configuration": {"RepositoryName": name, "BranchName": "main",
                                                         "PollForSourceChanges": "false"}}]},
                {"name": "Build", "actions": [{"name": "Build", "actionTypeId": BUILD, "inputArtifacts": [{"name": "Src"}],
                                               "outputArtifacts": [{"name": "Out"}],
                                               "configuration": {"ProjectName": name}}]},
                {"name": "Deploy", "actions": [{"name": "Site", "actionTypeId": DEPLOY, "inputArtifacts": [{"name": "Out"}],
                                                "configuration": {"BucketName": f"{name}-site", "Extract": "true"}}]},
            ]})

    def done(self) -> dict:
        def finished():
            ex = self.cp.list_pipeline_executions(pipelineName=self.name)["pipelineExecutionSummaries"]
            return ex[0] if ex and ex[0]["status"] not in ("InProgress", "Stopping") else None
        return wait_for(finished, timeout=60, what="pipeline execution")

    def failed_action(self) -> dict:
        for stage in self.cp.get_pipeline_state(name=self.name)["stageStates"]:
            for action in stage["actionStates"]:
                latest = action.get("latestExecution") or {}
                if latest.get("status") == "Failed":
                    return {"stage": stage["stageName"], **latest}
        raise AssertionError("no failed action")


def test_least_privilege_roles_from_aws_pages_run_the_pipeline(aws, name):
    p = Pipeline(aws, name)
    assert p.done()["status"] == "Succeeded"
    assert aws("s3").get_object(Bucket=f"{name}-site", Key="msg.txt")["Body"].read() == b"hello"


PIPELINE_REFUSALS = [
    ("codecommit:GetBranch", "Source", "PermissionError",
     "The service role or action role doesn’t have the permissions required to access the AWS CodeCommit repository "
     "named {name}. Update the IAM role permissions, and then try again. Error: User: "
     "arn:aws:sts::123456789012:assumed-role/{name}-pipe/",
     "is not authorized to perform: codecommit:GetBranch on resource: arn:aws:codecommit:us-east-1:123456789012:{name} "
     "because no identity-based policy allows the codecommit:GetBranch action"),
    ("s3:PutObject@arn:aws:s3:::{name}-artifacts", "Source", "PermissionError",
     "The service role or action role doesn’t have the permissions required to access the Amazon S3 bucket named "
     "{name}-artifacts. Update the IAM role permissions, and then try again. Error: Amazon S3:AccessDenied:Access Denied",
     "(Service: Amazon S3; Status Code: 403; Error Code: AccessDenied;"),
    ("codebuild:StartBuild", "Build", "JobFailed",
     "Error calling startBuild: User: arn:aws:sts::123456789012:assumed-role/{name}-pipe/",
     "is not authorized to perform: codebuild:StartBuild on resource: "
     "arn:aws:codebuild:us-east-1:123456789012:project/{name} because no identity-based policy allows the "
     "codebuild:StartBuild action (Service: AWSCodeBuild; Status Code: 400; Error Code: AccessDeniedException;"),
    ("s3:PutObject@arn:aws:s3:::{name}-site", "Deploy", "PermissionError",
     "The service role or action role doesn’t have the permissions required to access the Amazon S3 bucket named "
     "{name}-site.", "Error: Amazon S3:AccessDenied:Access Denied"),
]


@pytest.mark.parametrize("drop,stage,code,starts,contains", PIPELINE_REFUSALS, ids=[r[0].split("@")[0] + "-" + r[1]
                                                                                    for r in PIPELINE_REFUSALS])
def test_pipeline_role_refusals(aws, name, drop, stage, code, starts, contains):
    p = Pipeline(aws, name, pipeline_drop=drop.format(name=name))
    assert p.done()["status"] == "Failed"
    failed = p.failed_action()
    assert failed["stage"] == stage, failed
    assert failed["errorDetails"]["code"] == code
    message = failed["errorDetails"]["message"]
    assert message.startswith(starts.format(name=name)), message
    assert contains.format(name=name) in message, message


def test_an_explicit_deny_is_named_as_such(aws, name):
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "codebuild:*", "Resource": "*"}]}
    p = Pipeline(aws, name, extra=deny)
    assert p.done()["status"] == "Failed"
    message = p.failed_action()["errorDetails"]["message"]
    assert "is not authorized to perform: codebuild:StartBuild on resource: " in message
    assert "with an explicit deny in an identity-based policy" in message


BUILD_REFUSALS = [
    ("logs:CreateLogStream", "QUEUED", "ACCESS_DENIED",
     "Service role arn:aws:iam::123456789012:role/{name}-build does not allow AWS CodeBuild to create Amazon "
     "CloudWatch Logs log streams for build arn:aws:codebuild:us-east-1:123456789012:build/{name}:",
     "is not authorized to perform: logs:CreateLogStream on resource: "
     "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/{name}:log-stream:"),
    ("logs:CreateLogGroup", "QUEUED", "ACCESS_DENIED",
     "Service role arn:aws:iam::123456789012:role/{name}-build does not allow AWS CodeBuild to create Amazon "
     "CloudWatch Logs log groups", "is not authorized to perform: logs:CreateLogGroup"),
    ("s3:GetObject", "DOWNLOAD_SOURCE", "CLIENT_ERROR", "AccessDenied: Access Denied status code: 403, request id: ",
     "for primary source and source version arn:aws:s3:::{name}-artifacts/"),
    ("s3:PutObject", "UPLOAD_ARTIFACTS", "CLIENT_ERROR", "AccessDenied: Access Denied status code: 403", ""),
]


@pytest.mark.parametrize("drop,phase,code,starts,contains", BUILD_REFUSALS, ids=[r[0] for r in BUILD_REFUSALS])
def test_build_role_refusals(aws, name, drop, phase, code, starts, contains):
    p = Pipeline(aws, name, build_drop=drop)
    assert p.done()["status"] == "Failed"
    failed = p.failed_action()
    assert failed["stage"] == "Build" and failed["errorDetails"]["code"] == "JobFailed"
    build = aws("codebuild").batch_get_builds(ids=[failed["externalExecutionId"]])["builds"][0]
    phases = {ph["phaseType"]: ph for ph in build["phases"]}
    assert phases[phase]["phaseStatus"] == "FAILED", build["phases"]
    context = phases[phase]["contexts"][0]
    assert context["statusCode"] == code
    assert context["message"].startswith(starts.format(name=name)), context["message"]
    assert contains.format(name=name) in context["message"], context["message"]
    assert failed["errorDetails"]["message"].startswith(
        f"Build terminated with state: FAILED. Phase: {phase}, Code: {code}, Message: ")


def test_the_log_group_existing_is_enough_without_create_log_group(aws, name):
    aws("logs").create_log_group(logGroupName=f"/aws/codebuild/{name}")
    p = Pipeline(aws, name, build_drop="logs:CreateLogGroup")
    assert p.done()["status"] == "Succeeded"


def test_the_deploy_action_reads_its_input_with_the_pipeline_role(aws, name):
    p = Pipeline(aws, name, pipeline_drop="s3:GetObject")
    assert p.done()["status"] == "Failed"
    failed = p.failed_action()
    assert failed["stage"] == "Deploy" and failed["errorDetails"]["code"] == "PermissionError"
    assert f"access the Amazon S3 bucket named {name}-artifacts" in failed["errorDetails"]["message"]


# --- the other sources, CodeDeploy and CodeDeployToECS, each as its own small pipeline ---------------

APPROVAL = {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
S3_SOURCE = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}


def small_pipeline(aws, name, source_action: dict, second: dict, policy: dict) -> dict:
    cp = aws("codepipeline")
    aws("s3").create_bucket(Bucket=f"{name}-artifacts")
    cp.create_pipeline(pipeline={
        "name": name, "roleArn": role(aws("iam"), f"{name}-pipe", policy), "pipelineType": "V2",
        "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
        "stages": [{"name": "Source", "actions": [source_action]}, {"name": "Next", "actions": [second]}]})

    def judged():
        """The failed action, or the second action once the source has run."""
        for stage in cp.get_pipeline_state(name=name)["stageStates"]:
            latest = stage["actionStates"][0].get("latestExecution") or {}
            if latest.get("status") == "Failed" or (stage["stageName"] == "Next" and latest):
                return {"stage": stage["stageName"], **latest}
        return None
    return wait_for(judged, timeout=30, what="the judged action")


def allow_all_but(*denied: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": list(denied), "Resource": "*"}]}


def test_the_s3_source_needs_get_bucket_versioning_and_get_object(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{name}-src")
    s3.put_bucket_versioning(Bucket=f"{name}-src", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=f"{name}-src", Key="a.zip", Body=b"zip")
    source = {"name": "Source", "actionTypeId": S3_SOURCE, "outputArtifacts": [{"name": "A"}],
              "configuration": {"S3Bucket": f"{name}-src", "S3ObjectKey": "a.zip", "PollForSourceChanges": "false"}}
    gate = {"name": "Gate", "actionTypeId": APPROVAL}
    failed = small_pipeline(aws, name, source, gate, allow_all_but("s3:GetBucketVersioning"))
    assert failed["stage"] == "Source" and failed["errorDetails"]["code"] == "PermissionError"
    # S3 says no more than "Access Denied", as on AWS
    assert failed["errorDetails"]["message"].startswith(
        "The service role or action role doesn’t have the permissions required to access the Amazon S3 bucket named "
        f"{name}-src. Update the IAM role permissions, and then try again. Error: Amazon S3:AccessDenied:Access Denied")
    failed = small_pipeline(aws, f"{name}o", source, gate, allow_all_but("s3:GetObject"))
    assert failed["stage"] == "Source" and f"bucket named {name}-src." in failed["errorDetails"]["message"]
    ok = small_pipeline(aws, f"{name}b", source, gate, allow_all_but("codecommit:*"))
    assert ok["stage"] == "Next" and ok["status"] == "InProgress"  # the source ran; the gate waits


def test_a_connection_source_needs_use_connection(aws, name):
    arn = aws("codestar-connections").create_connection(ProviderType="GitHub", ConnectionName=name)["ConnectionArn"]
    source = {"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider":
                                                 "CodeStarSourceConnection", "version": "1"},
              "outputArtifacts": [{"name": "A"}],
              "configuration": {"ConnectionArn": arn, "FullRepositoryId": "octo/app", "BranchName": "main"}}
    failed = small_pipeline(aws, name, source, {"name": "Gate", "actionTypeId": APPROVAL},
                            allow_all_but("codestar-connections:UseConnection"))
    assert failed["stage"] == "Source" and failed["errorDetails"]["code"] == "PermissionError"
    assert f"is not authorized to perform: codestar-connections:UseConnection on resource: {arn} " in \
        failed["errorDetails"]["message"]


def codedeploy_app(aws, name, platform="Server"):
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform=platform)
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role(aws("iam"), name))


def test_the_codedeploy_action_needs_what_the_codepipeline_role_page_lists(aws, name):
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{name}-src")
    s3.put_bucket_versioning(Bucket=f"{name}-src", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=f"{name}-src", Key="a.zip", Body=zip_bytes({"appspec.yml": "version: 0.0\nos: linux\n"}))
    codedeploy_app(aws, name)
    source = {"name": "Source", "actionTypeId": S3_SOURCE, "outputArtifacts": [{"name": "A"}],
              "configuration": {"S3Bucket": f"{name}-src", "S3ObjectKey": "a.zip", "PollForSourceChanges": "false"}}
    deploy = {"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy",
                                                 "version": "1"}, "inputArtifacts": [{"name": "A"}],
              "configuration": {"ApplicationName": name, "DeploymentGroupName": "g"}}
    failed = small_pipeline(aws, name, source, deploy, allow_all_but("codedeploy:GetDeploymentConfig"))
    assert failed["stage"] == "Next" and failed["status"] == "Failed", failed
    assert (f"is not authorized to perform: codedeploy:GetDeploymentConfig on resource: "
            f"arn:aws:codedeploy:us-east-1:{ACCOUNT}:deploymentconfig:CodeDeployDefault.OneAtATime because"
            in failed["errorDetails"]["message"])


def test_codedeploy_to_ecs_registers_and_passes_roles_as_the_pipeline_role(aws, emulator, access_key, name):
    from test_providers import ECS_APPSPEC, TASKDEF, ecs_action, run_pipeline, s3_pipeline, source_bucket
    from test_deployments_run import ecs_stack, scale

    scale(emulator, access_key, 0.0001)
    ecs_stack(aws, name, config="CodeDeployDefault.ECSAllAtOnce")
    task_role = f"arn:aws:iam::{ACCOUNT}:role/{name}-task"
    taskdef = dict(json.loads(json.dumps(TASKDEF).replace("{name}", name)), taskRoleArn=task_role)
    source_bucket(aws, name, {"taskdef.json": json.dumps(taskdef), "appspec.yaml": ECS_APPSPEC,
                              "imageDetail.json": json.dumps({"ImageURI": "repo:tag"})})
    body = s3_pipeline(aws, name, ecs_action(name))
    aws("iam").put_role_policy(RoleName=f"{name}-pipe", PolicyName="test", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PassRole", "Resource": task_role}]}))
    result = run_pipeline(aws, name, body)
    assert result["status"] == "Failed"
    assert (f"is not authorized to perform: iam:PassRole on resource: {task_role} with an explicit deny"
            in result["deploy"]["errorDetails"]["message"])


def test_an_action_role_must_be_assumable_by_the_pipeline_role(aws, name):
    action_role = role(aws("iam"), f"{name}-action")
    source = {"name": "Source", "actionTypeId": S3_SOURCE, "outputArtifacts": [{"name": "A"}], "roleArn": action_role,
              "configuration": {"S3Bucket": f"{name}-src", "S3ObjectKey": "a.zip", "PollForSourceChanges": "false"}}
    body = {"name": name, "roleArn": role(aws("iam"), f"{name}-pipe", allow_all_but("sts:AssumeRole")),
            "artifactStore": {"type": "S3", "location": f"{name}-artifacts"}, "pipelineType": "V2",
            "stages": [{"name": "Source", "actions": [source]},
                       {"name": "Next", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}]}
    with pytest.raises(Exception) as err:
        aws("codepipeline").create_pipeline(pipeline=body)
    assert err.value.response["Error"]["Code"] == "InvalidStructureException"
    assert err.value.response["Error"]["Message"] == (
        f"arn:aws:iam::{ACCOUNT}:role/{name}-pipe is not authorized to perform AssumeRole on role {action_role}")
    aws("iam").put_role_policy(RoleName=f"{name}-pipe", PolicyName="test", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    aws("codepipeline").create_pipeline(pipeline=body)
