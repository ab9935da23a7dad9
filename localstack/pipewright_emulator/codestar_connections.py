"""CodeStar Connections (and its successor CodeConnections), served without moto.

moto 5.2.5 has no such service, so the middleware answers its JSON 1.0 protocol here
(targets ``CodeStar_connections_20191201.*`` and ``CodeConnections_20231201.*``).
A new connection is PENDING, as on AWS until someone completes the handshake in the
console; ``POST /_pipewright/codestar-connections/status {"arn": ..., "status":
"AVAILABLE"}`` plays that part. The emulator cannot reach GitHub: a pipeline source using
an AVAILABLE connection reads the repository from a local directory mapped with
``POST /_pipewright/github-repos {"fullRepositoryId": "owner/repo", "path": "/dir"}``,
and fails with a clear message when there is none.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from . import DEFAULT_ACCOUNT_ID
from .state.connections import PROVIDERS, STORE, Connection

def _error(code: str, message: str, status: int = 400) -> tuple[int, list, bytes]:
    body = json.dumps({"__type": code, "message": message}).encode()
    return status, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", code),
                    ("Content-Length", str(len(body)))], body


def _ok(payload: dict[str, Any]) -> tuple[int, list, bytes]:
    body = json.dumps(payload).encode()
    return 200, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", str(uuid.uuid4())),
                 ("Content-Length", str(len(body)))], body


def _account(environ: dict) -> str:
    return os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT_ID


def handle(info, raw_body: bytes, environ: dict) -> tuple[int, list, bytes]:
    try:
        params = json.loads(raw_body or b"{}")
    except ValueError:
        return _error("SerializationException", "Malformed request body")
    service = "codeconnections" if "CodeConnections_" in environ.get("HTTP_X_AMZ_TARGET", "") \
        else "codestar-connections"
    account = _account(environ)
    op = info.operation
    handler = _OPS.get(op)
    if handler is None:
        return _error("UnknownOperationException", f"Unknown operation {op}")
    return handler(params, account, info.region, service)


def _out_arn(conn: Connection, service: str) -> str:
    return conn.arn if service == "codestar-connections" else conn.arn.replace(":codestar-connections:", ":codeconnections:")


def _view(conn: Connection, service: str) -> dict[str, Any]:
    out = conn.to_dict()
    out["ConnectionArn"] = _out_arn(conn, service)
    return out


def create_connection(params, account, region, service):
    name = params.get("ConnectionName") or ""
    provider = params.get("ProviderType")
    if not name or len(name) > 32:
        return _error("ValidationException", "1 validation error detected: Value at 'connectionName' failed to "
                      "satisfy constraint: Member must have length between 1 and 32")
    if provider is None and not params.get("HostArn"):
        return _error("InvalidInputException", "ProviderType or HostArn must be provided")
    if provider is not None and provider not in PROVIDERS:
        return _error("ValidationException", f"Value '{provider}' at 'providerType' failed to satisfy constraint")
    arn = f"arn:aws:codestar-connections:{region}:{account}:connection/{uuid.uuid4()}"
    tags = {t["Key"]: t.get("Value", "") for t in params.get("Tags") or []}
    conn = Connection(arn, name, provider or "GitHubEnterpriseServer", account, host_arn=params.get("HostArn"), tags=tags)
    with STORE.lock:
        STORE.connections[arn] = conn
    return _ok({"ConnectionArn": _out_arn(conn, service),
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _lookup(arn: str | None):
    conn = STORE.get(arn or "")
    if conn is None:
        return None, _error("ResourceNotFoundException", f"Connection {arn} does not exist")
    return conn, None


def get_connection(params, account, region, service):
    conn, err = _lookup(params.get("ConnectionArn"))
    return err or _ok({"Connection": _view(conn, service)})


def list_connections(params, account, region, service):
    with STORE.lock:
        conns = [c for c in STORE.connections.values() if c.owner == account and f":{region}:" in c.arn]
    if params.get("ProviderTypeFilter"):
        conns = [c for c in conns if c.provider == params["ProviderTypeFilter"]]
    if params.get("HostArnFilter"):
        conns = [c for c in conns if c.host_arn == params["HostArnFilter"]]
    start = int(params.get("NextToken") or 0)
    size = int(params.get("MaxResults") or 50)
    out: dict[str, Any] = {"Connections": [_view(c, service) for c in conns[start:start + size]]}
    if start + size < len(conns):
        out["NextToken"] = str(start + size)
    return _ok(out)


def delete_connection(params, account, region, service):
    conn, err = _lookup(params.get("ConnectionArn"))
    if err:
        return err
    with STORE.lock:
        STORE.connections.pop(conn.arn, None)
    return _ok({})


def tag_resource(params, account, region, service):
    conn, err = _lookup(params.get("ResourceArn"))
    if err:
        return err
    for tag in params.get("Tags") or []:
        conn.tags[tag["Key"]] = tag.get("Value", "")
    return _ok({})


def untag_resource(params, account, region, service):
    conn, err = _lookup(params.get("ResourceArn"))
    if err:
        return err
    for key in params.get("TagKeys") or []:
        conn.tags.pop(key, None)
    return _ok({})


def list_tags_for_resource(params, account, region, service):
    conn, err = _lookup(params.get("ResourceArn"))
    if err:
        return err
    return _ok({"Tags": [{"Key": k, "Value": v} for k, v in conn.tags.items()]})


_OPS = {
    "CreateConnection": create_connection,
    "GetConnection": get_connection,
    "ListConnections": list_connections,
    "DeleteConnection": delete_connection,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
