"""CodePipeline: executions that really run, and the state/history reads pipewright uses."""

import json

import pytest
from botocore.exceptions import ClientError

from helpers import role, unzip, wait_for, zip_bytes

ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}
CODECOMMIT = {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"}
CODEBUILD = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
S3_DEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "S3", "version": "1"}
APPROVAL = {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}
CODEDEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "CodeDeploy", "version": "1"}

BUILDSPEC = """version: 0.2
env:
  exported-variables: [BUILT_FROM, RESOLVED]
phases:
  build:
    commands:
      - mkdir -p dist && echo "<h1>$(cat msg.txt)</h1>" > dist/index.html && cp -r assets dist/
      - export BUILT_FROM=$COMMIT RESOLVED=$CODEBUILD_RESOLVED_SOURCE_VERSION
artifacts:
  base-directory: dist
  files:
    - '**/*'
"""


class Setup:
    def __init__(self, aws, name):
        self.aws, self.name = aws, name
        self.role = role(aws("iam"), name)
        self.s3, self.cc, self.cp = aws("s3"), aws("codecommit"), aws("codepipeline")
        self.s3.create_bucket(Bucket=f"{name}-artifacts")
        self.s3.create_bucket(Bucket=f"{name}-site")
        self.cc.create_repository(repositoryName=name)
        self.head = None

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        kwargs = {"parentCommitId": self.head} if self.head else {}
        self.head = self.cc.create_commit(repositoryName=self.name, branchName="main", commitMessage=message,
                                          putFiles=[{"filePath": k, "fileContent": v.encode()} for k, v in files.items()],
                                          **kwargs)["commitId"]
        return self.head

    def project(self, buildspec: str | None = None) -> None:
        source = {"type": "CODEPIPELINE"}
        if buildspec:
            source["buildspec"] = buildspec
        self.aws("codebuild").create_project(name=self.name, source=source, artifacts={"type": "CODEPIPELINE"},
                                             environment=ENV, serviceRole=self.role)

    def pipeline(self, stages: list[dict], poll: str = "false", **extra) -> dict:
        source = {"name": "Source", "actions": [{
            "name": "Source", "actionTypeId": CODECOMMIT, "namespace": "SourceVariables",
            "configuration": {"RepositoryName": self.name, "BranchName": "main", "PollForSourceChanges": poll},
            "outputArtifacts": [{"name": "SourceArtifact"}]}]}
        body = {"name": self.name, "roleArn": self.role, "pipelineType": "V2",
                "artifactStore": {"type": "S3", "location": f"{self.name}-artifacts"},
                "stages": [source, *stages], **extra}
        return self.cp.create_pipeline(pipeline=body, tags=[{"key": "pipewright:pipeline", "value": self.name}])

    def executions(self) -> list[dict]:
        return self.cp.list_pipeline_executions(pipelineName=self.name)["pipelineExecutionSummaries"]

    def wait_done(self, count: int = 1, timeout: float = 60) -> dict:
        def done():
            ex = self.executions()
            return ex[0] if len(ex) >= count and ex[0]["status"] not in ("InProgress", "Stopping") else None
        return wait_for(done, timeout=timeout, what="pipeline execution")


def build_stage() -> dict:
    return {"name": "Build", "actions": [{
        "name": "Build", "actionTypeId": CODEBUILD, "inputArtifacts": [{"name": "SourceArtifact"}],
        "outputArtifacts": [{"name": "BuildArtifact"}], "namespace": "BuildVariables",
        "configuration": {"ProjectName": "{name}", "EnvironmentVariables": json.dumps(
            [{"name": "COMMIT", "value": "#{SourceVariables.CommitId}", "type": "PLAINTEXT"}])}}]}


def with_name(stage: dict, name: str) -> dict:
    return json.loads(json.dumps(stage).replace("{name}", name))


def deploy_stage(name: str) -> dict:
    return {"name": "Deploy", "actions": [{
        "name": "Site", "actionTypeId": S3_DEPLOY, "inputArtifacts": [{"name": "BuildArtifact"}],
        "configuration": {"BucketName": f"{name}-site", "Extract": "true"}}]}


