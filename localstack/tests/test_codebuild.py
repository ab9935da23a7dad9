"""CodeBuild: projects round-trip, builds really run, logs land in CloudWatch in order."""

import time

import pytest
from botocore.exceptions import ClientError

from helpers import role, wait_for

ENV = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


def project(aws, name, buildspec: str, **extra) -> str:
    arn = role(aws("iam"), name)
    aws("codebuild").create_project(name=name, source={"type": "NO_SOURCE", "buildspec": buildspec},
                                    artifacts={"type": "NO_ARTIFACTS"}, environment=ENV, serviceRole=arn, **extra)
    return arn


def finished(cb, build_id: str, timeout: float = 60) -> dict:
    return wait_for(lambda: (lambda b: b if b["buildComplete"] else None)(cb.batch_get_builds(ids=[build_id])["builds"][0]),
                    timeout=timeout, what=f"build {build_id}")


def all_messages(logs, build: dict) -> list[str]:
    out, token = [], None
    while True:
        kwargs = {"logGroupName": build["logs"]["groupName"], "logStreamName": build["logs"]["streamName"],
                  "startFromHead": True, "limit": 10000}
        if token:
            kwargs["nextToken"] = token
        page = logs.get_log_events(**kwargs)
        out.extend(e["message"] for e in page["events"])
        if page["nextForwardToken"] == token:
            return out
        token = page["nextForwardToken"]


