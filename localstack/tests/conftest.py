"""Fixtures: one real emulator per test session on a free port, started with the bash script.

Every boto3 client made here is strict: retries are off (a retry would hide a missing
operation), and every JSON response is checked against botocore's output shape with the
strictness of the Rust SDK (a timestamp must be a number, an integer an integer, ...).
botocore itself is lenient, so this is what catches a response pipewright could not parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = ROOT / "emulator"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_script(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout, check=check)


class Emulator:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def control(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")


@pytest.fixture(scope="session")
def emulator():
    port = free_port()
    started = time.perf_counter()
    result = run_script("start", "--port", str(port))
    elapsed = time.perf_counter() - started
    print(f"\n[emulator] started on port {port} in {elapsed * 1000:.0f} ms")
    assert result.stdout.strip().splitlines()[-1] == f"http://127.0.0.1:{port}"
    emu = Emulator(port)
    yield emu
    run_script("stop", "--port", str(port), check=False)


# --- strict response checking -------------------------------------------------------------

def _check(shape, value, path: str, protocol: str) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{path}: expected an object, got {type(value).__name__}"
        for key, item in value.items():
            member = shape.members.get(key)
            if member is None:
                continue
            _check(member, item, f"{path}.{key}", protocol)
    elif kind == "list":
        assert isinstance(value, list), f"{path}: expected a list, got {type(value).__name__}"
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]", protocol)
    elif kind == "map":
        assert isinstance(value, dict), f"{path}: expected a map, got {type(value).__name__}"
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: map key {key!r} is not a string"
            _check(shape.value, item, f"{path}[{key}]", protocol)
    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat")
        if fmt in ("iso8601", "rfc822"):
            assert isinstance(value, str), f"{path}: expected a {fmt} timestamp string, got {value!r}"
        else:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), \
                f"{path}: expected an epoch-seconds number, got {value!r}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: expected an integer, got {value!r}"
    elif kind in ("float", "double"):
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected a number, got {value!r}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{path}: expected a boolean, got {value!r}"
    elif kind in ("string", "blob"):
        assert isinstance(value, str), f"{path}: expected a string, got {value!r}"


def _strict_hook(operation_model, response_dict, **_kwargs) -> None:
    protocol = operation_model.metadata.get("protocol")
    if protocol not in ("json", "rest-json"):
        return
    status = response_dict.get("status_code", 200)
    body = response_dict.get("body") or b""
    if status >= 300 or not body or operation_model.has_event_stream_output:
        return
    output = operation_model.output_shape
    if output is None:
        return
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError(f"{operation_model.name}: response is not JSON: {body[:200]!r}")
    if protocol == "rest-json":
        payload = output.serialization.get("payload")
        if payload:
            return
    _check(output, doc, operation_model.name, protocol)


def unique_key(seed: str) -> str:
    digest = hashlib.sha1(seed.encode()).hexdigest().upper()
    return "AKIA" + "".join(c if c.isalnum() else "X" for c in digest)[:16]


@pytest.fixture
def access_key(request) -> str:
    return unique_key(request.node.nodeid + uuid.uuid4().hex)


@pytest.fixture
def aws(emulator, access_key):
    """aws("s3") -> a strict boto3 client scoped to this test's access key id."""
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key="secret",
                                    region_name="us-east-1")

    def make(service: str, **extra):
        config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"},
                        read_timeout=60, connect_timeout=5)
        client = session.client(service, endpoint_url=emulator.url, config=config, **extra)
        client.meta.events.register("before-parse", _strict_hook)
        return client

    return make


@pytest.fixture
def name(request) -> str:
    """A resource-name prefix unique to this test."""
    return "t" + uuid.uuid4().hex[:10]


os.environ.setdefault("AWS_MAX_ATTEMPTS", "1")