def test_codecommit_build_s3_pipeline_succeeds(aws, name):
    s = Setup(aws, name)
    commit = s.commit({"buildspec.yml": BUILDSPEC, "msg.txt": "hello", "assets/app.js": "x()"}, "first")
    s.project()
    created = s.pipeline([with_name(build_stage(), name), deploy_stage(name)])
    assert created["pipeline"]["pipelineType"] == "V2"
    summary = s.wait_done()
    assert summary["status"] == "Succeeded", summary
    assert summary["trigger"]["triggerType"] == "CreatePipeline"
    assert summary["sourceRevisions"][0]["revisionId"] == commit

    site = s.s3.get_object(Bucket=f"{name}-site", Key="index.html")["Body"].read()
    assert site == b"<h1>hello</h1>\n"
    assert s.s3.get_object(Bucket=f"{name}-site", Key="assets/app.js")["Body"].read() == b"x()"

    state = s.cp.get_pipeline_state(name=name)
    assert state["pipelineVersion"] == 1
    latest = {st["stageName"]: st["actionStates"][0]["latestExecution"] for st in state["stageStates"]}
    assert all(l["status"] == "Succeeded" for l in latest.values())
    assert latest["Source"]["externalExecutionId"] == commit
    assert latest["Build"]["externalExecutionId"].startswith(f"{name}:")
    assert "codebuild" in latest["Build"]["externalExecutionUrl"]

    details = s.cp.list_action_executions(pipelineName=name, filter={
        "pipelineExecutionId": summary["pipelineExecutionId"]})["actionExecutionDetails"]
    by_action = {d["actionName"]: d for d in details}
    assert set(by_action) == {"Source", "Build", "Site"} and all(d["status"] == "Succeeded" for d in details)
    build = by_action["Build"]
    assert build["output"]["executionResult"]["externalExecutionId"] == latest["Build"]["externalExecutionId"]
    assert build["input"]["resolvedConfiguration"]["EnvironmentVariables"].count(commit) == 1
    assert build["output"]["outputVariables"] == {"BUILT_FROM": commit, "RESOLVED": commit}
    key = by_action["Source"]["output"]["outputArtifacts"][0]["s3location"]["key"]
    assert key.startswith(f"{name[:20]}/SourceArti/")
    source_zip = unzip(s.s3.get_object(Bucket=f"{name}-artifacts", Key=key)["Body"].read())
    assert source_zip["msg.txt"] == b"hello"
    execution = s.cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=summary["pipelineExecutionId"])
    assert execution["pipelineExecution"]["artifactRevisions"][0]["revisionId"] == commit

    build_id = latest["Build"]["externalExecutionId"]
    build_info = aws("codebuild").batch_get_builds(ids=[build_id])["builds"][0]
    assert build_info["initiator"] == f"codepipeline/{name}" and build_info["buildStatus"] == "SUCCEEDED"
    assert build_info["resolvedSourceVersion"] == commit
    assert build_info["sourceVersion"] == f"arn:aws:s3:::{name}-artifacts/{key}"


def test_failing_build_fails_the_pipeline_with_error_details(aws, name):
    s = Setup(aws, name)
    s.commit({"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - echo about to fail\n      - exit 3\n"})
    s.project()
    s.pipeline([with_name(build_stage(), name), deploy_stage(name)])
    summary = s.wait_done()
    assert summary["status"] == "Failed"
    state = s.cp.get_pipeline_state(name=name)
    stages = {st["stageName"]: st for st in state["stageStates"]}
    build = stages["Build"]["actionStates"][0]["latestExecution"]
    assert build["status"] == "Failed"
    expected = ("Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_ERROR, "
                "Message: Error while executing command: exit 3. Reason: exit status 3")
    assert build["errorDetails"] == {"code": "JobFailed", "message": expected}
    assert stages["Build"]["latestExecution"]["status"] == "Failed"
    assert "latestExecution" not in stages["Deploy"]  # a failed stage stops the execution
    details = s.cp.list_action_executions(pipelineName=name)["actionExecutionDetails"]
    failed = next(d for d in details if d["actionName"] == "Build")
    assert failed["output"]["executionResult"]["errorDetails"]["message"] == expected
    assert failed["output"]["executionResult"]["externalExecutionSummary"] == expected


