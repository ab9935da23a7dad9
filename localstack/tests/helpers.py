"""Helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import io
import json
import time
import zipfile

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": ["codebuild.amazonaws.com",
                   "codepipeline.amazonaws.com", "codedeploy.amazonaws.com",
                   "events.amazonaws.com"]}, "Action": "sts:AssumeRole"}],
}


ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def role(iam, name: str, policy: dict | None = ALLOW_ALL) -> str:
    """An IAM role every Code* service may assume, allowed ``policy`` (everything by default: tests of
    other things than the judge should not depend on it; pass ``None`` for a role allowed nothing)."""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="test", PolicyDocument=json.dumps(policy))
    return arn


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, content in files.items():
            zf.writestr(path, content)
    return buf.getvalue()


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")




LAMBDA_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def lambda_function(aws, name: str, versions: int = 2, alias: str | None = "live") -> str:
    """A function with ``versions`` published versions and an alias on version 1; returns its ARN."""
    iam, lam = aws("iam"), aws("lambda")
    role_arn = iam.create_role(RoleName=f"{name}-fn", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))["Role"]["Arn"]
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                              Code={"ZipFile": zip_bytes({"app.py": "def handler(e, c):\n    return 1\n"})})["FunctionArn"]
    for n in range(versions):
        lam.update_function_code(FunctionName=name, ZipFile=zip_bytes({"app.py": f"def handler(e, c):\n    return {n}\n"}))
        lam.publish_version(FunctionName=name)
    if alias:
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    return arn
