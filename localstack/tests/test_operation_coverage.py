"""Every added operation answers a shape botocore (and, by the strict hook, the Rust SDK) parses."""

import json

import pytest
from botocore.exceptions import ClientError

from helpers import role, wait_for, zip_bytes

ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    return err.value.response["Error"]["Code"]


def test_codecommit_remaining_operations(aws, name):
    cc = aws("codecommit")
    cc.create_repository(repositoryName=name)
    put = cc.put_file(repositoryName=name, branchName="main", fileContent=b"x", filePath="a")
    assert cc.get_blob(repositoryName=name, blobId=put["blobId"])["content"] == b"x"
    got = cc.batch_get_repositories(repositoryNames=[name, name + "-missing"])
    assert got["repositoriesNotFound"] == [name + "-missing"] and got["repositories"][0]["defaultBranch"] == "main"
    cc.create_branch(repositoryName=name, branchName="dev", commitId=put["commitId"])
    cc.update_default_branch(repositoryName=name, defaultBranchName="dev")
    assert cc.get_repository(repositoryName=name)["repositoryMetadata"]["defaultBranch"] == "dev"
    assert cc.delete_branch(repositoryName=name, branchName="main")["deletedBranch"]["commitId"] == put["commitId"]
    assert error_code(cc.delete_branch, repositoryName=name, branchName="dev") == "DefaultBranchCannotBeDeletedException"
    assert error_code(cc.get_commit, repositoryName=name, commitId="0" * 40) == "CommitIdDoesNotExistException"
    assert error_code(cc.get_folder, repositoryName=name, folderPath="nope") == "FolderDoesNotExistException"
    assert error_code(cc.create_branch, repositoryName=name + "-missing", branchName="b",
                      commitId=put["commitId"]) == "RepositoryDoesNotExistException"


def test_codebuild_remaining_operations(aws, name):
    cb = aws("codebuild")
    arn = role(aws("iam"), name)
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo\n"},
                      artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=arn)
    build_id = cb.start_build(projectName=name)["build"]["id"]
    wait_for(lambda: cb.batch_get_builds(ids=[build_id])["builds"][0]["buildComplete"])
    assert build_id in cb.list_builds()["ids"]
    assert cb.batch_get_builds(ids=[name + ":missing"])["buildsNotFound"] == [name + ":missing"]
    assert cb.batch_delete_builds(ids=[build_id])["buildsDeleted"] == [build_id]
    assert error_code(cb.start_build, projectName=name + "-missing") == "ResourceNotFoundException"
    assert error_code(cb.list_builds_for_project, projectName=name + "-missing") == "ResourceNotFoundException"
    assert error_code(cb.create_project, name=name + "2", source={"type": "S3"}, artifacts={"type": "NO_ARTIFACTS"},
                      environment=ENV, serviceRole=arn) == "InvalidInputException"


def test_codedeploy_remaining_operations(aws, name):
    cd, s3 = aws("codedeploy"), aws("s3")
    arn = role(aws("iam"), name)
    cd.create_application(applicationName=name)
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=arn)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="b.zip", Body=zip_bytes({
        "appspec.yml": "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: s.sh\n      timeout: 30\n",
        "s.sh": "#!/bin/bash\nsleep 30\n"}))
    deployment_id = cd.create_deployment(applicationName=name, deploymentGroupName="g", revision={
        "revisionType": "S3", "s3Location": {"bucket": name, "key": "b.zip", "bundleType": "zip"}})["deploymentId"]
    wait_for(lambda: cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == "InProgress")
    assert deployment_id in cd.list_deployments(applicationName=name, deploymentGroupName="g")["deployments"]
    assert cd.batch_get_deployments(deploymentIds=[deployment_id])["deploymentsInfo"][0]["deploymentId"] == deployment_id
    assert cd.batch_get_deployment_groups(applicationName=name, deploymentGroupNames=["g"])[
        "deploymentGroupsInfo"][0]["deploymentGroupName"] == "g"
    instance = "i-0emulator00000001"
    wait_for(lambda: cd.list_deployment_instances(deploymentId=deployment_id)["instancesList"] == [instance])
    assert cd.get_deployment_target(deploymentId=deployment_id, targetId=instance)["deploymentTarget"][
        "instanceTarget"]["targetId"] == instance
    summary = cd.batch_get_deployment_instances(deploymentId=deployment_id, instanceIds=[instance])["instancesSummary"]
    assert summary[0]["status"] in ("InProgress", "Pending")
    cd.get_deployment_instance(deploymentId=deployment_id, instanceId=instance)
    assert cd.stop_deployment(deploymentId=deployment_id)["status"] == "Pending"
    info = wait_for(lambda: (lambda i: i if i["status"] == "Stopped" else None)(
        cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]))
    assert info["errorInformation"]["code"] == "MANUAL_STOP"
    assert error_code(cd.get_deployment, deploymentId="d-NOPE00000") == "DeploymentDoesNotExistException"
    assert error_code(cd.create_deployment, applicationName=name, deploymentGroupName="missing", revision={
        "revisionType": "S3", "s3Location": {"bucket": name, "key": "b.zip", "bundleType": "zip"}}) == \
        "DeploymentGroupDoesNotExistException"