def test_manual_approval_waits_for_put_approval_result(aws, name):
    s = Setup(aws, name)
    s.commit({"readme": "x"})
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL,
                                                 "configuration": {"CustomData": "please"}}]}])

    def token():
        stage = s.cp.get_pipeline_state(name=name)["stageStates"][1]
        latest = stage["actionStates"][0].get("latestExecution", {})
        return latest.get("token") if latest.get("status") == "InProgress" else None

    first = wait_for(token, what="approval token")
    assert s.executions()[0]["status"] == "InProgress"
    with pytest.raises(ClientError) as err:
        s.cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Gate", token="wrong",
                                 result={"summary": "no", "status": "Approved"})
    assert err.value.response["Error"]["Code"] == "InvalidApprovalTokenException"
    s.cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Gate", token=first,
                             result={"summary": "looks good", "status": "Approved"})
    assert s.wait_done()["status"] == "Succeeded"
    gate = s.cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0]["latestExecution"]
    assert gate["summary"] == "looks good" and gate["status"] == "Succeeded"

    s.cp.start_pipeline_execution(name=name)
    second = wait_for(lambda: (lambda t: t if t != first else None)(token()), what="second token")
    s.cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Gate", token=second,
                             result={"summary": "not today", "status": "Rejected"})
    assert s.wait_done(count=2)["status"] == "Failed"


def test_change_detection_polling_and_eventbridge(aws, name):
    s = Setup(aws, name)
    s.commit({"readme": "v1"})
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}], poll="true",
               executionMode="PARALLEL")
    wait_for(lambda: len(s.executions()) == 1)
    s.commit({"readme": "v2"})
    executions = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(s.executions()), what="polled execution")
    assert executions[0]["trigger"]["triggerType"] == "PollForSourceChanges"

    other = Setup(aws, name + "e")
    other.commit({"readme": "v1"})
    other.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}],
                   poll="false", executionMode="PARALLEL")
    wait_for(lambda: len(other.executions()) == 1)
    other.commit({"readme": "v2"})  # no poll, no rule: nothing starts
    events = aws("events")
    pattern = {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
               "resources": [f"arn:aws:codecommit:us-east-1:123456789012:{other.name}"],
               "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                          "referenceName": ["main"]}}
    events.put_rule(Name=other.name, EventPattern=json.dumps(pattern))
    pipeline_arn = other.cp.get_pipeline(name=other.name)["metadata"]["pipelineArn"]
    events.put_targets(Rule=other.name, Targets=[{"Id": "p", "Arn": pipeline_arn, "RoleArn": other.role}])
    assert len(other.executions()) == 1
    other.commit({"readme": "v3"})
    executions = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(other.executions()), what="event execution")
    assert executions[0]["trigger"]["triggerType"] == "CloudWatchEvent"
    for setup in (s, other):
        for ex in setup.executions():
            setup.cp.stop_pipeline_execution(pipelineName=setup.name, pipelineExecutionId=ex["pipelineExecutionId"],
                                             abandon=True, reason="test over")


def test_stop_pipeline_execution_abandon(aws, name):
    s = Setup(aws, name)
    s.commit({"readme": "x"})
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}])
    execution = wait_for(lambda: (lambda e: e[0] if e and s.cp.get_pipeline_state(name=name)["stageStates"][1][
        "actionStates"][0].get("latestExecution") else None)(s.executions()))
    s.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution["pipelineExecutionId"],
                                 abandon=True, reason="no longer needed")
    summary = s.wait_done()
    assert summary["status"] == "Stopped" and summary["stopTrigger"]["reason"] == "no longer needed"
    gate = s.cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0]["latestExecution"]
    assert gate["status"] == "Abandoned"
    with pytest.raises(ClientError) as err:
        s.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution["pipelineExecutionId"])
    assert err.value.response["Error"]["Code"] == "PipelineExecutionNotStoppableException"


