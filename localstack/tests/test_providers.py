"""The rules CodePipeline's action providers and CodeDeploy apply to their input, refused in AWS's words."""

import io
import json
import zipfile

import pytest
from botocore.exceptions import ClientError

from helpers import lambda_function, role, wait_for, zip_bytes
from test_deployments_run import ecs_stack, scale, weights

S3_SOURCE = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
CODEDEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy", "version": "1"}
ECS_DEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "CodeDeployToECS", "version": "1"}
LAMBDA_DEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "Lambda", "version": "1"}


def source_bucket(aws, name, files: dict) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket=f"{name}-src")
    s3.put_bucket_versioning(Bucket=f"{name}-src", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket=f"{name}-artifacts")
    s3.put_object(Bucket=f"{name}-src", Key="src.zip", Body=zip_bytes(files))


def s3_pipeline(aws, name, deploy_action: dict, pipeline_type="V2", **extra) -> dict:
    source = {"name": "Source", "actions": [{"name": "Source", "actionTypeId": S3_SOURCE, "outputArtifacts": [
        {"name": "Src"}], "configuration": {"S3Bucket": f"{name}-src", "S3ObjectKey": "src.zip",
                                             "PollForSourceChanges": "false"}}]}
    return {"name": name, "roleArn": role(aws("iam"), f"{name}-pipe"), "pipelineType": pipeline_type,
            "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
            "stages": [source, {"name": "Deploy", "actions": [deploy_action]}], **extra}


def run_pipeline(aws, name, body) -> dict:
    cp = aws("codepipeline")
    cp.create_pipeline(pipeline=body)

    def done():
        ex = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
        return ex[0] if ex and ex[0]["status"] not in ("InProgress", "Stopping") else None
    summary = wait_for(done, timeout=60, what="execution")
    deploy = cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0].get("latestExecution", {})
    return {"status": summary["status"], "deploy": deploy}


# --- CodeDeploy: Server applications only through the CodeDeploy action -------------------------------

def lambda_application(aws, name: str):
    """A Lambda application `name` with a blue/green group `g`; returns the CodeDeploy client."""
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="Lambda")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role(aws("iam"), name),
                               deploymentStyle={"deploymentType": "BLUE_GREEN",
                                                "deploymentOption": "WITH_TRAFFIC_CONTROL"})
    return cd

def test_codedeploy_refuses_a_zip_revision_for_a_lambda_application(aws, name):
    cd = lambda_application(aws, name)
    zipped = {"revisionType": "S3", "s3Location": {"bucket": name, "key": "fn.zip", "bundleType": "zip"}}
    with pytest.raises(ClientError) as err:
        cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=zipped)
    assert err.value.response["Error"] == {"Code": "InvalidRevisionException",
                                           "Message": "BundleType must be either YAML or JSON"}
    with pytest.raises(ClientError) as err:
        cd.create_deployment(applicationName=name, deploymentGroupName="g", fileExistsBehavior="OVERWRITE",
                             revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}})
    assert err.value.response["Error"]["Code"] == "InvalidFileExistsBehaviorException"
    yaml_revision = {"revisionType": "S3", "s3Location": {"bucket": name, "key": "appspec.yaml", "bundleType": "YAML"}}
    assert cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=yaml_revision)["deploymentId"]


def test_the_pipeline_codedeploy_action_deploys_server_applications_only(aws, name):
    source_bucket(aws, name, {"appspec.yml": "version: 0.0\nos: linux\n"})
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="Lambda")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=role(aws("iam"), name),
                               deploymentStyle={"deploymentType": "BLUE_GREEN",
                                                "deploymentOption": "WITH_TRAFFIC_CONTROL"})
    action = {"name": "Deploy", "actionTypeId": CODEDEPLOY, "inputArtifacts": [{"name": "Src"}],
              "configuration": {"ApplicationName": name, "DeploymentGroupName": "g"}}
    result = run_pipeline(aws, name, s3_pipeline(aws, name, action))
    assert result["status"] == "Failed"
    message = result["deploy"]["errorDetails"]["message"]
    assert message.startswith("BundleType must be either YAML or JSON (Service: AmazonCodeDeploy; Status Code: 400; "
                              "Error Code: InvalidRevisionException; Request ID: "), message


