"""CodeBuild: projects that round-trip what was sent, and builds that really run.

moto 5.2.5 rejects CODEPIPELINE sources/artifacts without a ``location`` (AWS accepts
them), has no UpdateProject, and its builds are SUCCEEDED on first read with no logs.
Here projects keep every field of Create/UpdateProject, and StartBuild (or a pipeline's
Build action) runs the buildspec locally through ``runner.build``; BatchGetBuilds shows
the build's progress as it happens.
"""

from __future__ import annotations

import re
import time
from typing import Any

from moto.core.responses import ActionResult, EmptyResult

from .common import aws_error, role_trusts, utcnow, add_methods
from .runner.build import Build
from .runner.builds import start
from .state.projects import backend_for, project_arn, state_of

ENV_TYPES = {
    "WINDOWS_CONTAINER", "LINUX_CONTAINER", "LINUX_GPU_CONTAINER", "ARM_CONTAINER",
    "WINDOWS_SERVER_2019_CONTAINER", "WINDOWS_SERVER_2022_CONTAINER", "LINUX_LAMBDA_CONTAINER",
    "ARM_LAMBDA_CONTAINER", "LINUX_EC2", "ARM_EC2", "WINDOWS_EC2", "MAC_ARM",
}
COMPUTE_TYPES = {
    "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE",
    "BUILD_GENERAL1_2XLARGE", "BUILD_LAMBDA_1GB", "BUILD_LAMBDA_2GB", "BUILD_LAMBDA_4GB", "BUILD_LAMBDA_8GB",
    "BUILD_LAMBDA_10GB", "ATTRIBUTE_BASED_COMPUTE", "CUSTOM_INSTANCE_TYPE",
}
SOURCE_TYPES = {"CODECOMMIT", "CODEPIPELINE", "GITHUB", "GITLAB", "GITLAB_SELF_MANAGED", "S3", "BITBUCKET",
                "GITHUB_ENTERPRISE", "NO_SOURCE"}
