"""A CodeDeploy blue/green deployment of an ECS service, on moto's ECS and Elastic Load Balancing.

As on AWS (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-ecs.html):
Install creates the replacement task set (behind the target group the production listener does not
use); AllowTestTraffic points the test listener at it; AllowTraffic moves the production listener's
weights step by step (a weighted ``forward`` of the two target groups, 0/100 -> 10/90 -> ... -> 100/0);
then the replacement becomes the service's primary task set, and after the group's termination wait
(``terminationWaitTimeInMinutes``, scaled) the original task set is deleted while the deployment
still reads InProgress. Hooks run at BeforeInstall, AfterInstall, AfterAllowTestTraffic,
BeforeAllowTraffic and AfterAllowTraffic. An alarm stops it and puts production back on the
original target group. Every call is made as the group's role (AWSCodeDeployRoleForECS's list).
"""

from __future__ import annotations

from typing import Any, Callable

from ..judge import access
from .deploy_context import ECS_EVENTS, DeployContext, DeploymentFailed, Target, run_resource_deployment
from .registry import Job


def _ecs(ctx: DeployContext) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[ctx.account][ctx.region]


def _elb(ctx: DeployContext) -> Any:
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[ctx.account][ctx.region]


def forward(weights: dict[str, int]) -> list[dict[str, Any]]:
    """A listener's default action forwarding to target groups with these weights."""
    return [{"Type": "forward", "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()],
        "TargetGroupStickinessConfig": {"Enabled": False}}}]