# --- V1 and V2 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("extra,words", [
    ({"variables": [{"name": "v", "defaultValue": "1"}]}, "Pipeline-level variables can only be used with V2 pipelines"),
    ({"executionMode": "QUEUED"}, "Execution mode QUEUED can only be used with V2 pipelines"),
    ({"triggers": [{"providerType": "CodeStarSourceConnection", "gitConfiguration": {"sourceActionName": "Source"}}]},
     "Triggers can only be used with V2 pipelines"),
])
def test_v2_features_are_refused_on_a_v1_pipeline(aws, name, extra, words):
    source_bucket(aws, name, {"x": "y"})
    action = {"name": "Deploy", "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
              "inputArtifacts": [{"name": "Src"}], "configuration": {"BucketName": f"{name}-src", "Extract": "true"}}
    with pytest.raises(ClientError) as err:
        aws("codepipeline").create_pipeline(pipeline=s3_pipeline(aws, name, action, "V1", **extra))
    assert err.value.response["Error"]["Code"] == "InvalidStructureException"
    assert err.value.response["Error"]["Message"] == words
    aws("codepipeline").create_pipeline(pipeline=s3_pipeline(aws, f"{name}v2", action, "V2", **extra))


def test_the_lambda_deploy_action_is_v2_only(aws, name):
    action = {"name": "Deploy", "actionTypeId": LAMBDA_DEPLOY, "inputArtifacts": [{"name": "Src"}],
              "configuration": {"FunctionName": name}}
    with pytest.raises(ClientError) as err:
        aws("codepipeline").create_pipeline(pipeline=s3_pipeline(aws, name, action, "V1"))
    assert "the Lambda deploy action can only be used with V2 pipelines" in err.value.response["Error"]["Message"]


# --- CodeDeployToECS ---------------------------------------------------------------------------------

