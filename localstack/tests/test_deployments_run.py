"""Lambda and ECS deployments run: weights shift step by step, hooks wait for their status, alarms roll back.

Times are AWS's (a 5-minute canary, 1-minute linear steps) scaled by the ``build_timeout_scale`` knob.
What AWS shows during these deployments was checked against runs recorded on AWS: a canary keeps
``FunctionVersion`` on the current version with ``AdditionalVersionWeights`` {target: 0.1}; an ECS
production listener becomes a weighted forward of both target groups (0/100, 10/90, ...).
"""

import json
import time

import pytest

from helpers import lambda_function, role, wait_for

ACCOUNT = "123456789012"


def scale(emulator, access_key, value):
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "build_timeout_scale": value})


def lambda_group(aws, name, config, policy=None, **group):
    arn = role(aws("iam"), name, **({"policy": policy} if policy is not None else {}))
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="Lambda")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=arn,
                               deploymentConfigName=config,
                               deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
                               **group)
    return arn


def lambda_appspec(fn, current="1", target="2", hooks=None):
    doc = {"version": 0.0, "Resources": [{"fn": {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": fn, "Alias": "live", "CurrentVersion": current, "TargetVersion": target}}}]}
    if hooks:
        doc["Hooks"] = [{event: function} for event, function in hooks.items()]
    return json.dumps(doc)


def start(aws, name, content) -> str:
    return aws("codedeploy").create_deployment(applicationName=name, deploymentGroupName="g", revision={
        "revisionType": "AppSpecContent", "appSpecContent": {"content": content}})["deploymentId"]


def ended(aws, deployment_id, timeout=30):
    cd = aws("codedeploy")
    return wait_for(lambda: (lambda i: i if i["status"] in ("Succeeded", "Failed", "Stopped") else None)(
        cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]), timeout=timeout, what="deployment")


def watch_alias(aws, fn, deployment_id) -> list:
    """(FunctionVersion, weights) as get_alias shows them until the deployment ends."""
    lam, cd, seen = aws("lambda"), aws("codedeploy"), []
    while True:
        done = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] in ("Succeeded", "Failed",
                                                                                            "Stopped")
        alias = lam.get_alias(FunctionName=fn, Name="live")
        state = (alias["FunctionVersion"], (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights"))
        if not seen or seen[-1] != state:
            seen.append(state)
        if done:
            return seen
        time.sleep(0.01)


def test_a_lambda_canary_holds_ten_percent_then_moves_the_rest(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.004)  # 5 minutes -> 1.2 s
    lambda_function(aws, f"{name}-fn")
    lambda_group(aws, name, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
    deployment_id = start(aws, name, lambda_appspec(f"{name}-fn"))
    seen = watch_alias(aws, f"{name}-fn", deployment_id)
    assert ("1", {"2": 0.1}) in seen and seen[-1] == ("2", None), seen
    info = ended(aws, deployment_id)
    assert info["status"] == "Succeeded"
    target = aws("codedeploy").get_deployment_target(deploymentId=deployment_id, targetId=f"{name}-fn:live")
    events = target["deploymentTarget"]["lambdaTarget"]["lifecycleEvents"]
    assert [(e["lifecycleEventName"], e["status"]) for e in events] == [
        ("BeforeAllowTraffic", "Succeeded"), ("AllowTraffic", "Succeeded"), ("AfterAllowTraffic", "Succeeded")]


def test_a_lambda_linear_deployment_adds_ten_percent_each_interval(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.004)  # 1 minute -> 0.24 s
    lambda_function(aws, f"{name}-fn")
    lambda_group(aws, name, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    deployment_id = start(aws, name, lambda_appspec(f"{name}-fn"))
    seen = watch_alias(aws, f"{name}-fn", deployment_id)
    weights = [w["2"] for version, w in seen if w]
    assert weights == sorted(weights) and len(weights) >= 5 and weights[0] == 0.1, seen
    assert seen[-1] == ("2", None)


def test_lambda_hooks_wait_for_put_lifecycle_event_hook_execution_status(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.01)
    lambda_function(aws, f"{name}-fn")
    hook = lambda_function(aws, f"{name}-pre", versions=0, alias=None)
    lambda_group(aws, name, "CodeDeployDefault.LambdaAllAtOnce")
    cd = aws("codedeploy")
    deployment_id = start(aws, name, lambda_appspec(f"{name}-fn", hooks={"BeforeAllowTraffic": f"{name}-pre"}))
    invocation = wait_for(lambda: emulator.control("GET", f"/_pipewright/hook-invocations?deployment={deployment_id}"),
                          what="hook invocation")[0]
    assert invocation["functionArn"] == hook and invocation["lifecycleEvent"] == "BeforeAllowTraffic"
    assert set(invocation["payload"]) == {"DeploymentId", "LifecycleEventHookExecutionId"}
    assert aws("lambda").get_alias(FunctionName=f"{name}-fn", Name="live")["FunctionVersion"] == "1"  # still waiting
    execution_id = invocation["payload"]["LifecycleEventHookExecutionId"]
    answered = cd.put_lifecycle_event_hook_execution_status(deploymentId=deployment_id, status="Succeeded",
                                                            lifecycleEventHookExecutionId=execution_id)
    assert answered["lifecycleEventHookExecutionId"] == execution_id
    assert ended(aws, deployment_id)["status"] == "Succeeded"
    with pytest.raises(Exception) as err:
        cd.put_lifecycle_event_hook_execution_status(deploymentId=deployment_id, status="Succeeded",
                                                     lifecycleEventHookExecutionId=execution_id)
    assert "LifecycleEventAlreadyCompletedException" in str(err.value)

    failing = start(aws, name, lambda_appspec(f"{name}-fn", "2", "3", hooks={"BeforeAllowTraffic": f"{name}-pre"}))
    aws("lambda").publish_version(FunctionName=f"{name}-fn")
    invocation = wait_for(lambda: emulator.control("GET", f"/_pipewright/hook-invocations?deployment={failing}"))[0]
    cd.put_lifecycle_event_hook_execution_status(deploymentId=failing, status="Failed",
                                                 lifecycleEventHookExecutionId=invocation["payload"]["LifecycleEventHookExecutionId"])
    info = ended(aws, failing)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "HOOK_EXECUTION_FAILURE", "message": (
        "The deployment failed because one or more of the lifecycle event validation functions failed.")}


def test_a_lambda_alarm_stops_the_shift_and_rolls_back(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.02)  # 5 minutes -> 6 s: time to raise the alarm mid-canary
    lambda_function(aws, f"{name}-fn", versions=3)
    cw = aws("cloudwatch")
    cw.put_metric_alarm(AlarmName=f"{name}-errors", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    lambda_group(aws, name, "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                 alarmConfiguration={"enabled": True, "alarms": [{"name": f"{name}-errors"}]},
                 autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]})
    scale(emulator, access_key, 0.0001)
    good = start(aws, name, lambda_appspec(f"{name}-fn", "1", "2"))
    assert ended(aws, good)["status"] == "Succeeded"
    scale(emulator, access_key, 0.02)
    shifting = start(aws, name, lambda_appspec(f"{name}-fn", "2", "3"))
    lam = aws("lambda")
    wait_for(lambda: (lam.get_alias(FunctionName=f"{name}-fn", Name="live").get("RoutingConfig") or {}).get(
        "AdditionalVersionWeights") == {"3": 0.1}, what="the canary")
    cw.set_alarm_state(AlarmName=f"{name}-errors", StateValue="ALARM", StateReason="test")
    info = ended(aws, shifting)
    assert info["status"] == "Stopped"
    assert info["errorInformation"] == {"code": "ALARM_ACTIVE", "message": (
        "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
        f"affected deployments have been stopped. Activated alarms: <{name}-errors>")}
    alias = lam.get_alias(FunctionName=f"{name}-fn", Name="live")
    assert alias["FunctionVersion"] == "2" and not alias.get("RoutingConfig")
    rollback_id = info["rollbackInfo"]["rollbackDeploymentId"]
    assert info["rollbackInfo"]["rollbackMessage"] == (
        f"Deployment {shifting} terminated. Automatic rollback is triggered with a DeploymentId {rollback_id}.")
    cw.set_alarm_state(AlarmName=f"{name}-errors", StateValue="OK", StateReason="test")
    rollback = ended(aws, rollback_id)
    assert rollback["creator"] == "codeDeployRollback" and rollback["status"] == "Succeeded"
    assert rollback["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    events = aws("codedeploy").get_deployment_target(deploymentId=shifting, targetId=f"{name}-fn:live")[
        "deploymentTarget"]["lambdaTarget"]["lifecycleEvents"]
    assert [e["status"] for e in events] == ["Succeeded", "Failed", "Skipped"]


def test_a_lambda_deployment_acts_as_the_group_role(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    fn = lambda_function(aws, f"{name}-fn")
    read_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["lambda:GetAlias", "lambda:GetProvisionedConcurrencyConfig"], "Resource": f"{fn}*"}]}
    arn = lambda_group(aws, name, "CodeDeployDefault.LambdaAllAtOnce", policy=read_only)
    info = ended(aws, start(aws, name, lambda_appspec(f"{name}-fn")))
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS", "message": (
        f"The IAM role {arn} does not give you permission to perform operations in the following AWS service: "
        "AWSLambda. Contact your AWS administrator if you need help. If you are an AWS administrator, you can grant "
        "permissions to your users or groups by creating IAM policies.")}
    assert aws("lambda").get_alias(FunctionName=f"{name}-fn", Name="live")["FunctionVersion"] == "1"