def test_codepipeline_remaining_operations(aws, name):
    cp, s3 = aws("codepipeline"), aws("s3")
    arn = role(aws("iam"), name)
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=name, Key="src.zip", Body=zip_bytes({"a": "1"}))
    pipeline = {"name": name, "roleArn": arn, "pipelineType": "V2",
                "artifactStore": {"type": "S3", "location": name},
                "variables": [{"name": "env", "defaultValue": "dev"}],
                "stages": [{"name": "Source", "actions": [{
                    "name": "Source", "outputArtifacts": [{"name": "Src"}],
                    "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                    "configuration": {"S3Bucket": name, "S3ObjectKey": "src.zip", "PollForSourceChanges": "false"}}]},
                    {"name": "Deploy", "actions": [{
                        "name": "Put", "inputArtifacts": [{"name": "Src"}],
                        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"},
                        "configuration": {"BucketName": name + "-missing", "Extract": "false",
                                          "ObjectKey": "#{variables.env}/out.zip"}}]}]}
    cp.create_pipeline(pipeline=pipeline)
    listed = {p["name"]: p for p in cp.list_pipelines()["pipelines"]}
    assert listed[name]["pipelineType"] == "V2" and listed[name]["version"] == 1

    def latest_done():
        ex = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
        return ex[0] if ex and ex[0]["status"] not in ("InProgress", "Stopping") else None

    failed = wait_for(latest_done)
    assert failed["status"] == "Failed"
    s3.create_bucket(Bucket=name + "-missing")
    cp.retry_stage_execution(pipelineName=name, stageName="Deploy", pipelineExecutionId=failed["pipelineExecutionId"],
                             retryMode="FAILED_ACTIONS")
    retried = wait_for(latest_done)
    assert retried["pipelineExecutionId"] == failed["pipelineExecutionId"] and retried["status"] == "Succeeded"
    assert s3.head_object(Bucket=name + "-missing", Key="dev/out.zip")
    with_var = cp.start_pipeline_execution(name=name, variables=[{"name": "env", "value": "prod"}])
    wait_for(lambda: cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=with_var["pipelineExecutionId"])[
        "pipelineExecution"]["status"] == "Succeeded")
    assert s3.head_object(Bucket=name + "-missing", Key="prod/out.zip")
    assert error_code(cp.start_pipeline_execution, name=name, variables=[{"name": "nope", "value": "x"}]) == \
        "ValidationException"

    body = cp.get_pipeline(name=name)["pipeline"]
    body["stages"][1]["actions"][0]["configuration"]["ObjectKey"] = "other.zip"
    body.pop("version")
    assert cp.update_pipeline(pipeline=body)["pipeline"]["version"] == 2
    assert cp.get_pipeline(name=name)["pipeline"]["stages"][1]["actions"][0]["configuration"]["ObjectKey"] == "other.zip"
    assert error_code(cp.get_pipeline_execution, pipelineName=name, pipelineExecutionId="nope") == \
        "PipelineExecutionNotFoundException"
    assert error_code(cp.put_approval_result, pipelineName=name, stageName="Nope", actionName="x", token="t",
                      result={"summary": "s", "status": "Approved"}) == "StageNotFoundException"
    assert error_code(cp.retry_stage_execution, pipelineName=name, stageName="Deploy", retryMode="ALL_ACTIONS",
                      pipelineExecutionId=with_var["pipelineExecutionId"]) == "StageNotRetryableException"
    cp.delete_pipeline(name=name)
    assert error_code(cp.get_pipeline, name=name) == "PipelineNotFoundException"
    assert json.dumps(cp.list_pipelines()["pipelines"], default=str).count(f'"{name}"') == 0
