"""Read a buildspec the way CodeBuild does, and select artifact files with its globs.

Errors are worded like CodeBuild's Go YAML reader (``yaml: line 5: found character that
cannot start any token``) because users grep for those texts.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

PHASES = ("install", "pre_build", "build", "post_build")


class BuildspecError(Exception):
    """A YAML_FILE_ERROR; the message is the phase context message."""


@dataclass
class Phase:
    name: str
    commands: list[str] = field(default_factory=list)
    finally_commands: list[str] = field(default_factory=list)
    on_failure: str = "ABORT"
    runtime_versions: dict[str, Any] = field(default_factory=dict)
    run_as: str | None = None


@dataclass
class Buildspec:
    version: str
    phases: dict[str, Phase]
    env: dict[str, Any]
    artifacts: dict[str, Any] | None
    reports: dict[str, Any] | None
    cache: dict[str, Any] | None
    run_as: str | None


def _go_style(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    problem = re.sub(r"found character '.*?' that cannot start any token", "found character that cannot start any token", problem)
    if mark is not None:
        return f"yaml: line {mark.line + 1}: {problem}"
    return f"yaml: {problem}"


def _commands(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise BuildspecError(f"invalid commands in phase {where}: expected a list of strings")
    out = []
    for item in value:
        if isinstance(item, (dict, list)):
            raise BuildspecError(f"invalid command in phase {where}: expected a string, found a {type(item).__name__}")
        out.append("" if item is None else str(item))
    return out


def parse(text: str) -> Buildspec:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise BuildspecError(_go_style(err)) from None
    if not isinstance(data, dict):
        raise BuildspecError("yaml: unmarshal errors: buildspec is not a YAML mapping")
    version = data.get("version")
    if version is None:
        raise BuildspecError("missing required field: version")
    version_text = str(version)
    if version_text not in ("0.1", "0.2"):
        raise BuildspecError(f"invalid buildspec version: {version_text}")
    raw_phases = data.get("phases") or {}
    if not isinstance(raw_phases, dict):
        raise BuildspecError("phases must be a mapping")
    phases: dict[str, Phase] = {}
    for name, body in raw_phases.items():
        if name not in PHASES:
            raise BuildspecError(f"unknown phase: {name}")
        body = body or {}
        if not isinstance(body, dict):
            raise BuildspecError(f"phase {name} must be a mapping")
        on_failure = str(body.get("on-failure", "ABORT")).upper()
        if not (on_failure in ("ABORT", "CONTINUE") or on_failure.startswith("RETRY")):
            raise BuildspecError(f"invalid on-failure value {on_failure} in phase {name}")
        runtime = body.get("runtime-versions") or {}
        if runtime and name != "install":
            raise BuildspecError(f"runtime-versions is only allowed in the install phase, found in {name}")
        phases[name] = Phase(
            name=name,
            commands=_commands(body.get("commands"), name),
            finally_commands=_commands(body.get("finally"), name),
            on_failure=on_failure,
            runtime_versions=runtime if isinstance(runtime, dict) else {},
            run_as=body.get("run-as"),
        )
    env = data.get("env") or {}
    if not isinstance(env, dict):
        raise BuildspecError("env must be a mapping")
    for key in ("variables", "parameter-store", "secrets-manager"):
        if env.get(key) is not None and not isinstance(env.get(key), dict):
            raise BuildspecError(f"env/{key} must be a mapping")
    artifacts = data.get("artifacts")
    if artifacts is not None and not isinstance(artifacts, dict):
        raise BuildspecError("artifacts must be a mapping")
    return Buildspec(version_text, phases, env, artifacts, data.get("reports"), data.get("cache"), data.get("run-as"))


# --- artifact globs ------------------------------------------------------------------------

def _glob_to_regex(pattern: str) -> re.Pattern:
    """CodeBuild-style glob: ``**`` crosses directories, ``*`` and ``?`` do not."""
    pattern = pattern.strip()
    if pattern.startswith("./"):
        pattern = pattern[2:]
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("^" + "".join(out) + "$")


def select_files(base: str, patterns: list[str], excludes: list[str] | None = None) -> list[str]:
    """Relative paths (under base) of the files the patterns select, sorted."""
    if not os.path.isdir(base):
        return []
    all_files: list[str] = []
    for root, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            all_files.append(os.path.relpath(full, base).replace(os.sep, "/"))
    selected: list[str] = []
    seen = set()
    for pattern in patterns:
        if pattern is None:
            continue
        text = str(pattern).strip()
        if not text:
            continue
        regex = _glob_to_regex(text)
        dir_prefix = text.strip("/").removeprefix("./")
        for rel in all_files:
            hit = bool(regex.match(rel))
            # a bare directory name selects everything below it
            if not hit and dir_prefix and not any(ch in dir_prefix for ch in "*?") and rel.startswith(dir_prefix + "/"):
                hit = True
            if hit and rel not in seen:
                seen.add(rel)
                selected.append(rel)
    if excludes:
        regs = [_glob_to_regex(str(e)) for e in excludes if e]
        selected = [rel for rel in selected if not any(r.match(rel) for r in regs)]
    return sorted(selected)
