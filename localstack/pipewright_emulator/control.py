"""Knobs and counters, scoped by the SigV4 access key id of each request.

Tests run in parallel against one emulator, each with its own access key id, so every knob
and counter lives in a *scope*: an access key id, or ``*`` for everyone. A request sees the
process defaults (``PIPEWRIGHT_EMULATOR_*`` env vars), overlaid by scope ``*``, overlaid by
its own key's scope. Faults draw from the RNG of the most specific scope that sets a
``fault_rate``, seeded by that scope's ``fault_seed``, so a sequential client sees a
reproducible sequence.
"""

from __future__ import annotations

import contextvars
import fnmatch
import os
import random
import threading
from collections import Counter
from typing import Any

FAULT_KINDS = ("throttle", "500", "503")
FAULT_PHASES = ("before", "after", "mixed")

# name -> (type check, description); the JSON keys accepted by POST /_pipewright/config
KNOBS: dict[str, tuple[Any, str]] = {
    "latency_ms": ((int, float), "sleep this long before handling each request"),
    "jitter_ms": ((int, float), "plus a uniform random 0..jitter_ms"),
    "fault_rate": ((int, float), "fraction 0..1 of requests answered with an injected error"),
    "fault_seed": ((int,), "seed of the fault RNG (reseeded whenever this scope's config is posted)"),
    "fault_kinds": ((list,), "subset of throttle, 500, 503 (default [throttle, 500])"),
    "fault_phase": ((str,), "before (not processed), after (processed, answer replaced) or mixed"),
    "disabled_operations": ((list,), "service:Operation patterns answered 501 like LocalStack"),
    "build_timeout_scale": ((int, float), "multiply CodeBuild timeouts (minutes*60 s) by this"),
    "start_on_create": ((bool,), "CreatePipeline starts a first execution, like AWS (default true)"),
    "iam_propagation_ms": ((int, float), "a role younger than this is not yet assumable (IAM propagation delay)"),
    # The judgements (judge/): strict by default, each can be turned off on purpose.
    "judge_roles": ((bool,), "evaluate service roles (CodePipeline, CodeBuild, CodeDeploy, EventBridge) as AWS does"),
    "judge_requests": ((bool,), "evaluate requests signed with a build's credentials against the build role"),
    "judge_providers": ((bool,), "enforce the rules CodePipeline's action providers and CodeDeploy apply to input"),
    "judge_event_sources": ((bool,), "S3 object events reach EventBridge only through EventBridge notifications or CloudTrail"),
    "mask_secrets": ((bool,), "hide Parameter Store and Secrets Manager values in build logs, as CodeBuild does"),
    "hooks_answer": ((str,), "answer Lambda/ECS lifecycle hooks on the functions' behalf: Succeeded or Failed"),
}

JUDGEMENTS = ("judge_roles", "judge_requests", "judge_providers", "judge_event_sources", "mask_secrets")


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return float(value)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def env_defaults() -> dict[str, Any]:
    prefix = "PIPEWRIGHT_EMULATOR_"
    kinds = os.environ.get(prefix + "FAULT_KINDS", "throttle,500")
    disabled = os.environ.get(prefix + "DISABLED_OPERATIONS", "")
    return {
        "latency_ms": _env_float(prefix + "LATENCY_MS", 0.0),
        "jitter_ms": _env_float(prefix + "JITTER_MS", 0.0),
        "fault_rate": _env_float(prefix + "FAULT_RATE", 0.0),
        "fault_seed": int(_env_float(prefix + "FAULT_SEED", 0)),
        "fault_kinds": [k.strip() for k in kinds.split(",") if k.strip()],
        "fault_phase": os.environ.get(prefix + "FAULT_PHASE", "before"),
        "disabled_operations": [d.strip() for d in disabled.split(",") if d.strip()],
        "build_timeout_scale": _env_float(prefix + "BUILD_TIMEOUT_SCALE", 1.0),
        "start_on_create": os.environ.get(prefix + "START_ON_CREATE", "1") not in ("0", "false", "no"),
        "iam_propagation_ms": _env_float(prefix + "IAM_PROPAGATION_MS", 0.0),
        **{name: _env_bool(prefix + name.upper(), True) for name in JUDGEMENTS},
        "hooks_answer": os.environ.get(prefix + "HOOKS_ANSWER") or None,
    }


class ConfigError(ValueError):
    pass


