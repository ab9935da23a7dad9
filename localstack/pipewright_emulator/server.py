"""The launcher: extend moto, wrap its WSGI app with the knobs, serve on loopback only.

Request path through the middleware::

    /_pipewright/...        control API (JSON), never counted
    /_localstack/health     LocalStack-style health, never counted
    /moto-api/reset         a full reset (ours + moto's)
    everything else         identify (key, service, operation) -> count -> disabled? 501
                            -> latency -> fault before? -> CodeStar Connections or moto
                            -> fault after? -> answer

moto is patched lazily, per service, just before its Flask app is first built, so a cold
start imports almost nothing (see ``patches.py``).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys
import threading
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from . import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, __version__
from .control import CONTROL, CURRENT_KEY, KNOBS, ConfigError, validate
from .protocol import (
    ANONYMOUS,
    error_response,
    fault_response,
    identify,
    not_implemented_response,
    read_body,
)

# moto service name -> "module:function" installing our changes for it (see ``patches``)
INSTALLERS = {
    "codecommit": "codecommit:install",
    "codebuild": "codebuild:install",
    "codedeploy": "codedeploy:install",
    "codepipeline": "codepipeline:install",
    "logs": "fixes:install_logs",
    "s3": "fixes:install_s3",
    "iam": "fixes:install_iam",
    "events": "fixes:install_events",
}

LOCALSTACK_SERVICES = [
    "cloudwatch", "codebuild", "codecommit", "codedeploy", "codepipeline", "codestar-connections",
    "ec2", "events", "iam", "logs", "s3", "secretsmanager", "ssm", "sts",
]

SERVER_STATE: dict[str, Any] = {"port": None, "started": time.time()}


def _json(start_response: Callable, status: int, payload: Any) -> Iterable[bytes]:
    body = json.dumps(payload, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(status, "OK")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _raw(start_response: Callable, response: tuple[int, list, bytes]) -> Iterable[bytes]:
    status, headers, body = response
    reasons = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [body]


def full_reset() -> dict[str, Any]:
    """Clear everything: running executions, moto's state, connections, knobs, counters."""
    started = time.perf_counter()
    from .runner import registry

    registry.cancel_all()
    from .judge import access, requests
    from .runner import hooks

    requests.forget_all()
    hooks.forget_all()
    access.DELIVERIES.records.clear()
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    from . import codestar_connections

    codestar_connections.STORE.clear()
    CONTROL.reset()
    registry.clean_workdir_async()
    return {"status": "ok", "elapsed_ms": round((time.perf_counter() - started) * 1000, 3)}


def _body_json(environ: dict) -> dict[str, Any]:
    raw = read_body(environ)
    if not raw.strip():
        return {}
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ConfigError("the body must be a JSON object")
    return data