# --- ECS -----------------------------------------------------------------------------------------

def ecs_stack(aws, name, config="CodeDeployDefault.ECSLinear10PercentEvery1Minutes", wait_minutes=1, **group):
    ec2, elb, ecs = aws("ec2"), aws("elbv2"), aws("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name=name, Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elb.create_target_group(Name=f"{name}-{c}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")[
        "TargetGroups"][0]["TargetGroupArn"] for c in ("blue", "green"))
    prod = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])["Listeners"][0]["ListenerArn"]
    test = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=8080,
                               DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}])["Listeners"][0]["ListenerArn"]
    ecs.create_cluster(clusterName=name)
    container = [{"name": "web", "image": "nginx:blue", "memory": 128, "portMappings": [{"containerPort": 80}], "essential": True}]
    v1 = ecs.register_task_definition(family=name, containerDefinitions=container)["taskDefinition"]["taskDefinitionArn"]
    v2 = ecs.register_task_definition(family=name, containerDefinitions=[dict(container[0], image="nginx:green")])[
        "taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=name, serviceName=name, taskDefinition=v1, desiredCount=1, launchType="FARGATE",
                       deploymentController={"type": "CODE_DEPLOY"},
                       loadBalancers=[{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}])
    arn = role(aws("iam"), name, **({"policy": group.pop("policy")} if "policy" in group else {}))
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="ECS")
    cd.create_deployment_group(
        applicationName=name, deploymentGroupName="g", serviceRoleArn=arn, deploymentConfigName=config,
        ecsServices=[{"clusterName": name, "serviceName": name}],
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        blueGreenDeploymentConfiguration={
            "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": wait_minutes},
            "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT", "waitTimeInMinutes": 0}},
        loadBalancerInfo={"targetGroupPairInfoList": [{
            "targetGroups": [{"name": f"{name}-blue"}, {"name": f"{name}-green"}],
            "prodTrafficRoute": {"listenerArns": [prod]}, "testTrafficRoute": {"listenerArns": [test]}}]},
        **group)
    return {"blue": blue, "green": green, "prod": prod, "test": test, "v2": v2, "role": arn}