TASKDEF = {"family": "{name}", "containerDefinitions": [
    {"name": "web", "image": "<IMAGE1_NAME>", "memory": 128, "essential": True, "portMappings": [{"containerPort": 80}]}],
    "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
ECS_APPSPEC = ("version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n"
               "        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n"
               "          ContainerPort: 80\n")


def ecs_action(name):
    return {"name": "Deploy", "actionTypeId": ECS_DEPLOY, "inputArtifacts": [{"name": "Src"}],
            "configuration": {"ApplicationName": name, "DeploymentGroupName": "g",
                              "TaskDefinitionTemplateArtifact": "Src", "AppSpecTemplateArtifact": "Src",
                              "Image1ArtifactName": "Src", "Image1ContainerName": "IMAGE1_NAME"}}


def test_codedeploy_to_ecs_registers_the_task_definition_and_deploys(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    stack = ecs_stack(aws, name, config="CodeDeployDefault.ECSAllAtOnce")
    image = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{name}:abc"
    source_bucket(aws, name, {"taskdef.json": json.dumps(TASKDEF).replace("{name}", name), "appspec.yaml": ECS_APPSPEC,
                              "imageDetail.json": json.dumps({"ImageURI": image})})
    result = run_pipeline(aws, name, s3_pipeline(aws, name, ecs_action(name)))
    assert result["status"] == "Succeeded", result
    deployment = aws("codedeploy").get_deployment(deploymentId=result["deploy"]["externalExecutionId"])["deploymentInfo"]
    registered = json.loads(deployment["revision"]["appSpecContent"]["content"].split("TaskDefinition: ")[1].split()[0]
                            .join(['"', '"']))
    definition = aws("ecs").describe_task_definition(taskDefinition=registered)["taskDefinition"]
    assert definition["containerDefinitions"][0]["image"] == image
    assert weights(aws, stack["prod"]) == {stack["green"]: 100, stack["blue"]: 0}


def test_codedeploy_to_ecs_refuses_input_artifacts_over_3_mb(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    ecs_stack(aws, name, config="CodeDeployDefault.ECSAllAtOnce")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("taskdef.json", json.dumps(TASKDEF).replace("{name}", name))
        zf.writestr("appspec.yaml", ECS_APPSPEC)
        zf.writestr("imageDetail.json", json.dumps({"ImageURI": "x"}))
        zf.writestr("node_modules/big.bin", b"\0" * (3 * 1024 * 1024 + 1))
    s3 = aws("s3")
    for bucket in (f"{name}-src", f"{name}-artifacts"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=f"{name}-src", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=f"{name}-src", Key="src.zip", Body=buf.getvalue())
    result = run_pipeline(aws, name, s3_pipeline(aws, name, ecs_action(name)))
    assert result["status"] == "Failed"
    assert result["deploy"]["errorDetails"]["message"].startswith("The input artifact Src is ")
    assert "accepts input artifacts of at most 3145728 bytes (3 MB)" in result["deploy"]["errorDetails"]["message"]


# --- the Lambda deploy action -------------------------------------------------------------------------

def lambda_action(name, **config):
    return {"name": "Deploy", "actionTypeId": LAMBDA_DEPLOY, "inputArtifacts": [{"name": "Src"}],
            "configuration": {"FunctionName": f"{name}-fn", "FunctionAlias": "live", **config}}


def test_the_lambda_deploy_action_publishes_the_code_and_shifts_the_alias(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.01)  # 5 minutes -> 3 s
    lambda_function(aws, f"{name}-fn", versions=1)
    source_bucket(aws, name, {"app.py": "def handler(e, c):\n    return 'new'\n"})
    body = s3_pipeline(aws, name, lambda_action(name, DeployStrategy="Canary10Percent5Minutes"))
    cp, lam = aws("codepipeline"), aws("lambda")
    cp.create_pipeline(pipeline=body)
    canary = wait_for(lambda: (lam.get_alias(FunctionName=f"{name}-fn", Name="live").get("RoutingConfig") or {}).get(
        "AdditionalVersionWeights"), what="the canary")
    assert canary == {"2": 0.1}
    assert lam.get_alias(FunctionName=f"{name}-fn", Name="live")["FunctionVersion"] == "1"
    wait_for(lambda: cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][0]["status"]
             == "Succeeded", what="the deployment")
    alias = lam.get_alias(FunctionName=f"{name}-fn", Name="live")
    assert alias["FunctionVersion"] == "2" and not alias.get("RoutingConfig")


def test_the_lambda_deploy_action_configuration_and_role(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    lambda_function(aws, f"{name}-fn", versions=1)
    source_bucket(aws, name, {"app.py": "x"})
    result = run_pipeline(aws, name, s3_pipeline(aws, name, lambda_action(name, DeployStrategy="Canary200Percent")))
    assert result["status"] == "Failed" and result["deploy"]["errorDetails"]["code"] == "ConfigurationError"
    assert "DeployStrategy Canary200Percent is not valid" in result["deploy"]["errorDetails"]["message"]

    other = f"{name}b"
    lambda_function(aws, f"{other}-fn", versions=1)
    source_bucket(aws, other, {"app.py": "x"})
    body = s3_pipeline(aws, other, lambda_action(other))
    fn = f"arn:aws:lambda:us-east-1:123456789012:function:{other}-fn"
    no_alias_update = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "lambda:UpdateAlias", "Resource": [fn, f"{fn}:*"]}]}
    aws("iam").put_role_policy(RoleName=f"{other}-pipe", PolicyName="test", PolicyDocument=json.dumps(no_alias_update))
    result = run_pipeline(aws, other, body)
    assert result["status"] == "Failed"
    assert (f"is not authorized to perform: lambda:UpdateAlias on resource: {fn}:live with an explicit deny"
            in result["deploy"]["errorDetails"]["message"])


def test_provider_rules_have_a_knob(aws, emulator, access_key, name):
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "judge_providers": False})
    cd = lambda_application(aws, name)
    zipped = {"revisionType": "S3", "s3Location": {"bucket": name, "key": "fn.zip", "bundleType": "zip"}}
    assert cd.create_deployment(applicationName=name, deploymentGroupName="g", revision=zipped)["deploymentId"]