def validate(body: dict[str, Any]) -> dict[str, Any]:
    """Check a posted config; returns the knob settings (``None`` = unset)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("scope", "replace"):
            continue
        if key not in KNOBS:
            raise ConfigError(f"unknown knob {key!r}; known: {', '.join(sorted(KNOBS))}")
        if value is None:
            out[key] = None
            continue
        types, _ = KNOBS[key]
        if isinstance(value, bool) and bool not in types:
            raise ConfigError(f"{key} must be a number, not a boolean")
        if not isinstance(value, types):
            raise ConfigError(f"{key} has the wrong type ({type(value).__name__})")
        if key == "fault_rate" and not 0 <= value <= 1:
            raise ConfigError("fault_rate must be between 0 and 1")
        if key in ("latency_ms", "jitter_ms", "build_timeout_scale", "iam_propagation_ms") and value < 0:
            raise ConfigError(f"{key} must not be negative")
        if key == "fault_kinds":
            bad = [k for k in value if k not in FAULT_KINDS]
            if bad or not value:
                raise ConfigError(f"fault_kinds must be a non-empty subset of {list(FAULT_KINDS)}")
        if key == "hooks_answer" and value not in ("Succeeded", "Failed"):
            raise ConfigError("hooks_answer must be Succeeded or Failed (null: wait for PutLifecycleEventHookExecutionStatus)")
        if key == "fault_phase" and value not in FAULT_PHASES:
            raise ConfigError(f"fault_phase must be one of {list(FAULT_PHASES)}")
        if key == "disabled_operations" and not all(isinstance(v, str) and ":" in v for v in value):
            raise ConfigError("disabled_operations entries look like 'codepipeline:GetPipelineState'")
        out[key] = value
    return out


class Control:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._defaults = env_defaults()
            self._scopes: dict[str, dict[str, Any]] = {}
            self._rngs: dict[str, random.Random] = {"": random.Random(self._defaults["fault_seed"])}
            self._requests: dict[str, Counter] = {}
            self._faults: dict[str, Counter] = {}

    # --- config ------------------------------------------------------------------------
    def set_config(self, scope: str, settings: dict[str, Any], replace: bool = False) -> dict[str, Any]:
        with self._lock:
            current = {} if replace else dict(self._scopes.get(scope, {}))
            for key, value in settings.items():
                if value is None:
                    current.pop(key, None)
                else:
                    current[key] = value
            if current:
                self._scopes[scope] = current
            else:
                self._scopes.pop(scope, None)
            seed = current.get("fault_seed", self._defaults["fault_seed"])
            self._rngs[scope] = random.Random(seed)
            return dict(current)

    def delete_config(self, scope: str) -> None:
        with self._lock:
            self._scopes.pop(scope, None)
            self._rngs.pop(scope, None)

    def effective(self, access_key: str) -> dict[str, Any]:
        with self._lock:
            return self._effective(access_key)

    def _effective(self, access_key: str) -> dict[str, Any]:
        merged = dict(self._defaults)
        merged.update(self._scopes.get("*", {}))
        if access_key != "*":
            merged.update(self._scopes.get(access_key, {}))
        return merged

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"defaults": dict(self._defaults), "scopes": {k: dict(v) for k, v in self._scopes.items()}}

    # --- per-request decisions ------------------------------------------------------------
    def is_disabled(self, access_key: str, key: str) -> bool:
        patterns = self.effective(access_key)["disabled_operations"]
        return any(fnmatch.fnmatchcase(key, p) for p in patterns)

    def latency_seconds(self, access_key: str) -> float:
        with self._lock:
            cfg = self._effective(access_key)
            latency = float(cfg["latency_ms"])
            jitter = float(cfg["jitter_ms"])
            if jitter > 0:
                latency += self._rng_for(access_key, "jitter_ms").uniform(0, jitter)
        return latency / 1000.0

    def _rng_for(self, access_key: str, knob: str) -> random.Random:
        for scope in (access_key, "*"):
            if knob in self._scopes.get(scope, {}):
                return self._rngs.setdefault(scope, random.Random(0))
        return self._rngs[""]

    def draw_fault(self, access_key: str) -> tuple[str, str] | None:
        """None, or (kind, phase) with phase 'before' or 'after'."""
        with self._lock:
            cfg = self._effective(access_key)
            rate = float(cfg["fault_rate"])
            if rate <= 0:
                return None
            rng = self._rng_for(access_key, "fault_rate")
            if rng.random() >= rate:
                return None
            kinds = cfg["fault_kinds"] or ["throttle"]
            kind = kinds[0] if len(kinds) == 1 else rng.choice(kinds)
            phase = cfg["fault_phase"]
            if phase == "mixed":
                phase = rng.choice(["before", "after"])
            return kind, phase

    def judging(self, access_key: str, judgement: str) -> bool:
        """Is this judgement on for requests (or jobs) of this access key?"""
        return bool(self.effective(access_key)[judgement])

    def build_timeout_scale(self, access_key: str) -> float:
        return float(self.effective(access_key)["build_timeout_scale"])

    def start_on_create(self, access_key: str) -> bool:
        return bool(self.effective(access_key)["start_on_create"])

    # --- counters -------------------------------------------------------------------------
    def count(self, access_key: str, key: str, faulted: bool = False) -> None:
        with self._lock:
            self._requests.setdefault(access_key, Counter())[key] += 1
            if faulted:
                self._faults.setdefault(access_key, Counter())[key] += 1

    def requests(self, scope: str | None) -> dict[str, int]:
        return self._read(self._requests, self._faults, scope, with_faults=True)

    def faults(self, scope: str | None) -> dict[str, int]:
        return self._read(self._faults, None, scope, with_faults=False)

    def _read(self, table, faults, scope, with_faults) -> dict[str, int]:
        with self._lock:
            if scope in (None, "", "*"):
                total: Counter = Counter()
                for counter in table.values():
                    total.update(counter)
                fault_total = sum(sum(c.values()) for c in faults.values()) if faults else 0
            else:
                total = Counter(table.get(scope, Counter()))
                fault_total = sum(faults.get(scope, Counter()).values()) if faults else 0
            out = dict(sorted(total.items()))
            if with_faults:
                out["faults"] = fault_total
            return out

    def clear_requests(self, scope: str | None) -> None:
        with self._lock:
            if scope in (None, "", "*"):
                self._requests.clear()
                self._faults.clear()
            else:
                self._requests.pop(scope, None)
                self._faults.pop(scope, None)


CONTROL = Control()

# The access key of the request being served, for work a request causes deep inside moto (an S3 PutObject
# that starts a pipeline): its knobs apply. Set by the server's middleware.
CURRENT_KEY: contextvars.ContextVar[str] = contextvars.ContextVar("pipewright_current_key", default="*")