def ecs_appspec(task_definition):
    return json.dumps({"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": task_definition, "LoadBalancerInfo": {"ContainerName": "web", "ContainerPort": 80}}}}]})


def weights(aws, listener):
    action = aws("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]["DefaultActions"][0]
    groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
    if groups:
        return {g["TargetGroupArn"]: g["Weight"] for g in groups}
    return {action["TargetGroupArn"]: 100}


def test_an_ecs_blue_green_deployment_shifts_the_listener_and_retires_the_original(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.004)  # 1-minute steps -> 0.24 s; 1-minute termination wait -> 0.24 s
    stack = ecs_stack(aws, name)
    cd, ecs = aws("codedeploy"), aws("ecs")
    assert weights(aws, stack["prod"]) == {stack["blue"]: 100}
    deployment_id = start(aws, name, ecs_appspec(stack["v2"]))
    seen, waiting = [], False
    while cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] not in ("Succeeded", "Failed"):
        share = weights(aws, stack["prod"]).get(stack["green"], 0)
        if not seen or seen[-1] != share:
            seen.append(share)
        if share == 100:
            # production is on the replacement while the original task set waits out the termination wait
            sets = ecs.describe_task_sets(cluster=name, service=name)["taskSets"]
            status = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
            waiting = waiting or (len(sets) == 2 and status == "InProgress")
        time.sleep(0.01)
    assert waiting, "never saw the termination wait"
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Succeeded", info
    assert seen[0] <= 10 and seen[-1] == 100 and len(seen) >= 5 and seen == sorted(seen), seen
    assert weights(aws, stack["test"]) == {stack["green"]: 1}
    sets = ecs.describe_task_sets(cluster=name, service=name)["taskSets"]
    assert [(s["taskDefinition"], s["status"], s["externalId"]) for s in sets] == [(stack["v2"], "PRIMARY", deployment_id)]
    target = cd.get_deployment_target(deploymentId=deployment_id, targetId=f"{name}:{name}")["deploymentTarget"]
    assert [e["lifecycleEventName"] for e in target["ecsTarget"]["lifecycleEvents"]] == [
        "BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
        "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]


def test_an_ecs_alarm_puts_production_back_on_the_original(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.05)
    cw = aws("cloudwatch")
    cw.put_metric_alarm(AlarmName=f"{name}-5xx", MetricName="HTTPCode_ELB_5XX_Count", Namespace="AWS/ApplicationELB",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    stack = ecs_stack(aws, name, alarmConfiguration={"enabled": True, "alarms": [{"name": f"{name}-5xx"}]})
    deployment_id = start(aws, name, ecs_appspec(stack["v2"]))
    wait_for(lambda: weights(aws, stack["prod"]).get(stack["green"], 0) >= 10, what="the first step")
    cw.set_alarm_state(AlarmName=f"{name}-5xx", StateValue="ALARM", StateReason="test")
    info = ended(aws, deployment_id)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert weights(aws, stack["prod"]) == {stack["green"]: 0, stack["blue"]: 100}


def test_an_ecs_deployment_acts_as_the_group_role(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    no_listeners = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "elasticloadbalancing:ModifyListener", "Resource": "*"}]}
    stack = ecs_stack(aws, name, config="CodeDeployDefault.ECSAllAtOnce", policy=no_listeners)
    info = ended(aws, start(aws, name, ecs_appspec(stack["v2"])))
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert "following AWS service: AmazonElasticLoadBalancingV2." in info["errorInformation"]["message"]
    assert weights(aws, stack["prod"]) == {stack["blue"]: 100}  # nothing moved