def forwarded_to(listener: Any) -> dict[str, int]:
    """Target group ARN -> weight of a listener's default forward action."""
    out: dict[str, int] = {}
    for action in listener.default_actions or []:
        data = action.data
        if data.get("Type") != "forward":
            continue
        groups = (data.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            out.update({g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups})
        elif data.get("TargetGroupArn"):
            out[data["TargetGroupArn"]] = 100
    return out


class EcsDeployment:
    def __init__(self, job: Job, ctx: DeployContext, props: dict[str, Any], hooks: dict[str, str]) -> None:
        self.job, self.ctx, self.hooks = job, ctx, hooks
        self.task_definition = str(props["TaskDefinition"])
        lb = props.get("LoadBalancerInfo") or {}
        self.container, self.port = str(lb["ContainerName"]), int(lb["ContainerPort"])
        service = (ctx.group.ecs_services or [{}])[0]
        self.cluster, self.service = service.get("clusterName", "default"), service.get("serviceName", "service")
        self.service_arn = f"arn:aws:ecs:{ctx.region}:{ctx.account}:service/{self.cluster}/{self.service}"
        pair = ((ctx.group.load_balancer_info or {}).get("targetGroupPairInfoList") or [{}])[0]
        self.group_names = [g.get("name") for g in pair.get("targetGroups") or [] if g.get("name")]
        self.prod = list((pair.get("prodTrafficRoute") or {}).get("listenerArns") or [])
        self.test = list((pair.get("testTrafficRoute") or {}).get("listenerArns") or [])
        self.blue = self.green = ""
        self.replacement: Any = None
        self.shifted = False

    # --- what the deployment acts on ----------------------------------------------------------
    def hook(self, event: str) -> None:
        self.ctx.check_alarms()
        if event in self.hooks:
            self.ctx.run_hook(self.job, event, self.hooks[event])

    def resolve(self) -> None:
        """The service, its target groups and listeners, read as the group's role."""
        self.ctx.require(access.need("ecs:DescribeServices", self.service_arn),
                         access.need("elasticloadbalancing:DescribeTargetGroups"),
                         access.need("elasticloadbalancing:DescribeListeners"),
                         access.need("elasticloadbalancing:DescribeRules"))
        ecs = _ecs(self.ctx)
        if f"{self.cluster}:{self.service}" not in ecs.services:
            raise DeploymentFailed("INVALID_ECS_SERVICE",
                                   f"The ECS service {self.service} does not exist in the cluster {self.cluster}.")
        elb = _elb(self.ctx)
        arns = {tg.name: tg.arn for tg in elb.target_groups.values()}
        missing = [n for n in self.group_names if n not in arns]
        if len(self.group_names) != 2 or missing or not self.prod:
            raise DeploymentFailed("ELASTIC_LOAD_BALANCING_INVALID",
                                   "The deployment group needs two existing target groups and a production listener"
                                   + (f"; missing target groups: {', '.join(missing)}" if missing else "."))
        try:
            listener = elb.describe_listeners(load_balancer_arn=None, listener_arns=[self.prod[0]])[0]
        except Exception:  # noqa: BLE001
            raise DeploymentFailed("ELASTIC_LOAD_BALANCING_INVALID",
                                   f"The production listener {self.prod[0]} does not exist.") from None
        weights = forwarded_to(listener)
        first, second = arns[self.group_names[0]], arns[self.group_names[1]]
        # the original (blue) target group is the one production traffic goes to now
        self.blue, self.green = (second, first) if weights.get(second, 0) > weights.get(first, 0) else (first, second)

    def install(self) -> None:
        self.resolve()
        ecs = _ecs(self.ctx)
        try:
            task_def = ecs.describe_task_definition(self.task_definition)
        except Exception:  # noqa: BLE001
            raise DeploymentFailed("ECS_UPDATE_ERROR",
                                   f"The task definition {self.task_definition} does not exist.") from None
        roles = [r for r in (getattr(task_def, "task_role_arn", None), getattr(task_def, "execution_role_arn", None)) if r]
        self.ctx.require(access.need("ecs:CreateTaskSet", self.service_arn, "*"),
                         *[access.need("iam:PassRole", r, iam__PassedToService="ecs-tasks.amazonaws.com") for r in roles])
        service = ecs.services[f"{self.cluster}:{self.service}"]
        if not service.task_sets:  # the service's original tasks, as the original task set CodeDeploy shifts from
            original = ecs.create_task_set(self.service, self.cluster, service.task_definition,
                                           load_balancers=[{"targetGroupArn": self.blue, "containerName": self.container,
                                                            "containerPort": self.port}],
                                           launch_type=service.launch_type or "FARGATE")
            original.status, original.scale = "PRIMARY", {"unit": "PERCENT", "value": 100.0}
        self.replacement = ecs.create_task_set(
            self.service, self.cluster, self.task_definition, external_id=self.ctx.deployment_id,
            load_balancers=[{"targetGroupArn": self.green, "containerName": self.container, "containerPort": self.port}],
            launch_type=service.launch_type or "FARGATE")
        self.replacement.status, self.replacement.scale = "ACTIVE", {"unit": "PERCENT", "value": 100.0}

    def allow_test_traffic(self) -> None:
        for listener in self.test:
            self.ctx.require(access.need("elasticloadbalancing:ModifyListener", listener))
            _elb(self.ctx).modify_listener(listener, actions=forward({self.green: 1}))

    def allow_traffic(self) -> None:
        for percent, hold in self.ctx.traffic_steps():
            self.ctx.check_alarms()
            for listener in self.prod:
                self.ctx.require(access.need("elasticloadbalancing:ModifyListener", listener))
                self.shifted = True
                _elb(self.ctx).modify_listener(listener, actions=forward({self.green: percent, self.blue: 100 - percent}))
            self.ctx.sleep(self.job, hold, watch=self.ctx.check_alarms)

    def after_allow_traffic(self) -> None:
        self.hook("AfterAllowTraffic")
        ecs = _ecs(self.ctx)
        self.ctx.require(access.need("ecs:UpdateServicePrimaryTaskSet", self.service_arn))
        ecs.update_service_primary_task_set(self.cluster, self.service, self.replacement.task_set_arn)

    def lifecycle_target(self) -> Target:
        return Target(f"{self.cluster}:{self.service}", self.service_arn, "ECSTarget",
                      [{"lifecycleEventName": n, "status": "Pending"} for n in ECS_EVENTS])

    def steps(self) -> dict[str, Callable[[], None]]:
        return {
            "BeforeInstall": lambda: self.hook("BeforeInstall"),
            "Install": self.install,
            "AfterInstall": lambda: self.hook("AfterInstall"),
            "AllowTestTraffic": self.allow_test_traffic,
            "AfterAllowTestTraffic": lambda: self.hook("AfterAllowTestTraffic"),
            "BeforeAllowTraffic": lambda: self.hook("BeforeAllowTraffic"),
            "AllowTraffic": self.allow_traffic,
            "AfterAllowTraffic": self.after_allow_traffic,
        }

    def complete(self) -> None:
        self.terminate_original()

    def terminate_original(self) -> None:
        """After the group's termination wait, the original task set goes (the deployment is InProgress till then)."""
        config = (self.ctx.group.blue_green_deployment_configuration or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
        if config.get("action", "TERMINATE") != "TERMINATE":
            return
        self.ctx.sleep(self.job, 60.0 * int(config.get("terminationWaitTimeInMinutes") or 0))
        ecs = _ecs(self.ctx)
        for task_set in list(ecs.services[f"{self.cluster}:{self.service}"].task_sets):
            if task_set is not self.replacement:
                self.ctx.require(access.need("ecs:DeleteTaskSet", task_set.task_set_arn, self.service_arn))
                ecs.delete_task_set(self.cluster, self.service, task_set.task_set_arn)

    def restore(self) -> None:
        """A stopped or failed deployment leaves production on the original target group and drains the replacement."""
        elb = _elb(self.ctx)
        if self.shifted:
            for listener in self.prod:
                elb.modify_listener(listener, actions=forward({self.green: 0, self.blue: 100}))
        if self.replacement is not None:
            self.replacement.status, self.replacement.scale = "DRAINING", {"unit": "PERCENT", "value": 0.0}


def run(job: Job, ctx: DeployContext) -> None:
    run_resource_deployment(job, ctx, "ECS", lambda props, hooks: EcsDeployment(job, ctx, props, hooks))
