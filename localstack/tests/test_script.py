"""localstack/emulator: start/stop/status/reset, side by side on two ports, loopback only."""

import json
import subprocess
import time
import urllib.request

import boto3
from botocore.config import Config

from conftest import ROOT, SCRIPT, free_port, run_script


def test_help():
    result = run_script("--help")
    assert "start" in result.stdout and "--port" in result.stdout and "current user" in result.stdout


def test_two_emulators_side_by_side():
    ports = [free_port(), free_port()]
    try:
        for port in ports:
            started = time.perf_counter()
            result = run_script("start", "--port", str(port))
            print(f"\n[emulator] cold start on port {port}: {(time.perf_counter() - started) * 1000:.0f} ms "
                  "(script + venv check + server ready)")
            assert result.stdout.strip().splitlines()[-1] == f"http://127.0.0.1:{port}"
            pid = (ROOT / ".run" / f"{port}.pid").read_text().strip()
            assert (ROOT / ".run" / f"{port}.log").exists()
            health = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/_pipewright/health").read())
            assert str(health["pid"]) == pid
        assert run_script("status", "--port", str(ports[0])).returncode == 0
        # state is per emulator
        clients = [boto3.client("codecommit", endpoint_url=f"http://127.0.0.1:{p}", region_name="us-east-1",
                                aws_access_key_id="AKIASCRIPTTEST000001", aws_secret_access_key="x",
                                config=Config(retries={"total_max_attempts": 1})) for p in ports]
        clients[0].create_repository(repositoryName="only-on-first")
        assert [r["repositoryName"] for r in clients[1].list_repositories()["repositories"]] == []
        reset = run_script("reset", "--port", str(ports[0]))
        assert json.loads(reset.stdout)["status"] == "ok"
        assert clients[0].list_repositories()["repositories"] == []
        # starting again is a no-op that still prints the endpoint
        assert run_script("start", "--port", str(ports[1])).stdout.strip().splitlines()[-1].endswith(str(ports[1]))
        run_script("stop", "--port", str(ports[0]))
        assert not (ROOT / ".run" / f"{ports[0]}.pid").exists()
        assert run_script("status", "--port", str(ports[0]), check=False).returncode == 1
        assert run_script("status", "--port", str(ports[1])).returncode == 0  # the other one is untouched
    finally:
        for port in ports:
            run_script("stop", "--port", str(port), check=False)


def test_env_port_and_non_loopback_refused():
    result = run_script("start", "--host", "0.0.0.0", "--port", str(free_port()), check=False)
    assert result.returncode != 0 and "loopback" in result.stderr
    result = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "pipewright_emulator", "--host",
                             "192.168.1.10", "--port", str(free_port())], cwd=ROOT, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode != 0 and "loopback" in result.stderr
    port = free_port()
    env_result = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "PIPEWRIGHT_EMULATOR_PORT": str(port)})
    assert env_result.returncode == 1 and str(port) in env_result.stdout
