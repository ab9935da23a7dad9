"""CodeDeploy deployment configurations: AWS's predefined ones and the account's own."""

from __future__ import annotations

import uuid
from typing import Any

from ..common import utcnow

_EPOCH = utcnow().replace(year=2014, month=11, day=12, hour=0, minute=0, second=0, microsecond=0)


def _predefined() -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] = {}

    def add(name: str, platform: str, **body: Any) -> None:
        cid = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        configs[name] = {"deploymentConfigId": cid, "deploymentConfigName": name, "createTime": _EPOCH,
                         "computePlatform": platform, **body}

    add("CodeDeployDefault.AllAtOnce", "Server", minimumHealthyHosts={"type": "HOST_COUNT", "value": 0},
        trafficRoutingConfig={"type": "AllAtOnce"})
    add("CodeDeployDefault.HalfAtATime", "Server", minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 50},
        trafficRoutingConfig={"type": "AllAtOnce"})
    # AWS reports OneAtATime with a type clients cannot set themselves
    add("CodeDeployDefault.OneAtATime", "Server", minimumHealthyHosts={"type": "MOST_CONCURRENCY", "value": 1},
        trafficRoutingConfig={"type": "AllAtOnce"})
    for platform in ("Lambda", "ECS"):
        add(f"CodeDeployDefault.{platform}AllAtOnce", platform, trafficRoutingConfig={"type": "AllAtOnce"})
    for minutes in (5, 10, 15, 30):
        add(f"CodeDeployDefault.LambdaCanary10Percent{minutes}Minutes", "Lambda",
            trafficRoutingConfig={"type": "TimeBasedCanary",
                                  "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes}})
    for minutes, label in ((1, "1Minute"), (2, "2Minutes"), (3, "3Minutes"), (10, "10Minutes")):
        add(f"CodeDeployDefault.LambdaLinear10PercentEvery{label}", "Lambda",
            trafficRoutingConfig={"type": "TimeBasedLinear",
                                  "timeBasedLinear": {"linearPercentage": 10, "linearInterval": minutes}})
    for minutes in (5, 15):
        add(f"CodeDeployDefault.ECSCanary10Percent{minutes}Minutes", "ECS",
            trafficRoutingConfig={"type": "TimeBasedCanary",
                                  "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes}})
    for minutes in (1, 3):
        add(f"CodeDeployDefault.ECSLinear10PercentEvery{minutes}Minutes", "ECS",
            trafficRoutingConfig={"type": "TimeBasedLinear",
                                  "timeBasedLinear": {"linearPercentage": 10, "linearInterval": minutes}})
    return configs


PREDEFINED = _predefined()


def configs_of(backend: Any) -> dict[str, dict[str, Any]]:
    return backend.__dict__.setdefault("_pw_configs", {})


def find_config(backend: Any, name: str) -> dict[str, Any] | None:
    return PREDEFINED.get(name) or configs_of(backend).get(name)