ARTIFACT_TYPES = {"CODEPIPELINE", "S3", "NO_ARTIFACTS"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$")


# --- validation ----------------------------------------------------------------------------

def _validate_source(source: dict[str, Any] | None, what: str = "source") -> None:
    if not source or "type" not in source:
        raise aws_error("InvalidInputException", f"Project {what} type is required")
    if source["type"] not in SOURCE_TYPES:
        raise aws_error("InvalidInputException", f"Invalid type provided: Project {what} type")
    if source["type"] not in ("CODEPIPELINE", "NO_SOURCE") and not source.get("location"):
        raise aws_error("InvalidInputException", f"Project {what} location is required")
    if source["type"] == "NO_SOURCE" and not source.get("buildspec"):
        raise aws_error("InvalidInputException", "Project source buildspec is required for NO_SOURCE source type")


def _validate_artifacts(artifacts: dict[str, Any] | None) -> None:
    if not artifacts or "type" not in artifacts:
        raise aws_error("InvalidInputException", "Project artifacts type is required")
    if artifacts["type"] not in ARTIFACT_TYPES:
        raise aws_error("InvalidInputException", "Invalid type provided: Artifact type")
    if artifacts["type"] == "S3" and not artifacts.get("location"):
        raise aws_error("InvalidInputException", "Project artifacts location is required")
    if artifacts["type"] == "NO_ARTIFACTS" and artifacts.get("location"):
        raise aws_error("InvalidInputException", "Invalid artifacts: artifact type NO_ARTIFACTS should have null location")


def _validate_environment(env: dict[str, Any] | None) -> None:
    if not env:
        raise aws_error("InvalidInputException", "Project environment is required")
    if env.get("type") not in ENV_TYPES:
        raise aws_error("InvalidInputException", f"Invalid type provided: {env.get('type')}")
    if env.get("computeType") not in COMPUTE_TYPES:
        raise aws_error("InvalidInputException", f"Invalid compute type provided: {env.get('computeType')}")
    if not env.get("image") and not env.get("fleet"):
        raise aws_error("InvalidInputException", "Project environment image is required")
    for var in env.get("environmentVariables") or []:
        if var.get("type", "PLAINTEXT") not in ("PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"):
            raise aws_error("InvalidInputException", f"Invalid environment variable type: {var.get('type')}")


def _validate_role(account: str, role: str | None, access_key: str | None = None) -> None:
    if not role:
        raise aws_error("InvalidInputException", "Project service role is required")
    if not role.startswith(f"arn:aws:iam::{account}:role/"):
        raise aws_error("InvalidInputException", "Invalid service role: Service role account ID does not match caller's account")
    if not role_trusts(account, role, "codebuild.amazonaws.com", access_key):
        raise aws_error("InvalidInputException", f"CodeBuild is not authorized to perform: sts:AssumeRole on {role}")


def _normalize(project: dict[str, Any]) -> dict[str, Any]:
    """Fill in the defaults AWS reports on read."""
    env = project.get("environment") or {}
    env.setdefault("privilegedMode", False)
    env.setdefault("imagePullCredentialsType", "CODEBUILD")
    env["environmentVariables"] = [
        {"name": v["name"], "value": v.get("value", ""), "type": v.get("type") or "PLAINTEXT"}
        for v in env.get("environmentVariables") or []
    ]
    project["environment"] = env
    source = project.get("source") or {}
    if source.get("type") not in ("CODEPIPELINE", "NO_SOURCE", "S3"):
        source.setdefault("insecureSsl", False)
    project["source"] = source
    project.setdefault("secondarySources", [])
    project.setdefault("secondarySourceVersions", [])
    project.setdefault("secondaryArtifacts", [])
    project["cache"] = project.get("cache") or {"type": "NO_CACHE"}
    project["timeoutInMinutes"] = project.get("timeoutInMinutes") or 60
    project["queuedTimeoutInMinutes"] = project.get("queuedTimeoutInMinutes") or 480
    logs = project.get("logsConfig") or {}
    logs.setdefault("cloudWatchLogs", {"status": "ENABLED"})
    logs.setdefault("s3Logs", {"status": "DISABLED", "encryptionDisabled": False})
    project["logsConfig"] = logs
    project.setdefault("tags", [])
    project.setdefault("projectVisibility", "PRIVATE")
    return project


_PROJECT_FIELDS = ("description", "source", "secondarySources", "sourceVersion", "secondarySourceVersions",
                   "artifacts", "secondaryArtifacts", "cache", "environment", "serviceRole", "timeoutInMinutes",
                   "queuedTimeoutInMinutes", "encryptionKey", "tags", "vpcConfig", "logsConfig",
                   "fileSystemLocations", "buildBatchConfig", "concurrentBuildLimit", "autoRetryLimit")


def create_project(self) -> ActionResult:
    name = self._get_param("name") or ""
    if not NAME_RE.match(name):
        raise aws_error("InvalidInputException", "Only alphanumeric characters, dash, and underscore are supported")
    st = state_of(self.codebuild_backend)
    arn = project_arn(self.region, self.current_account, name)
    if name in st.projects:
        raise aws_error("ResourceAlreadyExistsException", f"Project already exists: {arn}")
    _validate_source(self._get_param("source"))
    for src in self._get_param("secondarySources") or []:
        _validate_source(src, "secondary source")
    _validate_artifacts(self._get_param("artifacts"))
    _validate_environment(self._get_param("environment"))
    _validate_role(self.current_account, self._get_param("serviceRole"), self.get_access_key())
    now = utcnow()
    project: dict[str, Any] = {"name": name, "arn": arn}
    for key in _PROJECT_FIELDS:
        value = self._get_param(key)
        if value is not None:
            project[key] = value
    project.setdefault("encryptionKey", f"arn:aws:kms:{self.region}:{self.current_account}:alias/aws/s3")
    project["badge"] = {"badgeEnabled": bool(self._get_param("badgeEnabled"))}
    project["created"] = now
    project["lastModified"] = now
    st.projects[name] = _normalize(project)
    st.order.setdefault(name, [])
    return ActionResult({"project": _public(project)})


def update_project(self) -> ActionResult:
    name = self._get_param("name") or ""
    st = state_of(self.codebuild_backend)
    if name not in st.projects:
        raise aws_error("ResourceNotFoundException",
                        f"Project cannot be found: {project_arn(self.region, self.current_account, name)}")
    project = dict(st.projects[name])
    for key in _PROJECT_FIELDS:
        value = self._get_param(key)
        if value is not None:
            project[key] = value
    if self._get_param("badgeEnabled") is not None:
        project["badge"] = {"badgeEnabled": bool(self._get_param("badgeEnabled"))}
    _validate_source(project.get("source"))
    _validate_artifacts(project.get("artifacts"))
    _validate_environment(project.get("environment"))
    if self._get_param("serviceRole") is not None:
        _validate_role(self.current_account, project.get("serviceRole"), self.get_access_key())
    project["lastModified"] = utcnow()
    st.projects[name] = _normalize(project)
    return ActionResult({"project": _public(project)})


def _public(project: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in project.items() if not k.startswith("_")}


def batch_get_projects(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    found, missing = [], []
    for name in self._get_param("names") or []:
        key = name.rsplit("project/", 1)[-1] if name.startswith("arn:") else name
        project = st.projects.get(key)
        if project is None or (name.startswith("arn:") and project["arn"] != name):
            missing.append(name)
        else:
            found.append(_public(project))
    return ActionResult({"projects": found, "projectsNotFound": missing})


def list_projects(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    projects = list(st.projects.values())
    sort_by = self._get_param("sortBy") or "NAME"
    key = {"NAME": lambda p: p["name"], "CREATED_TIME": lambda p: p["created"],
           "LAST_MODIFIED_TIME": lambda p: p["lastModified"]}.get(sort_by, lambda p: p["name"])
    projects.sort(key=key, reverse=(self._get_param("sortOrder") or "ASCENDING") == "DESCENDING")
    start = int(self._get_param("nextToken") or 0)
    page = projects[start:start + 100]
    out: dict[str, Any] = {"projects": [p["name"] for p in page]}
    if start + 100 < len(projects):
        out["nextToken"] = str(start + 100)
    return ActionResult(out)


def delete_project(self) -> EmptyResult:
    st = state_of(self.codebuild_backend)
    st.projects.pop(self._get_param("name") or "", None)
    return EmptyResult()


# --- builds --------------------------------------------------------------------------------

def _snapshot(build: Build) -> dict[str, Any]:
    return {k: v for k, v in build.snapshot().items() if not k.startswith("_")}


def start_build(self) -> ActionResult:
    name = self._get_param("projectName") or ""
    overrides = {k: self._get_param(k) for k in (
        "sourceTypeOverride", "sourceLocationOverride", "imageOverride", "computeTypeOverride",
        "environmentTypeOverride", "privilegedModeOverride", "serviceRoleOverride", "logsConfigOverride",
        "artifactsOverride") if self._get_param(k) is not None}
    build = start(
        self.current_account, self.region, name,
        access_key=self.get_access_key(),
        initiator="root",
        source_version=self._get_param("sourceVersion"),
        buildspec_override=self._get_param("buildspecOverride"),
        env_overrides=self._get_param("environmentVariablesOverride") or [],
        timeout_minutes=self._get_param("timeoutInMinutesOverride"),
        overrides=overrides,
    )
    return ActionResult({"build": _snapshot(build)})


def find_build(account: str, region: str, build_id: str) -> Build | None:
    return state_of(backend_for(account, region)).builds.get(build_id)


def batch_get_builds(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    found, missing = [], []
    for build_id in self._get_param("ids") or []:
        if ":" not in build_id:
            raise aws_error("InvalidInputException", "Invalid build ID provided")
        key = build_id.split("build/", 1)[-1] if build_id.startswith("arn:") else build_id
        build = st.builds.get(key)
        if build is None:
            missing.append(build_id)
        else:
            found.append(_snapshot(build))
    return ActionResult({"builds": found, "buildsNotFound": missing})


def _paged_ids(self, ids: list[str]) -> ActionResult:
    if (self._get_param("sortOrder") or "DESCENDING") == "DESCENDING":
        ids = list(reversed(ids))
    start_at = int(self._get_param("nextToken") or 0)
    out: dict[str, Any] = {"ids": ids[start_at:start_at + 100]}
    if start_at + 100 < len(ids):
        out["nextToken"] = str(start_at + 100)
    return ActionResult(out)


def list_builds(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    ordered = sorted(st.builds.values(), key=lambda b: b.data["startTime"])
    return _paged_ids(self, [b.data["id"] for b in ordered])


def list_builds_for_project(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    name = self._get_param("projectName") or ""
    if name not in st.projects:
        raise aws_error("ResourceNotFoundException",
                        f"The provided project {project_arn(self.region, self.current_account, name)} does not exist")
    return _paged_ids(self, list(st.order.get(name, [])))


def stop_build(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    build_id = self._get_param("id") or ""
    build = st.builds.get(build_id)
    if build is None:
        raise aws_error("ResourceNotFoundException", f"Build {build_id} does not exist")
    if build.job is not None and not build.data.get("buildComplete"):
        build.job.stop()
        deadline = time.monotonic() + 3
        while not build.data.get("buildComplete") and time.monotonic() < deadline:
            time.sleep(0.02)
    return ActionResult({"build": _snapshot(build)})


def batch_delete_builds(self) -> ActionResult:
    st = state_of(self.codebuild_backend)
    deleted, missing = [], []
    for build_id in self._get_param("ids") or []:
        build = st.builds.pop(build_id, None)
        if build is None:
            missing.append({"id": build_id, "statusCode": "BUILD_NOT_FOUND"})
            continue
        deleted.append(build_id)
        order = st.order.get(build.data["projectName"], [])
        if build_id in order:
            order.remove(build_id)
    return ActionResult({"buildsDeleted": deleted, "buildsNotDeleted": missing})


def install() -> None:
    from moto.codebuild.responses import CodeBuildResponse

    add_methods(CodeBuildResponse, create_project, update_project, batch_get_projects, list_projects, delete_project,
                start_build, batch_get_builds, list_builds, list_builds_for_project, stop_build, batch_delete_builds)
