"""CodePipeline's Lambda deploy action (V2 pipelines), run for real on moto's Lambda.

https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html:
FunctionName (required), FunctionAlias (optional: without it the code goes to $LATEST and a version
is published), PublishedTargetVersion (required without an input artifact), DeployStrategy
(AllAtOnce by default, Canary<P>Percent<M>Minutes, Linear<P>PercentEvery<M>Minute[s]) and Alarms
(comma-separated names). The input artifact (a zip) becomes the function's code. Every call is made
as the pipeline's role; the alias's weights move as ``get_alias`` shows them (FunctionVersion stays
on the current version, RoutingConfig.AdditionalVersionWeights holds the new one's share), waits are
scaled by the ``build_timeout_scale`` knob, and an alarm in ALARM puts the alias back and fails the
action.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from ..control import CONTROL
from ..judge import access, providers
from .records import ActionFailed, ActionRun


def _alarm_state(account: str, region: str, names: list[str]) -> list[str]:
    if not names:
        return []
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[account][region].alarms
    return [n for n in names if n in alarms and getattr(alarms[n], "state_value", "") == "ALARM"]


def run(runner: Any, run: ActionRun, action: dict[str, Any]) -> None:
    from moto.awslambda.models import lambda_backends

    config = run.resolved
    function, alias_name = str(config["FunctionName"]), config.get("FunctionAlias") or None
    alarms = [a.strip() for a in str(config.get("Alarms") or "").split(",") if a.strip()]
    inputs = action.get("inputArtifacts") or []
    runner.judged(run, access.lambda_deploy(run.region, runner.account, function, alias_name, bool(inputs), alarms))
    backend = lambda_backends[runner.account][run.region]
    try:
        backend.get_function(function)
    except Exception:  # noqa: BLE001 - moto's UnknownFunctionException
        raise ActionFailed(f"Function not found: arn:aws:lambda:{run.region}:{runner.account}:function:{function}",
                           code="ConfigurationError") from None
    if inputs:
        _, data = runner.input_bytes(run, action)
        backend.update_function_code(function, None, {"ZipFile": base64.b64encode(data).decode()})  # as on the wire
        target = str(backend.publish_version(function).version)
    else:
        target = str(config["PublishedTargetVersion"])
        try:
            backend.get_function(function, target)
        except Exception:  # noqa: BLE001
            raise ActionFailed(f"The version {target} of the function {function} is not published.",
                               code="ConfigurationError") from None
    run.variables = {"FunctionVersion": target}
    if alias_name is None:
        run.summary = f"Deployed {function} version {target} to $LATEST"
        return
    try:
        alias = backend.get_alias(alias_name, function)
    except Exception:  # noqa: BLE001
        raise ActionFailed(f"Alias not found: arn:aws:lambda:{run.region}:{runner.account}:function:{function}:"
                           f"{alias_name}", code="ConfigurationError") from None
    current = str(alias.function_version)
    kind, percent, minutes = providers.lambda_strategy(config.get("DeployStrategy")) or ("AllAtOnce", 100, 0)
    steps = [(100, 0.0)] if kind == "AllAtOnce" else (
        [(percent, 60.0 * minutes), (100, 0.0)] if kind == "Canary" else
        [(p, 60.0 * minutes) for p in range(percent, 100, percent)] + [(100, 0.0)])
    scale = CONTROL.build_timeout_scale(runner.ex.access_key)
    for share, hold in steps:
        if share < 100:
            alias.function_version, alias.routing_config = current, {"AdditionalVersionWeights": {target: share / 100}}
        else:
            alias.function_version, alias.routing_config = target, None
        run.summary = f"{share}% of {alias_name} on version {target}"
        deadline = time.monotonic() + hold * scale
        while True:
            runner.job.check()
            firing = _alarm_state(runner.account, run.region, alarms)
            if firing:
                alias.function_version, alias.routing_config = current, None
                raise ActionFailed(f"Alarm(s) {', '.join(firing)} went into ALARM: the alias {alias_name} was rolled "
                                   f"back to version {current}.", code="JobFailed")
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
    run.summary = f"Deployed {function} version {target} to alias {alias_name} ({kind})"