def test_stop_without_abandon_lets_the_running_build_finish(aws, name):
    s = Setup(aws, name)
    s.commit({"buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 1\n"
                               "artifacts:\n  files:\n    - buildspec.yml\n"})
    s.project()
    s.pipeline([with_name(build_stage(), name), deploy_stage(name)])

    def build_running():
        stage = s.cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0]
        return stage.get("latestExecution", {}).get("status") == "InProgress"

    wait_for(build_running, what="running build")
    execution_id = s.executions()[0]["pipelineExecutionId"]
    s.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, reason="wait for it")
    assert s.executions()[0]["status"] == "Stopping"
    assert s.wait_done()["status"] == "Stopped"
    stages = {st["stageName"]: st for st in s.cp.get_pipeline_state(name=name)["stageStates"]}
    assert stages["Build"]["actionStates"][0]["latestExecution"]["status"] == "Succeeded"
    assert "latestExecution" not in stages["Deploy"]


def test_codedeploy_action_reports_missing_appspec(aws, name):
    s = Setup(aws, name)
    s.commit({"index.html": "x"})
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="Server")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=s.role)
    s.pipeline([{"name": "Deploy", "actions": [{
        "name": "Deploy", "actionTypeId": CODEDEPLOY, "inputArtifacts": [{"name": "SourceArtifact"}],
        "configuration": {"ApplicationName": name, "DeploymentGroupName": "g"}}]}])
    assert s.wait_done()["status"] == "Failed"
    latest = s.cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0]["latestExecution"]
    deployment_id = latest["externalExecutionId"]
    assert deployment_id.startswith("d-") and latest["errorDetails"]["code"] == "JobFailed"
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert info["revision"]["s3Location"]["bucket"] == f"{name}-artifacts"
    target = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=["i-0emulator00000001"])
    events = {e["lifecycleEventName"]: e for e in target["deploymentTargets"][0]["instanceTarget"]["lifecycleEvents"]}
    assert "did not find an AppSpec file within the unpacked revision" in events["BeforeInstall"]["diagnostics"]["message"]


