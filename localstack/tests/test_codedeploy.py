"""CodeDeploy: missing operations, round-trips, and deployments that run hooks locally."""

import pytest
from botocore.exceptions import ClientError

from helpers import lambda_function, role, wait_for, zip_bytes

APPSPEC = """version: 0.0
os: linux
files:
  - source: /site
    destination: /var/www/html
hooks:
  BeforeInstall:
    - location: scripts/before.sh
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
      runas: ec2-user
  ValidateService:
    - location: scripts/validate.sh
"""


def setup_group(aws, name, **group) -> str:
    arn = role(aws("iam"), name)
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform=group.pop("platform", "Server"))
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=arn, **group)
    return arn


def deploy(aws, name, files: dict, key: str = "bundle.zip", **extra) -> dict:
    s3 = aws("s3")
    cd = aws("codedeploy")
    try:
        s3.create_bucket(Bucket=name)
    except ClientError:
        pass
    s3.put_object(Bucket=name, Key=key, Body=zip_bytes(files))
    deployment_id = cd.create_deployment(applicationName=name, deploymentGroupName="g", revision={
        "revisionType": "S3", "s3Location": {"bucket": name, "key": key, "bundleType": "zip"}},
        **extra)["deploymentId"]
    assert deployment_id.startswith("d-") and len(deployment_id) == 11
    return wait_for(lambda: (lambda i: i if i["status"] in ("Succeeded", "Failed") else None)(
        cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]), what="deployment")


def events_of(aws, deployment_id: str) -> list[dict]:
    cd = aws("codedeploy")
    ids = cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    assert ids == ["i-0emulator00000001"]
    target = cd.batch_get_deployment_targets(deploymentId=deployment_id, targetIds=ids)["deploymentTargets"][0]
    assert target["deploymentTargetType"] == "InstanceTarget"
    return target["instanceTarget"]["lifecycleEvents"]


