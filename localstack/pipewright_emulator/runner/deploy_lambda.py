"""A CodeDeploy deployment of a Lambda function: the alias moves from CurrentVersion to TargetVersion.

As on AWS (https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-lambda.html):
BeforeAllowTraffic runs its hook; AllowTraffic shifts the alias's weights step by step (a canary keeps
``FunctionVersion`` on the current version with ``RoutingConfig.AdditionalVersionWeights`` {target:
0.1} for its interval, then points the alias at the target with no routing; linear adds its
percentage every interval); AfterAllowTraffic runs its hook. A group alarm in ALARM stops the
deployment (``ALARM_ACTIVE``) and puts the alias back on the current version. Every call is made as
the deployment group's role (AWSCodeDeployRoleForLambda's list).
"""

from __future__ import annotations

from typing import Any, Callable

from ..judge import access
from .deploy_context import LAMBDA_EVENTS, DeployContext, DeploymentFailed, Target, run_resource_deployment
from .registry import Job


def _backend(ctx: DeployContext) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[ctx.account][ctx.region]


class LambdaDeployment:
    def __init__(self, job: Job, ctx: DeployContext, props: dict[str, Any], hooks: dict[str, str]) -> None:
        self.job, self.ctx, self.hooks = job, ctx, hooks
        self.function, self.alias = str(props["Name"]), str(props["Alias"])
        self.current, self.target = str(props["CurrentVersion"]), str(props["TargetVersion"])
        self.arn = (self.function if self.function.startswith("arn:")
                    else f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{self.function}")
        self.alias_arn = f"{self.arn}:{self.alias}"
        self.shifted = False
        self.info = {"functionName": self.function, "functionAlias": self.alias, "currentVersion": self.current,
                     "targetVersion": self.target, "targetVersionWeight": 0.0}

    def hook(self, event: str) -> None:
        self.ctx.check_alarms()
        if event in self.hooks:
            self.ctx.run_hook(self.job, event, self.hooks[event])

    def _alias(self) -> Any:
        backend = _backend(self.ctx)
        self.ctx.require(access.need("lambda:GetAlias", self.alias_arn, self.arn))
        try:
            backend.get_function(self.function)
        except Exception:  # noqa: BLE001 - moto's UnknownFunctionException
            raise DeploymentFailed("INVALID_LAMBDA_FUNCTION", f"The Lambda function {self.function} does not exist.") from None
        try:
            alias = backend.get_alias(self.alias, self.function.rsplit(":", 1)[-1])
        except Exception:  # noqa: BLE001
            raise DeploymentFailed("INVALID_LAMBDA_CONFIGURATION",
                                   f"The alias {self.alias} of the Lambda function {self.function} does not exist.") from None
        for version in (self.current, self.target):
            try:
                backend.get_function(self.function, version)
            except Exception:  # noqa: BLE001
                raise DeploymentFailed("INVALID_LAMBDA_CONFIGURATION",
                                       f"The version {version} of the Lambda function {self.function} does not exist.") from None
        return alias

    def allow_traffic(self) -> None:
        alias = self._alias()
        self.ctx.require(access.need("lambda:GetProvisionedConcurrencyConfig", self.alias_arn, self.arn))
        for percent, hold in self.ctx.traffic_steps():
            self.ctx.check_alarms()
            self.ctx.require(access.need("lambda:UpdateAlias", self.alias_arn, self.arn))
            self.shifted = True
            if percent < 100:
                alias.function_version = self.current
                alias.routing_config = {"AdditionalVersionWeights": {self.target: round(percent / 100, 2)}}
            else:
                alias.function_version = self.target
                alias.routing_config = None
            self.info["targetVersionWeight"] = round(percent / 100, 2)
            self.ctx.sleep(self.job, hold, watch=self.ctx.check_alarms)

    def lifecycle_target(self) -> Target:
        return Target(f"{self.function}:{self.alias}", self.alias_arn, "LambdaTarget",
                      [{"lifecycleEventName": n, "status": "Pending"} for n in LAMBDA_EVENTS],
                      extra={"lambdaFunctionInfo": self.info})

    def steps(self) -> dict[str, Callable[[], None]]:
        return {
            "BeforeAllowTraffic": lambda: self.hook("BeforeAllowTraffic"),
            "AllowTraffic": self.allow_traffic,
            "AfterAllowTraffic": lambda: self.hook("AfterAllowTraffic"),
        }

    def complete(self) -> None:
        """Nothing to retire: the alias already serves the new version only."""

    def restore(self) -> None:
        """A stopped or failed shift puts the alias back on the current version."""
        if not self.shifted:
            return
        try:
            alias = _backend(self.ctx).get_alias(self.alias, self.function.rsplit(":", 1)[-1])
        except Exception:  # noqa: BLE001
            return
        alias.function_version = self.current
        alias.routing_config = None
        self.info["targetVersionWeight"] = 0.0


def run(job: Job, ctx: DeployContext) -> None:
    run_resource_deployment(job, ctx, "Lambda", lambda props, hooks: LambdaDeployment(job, ctx, props, hooks))