def test_create_pipeline_checks_and_connection_source(aws, name, emulator):
    s = Setup(aws, name)
    iam = aws("iam")
    # moto rejected a trust policy listing several services; AWS accepts it (role() uses a list)
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}],
               executionMode="QUEUED")
    untrusted = iam.create_role(RoleName=name + "-x", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    body = s.cp.get_pipeline(name=name)["pipeline"]
    assert body["executionMode"] == "QUEUED"
    body.update(name=name + "-x", roleArn=untrusted)
    body.pop("version", None)
    with pytest.raises(ClientError) as err:
        s.cp.create_pipeline(pipeline=body)
    assert err.value.response["Error"]["Code"] == "InvalidStructureException"
    with pytest.raises(ClientError) as err:
        s.cp.get_pipeline_state(name=name + "-missing")
    assert err.value.response["Error"]["Code"] == "PipelineNotFoundException"
    assert s.cp.list_tags_for_resource(resourceArn=s.cp.get_pipeline(name=name)["metadata"]["pipelineArn"])["tags"] == [
        {"key": "pipewright:pipeline", "value": name}]

    conns = aws("codestar-connections")
    arn = conns.create_connection(ProviderType="GitHub", ConnectionName=name)["ConnectionArn"]
    github = {"name": name + "-gh", "roleArn": s.role, "pipelineType": "V2",
              "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
              "stages": [{"name": "Source", "actions": [{
                  "name": "Source", "outputArtifacts": [{"name": "Src"}],
                  "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection",
                                   "version": "1"},
                  "configuration": {"ConnectionArn": arn, "FullRepositoryId": "me/app", "BranchName": "main"}}]},
                  {"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}]}
    s.cp.create_pipeline(pipeline=github)

    def source_error():
        latest = s.cp.get_pipeline_state(name=name + "-gh")["stageStates"][0]["actionStates"][0].get("latestExecution")
        return latest if latest and latest["status"] == "Failed" else None

    assert "not available (status PENDING)" in wait_for(source_error)["errorDetails"]["message"]
    emulator.control("POST", "/_pipewright/codestar-connections/status", {"arn": arn, "status": "AVAILABLE"})
    s.cp.start_pipeline_execution(name=name + "-gh")
    wait_for(lambda: len(s.cp.list_pipeline_executions(pipelineName=name + "-gh")["pipelineExecutionSummaries"]) == 2
             and source_error() and "cannot reach GitHub" in source_error()["errorDetails"]["message"])


def test_s3_source_needs_versioning_and_triggers_on_put(aws, name):
    s = Setup(aws, name)
    s.s3.create_bucket(Bucket=f"{name}-src")
    s.s3.put_object(Bucket=f"{name}-src", Key="app.zip", Body=zip_bytes({"a.txt": "1"}))
    body = {"name": name, "roleArn": s.role, "artifactStore": {"type": "S3", "location": f"{name}-artifacts"},
            "stages": [{"name": "Source", "actions": [{
                "name": "Source", "outputArtifacts": [{"name": "Src"}],
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"},
                "configuration": {"S3Bucket": f"{name}-src", "S3ObjectKey": "app.zip"}}]},
                {"name": "Deploy", "actions": [{"name": "Site", "actionTypeId": S3_DEPLOY,
                                                "inputArtifacts": [{"name": "Src"}],
                                                "configuration": {"BucketName": f"{name}-site", "Extract": "false",
                                                                  "ObjectKey": "bundle.zip"}}]}]}
    s.cp.create_pipeline(pipeline=body)
    first = s.wait_done()
    assert first["status"] == "Failed"
    s.s3.put_bucket_versioning(Bucket=f"{name}-src", VersioningConfiguration={"Status": "Enabled"})
    s.s3.put_object(Bucket=f"{name}-src", Key="app.zip", Body=zip_bytes({"a.txt": "2"}))  # polling is the default
    second = s.wait_done(count=2)
    assert second["status"] == "Succeeded" and second["trigger"]["triggerType"] == "PollForSourceChanges"
    assert unzip(s.s3.get_object(Bucket=f"{name}-site", Key="bundle.zip")["Body"].read()) == {"a.txt": b"2"}


def test_superseded_mode_replaces_a_waiting_execution(aws, name):
    s = Setup(aws, name)
    s.commit({"readme": "x"})
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}])  # SUPERSEDED

    def token():
        latest = s.cp.get_pipeline_state(name=name)["stageStates"][1]["actionStates"][0].get("latestExecution", {})
        return latest.get("token") if latest.get("status") == "InProgress" else None

    first_token = wait_for(token)
    second = s.cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: s.cp.get_pipeline_state(name=name)["stageStates"][1].get("inboundExecution"))
    third = s.cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    status = lambda ex_id: s.cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=ex_id)[
        "pipelineExecution"]["status"]
    wait_for(lambda: status(second) == "Superseded", what="second execution superseded")
    s.cp.put_approval_result(pipelineName=name, stageName="Approve", actionName="Gate", token=first_token,
                             result={"summary": "ok", "status": "Approved"})
    third_token = wait_for(lambda: (lambda t: t if t and t != first_token else None)(token()))
    assert s.cp.get_pipeline_state(name=name)["stageStates"][1]["latestExecution"]["pipelineExecutionId"] == third
    s.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=third, abandon=True)
    assert third_token


def test_a_first_execution_before_any_push_names_the_missing_branch(aws, name):
    """CreatePipeline starts an execution at once; with nothing pushed yet the repository exists and the branch
    does not, and AWS says exactly that (errorCode ConfigurationError)."""
    s = Setup(aws, name)
    s.pipeline([{"name": "Approve", "actions": [{"name": "Gate", "actionTypeId": APPROVAL}]}])
    assert s.wait_done()["status"] == "Failed"
    source = s.cp.get_pipeline_state(name=name)["stageStates"][0]["actionStates"][0]["latestExecution"]
    assert source["errorDetails"] == {"code": "ConfigurationError", "message": (
        f"The action failed because no branch named main was found in the selected AWS CodeCommit repository {name}. "
        "Make sure you are using the correct branch name, and then try again. Error: null")}
