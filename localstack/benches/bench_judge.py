"""What judging a build's own requests costs: the same request, signed alternately with the user's
credentials (not judged) and with a build's role credentials (judged against a 23-statement policy).

Run on demand, not in the suite:  localstack/.venv/bin/python -m pytest localstack/benches/bench_judge.py -s
Prints the median of 1000 requests each, per operation, and the difference.
"""

import statistics
import sys
import time
from pathlib import Path

import boto3
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import access_key, aws, emulator, name  # noqa: E402,F401  (pytest fixtures)
from test_judge_build import build, logs_policy  # noqa: E402

ROUNDS = 1000


def role_credentials(aws, name: str) -> dict[str, str]:
    """A build's credentials, as its commands see them (echoed in its log: they are not secrets)."""
    policy = logs_policy(
        name,
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
         "Resource": [f"arn:aws:s3:::{name}-b", f"arn:aws:s3:::{name}-b/*"]},
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
        *[{"Effect": "Deny", "Action": f"dynamodb:Op{i}", "Resource": "*"} for i in range(20)])
    spec = ("version: 0.2\nphases:\n  build:\n    commands:\n"
            "      - echo KEY=$AWS_ACCESS_KEY_ID SECRET=$AWS_SECRET_ACCESS_KEY TOKEN=$AWS_SESSION_TOKEN\n")
    _, messages = build(aws, name, spec, policy)
    parts = dict(p.split("=", 1) for p in next(m for m in messages if m.startswith("KEY=")).split(" "))
    return {"aws_access_key_id": parts["KEY"], "aws_secret_access_key": parts["SECRET"],
            "aws_session_token": parts["TOKEN"]}


def test_judge_overhead(aws, emulator, access_key, name):
    aws("s3").create_bucket(Bucket=f"{name}-b")
    aws("ssm").put_parameter(Name=f"/{name}/p", Value="v", Type="String")
    role = role_credentials(aws, name)
    user = {"aws_access_key_id": access_key, "aws_secret_access_key": "secret"}

    def client(service: str, creds: dict[str, str]):
        return boto3.client(service, region_name="us-east-1", endpoint_url=emulator.url,
                            config=Config(retries={"max_attempts": 1}), **creds)

    operations = {
        "s3:ListObjectsV2": ("s3", lambda c: c.list_objects_v2(Bucket=f"{name}-b")),
        "ssm:GetParameter": ("ssm", lambda c: c.get_parameter(Name=f"/{name}/p")),
    }
    for label, (service, call) in operations.items():
        as_user, as_role = client(service, user), client(service, role)
        call(as_user), call(as_role)
        user_times, role_times = [], []
        for _ in range(ROUNDS):  # interleaved, so both see the same machine load
            started = time.perf_counter()
            call(as_user)
            user_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            call(as_role)
            role_times.append(time.perf_counter() - started)
        plain, judged = statistics.median(user_times) * 1000, statistics.median(role_times) * 1000
        print(f"\n{label}: median {plain:.2f} ms with the user's credentials, {judged:.2f} ms judged as the "
              f"build's role: +{judged - plain:.2f} ms")