def control_app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "").rstrip("/")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    route = path[len("/_pipewright"):]
    try:
        if route == "/health":
            return _json(start_response, 200, {
                "status": "ok", "version": __version__, "moto": "5.2.5", "pid": os.getpid(),
                "port": SERVER_STATE["port"], "account_id": os.environ.get("MOTO_ACCOUNT_ID", DEFAULT_ACCOUNT_ID),
                "region": DEFAULT_REGION, "uptime_s": round(time.time() - SERVER_STATE["started"], 3),
            })
        if route == "/config":
            if method == "GET":
                scope = query.get("scope")
                if scope:
                    return _json(start_response, 200, {"scope": scope, "effective": CONTROL.effective(scope),
                                                       "set": CONTROL.describe()["scopes"].get(scope, {})})
                return _json(start_response, 200, {**CONTROL.describe(), "knobs": {k: v[1] for k, v in KNOBS.items()}})
            if method == "POST":
                body = _body_json(environ)
                scope = str(body.get("scope") or "*")
                settings = validate(body)
                current = CONTROL.set_config(scope, settings, replace=bool(body.get("replace")))
                return _json(start_response, 200, {"scope": scope, "set": current, "effective": CONTROL.effective(scope)})
            if method == "DELETE":
                scope = query.get("scope", "*")
                CONTROL.delete_config(scope)
                return _json(start_response, 200, {"scope": scope, "deleted": True})
        if route in ("/requests", "/faults"):
            scope = query.get("scope")
            if method == "GET":
                table = CONTROL.requests(scope) if route == "/requests" else CONTROL.faults(scope)
                return _json(start_response, 200, table)
            if method == "DELETE":
                CONTROL.clear_requests(scope)
                return _json(start_response, 200, {"cleared": scope or "*"})
        if route == "/reset" and method == "POST":
            return _json(start_response, 200, full_reset())
        if route == "/codestar-connections/status" and method == "POST":
            from . import codestar_connections

            body = _body_json(environ)
            result = codestar_connections.STORE.set_status(str(body.get("arn", "")), str(body.get("status", "AVAILABLE")))
            if result is None:
                return _json(start_response, 404, {"error": f"no connection {body.get('arn')!r}"})
            return _json(start_response, 200, result)
        if route == "/github-repos":
            from . import codestar_connections

            if method == "POST":
                body = _body_json(environ)
                repo, local = body.get("fullRepositoryId"), body.get("path")
                if not repo or not local or not os.path.isdir(str(local)):
                    raise ConfigError("need fullRepositoryId and path (an existing local directory)")
                codestar_connections.STORE.github_repos[str(repo)] = os.path.abspath(str(local))
            return _json(start_response, 200, dict(codestar_connections.STORE.github_repos))
        if route == "/hook-invocations" and method == "GET":
            from .runner import hooks

            return _json(start_response, 200, hooks.describe(query.get("deployment")))
        if route == "/event-deliveries" and method == "GET":
            from .judge import access

            return _json(start_response, 200, list(access.DELIVERIES.records))
        if route == "/executions" and method == "GET":
            from .runner import registry

            return _json(start_response, 200, registry.describe())
        return _json(start_response, 404, {"error": f"no control route {method} {path}"})
    except (ConfigError, ValueError) as err:
        return _json(start_response, 400, {"error": str(err)})


def localstack_health(start_response: Callable) -> Iterable[bytes]:
    return _json(start_response, 200, {
        "services": {name: "available" for name in LOCALSTACK_SERVICES},
        "edition": "pipewright-emulator",
        "version": __version__,
    })


class Middleware:
    """Latency, faults, disabled operations, counters and CodeStar Connections around moto."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith("/_pipewright/"):
            return control_app(environ, start_response)
        if path.rstrip("/") == "/_localstack/health":
            return localstack_health(start_response)
        if path.startswith("/moto-api"):
            if path.rstrip("/") == "/moto-api/reset" and method == "POST":
                full_reset()
                return _json(start_response, 200, {"status": "ok"})
            return self.app(environ, start_response)

        info = identify(environ)
        CURRENT_KEY.set(info.access_key)
        if CONTROL.is_disabled(info.access_key, info.key):
            CONTROL.count(info.access_key, info.key)
            return _raw(start_response, not_implemented_response(info))
        delay = CONTROL.latency_seconds(info.access_key)
        if delay > 0:
            time.sleep(delay)
        fault = CONTROL.draw_fault(info.access_key)
        if fault is not None and fault[1] == "before":
            CONTROL.count(info.access_key, info.key, faulted=True)
            return _raw(start_response, fault_response(info, fault[0]))
        CONTROL.count(info.access_key, info.key, faulted=fault is not None)
        denied = self._judge(environ, info)
        if denied is not None:
            return _raw(start_response, denied)
        if fault is not None:
            self._call_and_discard(environ, info)
            return _raw(start_response, fault_response(info, fault[0]))
        return self._call(environ, start_response, info)

    @staticmethod
    def _judge(environ: dict, info) -> tuple[int, list, bytes] | None:
        """A request signed with a build's credentials is judged as the build's role (judge.requests)."""
        from .judge import requests

        if requests.session_of(info.access_key) is None:
            return None
        denial = requests.authorize(info, environ, read_body(environ))
        if denial is None:
            return None
        code, message, status = requests.refusal(info, denial)
        return error_response(info, code, message, status)

    def _dispatch(self, environ: dict, start_response: Callable, info) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        # botocore and the Rust SDK send e.g. com.amazonaws.codestar.connections.CodeStar_connections_20191201.X
        if "CodeStar_connections_20191201." in target or "CodeConnections_20231201." in target:
            from . import codestar_connections

            return _raw(start_response, codestar_connections.handle(info, read_body(environ), environ))
        return self.app(environ, start_response)

    def _call(self, environ: dict, start_response: Callable, info) -> Iterable[bytes]:
        try:
            return self._dispatch(environ, start_response, info)
        except NotImplementedError:
            return _raw(start_response, not_implemented_response(info))
        except Exception as err:  # noqa: BLE001 - answer in the service's protocol, not an HTML page
            import traceback

            traceback.print_exc()
            return _raw(start_response, error_response(info, "InternalFailure",
                                                       f"pipewright emulator error: {type(err).__name__}: {err}", 500))

    def _call_and_discard(self, environ: dict, info) -> None:
        def sink(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            return lambda data: None

        try:
            result = self._dispatch(environ, sink, info)
            try:
                for _ in result:
                    pass
            finally:
                close = getattr(result, "close", None)
                if close:
                    close()
        except Exception:  # noqa: BLE001 - the client sees the injected fault either way
            pass


def _check_loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise SystemExit(f"pipewright-emulator: --host {host!r} is not an IP address; use a loopback address")
    if not address.is_loopback:
        raise SystemExit(f"pipewright-emulator: refusing to bind {host}: only loopback addresses are allowed")
    return str(address)


def _same_key_as_the_middleware() -> None:
    """moto reads a request's access key id with a regex that wants exactly 20 characters, and calls
    anything else ``AKIAEXAMPLE``: the knobs a handler reads (start_on_create, iam_propagation_ms, the
    judgements of a build or deployment it starts) would then miss the scope of a shorter test key.
    Handlers see the key the middleware identified instead."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.get_access_key

    def get_access_key(self) -> str:
        key = CURRENT_KEY.get()
        return key if key not in ("*", ANONYMOUS) else original(self)

    BaseResponse.get_access_key = get_access_key


