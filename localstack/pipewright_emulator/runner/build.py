"""The CodeBuild engine: run a buildspec's phases with bash in a fresh local workspace.

What it reproduces, because users diagnose builds from it:

* phases SUBMITTED QUEUED PROVISIONING DOWNLOAD_SOURCE INSTALL PRE_BUILD BUILD POST_BUILD
  UPLOAD_ARTIFACTS FINALIZING COMPLETED with status, times, durations and contexts
  (``COMMAND_EXECUTION_ERROR`` / ``Error while executing command: X. Reason: exit status N``,
  ``YAML_FILE_ERROR``, ``CLIENT_ERROR: no matching artifact paths found``);
* AWS's transitions: a failure in INSTALL or PRE_BUILD goes straight to FINALIZING; a
  failure in BUILD still runs POST_BUILD (with ``CODEBUILD_BUILD_SUCCEEDING=0``) and
  UPLOAD_ARTIFACTS; ``on-failure: CONTINUE`` carries on; ``finally`` always runs;
* buildspec 0.2 semantics: every command runs in its own bash, but exported variables and
  the working directory carry over to the next command and phase;
* every output line (stdout and stderr interleaved) plus CodeBuild's ``[Container]``
  lines become CloudWatch events in the project's log group/stream, streamed while it runs.

It is a local runner, not a sandbox: commands run as the current user on this machine.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shlex
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..control import CONTROL
from ..judge import access, requests
from . import artifacts as art
from . import buildspec as bspec
from . import registry, shell
from .logsink import LogSink
from .registry import Cancelled, Job

HOOK_ACCESS_KEY = "AKIAPWEMULATORBUILD1"  # CodeDeploy hook scripts (no instance profile here)
MASK = "***"  # what CodeBuild prints instead of a Parameter Store / Secrets Manager value
SHELL = shutil.which("bash") or "/bin/bash"
ENV_BIN = shutil.which("env") or "/usr/bin/env"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class SourceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Build:
    """A build record: ``data`` is what BatchGetBuilds returns; the engine mutates it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.lock = threading.RLock()
        self.done = threading.Event()
        self.job: Job | None = None
        self.exported: dict[str, str] = {}
        self.output_locations: dict[str, dict[str, str]] = {}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    @property
    def status(self) -> str:
        with self.lock:
            return self.data["buildStatus"]

    def failure_message(self) -> str:
        """CodePipeline's wording for a failed build action."""
        with self.lock:
            status = self.data["buildStatus"]
            for phase in self.data.get("phases", []):
                if phase.get("phaseStatus") in ("FAILED", "FAULT", "TIMED_OUT", "STOPPED"):
                    ctx = (phase.get("contexts") or [{}])[0]
                    return (f"Build terminated with state: {status}. Phase: {phase['phaseType']}, "
                            f"Code: {ctx.get('statusCode', '')}, Message: {ctx.get('message', '')}")
        return f"Build terminated with state: {status}"


@dataclass
class Output:
    """Where one output artifact goes: CodePipeline's artifact store, or a project's S3 artifacts."""

    identifier: str
    bucket: str
    key: str
    packaging: str = "ZIP"  # ZIP | NONE


@dataclass
class BuildRequest:
    account: str
    region: str
    project: dict[str, Any]
    build: Build
    load_source: Callable[[str], str | None]  # fills the dir, returns the resolved version
    secondary_sources: dict[str, Callable[[str], str | None]] = field(default_factory=dict)
    buildspec_override: str | None = None
    env_overrides: list[dict[str, str]] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    timeout_s: float = 3600.0
    on_finish: Callable[[Build], None] | None = None
    scope: str = "*"  # the access key whose knobs apply (who started the build)
    source_objects: dict[str, tuple[str, str]] = field(default_factory=dict)  # "" = primary -> (bucket, key)


class _Timeout(Exception):
    pass


class _Stopped(Exception):
    pass


