"""Starting a build: a project's settings, sources and outputs turned into a running ``build`` job.

StartBuild (the handler) and a pipeline's CodeBuild action both call ``start``.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any, Callable

from ..common import aws_error, role_trusts, utcnow
from ..control import CONTROL
from ..patches import ensure
from ..state import connections
from ..state.git import store_of
from ..state.projects import backend_for, project_arn, state_of
from . import artifacts as art
from . import build as build_engine
from . import registry
from .build import Build, BuildRequest, Output, SourceError


def _logs_for(project: dict[str, Any], region: str, account: str, build_uuid: str, override: dict | None) -> dict:
    config = override or project.get("logsConfig") or {}
    cw = dict(config.get("cloudWatchLogs") or {"status": "ENABLED"})
    s3 = config.get("s3Logs") or {"status": "DISABLED", "encryptionDisabled": False}
    if cw.get("status", "ENABLED") != "ENABLED":
        return {"cloudWatchLogs": cw, "s3Logs": s3}
    group = cw.get("groupName") or f"/aws/codebuild/{project['name']}"
    stream = f"{cw['streamName']}/{build_uuid}" if cw.get("streamName") else build_uuid
    return {
        "groupName": group,
        "streamName": stream,
        "deepLink": f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logEvent:group={group};stream={stream}",
        "cloudWatchLogsArn": f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{stream}",
        "cloudWatchLogs": cw,
        "s3Logs": s3,
    }


def _write_files(dest: str, files: dict[str, tuple[str, bytes]]) -> None:
    for path, (mode, content) in files.items():
        full = os.path.join(dest, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if mode == "120000":
            os.symlink(content.decode(errors="replace"), full)
            continue
        with open(full, "wb") as fh:
            fh.write(content)
        if mode == "100755":
            os.chmod(full, 0o755)


def source_loader(account: str, region: str, source: dict[str, Any], version: str | None) -> Callable[[str], str | None]:
    """A function filling a directory with a project's own source (builds started by StartBuild)."""
    stype = source.get("type")
    location = source.get("location") or ""

    def load(dest: str) -> str | None:
        if stype == "NO_SOURCE":
            return None
        if stype == "CODEPIPELINE":
            raise SourceError("CLIENT_ERROR", "CODEPIPELINE source is only available to builds started by CodePipeline")
        if stype == "CODECOMMIT":
            ensure("codecommit")
            repo = location.rstrip("/").rsplit("/", 1)[-1]
            try:
                from moto.codecommit.models import codecommit_backends

                store = store_of(codecommit_backends[account][region].repositories[repo])
            except KeyError:
                raise SourceError("CLIENT_ERROR", f"repository not found for primary source and source version {version or ''}") from None
            ref = version or store.default_branch
            if not ref:
                raise SourceError("CLIENT_ERROR", f"repository {repo} is empty")
            try:
                commit_id = store.resolve(ref, repo)
            except Exception:  # noqa: BLE001
                raise SourceError("CLIENT_ERROR", f"reference not found for primary source and source version {ref}") from None
            files = {p: (m, store.blobs[s]) for p, (m, s) in store.files_at(commit_id).items()}
            _write_files(dest, files)
            return commit_id
        if stype == "S3":
            bucket, _, key = location.partition("/")
            try:
                obj = art.get(account, bucket, key, version)
            except art.ArtifactError as err:
                raise SourceError("CLIENT_ERROR", str(err)) from None
            if key.endswith("/"):
                return None
            try:
                art.extract(obj.value, dest)
            except art.ArtifactError:
                with open(os.path.join(dest, os.path.basename(key)), "wb") as fh:
                    fh.write(obj.value)
            return obj.version_id if obj.version_id not in (None, "null") else None
        # GitHub, GitLab, Bitbucket: only through a local mapping (see /_pipewright/github-repos)
        match = re.search(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$", location)
        local = connections.STORE.github_repos.get(match.group(1)) if match else None
        if local is None:
            raise SourceError("CLIENT_ERROR", f"the pipewright emulator cannot reach {location}: it has no network "
                              "access (map the repository to a local directory with POST /_pipewright/github-repos)")
        art.copy_tree(local, dest)
        return version or "local"

    return load


def start(account: str, region: str, project_name: str, *, access_key: str, initiator: str,
          load_source: Callable[[str], str | None] | None = None,
          secondary_sources: dict[str, Callable[[str], str | None]] | None = None,
          source_version: str | None = None, buildspec_override: str | None = None,
          env_overrides: list[dict[str, str]] | None = None, outputs: list[Output] | None = None,
          timeout_minutes: int | None = None, overrides: dict[str, Any] | None = None,
          on_finish: Callable[[Build], None] | None = None,
          source_objects: dict[str, tuple[str, str]] | None = None) -> Build:
    """Start a build; used by StartBuild and by a pipeline's CodeBuild action."""
    backend = backend_for(account, region)
    st = state_of(backend)
    project = st.projects.get(project_name)
    if project is None:
        raise aws_error("ResourceNotFoundException",
                        f"Project cannot be found: {project_arn(region, account, project_name)}")
    # CodeBuild assumes the project's role when a build starts, so a role IAM has not propagated
    # yet (the iam_propagation_ms knob) fails the start as it fails CreateProject: IAM is eventually
    # consistent everywhere a role is used, not only where it is first named
    # (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
    role = str(project.get("serviceRole") or "")
    if role and not role_trusts(account, role, "codebuild.amazonaws.com", access_key):
        raise aws_error("InvalidInputException", f"CodeBuild is not authorized to perform: sts:AssumeRole on {role}")
    overrides = overrides or {}
    build_uuid = str(uuid.uuid4())
    build_id = f"{project_name}:{build_uuid}"
    st.numbers[project_name] = st.numbers.get(project_name, 0) + 1
    now = utcnow()
    source = dict(project.get("source") or {})
    if overrides.get("sourceTypeOverride"):
        source["type"] = overrides["sourceTypeOverride"]
    if overrides.get("sourceLocationOverride"):
        source["location"] = overrides["sourceLocationOverride"]
    environment = dict(project.get("environment") or {})
    for key, field_name in (("imageOverride", "image"), ("computeTypeOverride", "computeType"),
                            ("environmentTypeOverride", "type"), ("privilegedModeOverride", "privilegedMode")):
        if overrides.get(key) is not None:
            environment[field_name] = overrides[key]
    merged_env = {v["name"]: v for v in environment.get("environmentVariables") or []}
    for var in env_overrides or []:
        merged_env[var["name"]] = {"name": var["name"], "value": var.get("value", ""), "type": var.get("type") or "PLAINTEXT"}
    environment["environmentVariables"] = list(merged_env.values())
    timeout = int(timeout_minutes or project.get("timeoutInMinutes") or 60)
    version = source_version or project.get("sourceVersion")
    data: dict[str, Any] = {
        "id": build_id,
        "arn": f"arn:aws:codebuild:{region}:{account}:build/{build_id}",
        "buildNumber": st.numbers[project_name],
        "startTime": now,
        "currentPhase": "QUEUED",
        "buildStatus": "IN_PROGRESS",
        "projectName": project_name,
        "phases": [
            {"phaseType": "SUBMITTED", "phaseStatus": "SUCCEEDED", "startTime": now, "endTime": now,
             "durationInSeconds": 0, "contexts": [{"statusCode": "", "message": ""}]},
            {"phaseType": "QUEUED", "startTime": now},
        ],
        "source": source,
        "secondarySources": list(project.get("secondarySources") or []),
        "secondarySourceVersions": list(project.get("secondarySourceVersions") or []),
        "artifacts": {},
        "secondaryArtifacts": [],
        "cache": project.get("cache") or {"type": "NO_CACHE"},
        "environment": environment,
        "serviceRole": overrides.get("serviceRoleOverride") or project.get("serviceRole"),
        "logs": _logs_for(project, region, account, build_uuid, overrides.get("logsConfigOverride")),
        "timeoutInMinutes": timeout,
        "queuedTimeoutInMinutes": project.get("queuedTimeoutInMinutes") or 480,
        "buildComplete": False,
        "initiator": initiator,
        "encryptionKey": project.get("encryptionKey"),
        "_console_url": (f"https://{region}.console.aws.amazon.com/codesuite/codebuild/{account}/projects/"
                         f"{project_name}/build/{build_id.replace(':', '%3A')}/?region={region}"),
    }
    if version:
        data["sourceVersion"] = version
    if project.get("vpcConfig"):
        data["vpcConfig"] = project["vpcConfig"]
    build = Build(data)
    st.builds[build_id] = build
    st.order.setdefault(project_name, []).append(build_id)
    if outputs is None:
        outputs = _project_outputs(project, overrides.get("artifactsOverride"), build_uuid)
    req = BuildRequest(
        account=account, region=region, project=project, build=build,
        load_source=load_source or source_loader(account, region, source, version),
        secondary_sources=secondary_sources or {},
        buildspec_override=buildspec_override,
        env_overrides=[],  # already merged into the build's environment above
        outputs=outputs,
        timeout_s=timeout * 60 * CONTROL.build_timeout_scale(access_key),
        on_finish=on_finish,
        scope=access_key,
        source_objects=source_objects if source_objects is not None else _s3_source_object(source),
    )
    req.project = {**project, "environment": environment}
    build.job = registry.spawn("build", build_id, lambda job: build_engine.run(job, req))
    return build


def _s3_source_object(source: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """A project's S3 source is downloaded with the build's role too."""
    if source.get("type") != "S3" or not source.get("location"):
        return {}
    bucket, _, key = str(source["location"]).partition("/")
    return {"": (bucket, key)}


def _project_outputs(project: dict[str, Any], override: dict[str, Any] | None, build_uuid: str) -> list[Output]:
    artifacts = override or project.get("artifacts") or {}
    if artifacts.get("type") != "S3":
        return []
    bucket = artifacts.get("location", "")
    name = artifacts.get("name") or project["name"]
    parts = [artifacts.get("path") or ""]
    if artifacts.get("namespaceType") == "BUILD_ID":
        parts.append(build_uuid)
    parts.append(name)
    key = "/".join(p.strip("/") for p in parts if p)
    return [Output("primary", bucket, key, artifacts.get("packaging") or "NONE")]