def build_app() -> Middleware:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    _same_key_as_the_middleware()

    from .patches import configure, ensure

    configure(INSTALLERS)

    class Dispatcher(DomainDispatcherApplication):
        """moto finds each request's service by listing its package folder and trying hundreds of
        URL patterns, under one lock shared by every request thread: with many clients at once
        that was half the emulator's time. A host's service never changes, so it is remembered."""

        def __init__(self, create_app: Callable) -> None:
            super().__init__(create_app)
            self._backend_for_host: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            try:
                return self._backend_for_host[host]
            except KeyError:
                backend = super().get_backend_for_host(host)
                self._backend_for_host[host] = backend
                return backend

    def create_app(service: str):
        ensure(service)
        return create_backend_app(service)

    return Middleware(Dispatcher(create_app))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="pipewright_emulator", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PIPEWRIGHT_EMULATOR_PORT", "4566")))
    args = parser.parse_args(argv)
    host = _check_loopback(args.host)
    try:  # lead our own process group so `emulator stop` can end it with everything it started
        os.setsid()
    except OSError:
        pass  # already a session leader (started through setsid)

    os.environ.setdefault("MOTO_PORT", str(args.port))
    # CodeBuild's CODEPIPELINE sources and trust policies are checked by our code, not moto's.
    SERVER_STATE["port"] = args.port

    import logging

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    if not os.environ.get("PIPEWRIGHT_EMULATOR_DEBUG"):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from .runner import registry

    registry.init(args.port)
    app = build_app()
    server = make_server(host, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    server.daemon_threads = True
    servers = [server]
    if host == "127.0.0.1" and args.host in ("127.0.0.1", "localhost"):
        # "localhost" may resolve to ::1 first (pipewright's --localstack uses it): answer there too
        try:
            server6 = make_server("::1", args.port, app, threaded=True, request_handler=MotoRequestHandler)
            server6.daemon_threads = True
            threading.Thread(target=server6.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
            servers.append(server6)
        except OSError:
            pass

    def stop(signum: int, frame: Any) -> None:
        for srv in servers:
            threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"pipewright-emulator {__version__} (moto 5.2.5) listening on http://{host}:{args.port} pid {os.getpid()}",
          flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        registry.shutdown()
        print("pipewright-emulator stopped", flush=True)
    sys.exit(0)