def test_project_round_trips_everything_sent(aws, name):
    cb = aws("codebuild")
    arn = role(aws("iam"), name)
    env = dict(ENV, privilegedMode=True, environmentVariables=[
        {"name": "PLAIN", "value": "1", "type": "PLAINTEXT"}, {"name": "PARAM", "value": "/x", "type": "PARAMETER_STORE"},
        {"name": "SECRET", "value": "s:k", "type": "SECRETS_MANAGER"}])
    created = cb.create_project(
        name=name, description="d", source={"type": "CODEPIPELINE", "buildspec": "ci/buildspec.yml"},
        artifacts={"type": "CODEPIPELINE"}, environment=env, serviceRole=arn, timeoutInMinutes=17,
        cache={"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]}, tags=[{"key": "pipewright:pipeline", "value": "x"}],
        logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": f"/custom/{name}", "streamName": "build"}},
    )["project"]
    got = cb.batch_get_projects(names=[name, "missing-" + name])
    assert got["projectsNotFound"] == ["missing-" + name]
    project = got["projects"][0]
    assert project["arn"] == created["arn"] and project["serviceRole"] == arn
    assert project["source"] == {"type": "CODEPIPELINE", "buildspec": "ci/buildspec.yml"}
    assert project["environment"]["environmentVariables"] == env["environmentVariables"]
    assert project["environment"]["privilegedMode"] is True
    assert project["timeoutInMinutes"] == 17 and project["cache"]["type"] == "LOCAL"
    assert project["tags"] == [{"key": "pipewright:pipeline", "value": "x"}]
    assert project["logsConfig"]["cloudWatchLogs"]["groupName"] == f"/custom/{name}"

    cb.update_project(name=name, timeoutInMinutes=5, source={"type": "CODEPIPELINE", "buildspec": "other.yml"})
    project = cb.batch_get_projects(names=[created["arn"]])["projects"][0]
    assert project["timeoutInMinutes"] == 5 and project["source"]["buildspec"] == "other.yml"
    assert project["environment"]["environmentVariables"] == env["environmentVariables"]  # untouched
    assert name in cb.list_projects()["projects"]

    with pytest.raises(ClientError) as err:
        cb.create_project(name=name, source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
                          environment=ENV, serviceRole=arn)
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as err:
        cb.update_project(name="missing-" + name)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:  # the role must exist and trust CodeBuild
        cb.create_project(name=name + "x", source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
                          environment=ENV, serviceRole=arn + "-nope")
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    assert "not authorized to perform: sts:AssumeRole" in err.value.response["Error"]["Message"]
    cb.delete_project(name=name)
    assert cb.batch_get_projects(names=[name])["projects"] == []


SPEC_FAILING = """version: 0.2
env:
  variables:
    FROM_SPEC: spec
  parameter-store:
    FROM_SSM: /{name}/param
  secrets-manager:
    FROM_SECRET: {name}:token
  exported-variables:
    - EXPORTED
phases:
  install:
    runtime-versions:
      nodejs: 20
    commands:
      - echo "install $FROM_SPEC $FROM_SSM $FROM_SECRET $PLAIN"
      - export EXPORTED=value-$CODEBUILD_BUILD_NUMBER
      - cd /tmp
  build:
    commands:
      - echo "in $(pwd)"
      - echo to-stderr 1>&2
      - exit 3
      - echo never
    finally:
      - echo finally-ran
  post_build:
    commands:
      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"
"""


def test_failing_build_reports_phase_context_and_logs_in_order(aws, name):
    aws("ssm").put_parameter(Name=f"/{name}/param", Value="from-ssm", Type="SecureString")
    aws("secretsmanager").create_secret(Name=name, SecretString='{"token": "from-secret"}')
    env = dict(ENV, environmentVariables=[{"name": "PLAIN", "value": "plain", "type": "PLAINTEXT"}])
    arn = role(aws("iam"), name)
    cb = aws("codebuild")
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": SPEC_FAILING.format(name=name)},
                      artifacts={"type": "NO_ARTIFACTS"}, environment=env, serviceRole=arn)
    started = cb.start_build(projectName=name)["build"]
    assert started["buildStatus"] == "IN_PROGRESS" and started["id"].startswith(name + ":")
    build = finished(cb, started["id"])
    assert build["buildStatus"] == "FAILED" and build["currentPhase"] == "COMPLETED"
    phases = {p["phaseType"]: p for p in build["phases"]}
    assert [p["phaseType"] for p in build["phases"]] == [
        "SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD",
        "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]
    assert phases["BUILD"]["phaseStatus"] == "FAILED"
    assert phases["BUILD"]["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                           "message": "Error while executing command: exit 3. Reason: exit status 3"}]
    assert phases["POST_BUILD"]["phaseStatus"] == "SUCCEEDED"  # post_build runs after a build failure
    assert build["exportedEnvironmentVariables"] == [{"name": "EXPORTED", "value": "value-1"}]
    uuid_part = build["id"].split(":", 1)[1]
    assert build["logs"]["groupName"] == f"/aws/codebuild/{name}" and build["logs"]["streamName"] == uuid_part
    assert "deepLink" in build["logs"]

    messages = [m.rstrip("\n") for m in all_messages(aws("logs"), build)]
    body = [m for m in messages if not m.startswith("[Container]")]
    # CodeBuild masks Parameter Store and Secrets Manager values in its logs (test_judge_codebuild.py)
    assert body == ["install spec *** *** plain", "in /tmp", "to-stderr", "finally-ran", "succeeding=0"]
    container = [m.split(" ", 3)[3] for m in messages if m.startswith("[Container]")]
    assert "Running command exit 3" in container
    assert "Phase complete: BUILD State: FAILED" in container
    assert ("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: exit 3. "
            "Reason: exit status 3") in container
    assert any(c.startswith("Skipping runtime-versions") for c in container)
    assert "Running command echo never" not in container
    assert messages.index("in /tmp") < messages.index("to-stderr") < messages.index("finally-ran")


def test_install_failure_skips_to_finalizing_and_yaml_errors(aws, name):
    cb = aws("codebuild")
    project(aws, name, "version: 0.2\nphases:\n  install:\n    commands:\n      - false\n  build:\n    commands:\n      - echo no\n")
    build = finished(cb, cb.start_build(projectName=name)["build"]["id"])
    assert [p["phaseType"] for p in build["phases"]][-3:] == ["INSTALL", "FINALIZING", "COMPLETED"]
    bad = cb.start_build(projectName=name, buildspecOverride="version: 0.2\nphases:\n\tbuild: x\n")["build"]
    build = finished(cb, bad["id"])
    download = next(p for p in build["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert download["phaseStatus"] == "FAILED"
    assert download["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    assert "found character that cannot start any token" in download["contexts"][0]["message"]


def test_big_build_output_arrives_complete_and_in_order(aws, name):
    cb = aws("codebuild")
    lines = 100_000
    project(aws, name, f"version: 0.2\nphases:\n  build:\n    commands:\n      - seq 1 {lines}\n")
    started = time.perf_counter()
    build = finished(cb, cb.start_build(projectName=name)["build"]["id"], timeout=90)
    elapsed = time.perf_counter() - started
    assert build["buildStatus"] == "SUCCEEDED"
    messages = [m for m in all_messages(aws("logs"), build) if not m.startswith("[Container]")]
    print(f"\n[emulator] {lines}-line build: {elapsed:.2f} s until complete, {len(messages)} events read back")
    assert messages == [f"{i}\n" for i in range(1, lines + 1)]


def test_timeout_scale_stop_build_and_artifacts(aws, name, emulator, access_key):
    cb = aws("codebuild")
    s3 = aws("s3")
    s3.create_bucket(Bucket=name)
    arn = role(aws("iam"), name)
    spec = ("version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p out/sub && echo a > out/a.txt && "
            "echo b > out/sub/b.txt\nartifacts:\n  base-directory: out\n  files:\n    - '**/*'\n")
    cb.create_project(name=name, source={"type": "NO_SOURCE", "buildspec": spec}, environment=ENV, serviceRole=arn,
                      artifacts={"type": "S3", "location": name, "name": "out.zip", "packaging": "ZIP"},
                      timeoutInMinutes=5)
    build = finished(cb, cb.start_build(projectName=name)["build"]["id"])
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{name}/out.zip"
    import io
    import zipfile

    data = s3.get_object(Bucket=name, Key="out.zip")["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["a.txt", "sub/b.txt"]

    nomatch = cb.start_build(projectName=name, buildspecOverride=(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - echo x\nartifacts:\n  files:\n    - missing/**/*\n"))
    build = finished(cb, nomatch["build"]["id"])
    upload = next(p for p in build["phases"] if p["phaseType"] == "UPLOAD_ARTIFACTS")
    assert build["buildStatus"] == "FAILED"
    assert upload["contexts"] == [{"statusCode": "CLIENT_ERROR", "message": "no matching artifact paths found"}]

    # 5 minutes scaled to 0.6 s for this test's access key only
    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "build_timeout_scale": 0.002})
    slow = cb.start_build(projectName=name, buildspecOverride="version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n")
    build = finished(cb, slow["build"]["id"])
    assert build["buildStatus"] == "TIMED_OUT"
    assert next(p for p in build["phases"] if p["phaseType"] == "BUILD")["phaseStatus"] == "TIMED_OUT"

    emulator.control("POST", "/_pipewright/config", {"scope": access_key, "build_timeout_scale": None})
    running = cb.start_build(projectName=name, buildspecOverride="version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n")
    wait_for(lambda: cb.batch_get_builds(ids=[running["build"]["id"]])["builds"][0]["currentPhase"] == "BUILD")
    stopped = cb.stop_build(id=running["build"]["id"])["build"]
    assert stopped["buildStatus"] == "STOPPED"
    assert cb.list_builds_for_project(projectName=name)["ids"][0] == running["build"]["id"]


def test_start_build_from_codecommit_source_with_overrides(aws, name):
    cc = aws("codecommit")
    cc.create_repository(repositoryName=name)
    commit = cc.create_commit(repositoryName=name, branchName="main", putFiles=[
        {"filePath": "buildspec.yml", "fileContent": b"version: 0.2\nphases:\n  build:\n    commands:\n      - cat hello.txt\n      - echo $GREETING\n"},
        {"filePath": "hello.txt", "fileContent": b"from-repo"}])["commitId"]
    arn = role(aws("iam"), name)
    cb = aws("codebuild")
    cb.create_project(name=name, environment=ENV, serviceRole=arn, artifacts={"type": "NO_ARTIFACTS"},
                      source={"type": "CODECOMMIT", "location": f"https://git-codecommit.us-east-1.amazonaws.com/v1/repos/{name}"})
    build = finished(cb, cb.start_build(projectName=name, sourceVersion="main", environmentVariablesOverride=[
        {"name": "GREETING", "value": "hi", "type": "PLAINTEXT"}])["build"]["id"])
    assert build["buildStatus"] == "SUCCEEDED" and build["resolvedSourceVersion"] == commit
    body = [m for m in all_messages(aws("logs"), build) if not m.startswith("[Container]")]
    assert body == ["from-repo\n", "hi\n"]