def test_group_round_trip_update_delete_and_tags(aws, name):
    cd = aws("codedeploy")
    arn = role(aws("iam"), name)
    cd.create_application(applicationName=name, computePlatform="Server", tags=[{"Key": "pipewright:pipeline", "Value": "x"}])
    group = {
        "deploymentConfigName": "CodeDeployDefault.AllAtOnce",
        "ec2TagFilters": [{"Key": "app", "Value": name, "Type": "KEY_AND_VALUE"}],
        "onPremisesInstanceTagFilters": [{"Key": "dc", "Value": "1", "Type": "KEY_AND_VALUE"}],
        "autoScalingGroups": ["asg-1"],
        "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        "blueGreenDeploymentConfiguration": {
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 5},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
            "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}},
        "loadBalancerInfo": {"targetGroupInfoList": [{"name": "tg"}]},
        "autoRollbackConfiguration": {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]},
        "alarmConfiguration": {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "a"}]},
    }
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=arn,
                               tags=[{"Key": "k", "Value": "v"}], **group)
    info = cd.get_deployment_group(applicationName=name, deploymentGroupName="g")["deploymentGroupInfo"]
    for key, value in group.items():
        if key == "autoScalingGroups":
            assert info[key] == [{"name": "asg-1"}]
        else:
            assert info[key] == value, key
    assert info["serviceRoleArn"] == arn and info["computePlatform"] == "Server"
    group_arn = f"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{name}/g"
    assert cd.list_tags_for_resource(ResourceArn=group_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    app_arn = f"arn:aws:codedeploy:us-east-1:123456789012:application:{name}"
    cd.tag_resource(ResourceArn=app_arn, Tags=[{"Key": "b", "Value": "2"}])
    assert {t["Key"] for t in cd.list_tags_for_resource(ResourceArn=app_arn)["Tags"]} == {"pipewright:pipeline", "b"}

    cd.update_deployment_group(applicationName=name, currentDeploymentGroupName="g", newDeploymentGroupName="g2",
                               deploymentConfigName="CodeDeployDefault.HalfAtATime",
                               ecsServices=[], autoRollbackConfiguration={"enabled": False})
    info = cd.get_deployment_group(applicationName=name, deploymentGroupName="g2")["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.HalfAtATime"
    assert info["loadBalancerInfo"] == group["loadBalancerInfo"]  # untouched fields stay
    with pytest.raises(ClientError) as err:
        cd.get_deployment_group(applicationName=name, deploymentGroupName="g")
    assert err.value.response["Error"]["Code"] == "DeploymentGroupDoesNotExistException"
    with pytest.raises(ClientError) as err:
        cd.create_deployment_group(applicationName=name, deploymentGroupName="g3", serviceRoleArn=arn,
                                   deploymentConfigName="Nope")
    assert err.value.response["Error"]["Code"] == "DeploymentConfigDoesNotExistException"

    assert cd.delete_deployment_group(applicationName=name, deploymentGroupName="g2")["hooksNotCleanedUp"] == []
    assert cd.list_deployment_groups(applicationName=name)["deploymentGroups"] == []
    cd.delete_application(applicationName=name)
    with pytest.raises(ClientError) as err:
        cd.get_application(applicationName=name)
    assert err.value.response["Error"]["Code"] == "ApplicationDoesNotExistException"


def test_deployment_configs(aws, name):
    cd = aws("codedeploy")
    predefined = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes")
    assert predefined["deploymentConfigInfo"]["trafficRoutingConfig"] == {
        "type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5}}
    assert cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.HalfAtATime")[
        "deploymentConfigInfo"]["minimumHealthyHosts"] == {"type": "FLEET_PERCENT", "value": 50}
    cd.create_deployment_config(deploymentConfigName=name, computePlatform="Server",
                                minimumHealthyHosts={"type": "HOST_COUNT", "value": 2})
    cd.create_deployment_config(deploymentConfigName=name + "-l", computePlatform="Lambda", trafficRoutingConfig={
        "type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2}})
    info = cd.get_deployment_config(deploymentConfigName=name)["deploymentConfigInfo"]
    assert info["minimumHealthyHosts"] == {"type": "HOST_COUNT", "value": 2} and info["computePlatform"] == "Server"
    names = cd.list_deployment_configs()["deploymentConfigsList"]
    assert name in names and "CodeDeployDefault.OneAtATime" in names
    with pytest.raises(ClientError) as err:
        cd.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "HOST_COUNT", "value": 1})
    assert err.value.response["Error"]["Code"] == "DeploymentConfigAlreadyExistsException"
    with pytest.raises(ClientError) as err:
        cd.delete_deployment_config(deploymentConfigName="CodeDeployDefault.AllAtOnce")
    assert err.value.response["Error"]["Code"] == "InvalidOperationException"
    cd.delete_deployment_config(deploymentConfigName=name)
    with pytest.raises(ClientError) as err:
        cd.get_deployment_config(deploymentConfigName=name)
    assert err.value.response["Error"]["Code"] == "DeploymentConfigDoesNotExistException"


def test_successful_deployment_runs_hooks_and_installs_files(aws, name):
    setup_group(aws, name)
    files = {
        "appspec.yml": APPSPEC,
        "site/index.html": "<h1>v1</h1>",
        "scripts/before.sh": "#!/bin/bash\necho before $LIFECYCLE_EVENT $DEPLOYMENT_GROUP_NAME\n",
        "scripts/start.sh": "#!/bin/bash\necho started\n",
        "scripts/validate.sh": "test \"$(cat $PIPEWRIGHT_INSTALL_ROOT/var/www/html/index.html)\" = '<h1>v1</h1>'\n",
    }
    info = deploy(aws, name, files)
    assert info["status"] == "Succeeded", info
    assert info["deploymentOverview"]["Succeeded"] == 1
    events = events_of(aws, info["deploymentId"])
    assert [e["lifecycleEventName"] for e in events] == [
        "ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart",
        "ValidateService"]
    assert all(e["status"] == "Succeeded" for e in events)
    before = next(e for e in events if e["lifecycleEventName"] == "BeforeInstall")
    assert "[stdout]before BeforeInstall g" in before["diagnostics"]["logTail"]
    group = aws("codedeploy").get_deployment_group(applicationName=name, deploymentGroupName="g")["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == info["deploymentId"]
    # a second deployment replaces the installed files instead of tripping over them
    files["site/index.html"] = "<h1>v2</h1>"
    files["scripts/validate.sh"] = "grep -q v2 $PIPEWRIGHT_INSTALL_ROOT/var/www/html/index.html\n"
    assert deploy(aws, name, files)["status"] == "Succeeded"


def test_failing_hook_reports_script_failed_with_log_tail(aws, name):
    setup_group(aws, name)
    info = deploy(aws, name, {
        "appspec.yml": APPSPEC, "site/index.html": "x",
        "scripts/before.sh": "#!/bin/bash\necho ok\n",
        "scripts/start.sh": "#!/bin/bash\necho starting the app\necho 'port 80 in use' >&2\nexit 1\n",
        "scripts/validate.sh": "#!/bin/bash\necho never\n",
    })
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    events = {e["lifecycleEventName"]: e for e in events_of(aws, info["deploymentId"])}
    start = events["ApplicationStart"]
    assert start["status"] == "Failed"
    diag = start["diagnostics"]
    assert diag["errorCode"] == "ScriptFailed" and diag["scriptName"] == "scripts/start.sh"
    assert diag["message"] == "Script at specified location: scripts/start.sh run as user ec2-user failed with exit code 1"
    assert "[stdout]starting the app" in diag["logTail"] and "[stderr]port 80 in use" in diag["logTail"]
    assert len(diag["logTail"]) <= 4096
    assert events["ValidateService"]["status"] == "Skipped"


def test_missing_appspec_missing_script_and_quoted_version(aws, name):
    setup_group(aws, name)
    info = deploy(aws, name, {"site/index.html": "x"})
    assert info["status"] == "Failed"
    events = {e["lifecycleEventName"]: e for e in events_of(aws, info["deploymentId"])}
    assert events["DownloadBundle"]["status"] == "Succeeded"
    message = events["BeforeInstall"]["diagnostics"]["message"]
    assert message.startswith("The CodeDeploy agent did not find an AppSpec file within the unpacked revision "
                              "directory at revision-relative path \"appspec.yml\".")
    assert events["Install"]["status"] == "Skipped"

    quoted = APPSPEC.replace("version: 0.0", 'version: "0.0"')
    info = deploy(aws, name, {"appspec.yml": quoted, "site/index.html": "x"})
    events = {e["lifecycleEventName"]: e for e in events_of(aws, info["deploymentId"])}
    assert "an invalid version value (0.0)" in events["BeforeInstall"]["diagnostics"]["message"]

    info = deploy(aws, name, {"appspec.yml": APPSPEC, "site/index.html": "x"})
    events = {e["lifecycleEventName"]: e for e in events_of(aws, info["deploymentId"])}
    diag = events["BeforeInstall"]["diagnostics"]
    assert diag["errorCode"] == "ScriptMissing"
    assert diag["message"].startswith("Script does not exist at specified location: ")


def test_lambda_and_ecs_appspecs_are_validated(aws, name):
    setup_group(aws, name, platform="Lambda",
                deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"})
    lambda_function(aws, f"{name}-f")
    cd = aws("codedeploy")
    good = ("version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n"
            f"        Name: {name}-f\n        Alias: live\n        CurrentVersion: 1\n        TargetVersion: 2\n")

    def run(content: str) -> dict:
        deployment_id = cd.create_deployment(applicationName=name, deploymentGroupName="g", revision={
            "revisionType": "AppSpecContent", "appSpecContent": {"content": content}})["deploymentId"]
        return wait_for(lambda: (lambda i: i if i["status"] in ("Succeeded", "Failed") else None)(
            cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]))

    ok = run(good)
    assert ok["status"] == "Succeeded" and ok["computePlatform"] == "Lambda"
    target = cd.batch_get_deployment_targets(deploymentId=ok["deploymentId"],
                                             targetIds=[f"{name}-f:live"])["deploymentTargets"][0]
    assert target["deploymentTargetType"] == "LambdaTarget"
    assert [e["lifecycleEventName"] for e in target["lambdaTarget"]["lifecycleEvents"]] == [
        "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    bad = run(good.replace("        TargetVersion: 2\n", ""))
    assert bad["status"] == "Failed" and "TargetVersion" in bad["errorInformation"]["message"]


def test_automatic_rollback_redeploys_the_last_good_revision(aws, name):
    setup_group(aws, name, autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]})
    good = {"appspec.yml": "version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: v.sh\n",
            "v.sh": "#!/bin/bash\nexit 0\n"}
    first = deploy(aws, name, good)
    assert first["status"] == "Succeeded"
    failed = deploy(aws, name, {**good, "v.sh": "#!/bin/bash\nexit 2\n"}, key="bad.zip")
    assert failed["status"] == "Failed"
    rollback_id = failed["rollbackInfo"]["rollbackDeploymentId"]
    cd = aws("codedeploy")
    rollback = wait_for(lambda: (lambda i: i if i["status"] in ("Succeeded", "Failed") else None)(
        cd.get_deployment(deploymentId=rollback_id)["deploymentInfo"]))
    assert rollback["status"] == "Succeeded" and rollback["creator"] == "codeDeployRollback"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == failed["deploymentId"]
    assert rollback["revision"] == first["revision"]