def test_the_hooks_answer_knob_plays_the_hook_functions(aws, emulator, access_key, name):
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "hooks_answer": "Failed",
                                                     "build_timeout_scale": 0.0001})
    lambda_function(aws, f"{name}-fn")
    lambda_function(aws, f"{name}-post", versions=0, alias=None)
    lambda_group(aws, name, "CodeDeployDefault.LambdaAllAtOnce")
    info = ended(aws, start(aws, name, lambda_appspec(f"{name}-fn", hooks={"AfterAllowTraffic": f"{name}-post"})))
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "hooks_answer": "Succeeded"})
    info = ended(aws, start(aws, name, lambda_appspec(f"{name}-fn", hooks={"AfterAllowTraffic": f"{name}-post"})))
    assert info["status"] == "Succeeded"


def test_hooks_and_alarms_are_read_as_the_group_role(aws, emulator, access_key, name):
    scale(emulator, access_key, 0.0001)
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "hooks_answer": "Succeeded"})
    lambda_function(aws, f"{name}-fn")
    hook = lambda_function(aws, f"{name}-pre", versions=0, alias=None)
    no_invoke = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": hook}]}
    arn = lambda_group(aws, name, "CodeDeployDefault.LambdaAllAtOnce", policy=no_invoke)
    info = ended(aws, start(aws, name, lambda_appspec(f"{name}-fn", hooks={"BeforeAllowTraffic": f"{name}-pre"})))
    assert info["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert info["errorInformation"]["message"].startswith(
        f"The IAM role {arn} does not give you permission to perform operations in the following AWS service: AWSLambda.")

    no_alarms = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": "cloudwatch:DescribeAlarms", "Resource": "*"}]}
    aws("cloudwatch").put_metric_alarm(AlarmName=f"{name}-a", MetricName="Errors", Namespace="AWS/Lambda",
                                       Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                       ComparisonOperator="GreaterThanOrEqualToThreshold")
    lambda_group(aws, f"{name}b", "CodeDeployDefault.LambdaAllAtOnce", policy=no_alarms,
                 alarmConfiguration={"enabled": True, "alarms": [{"name": f"{name}-a"}]})
    other = ended(aws, start(aws, f"{name}b", lambda_appspec(f"{name}-fn")))
    assert other["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert "following AWS service: AmazonCloudWatch." in other["errorInformation"]["message"]