class NullSink:
    lines = 0

    def write(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class MaskingSink:
    """CodeBuild hides the values of PARAMETER_STORE and SECRETS_MANAGER variables in its logs
    (https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.parameter-store):
    every occurrence of a resolved value is written as ``***``, longest value first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.secrets: list[str] = []

    @property
    def lines(self) -> int:
        return self.inner.lines

    def hide(self, value: str) -> None:
        if value and value not in self.secrets:
            self.secrets.append(value)
            self.secrets.sort(key=len, reverse=True)

    def write(self, message: str) -> None:
        for secret in self.secrets:
            if secret in message:
                message = message.replace(secret, MASK)
        self.inner.write(message)

    def close(self) -> None:
        self.inner.close()


def secret_arn(account: str, region: str, secret_id: str) -> str:
    """The full ARN of a secret named or partially named by ``secret_id`` (what IAM evaluates)."""
    from moto.secretsmanager.models import secretsmanager_backends

    try:
        return secretsmanager_backends[account][region].describe_secret(secret_id).arn
    except Exception:  # noqa: BLE001 - a missing secret: IAM still checks the ARN it would have
        return secret_id if secret_id.startswith("arn:") else \
            f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}-??????"


def _secret_parts(value: str) -> tuple[str, str | None, str | None, str | None]:
    """``secret-id:json-key:version-stage:version-id`` (a full ARN keeps its own colons)."""
    parts = value.split(":")
    if value.startswith("arn:"):
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    json_key = rest[0] if len(rest) > 0 and rest[0] else None
    stage = rest[1] if len(rest) > 1 and rest[1] else None
    version = rest[2] if len(rest) > 2 and rest[2] else None
    return secret_id, json_key, stage, version


def resolve_variable(account: str, region: str, var_type: str, value: str,
                     judged: Callable[[access.Rule], None] = lambda rule: None) -> str:
    """PARAMETER_STORE / SECRETS_MANAGER values, read from moto's SSM and Secrets Manager, each read first
    ``judged`` as the build role's (``judged`` raises the SourceError AWS's refusal makes)."""
    if var_type == "PARAMETER_STORE":
        from moto.ssm.models import ssm_backends

        judged(access.build_parameter(region, account, value))
        try:
            param = ssm_backends[account][region].get_parameter(value)
        except Exception:  # noqa: BLE001
            param = None
        if param is None:
            raise SourceError("Decrypted Variables Error", f"parameter does not exist: {value}")
        return param.decrypt(param.value) or ""
    if var_type == "SECRETS_MANAGER":
        from moto.secretsmanager.models import secretsmanager_backends

        secret_id, json_key, stage, version = _secret_parts(value)
        judged(access.build_secret(secret_arn(account, region, secret_id)))
        try:
            secret = secretsmanager_backends[account][region].get_secret_value(secret_id, version, stage)
        except Exception as err:  # noqa: BLE001
            code = getattr(err, "error_type", "ResourceNotFoundException")
            message = getattr(err, "message", "Secrets Manager can't find the specified secret.")
            raise SourceError("Secrets Manager Error", f"{code}: {message}") from None
        text = secret.get("SecretString") or ""
        if json_key:
            try:
                doc = json.loads(text)
            except ValueError:
                raise SourceError("Secrets Manager Error", f"secret {secret_id} is not a JSON document") from None
            if json_key not in doc:
                raise SourceError("Secrets Manager Error", f"json key {json_key} not found in secret {secret_id}")
            value_out = doc[json_key]
            return value_out if isinstance(value_out, str) else json.dumps(value_out)
        return text
    return value


class Engine:
    def __init__(self, job: Job, req: BuildRequest) -> None:
        self.job = job
        self.req = req
        self.b = req.build
        self.deadline = time.monotonic() + req.timeout_s
        self.workspace = registry.new_tempdir("build-")
        self.src = os.path.join(self.workspace, "src")
        self.state = os.path.join(self.workspace, "state")
        os.makedirs(self.src)
        os.makedirs(self.state)
        self.cwd = self.src
        self.env: dict[str, str] = {}
        self.succeeding = True
        self.sink: Any = NullSink()
        self.shell = SHELL
        self.role = self.b.data.get("serviceRole")
        self.session = access.build_session(self.b.data["id"])
        self.secrets: list[str] = []  # values to mask, resolved in DOWNLOAD_SOURCE

    def refusal(self, rule: access.Rule) -> access.Refusal | None:
        """AWS's refusal if the build's role may not take this step."""
        return access.judge(rule, account=self.req.account, region=self.req.region, role_arn=self.role,
                            session=self.session, scope=self.req.scope)

    def judged(self, rule: access.Rule) -> None:
        refusal = self.refusal(rule)
        if refusal is not None:
            raise SourceError(refusal.code, refusal.message)

    # --- records and log lines --------------------------------------------------------
    def log(self, message: str) -> None:
        stamp = _now().strftime("%Y/%m/%d %H:%M:%S.%f")
        self.sink.write(f"[Container] {stamp} {message}")

    def start_phase(self, phase_type: str) -> dict[str, Any]:
        if self.job.stale:
            raise Cancelled()
        if self.job.cancel.is_set() and phase_type not in ("FINALIZING",):
            raise _Stopped()
        record = {"phaseType": phase_type, "startTime": _now()}
        with self.b.lock:
            self.b.data["phases"].append(record)
            self.b.data["currentPhase"] = phase_type
        return record

    def end_phase(self, record: dict[str, Any], status: str, code: str = "", message: str = "") -> None:
        end = _now()
        with self.b.lock:
            record["phaseStatus"] = status
            record["endTime"] = end
            record["durationInSeconds"] = int((end - record["startTime"]).total_seconds())
            record["contexts"] = [{"statusCode": code, "message": message}]
        if record["phaseType"] not in ("SUBMITTED", "QUEUED", "PROVISIONING"):
            self.log(f"Phase complete: {record['phaseType']} State: {status}")
            self.log(f"Phase context status code: {code} Message: {message}")

    # --- commands ---------------------------------------------------------------------
    def _save_env(self) -> None:
        path = os.path.join(self.state, "env")
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except OSError:
            return
        env: dict[str, str] = {}
        for item in raw.split(b"\0"):
            if b"=" in item:
                key, _, value = item.partition(b"=")
                env[key.decode(errors="replace")] = value.decode(errors="replace")
        for key in ("_", "SHLVL"):
            env.pop(key, None)
        if env:
            self.env = env
        try:
            with open(os.path.join(self.state, "cwd"), encoding="utf-8", errors="replace") as fh:
                cwd = fh.read().strip()
            if cwd and os.path.isdir(cwd):
                self.cwd = cwd
        except OSError:
            pass

    def run_command(self, command: str) -> int:
        self.log(f"Running command {command}")
        script = os.path.join(self.state, "command.sh")
        state = shlex.quote(self.state)
        with open(script, "w", encoding="utf-8") as fh:
            fh.write(
                f"trap '__pw_rc=$?; {ENV_BIN} -0 > {state}/env 2>/dev/null; pwd -P > {state}/cwd 2>/dev/null; "
                f"exit $__pw_rc' EXIT\n"
            )
            fh.write(command)
            fh.write("\n")
        for name in ("env", "cwd"):
            try:
                os.unlink(os.path.join(self.state, name))
            except OSError:
                pass
        self.env["CODEBUILD_BUILD_SUCCEEDING"] = "1" if self.succeeding else "0"
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Timeout()
        result = shell.run([self.shell, script], env=self.env, cwd=self.cwd, job=self.job,
                           on_line=lambda _stream, line: self.sink.write(line), timeout=remaining)
        self._save_env()
        if result.timed_out:
            raise _Timeout()
        if result.cancelled:
            if self.job.stale:
                raise Cancelled()
            raise _Stopped()
        return result.returncode

    def run_commands(self, commands: list[str]) -> tuple[str, int] | None:
        for command in commands:
            rc = self.run_command(command)
            if rc != 0:
                self.log(f"Command did not exit successfully {command} exit status {rc}")
                return command, rc
        return None

    def run_phase(self, phase: bspec.Phase | None, phase_type: str) -> bool:
        """Run one buildspec phase; returns True if it succeeded."""
        record = self.start_phase(phase_type)
        self.log(f"Entering phase {phase_type}")
        if phase is None:
            self.end_phase(record, "SUCCEEDED")
            return True
        if phase.runtime_versions:
            versions = ", ".join(f"{k}: {v}" for k, v in phase.runtime_versions.items())
            self.log(f"Skipping runtime-versions ({versions}): the emulator uses the tools installed on this host")
        if phase.run_as:
            self.log(f"Ignoring run-as {phase.run_as}: the emulator runs commands as the current user")
        attempts = 1
        if phase.on_failure.startswith("RETRY"):
            tail = phase.on_failure[5:].lstrip("-")
            attempts = 1 + (int(tail) if tail.isdigit() else 3)
        failure = None
        for attempt in range(attempts):
            if attempt:
                self.log(f"Retrying phase {phase_type} (attempt {attempt + 1} of {attempts})")
            failure = self.run_commands(phase.commands)
            finally_failure = self.run_commands(phase.finally_commands)
            failure = failure or finally_failure
            if failure is None:
                break
        if failure is None:
            self.end_phase(record, "SUCCEEDED")
            return True
        command, rc = failure
        self.succeeding = False
        self.end_phase(record, "FAILED", "COMMAND_EXECUTION_ERROR",
                       f"Error while executing command: {command}. Reason: exit status {rc}")
        return phase.on_failure == "CONTINUE"

    # --- the whole build ----------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        """The host's environment without its AWS settings, plus what CodeBuild's image gives a build:
        the AWS CLI on PATH, the Region, and temporary credentials of the build's service role (so every
        ``aws ...`` the build runs is judged as that role) pointed at the emulator."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "MOTO_", "PIPEWRIGHT_EMULATOR_")) and k not in ("PYTHONPATH",)}
        tools = registry.tools_dir()
        env["PATH"] = tools + os.pathsep + env.get("PATH", os.defpath)
        env.update({
            "AWS_REGION": self.req.region,
            "AWS_DEFAULT_REGION": self.req.region,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{registry.port()}",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.path.join(tools, "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        })
        if self.role:
            try:
                env.update(requests.open_session(self.req.account, self.req.region, self.role, self.session,
                                                 self.req.scope))
            except Exception:  # noqa: BLE001 - an unknown role: credentials nobody will honour
                env.update({"AWS_ACCESS_KEY_ID": HOOK_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "pipewright-emulator"})
        return env

    def builtin_env(self, resolved_version: str | None) -> dict[str, str]:
        d = self.b.data
        project = self.req.project
        env = {
            "CODEBUILD_BUILD_ARN": d["arn"],
            "CODEBUILD_BUILD_ID": d["id"],
            "CODEBUILD_BUILD_NUMBER": str(d["buildNumber"]),
            "CODEBUILD_BUILD_IMAGE": project.get("environment", {}).get("image", ""),
            "CODEBUILD_BUILD_SUCCEEDING": "1",
            "CODEBUILD_INITIATOR": d.get("initiator", ""),
            "CODEBUILD_KMS_KEY_ID": d.get("encryptionKey", ""),
            "CODEBUILD_LOG_PATH": d.get("logs", {}).get("streamName", ""),
            "CODEBUILD_PROJECT_ARN": project.get("arn", ""),
            "CODEBUILD_RESOLVED_SOURCE_VERSION": resolved_version or d.get("sourceVersion", "") or "",
            "CODEBUILD_SOURCE_REPO_URL": d.get("source", {}).get("location", "") or "",
            "CODEBUILD_SOURCE_VERSION": d.get("sourceVersion", "") or "",
            "CODEBUILD_SRC_DIR": self.src,
            "CODEBUILD_START_TIME": str(int(d["startTime"].timestamp() * 1000)),
            "CODEBUILD_BUILD_URL": d.get("_console_url", ""),
            "CODEBUILD_CI": "true",
            "CODEBUILD_EMULATED": "pipewright",
        }
        return env

    def resolve(self, var_type: str, value: str) -> str:
        resolved = resolve_variable(self.req.account, self.req.region, var_type, value, self.judged)
        if var_type in ("PARAMETER_STORE", "SECRETS_MANAGER"):
            self.secrets.append(resolved)
        return resolved

    def resolve_env(self, spec: bspec.Buildspec | None) -> dict[str, str]:
        values: dict[str, str] = {}
        if spec is not None:
            for key, value in (spec.env.get("variables") or {}).items():
                values[str(key)] = "" if value is None else str(value)
            for key, name in (spec.env.get("parameter-store") or {}).items():
                values[str(key)] = self.resolve("PARAMETER_STORE", str(name))
            for key, ref in (spec.env.get("secrets-manager") or {}).items():
                values[str(key)] = self.resolve("SECRETS_MANAGER", str(ref))
        for var in self.req.project.get("environment", {}).get("environmentVariables") or []:
            values[var["name"]] = self.resolve(var.get("type", "PLAINTEXT"), var.get("value", ""))
        for var in self.req.env_overrides:
            values[var["name"]] = self.resolve(var.get("type", "PLAINTEXT"), var.get("value", ""))
        if isinstance(self.sink, MaskingSink) and CONTROL.judging(self.req.scope, "mask_secrets"):
            for secret in self.secrets:
                self.sink.hide(secret)
        return values

    def open_logs(self) -> access.Refusal | None:
        """Open the CloudWatch stream, as the build's role: a refusal fails the build in QUEUED."""
        logs = self.b.data.get("logs", {})
        if not (logs.get("groupName") and logs.get("streamName")):
            return None
        refusal = self.refusal(access.build_logs(
            self.req.region, self.req.account, logs["groupName"], logs["streamName"],
            not LogSink.group_exists(self.req.account, self.req.region, logs["groupName"]),
            self.role or "", self.b.data["arn"]))
        if refusal is not None:
            return refusal
        self.sink = MaskingSink(LogSink(self.req.account, self.req.region, logs["groupName"], logs["streamName"],
                                        self.job))
        return None

    def finish(self, status: str) -> None:
        rec = self.start_phase("FINALIZING")
        self.end_phase(rec, "SUCCEEDED")
        end = _now()
        with self.b.lock:
            self.b.data["phases"].append({"phaseType": "COMPLETED", "startTime": end})
            self.b.data["currentPhase"] = "COMPLETED"
            self.b.data["buildStatus"] = status
            self.b.data["buildComplete"] = True
            self.b.data["endTime"] = end

    def download_source(self) -> bspec.Buildspec | None:
        """DOWNLOAD_SOURCE: sources, buildspec, variables. Raises SourceError."""
        self.log(f"CODEBUILD_SRC_DIR={self.src}")
        self.judge_source("", "primary source")
        resolved = self.req.load_source(self.src)
        with self.b.lock:
            if resolved:
                self.b.data["resolvedSourceVersion"] = resolved
        for ident, loader in self.req.secondary_sources.items():
            path = os.path.join(self.workspace, "src_" + ident)
            os.makedirs(path, exist_ok=True)
            self.judge_source(ident, f"secondary source {ident}")
            loader(path)
            self.env_secondary[f"CODEBUILD_SRC_DIR_{ident}"] = path
        inline = self.req.buildspec_override
        if inline is None:
            inline = self.req.project.get("source", {}).get("buildspec") or None
        spec_text: str
        if inline and inline.startswith("arn:aws:s3:::"):
            bucket, _, key = inline[len("arn:aws:s3:::"):].partition("/")
            self.log(f"YAML location is {inline}")
            try:
                spec_text = art.get(self.req.account, bucket, key).value.decode("utf-8", "replace")
            except art.ArtifactError as err:
                raise SourceError("YAML_FILE_ERROR", str(err)) from None
        elif inline and ("\n" in inline or inline.lstrip().startswith(("version", "{"))):
            self.log("YAML location is inline (project or start-build override)")
            spec_text = inline
        else:
            rel = inline or "buildspec.yml"
            path = os.path.join(self.src, rel)
            self.log(f"YAML location is {path}")
            if not os.path.isfile(path):
                raise SourceError("YAML_FILE_ERROR", f"stat {path}: no such file or directory")
            with open(path, encoding="utf-8", errors="replace") as fh:
                spec_text = fh.read()
        try:
            spec = bspec.parse(spec_text)
        except bspec.BuildspecError as err:
            raise SourceError("YAML_FILE_ERROR", str(err)) from None
        self.log("Processing environment variables")
        self.resolved_vars = self.resolve_env(spec)
        self.resolved_version = resolved
        return spec

    def judge_source(self, ident: str, what: str) -> None:
        """A source in S3 (a pipeline's artifact) is downloaded with the build's role."""
        location = self.req.source_objects.get(ident)
        if location is None:
            return
        bucket, key = location
        refusal = self.refusal(access.build_source(bucket, key))
        if refusal is not None:
            # CodeBuild reports the S3 SDK's error, e.g. "CLIENT_ERROR: AccessDenied: Access Denied status code:
            # 403, request id: ..., host id: ... for primary source and source version arn:aws:s3:::bucket/key"
            raise SourceError("CLIENT_ERROR", f"AccessDenied: Access Denied status code: 403, request id: "
                              f"{access.request_id()[:16].upper()}, host id: {access.request_id()} for {what} and "
                              f"source version arn:aws:s3:::{bucket}/{key}")

    def judge_reports(self, spec: bspec.Buildspec) -> None:
        """Test reports are not emulated, but writing them is judged: CodeBuild logs a refused report and
        the build goes on (the report, not the build, fails)."""
        for name in (spec.reports or {}):
            group = str(name) if str(name).startswith("arn:") else \
                f"arn:aws:codebuild:{self.req.region}:{self.req.account}:report-group/{self.req.project['name']}-{name}"
            refusal = self.refusal(access.build_reports(self.req.region, self.req.account, group,
                                                        not str(name).startswith("arn:")))
            if refusal is not None:
                self.log(f"Error in UPLOAD_ARTIFACTS phase for report group {group}: AccessDeniedException: "
                         f"{refusal.denial.message}")

    def upload_artifacts(self, spec: bspec.Buildspec) -> None:
        record = self.start_phase("UPLOAD_ARTIFACTS")
        self.log("Entering phase UPLOAD_ARTIFACTS")
        outputs = self.req.outputs
        if not outputs:
            self.end_phase(record, "SUCCEEDED")
            return
        try:
            for index, out in enumerate(outputs):
                section = spec.artifacts or {}
                if index > 0 or (section.get("secondary-artifacts") and out.identifier in section["secondary-artifacts"]):
                    secondary = (section.get("secondary-artifacts") or {}).get(out.identifier)
                    if secondary is not None:
                        section = secondary
                files_spec = section.get("files") if isinstance(section, dict) else None
                if not files_spec:
                    raise SourceError("CLIENT_ERROR", "no matching artifact paths found")
                if isinstance(files_spec, str):
                    files_spec = [files_spec]
                base_rel = section.get("base-directory")
                base = os.path.join(self.src, str(base_rel)) if base_rel else self.src
                if base_rel:
                    self.log(f"Expanding base directory path: {base_rel}")
                self.log("Assembling file list")
                for pattern in files_spec:
                    self.log(f"Expanding {pattern}")
                excludes = section.get("exclude-paths")
                if isinstance(excludes, str):
                    excludes = [excludes]
                selected = bspec.select_files(base, [str(p) for p in files_spec], excludes)
                if not selected:
                    for pattern in files_spec:
                        self.log(f"Skipping invalid file path {pattern}")
                    raise SourceError("CLIENT_ERROR", "no matching artifact paths found")
                self.log(f"Found {len(selected)} file(s)")
                flatten = str(section.get("discard-paths", "no")).lower() in ("yes", "true")
                key = out.key
                refusal = self.refusal(access.build_artifact(out.bucket, key))
                if refusal is not None:
                    raise SourceError("CLIENT_ERROR", f"AccessDenied: Access Denied status code: 403, request id: "
                                      f"{access.request_id()[:16].upper()}, host id: {access.request_id()}")
                if out.packaging == "ZIP":
                    data = art.zip_directory(base, selected, flatten=flatten)
                    placed = art.put(self.req.account, out.bucket, key, data)
                else:
                    for rel in selected:
                        with open(os.path.join(base, rel), "rb") as fh:
                            name = os.path.basename(rel) if flatten else rel
                            art.put(self.req.account, out.bucket, f"{key.rstrip('/')}/{name}", fh.read())
                    placed = {"bucket": out.bucket, "key": key}
                self.b.output_locations[out.identifier] = placed
                with self.b.lock:
                    loc = {"location": f"arn:aws:s3:::{out.bucket}/{key}"}
                    if index == 0:
                        self.b.data["artifacts"] = {**self.b.data.get("artifacts", {}), **loc}
                    else:
                        self.b.data.setdefault("secondaryArtifacts", []).append({**loc, "artifactIdentifier": out.identifier})
        except SourceError as err:
            self.succeeding = False
            self.end_phase(record, "FAILED", err.code, err.message)
            return
        except art.ArtifactError as err:
            self.succeeding = False
            self.end_phase(record, "FAILED", "CLIENT_ERROR", str(err))
            return
        self.end_phase(record, "SUCCEEDED")

    def run(self) -> None:
        self.env_secondary: dict[str, str] = {}
        self.resolved_vars: dict[str, str] = {}
        self.resolved_version: str | None = None
        refused = self.open_logs()
        status = "SUCCEEDED"
        spec: bspec.Buildspec | None = None
        try:
            with self.b.lock:
                queued = self.b.data["phases"][-1]
            if refused is not None:
                # "Build terminated with state: FAILED. Phase: QUEUED, Code: ACCESS_DENIED, Message: Service role ...
                # does not allow AWS CodeBuild to create Amazon CloudWatch Logs log streams for build ..."
                self.succeeding = False
                self.end_phase(queued, "FAILED", refused.code, refused.message)
                self.finish("FAILED")
                return
            self.end_phase(queued, "SUCCEEDED")
            prov = self.start_phase("PROVISIONING")
            self.log("Running on CodeBuild On-demand (pipewright emulator: local runner, commands run as the current user)")
            self.log("Waiting for agent ping")
            self.end_phase(prov, "SUCCEEDED")
            self.log("Waiting for DOWNLOAD_SOURCE")
            rec = self.start_phase("DOWNLOAD_SOURCE")
            self.log("Phase is DOWNLOAD_SOURCE")
            try:
                spec = self.download_source()
            except SourceError as err:
                self.succeeding = False
                self.end_phase(rec, "FAILED", err.code, err.message)
                self.finish("FAILED")
                return
            self.env = self.base_env()
            self.env.update(self.resolved_vars)
            self.env.update(self.env_secondary)
            self.env.update(self.builtin_env(self.resolved_version))
            if spec.env.get("shell") in ("sh", "/bin/sh"):
                self.shell = shutil.which("sh") or "/bin/sh"
            self.log(f"Moving to directory {self.src}")
            if spec.cache:
                self.log("Cache is not emulated: ignoring the buildspec's cache section")
            if spec.reports:
                self.log("Reports are not emulated: ignoring the buildspec's reports section")
            if spec.run_as:
                self.log(f"Ignoring run-as {spec.run_as}: the emulator runs commands as the current user")
            self.log(f"Phases found in YAML: {len(spec.phases)}")
            for name, phase in spec.phases.items():
                self.log(f" {name.upper()}: {len(phase.commands)} commands")
            self.end_phase(rec, "SUCCEEDED")

            reached_build = False
            for name in ("install", "pre_build"):
                if not self.run_phase(spec.phases.get(name), name.upper()):
                    break
            else:
                reached_build = True
            if reached_build:
                self.run_phase(spec.phases.get("build"), "BUILD")
                self.run_phase(spec.phases.get("post_build"), "POST_BUILD")
                self.judge_reports(spec)
                self.collect_exported(spec)
                self.upload_artifacts(spec)
            status = "SUCCEEDED" if self.succeeding else "FAILED"
            self.finish(status)
        except _Timeout:
            self._abort_current("TIMED_OUT", "BUILD_TIMED_OUT", "Build has timed out. ")
            self.finish("TIMED_OUT")
        except _Stopped:
            self._abort_current("STOPPED", "BUILD_STOPPED", "Build was stopped. ")
            self.finish("STOPPED")

    def _abort_current(self, status: str, code: str, message: str) -> None:
        with self.b.lock:
            current = self.b.data["phases"][-1]
        if "phaseStatus" not in current:
            self.end_phase(current, status, code, message)

    def collect_exported(self, spec: bspec.Buildspec) -> None:
        names = spec.env.get("exported-variables") or []
        exported = {str(n): self.env.get(str(n), "") for n in names}
        self.b.exported = exported
        with self.b.lock:
            self.b.data["exportedEnvironmentVariables"] = [{"name": k, "value": v} for k, v in exported.items()]


def run(job: Job, req: BuildRequest) -> None:
    engine = Engine(job, req)
    try:
        engine.run()
    except Cancelled:
        raise
    except Exception as err:  # noqa: BLE001 - an emulator bug must not leave a build IN_PROGRESS
        import traceback

        traceback.print_exc()
        engine.log(f"Emulator fault: {type(err).__name__}: {err}")
        with req.build.lock:
            current = req.build.data["phases"][-1] if req.build.data["phases"] else None
        if current is not None and "phaseStatus" not in current and current["phaseType"] != "COMPLETED":
            engine.end_phase(current, "FAULT", "INTERNAL_ERROR", f"{type(err).__name__}: {err}")
        if not req.build.data.get("buildComplete"):
            engine.finish("FAULT")
    finally:
        engine.sink.close()
        shutil.rmtree(engine.workspace, ignore_errors=True)
        if not job.stale:
            req.build.done.set()
            if req.on_finish is not None:
                req.on_finish(req.build)
