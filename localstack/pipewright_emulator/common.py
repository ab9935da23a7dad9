"""Small helpers shared by the service modules."""

from __future__ import annotations

import datetime as _dt
import random
import string

from moto.core.exceptions import JsonRESTError


def aws_error(code: str, message: str, status: int = 400) -> JsonRESTError:
    """An error answered as ``{"__type": code, "message": message}`` with that HTTP status."""
    err = JsonRESTError(code, message)
    err.code = status
    return err


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def random_suffix(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(random.choice(alphabet) for _ in range(length))


def add_methods(cls: type, *functions) -> None:
    """Attach functions to a moto class; moto dispatches actions by snake_case method name."""
    for fn in functions:
        setattr(cls, fn.__name__, fn)


def tags_list_to_dict(tags, key: str = "key", value: str = "value") -> dict[str, str]:
    return {t[key]: t.get(value, "") for t in (tags or [])}


def console_url(region: str, fragment: str) -> str:
    return f"https://{region}.console.aws.amazon.com/{fragment}"


def role_trusts(account: str, role_arn: str, service: str, access_key: str | None = None) -> bool:
    """Does the IAM role exist and let ``service`` (e.g. codebuild.amazonaws.com) assume it?

    ``Principal.Service`` may be a string or a list (moto's CreatePipeline check only
    understood a string). With the ``iam_propagation_ms`` knob, a role younger than that
    is not trusted yet, like a new role on AWS before IAM has propagated it.
    """
    import datetime as dt
    import json

    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001
        return False
    if access_key is not None:
        from .control import CONTROL

        delay_ms = float(CONTROL.effective(access_key).get("iam_propagation_ms") or 0)
        if delay_ms > 0:
            created = role.create_date
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.timezone.utc)
            if (utcnow() - created).total_seconds() * 1000 < delay_ms:
                return False
    try:
        doc = json.loads(role.assume_role_policy_document or "{}")
    except ValueError:
        return False
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for stmt in statements:
        if stmt.get("Effect", "Allow") != "Allow":
            continue
        actions = stmt.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if actions and not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = stmt.get("Principal", {})
        if principal == "*":
            return True
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if service in services:
            return True
    return False
