"""moto's IAM policy evaluator, asked the way AWS asks it.

moto (``moto.iam.access_control``) already matches a statement's ``Action``/``NotAction`` and
``Resource`` with IAM wildcards, and evaluates ``StringEquals`` conditions; its own auth mode
uses it. What this module adds is only how AWS combines those answers, where moto differs:

* an explicit ``Deny`` anywhere wins over every ``Allow``; no matching ``Allow`` is an implicit
  deny (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
* a statement whose condition does not hold does not apply (moto answers DENIED, which would
  make an ``Allow`` with an unmet condition deny everything);
* action names are case-insensitive, ARNs are not;
* ``NotResource``, and the condition operators policies use beside ``StringEquals``
  (``StringLike``, ``Arn*``, ``Bool``, ``Null``, negations, ``...IfExists``, ``ForAnyValue:``
  and ``ForAllValues:``), evaluated with moto's own operator table extended by those.
  A key missing from the request context fails a positive operator and satisfies a negated one,
  as https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html says.

Identity policies only: inline and attached managed policies of a role. Permissions
boundaries, session policies, SCPs and resource-based policies are not evaluated (README).
"""

from __future__ import annotations

import fnmatch
import json
import re
from enum import Enum
from typing import Any, Iterable

from moto.iam.access_control import IAMPolicyStatement
from moto.iam.policy_conditions import CONDITION_OPERATIONS


class Decision(Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit"  # no identity-based policy allows the action
    EXPLICIT_DENY = "explicit"  # a Deny statement matches


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)  # IAM's * and ?; ARNs are case-sensitive


def _arn_like(pattern: str, value: str) -> bool:
    # ArnLike compares each of the six colon-separated parts on its own
    want, have = pattern.split(":", 5), value.split(":", 5)
    return len(want) == len(have) and all(_like(w, h) for w, h in zip(want, have))


def _bool(expected: str, actual: str) -> bool:
    return str(expected).lower() == str(actual).lower()


# moto's operator table (StringEquals) extended with the operators identity policies use.
OPERATORS = dict(CONDITION_OPERATIONS)
OPERATORS.update({
    "StringNotEquals": lambda expected, actual: not CONDITION_OPERATIONS["StringEquals"](expected, actual),
    "StringEqualsIgnoreCase": lambda expected, actual: any(str(e).lower() == actual.lower() for e in _as_list(expected)),
    "StringNotEqualsIgnoreCase": lambda expected, actual: all(str(e).lower() != actual.lower() for e in _as_list(expected)),
    "StringLike": lambda expected, actual: any(_like(str(e), actual) for e in _as_list(expected)),
    "StringNotLike": lambda expected, actual: not any(_like(str(e), actual) for e in _as_list(expected)),
    "ArnEquals": lambda expected, actual: any(str(e) == actual for e in _as_list(expected)),
    "ArnNotEquals": lambda expected, actual: all(str(e) != actual for e in _as_list(expected)),
    "ArnLike": lambda expected, actual: any(_arn_like(str(e), actual) for e in _as_list(expected)),
    "ArnNotLike": lambda expected, actual: not any(_arn_like(str(e), actual) for e in _as_list(expected)),
    "Bool": lambda expected, actual: any(_bool(e, actual) for e in _as_list(expected)),
})
NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"}


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, list[str]]) -> bool:
    quantifier = None
    if ":" in operator and operator.split(":", 1)[0] in ("ForAnyValue", "ForAllValues"):
        quantifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    if if_exists:
        operator = operator[: -len("IfExists")]
    actual = context.get(key.lower())
    if operator == "Null":
        return _bool(_as_list(expected)[0], "false" if actual else "true")
    if not actual:
        if if_exists or quantifier == "ForAllValues":
            return True
        return operator in NEGATED
    check = OPERATORS.get(operator)
    if check is None:
        return False  # an operator nothing here evaluates: never grants (README lists them)
    expected_values = _as_list(expected)
    if quantifier == "ForAllValues":
        return all(check(expected_values, value) for value in actual)
    if operator in NEGATED:
        return all(check(expected_values, value) for value in actual)
    return any(check(expected_values, value) for value in actual)


def _conditions_hold(conditions: dict[str, Any] | None, context: dict[str, list[str]]) -> bool:
    for operator, pairs in (conditions or {}).items():
        for key, expected in (pairs or {}).items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


class _Statement(IAMPolicyStatement):
    """moto's statement matcher with IAM's wildcards escaped properly: moto turns ``*`` into a regex
    but leaves ``?`` and ``.`` as regex syntax (``secret:db-??????`` would not even compile)."""

    @staticmethod
    def _match(pattern: str, string: str):  # type: ignore[override]
        regex = re.escape(str(pattern)).replace(r"\*", ".*").replace(r"\?", ".")
        return re.match(f"^{regex}$", string, re.DOTALL)


def _lowered(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement with its action patterns lower-cased (IAM action names ignore case)."""
    copy = dict(statement)
    for key in ("Action", "NotAction"):
        if key in copy:
            copy[key] = [str(a).lower() for a in _as_list(copy[key])]
    return copy


def statement_applies(statement: dict[str, Any], action: str, resource: str,
                      context: dict[str, list[str]], action_only: bool = False) -> bool:
    """Does this statement speak about ``action`` on ``resource`` in this request context?

    ``action_only``: the resource is unknown; an Allow then applies whatever its Resource (never
    stricter than AWS), a Deny only if it denies every resource."""
    matcher = _Statement(_lowered(statement))
    if "NotAction" in statement:
        if matcher._check_element_matches("NotAction", action.lower()):
            return False
    elif not matcher._check_element_matches("Action", action.lower()):
        return False
    if action_only and statement.get("Effect") == "Allow":
        pass
    elif "NotResource" in statement:
        if matcher._check_element_matches("NotResource", resource):
            return False
    elif "Resource" in statement and not matcher._check_element_matches("Resource", resource):
        return False
    return _conditions_hold(statement.get("Condition"), context)


def statements_of(document: str | dict[str, Any]) -> list[dict[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    statements = doc.get("Statement", [])
    return [s for s in _as_list(statements) if isinstance(s, dict)]


def decide(documents: Iterable[str | dict[str, Any]], action: str, resource: str,
           context: dict[str, list[str]] | None = None, action_only: bool = False) -> Decision:
    """AWS's evaluation logic over a set of identity policy documents."""
    ctx = {k.lower(): _as_list(v) for k, v in (context or {}).items()}
    allowed = False
    for document in documents:
        try:
            statements = statements_of(document)
        except (ValueError, TypeError):
            continue
        for statement in statements:
            if not statement_applies(statement, action, resource, ctx, action_only):
                continue
            if statement.get("Effect") == "Deny":
                return Decision.EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return Decision.ALLOWED if allowed else Decision.IMPLICIT_DENY


def role_documents(account: str, role_arn: str) -> list[str] | None:
    """The identity policies of a role (inline, then attached managed); None if there is no such role."""
    from moto.iam.access_control import IAMPolicy
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account]["aws"].get_role_by_arn(role_arn)
    except Exception:  # noqa: BLE001 - moto raises its own NotFound
        return None
    documents = list(role.policies.values())
    for managed in role.managed_policies.values():
        try:
            documents.append(json.dumps(IAMPolicy(managed)._policy_json))
        except Exception:  # noqa: BLE001 - a managed policy without a default version grants nothing
            continue
    return documents
