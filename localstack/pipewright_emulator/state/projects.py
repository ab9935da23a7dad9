"""CodeBuild's projects and builds, per moto backend: what the handler serves and the runner starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class State:
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    builds: dict[str, Any] = field(default_factory=dict)  # build id -> runner.build.Build
    order: dict[str, list[str]] = field(default_factory=dict)  # project -> build ids, oldest first
    numbers: dict[str, int] = field(default_factory=dict)


def state_of(backend: Any) -> State:
    st = getattr(backend, "_pw_state", None)
    if st is None:
        st = State()
        backend._pw_state = st
    return st


def backend_for(account: str, region: str) -> Any:
    from moto.codebuild.models import codebuild_backends

    return codebuild_backends[account][region]


def project_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:codebuild:{region}:{account}:project/{name}"
