"""An EC2/on-premises deployment asks the group's role for what AWSCodeDeployRole grants, and for the
extra permissions a blue/green copy of a launch-template Auto Scaling group needs; a refusal fails the
deployment with IAM_ROLE_PERMISSIONS naming the service.
"""

import json

from helpers import role
from test_codedeploy import deploy

ACCOUNT = "123456789012"
APPSPEC = {"appspec.yml": "version: 0.0\nos: linux\n", "index.html": "x"}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resource="*"):
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def message(role_arn, service):
    return (f"The IAM role {role_arn} does not give you permission to perform operations in the following AWS "
            f"service: {service}. Contact your AWS administrator if you need help. If you are an AWS administrator, "
            "you can grant permissions to your users or groups by creating IAM policies.")


def group(aws, name, role_policy, **settings):
    arn = role(aws("iam"), name, role_policy)
    cd = aws("codedeploy")
    cd.create_application(applicationName=name, computePlatform="Server")
    cd.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=arn, **settings)
    return arn


def test_finding_instances_by_tag_needs_ec2_describe_instances(aws, name):
    tags = {"ec2TagFilters": [{"Key": "app", "Value": name, "Type": "KEY_AND_VALUE"}]}
    arn = group(aws, name, policy(allow("autoscaling:*")), **tags)
    info = deploy(aws, name, APPSPEC)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS", "message": message(arn, "AmazonEC2")}
    group(aws, f"{name}b", policy(allow(["ec2:DescribeInstances", "ec2:DescribeInstanceStatus"])), **tags)
    assert deploy(aws, f"{name}b", APPSPEC)["status"] == "Succeeded"


def test_traffic_control_registers_with_the_groups_own_target_groups(aws, name):
    first = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/{name}-first/*"
    only_first = policy(allow(["elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"]),
                        allow(["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"], first))
    lb = {"deploymentStyle": {"deploymentType": "IN_PLACE", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
          "loadBalancerInfo": {"targetGroupInfoList": [{"name": f"{name}-second"}]}}
    arn = group(aws, name, only_first, **lb)
    info = deploy(aws, name, APPSPEC)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS",
                                        "message": message(arn, "AmazonElasticLoadBalancingV2")}
    target = aws("codedeploy").list_deployment_targets(deploymentId=info["deploymentId"])["targetIds"][0]
    events = aws("codedeploy").get_deployment_target(deploymentId=info["deploymentId"], targetId=target)[
        "deploymentTarget"]["instanceTarget"]["lifecycleEvents"]
    assert {e["lifecycleEventName"]: e["status"] for e in events}["BlockTraffic"] == "Failed"

    lb_b = dict(lb, loadBalancerInfo={"targetGroupInfoList": [{"name": f"{name}-first"}]})
    group(aws, f"{name}b", json.loads(json.dumps(only_first).replace(f"{name}-first", f"{name}b-first")),
          **dict(lb_b, loadBalancerInfo={"targetGroupInfoList": [{"name": f"{name}b-first"}]}))
    assert deploy(aws, f"{name}b", APPSPEC)["status"] == "Succeeded"


def launch_template_group(aws, name):
    """An Auto Scaling group launched from a template whose instance profile holds ``<name>-instance``."""
    iam, ec2, asg = aws("iam"), aws("ec2"), aws("autoscaling")
    ec2_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    instance_role = iam.create_role(RoleName=f"{name}-instance", AssumeRolePolicyDocument=ec2_trust)["Role"]["Arn"]
    iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=f"{name}-instance")
    ec2.create_launch_template(LaunchTemplateName=name, LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "t3.micro", "IamInstanceProfile": {"Name": f"{name}-profile"}})
    asg.create_auto_scaling_group(AutoScalingGroupName=f"{name}-asg", MinSize=1, MaxSize=1,
                                  LaunchTemplate={"LaunchTemplateName": name}, AvailabilityZones=["us-east-1a"])
    return instance_role


BLUE_GREEN = {
    "deploymentStyle": {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
    "blueGreenDeploymentConfiguration": {
        "terminateBlueInstancesOnDeploymentSuccess": {"action": "TERMINATE", "terminationWaitTimeInMinutes": 0},
        "deploymentReadyOption": {"actionOnTimeout": "CONTINUE_DEPLOYMENT"},
        "greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}},
}
# what AWSCodeDeployRole grants for Auto Scaling and load balancing (no ec2:RunInstances, ec2:CreateTags, iam:PassRole)
CODEDEPLOY_ROLE = policy(allow(["autoscaling:*", "ec2:Describe*", "ec2:TerminateInstances", "elasticloadbalancing:*",
                                "tag:GetResources", "cloudwatch:DescribeAlarms"]))


def test_copying_a_launch_template_auto_scaling_group_needs_run_instances_create_tags_and_pass_role(aws, name):
    instance_role = launch_template_group(aws, name)
    settings = dict(BLUE_GREEN, autoScalingGroups=[f"{name}-asg"],
                    loadBalancerInfo={"targetGroupInfoList": [{"name": f"{name}-tg"}]})
    arn = group(aws, name, CODEDEPLOY_ROLE, **settings)
    info = deploy(aws, name, APPSPEC)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS", "message": message(arn, "AmazonAutoScaling")}

    launches = policy(*CODEDEPLOY_ROLE["Statement"], allow(["ec2:RunInstances", "ec2:CreateTags"]))
    aws("iam").put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(launches))
    info = deploy(aws, name, APPSPEC, key="no-pass-role.zip")
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS", "message": message(arn, "AmazonAutoScaling")}

    complete = policy(*CODEDEPLOY_ROLE["Statement"], allow(["ec2:RunInstances", "ec2:CreateTags"]),
                      {"Effect": "Allow", "Action": "iam:PassRole", "Resource": instance_role,
                       "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}})
    aws("iam").put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(complete))
    assert deploy(aws, name, APPSPEC, key="again.zip")["status"] == "Succeeded"
