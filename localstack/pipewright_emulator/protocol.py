"""Who sent a request, to which service and operation, and how that service words errors.

The middleware needs this before moto sees the request: knobs are scoped by the SigV4
access key id, counters and disabled operations use botocore operation names, and an
injected fault must be answered in the service's own protocol so SDKs classify it right.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")

# Services whose signing name differs from the name used in "service:Operation" keys.
# (None so far: pipewright's keys are the SigV4 signing names.)
QUERY_SERVICES = {
    "iam", "sts", "sns", "cloudformation", "elasticloadbalancing", "autoscaling", "rds",
    "elasticache", "redshift", "cloudwatch", "monitoring", "ses", "sdb", "ec2",
}

ANONYMOUS = "anonymous"


@dataclass
class RequestInfo:
    access_key: str
    region: str
    service: str
    operation: str
    protocol: str  # json | rest-json | query | ec2 | s3

    @property
    def key(self) -> str:
        return f"{self.service}:{self.operation}"


def _read_body(environ: dict) -> bytes:
    """Read the request body once and put it back so the wrapped app can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length > 0:
        body = stream.read(length)
    elif environ.get("wsgi.input_terminated") or environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    return body


def read_body(environ: dict) -> bytes:
    return _read_body(environ)


def identify(environ: dict) -> RequestInfo:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    query = environ.get("QUERY_STRING", "")
    akid, region, service = ANONYMOUS, "us-east-1", ""
    match = _CREDENTIAL.search(auth)
    if match is None and "X-Amz-Credential" in query:
        cred = parse_qs(query).get("X-Amz-Credential", [""])[0]
        parts = cred.split("/")
        if len(parts) == 5:
            akid, region, service = parts[0], parts[2], parts[3]
    elif match is not None:
        akid, region, service = match.group(1), match.group(2), match.group(3)
    service = service.lower()

    target = environ.get("HTTP_X_AMZ_TARGET")
    method = environ.get("REQUEST_METHOD", "GET").upper()
    path = environ.get("PATH_INFO", "/")
    content_type = environ.get("CONTENT_TYPE", "")
    if target:
        return RequestInfo(akid, region, service, target.rsplit(".", 1)[-1], "json")
    if service == "s3":
        return RequestInfo(akid, region, service, s3_operation(environ, method, path, query), "s3")
    if service in QUERY_SERVICES or content_type.startswith("application/x-www-form-urlencoded"):
        params = parse_qs(query)
        action = params.get("Action", [""])[0]
        if not action and method == "POST":
            body = _read_body(environ)
            try:
                action = parse_qs(body.decode("utf-8")).get("Action", [""])[0]
            except UnicodeDecodeError:
                action = ""
        protocol = "ec2" if service == "ec2" else "query"
        return RequestInfo(akid, region, service or "unknown", action or "Unknown", protocol)
    return RequestInfo(akid, region, service or "unknown", rest_operation(service, environ), "rest-json")


def rest_operation(service: str, environ: dict) -> str:
    """Operation name of a REST request, from botocore's model via moto's router."""
    try:
        from moto.core.request import Request
        from moto.core.routing import get_service_router

        request = Request(dict(environ))
        operation, _ = get_service_router(service).match(request)
        return operation.name
    except Exception:  # noqa: BLE001 - an unknown route is just "unknown"
        return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"


# --- S3: REST method + path + sub-resource -> botocore operation name -------------------

_S3_BUCKET = {
    "GET": [
        ("versioning", "GetBucketVersioning"), ("policyStatus", "GetBucketPolicyStatus"),
        ("policy", "GetBucketPolicy"), ("publicAccessBlock", "GetPublicAccessBlock"),
        ("encryption", "GetBucketEncryption"), ("lifecycle", "GetBucketLifecycleConfiguration"),
        ("website", "GetBucketWebsite"), ("tagging", "GetBucketTagging"),
        ("versions", "ListObjectVersions"), ("location", "GetBucketLocation"),
        ("acl", "GetBucketAcl"), ("cors", "GetBucketCors"),
        ("notification", "GetBucketNotificationConfiguration"), ("logging", "GetBucketLogging"),
        ("ownershipControls", "GetBucketOwnershipControls"), ("uploads", "ListMultipartUploads"),
        ("object-lock", "GetObjectLockConfiguration"), ("replication", "GetBucketReplication"),
        ("accelerate", "GetBucketAccelerateConfiguration"), ("requestPayment", "GetBucketRequestPayment"),
        ("analytics", "GetBucketAnalyticsConfiguration"), ("metrics", "GetBucketMetricsConfiguration"),
        ("inventory", "GetBucketInventoryConfiguration"),
        ("intelligent-tiering", "GetBucketIntelligentTieringConfiguration"),
    ],
    "PUT": [
        ("versioning", "PutBucketVersioning"), ("policy", "PutBucketPolicy"),
        ("publicAccessBlock", "PutPublicAccessBlock"), ("encryption", "PutBucketEncryption"),
        ("lifecycle", "PutBucketLifecycleConfiguration"), ("website", "PutBucketWebsite"),
        ("tagging", "PutBucketTagging"), ("acl", "PutBucketAcl"), ("cors", "PutBucketCors"),
        ("notification", "PutBucketNotificationConfiguration"), ("logging", "PutBucketLogging"),
        ("ownershipControls", "PutBucketOwnershipControls"),
        ("object-lock", "PutObjectLockConfiguration"), ("replication", "PutBucketReplication"),
        ("accelerate", "PutBucketAccelerateConfiguration"), ("requestPayment", "PutBucketRequestPayment"),
        ("analytics", "PutBucketAnalyticsConfiguration"), ("metrics", "PutBucketMetricsConfiguration"),
        ("inventory", "PutBucketInventoryConfiguration"),
        ("intelligent-tiering", "PutBucketIntelligentTieringConfiguration"),
    ],
    "DELETE": [
        ("policy", "DeleteBucketPolicy"), ("publicAccessBlock", "DeletePublicAccessBlock"),
        ("encryption", "DeleteBucketEncryption"), ("lifecycle", "DeleteBucketLifecycle"),
        ("website", "DeleteBucketWebsite"), ("tagging", "DeleteBucketTagging"),
        ("cors", "DeleteBucketCors"), ("ownershipControls", "DeleteBucketOwnershipControls"),
        ("replication", "DeleteBucketReplication"), ("analytics", "DeleteBucketAnalyticsConfiguration"),
        ("metrics", "DeleteBucketMetricsConfiguration"), ("inventory", "DeleteBucketInventoryConfiguration"),
        ("intelligent-tiering", "DeleteBucketIntelligentTieringConfiguration"),
    ],
    "POST": [("delete", "DeleteObjects")],
}
_S3_BUCKET_DEFAULT = {"GET": "ListObjects", "PUT": "CreateBucket", "DELETE": "DeleteBucket",
                      "HEAD": "HeadBucket", "POST": "PostObject"}

_S3_OBJECT = {
    "GET": [("tagging", "GetObjectTagging"), ("acl", "GetObjectAcl"), ("uploadId", "ListParts"),
            ("attributes", "GetObjectAttributes"), ("retention", "GetObjectRetention"),
            ("legal-hold", "GetObjectLegalHold"), ("torrent", "GetObjectTorrent")],
    "PUT": [("tagging", "PutObjectTagging"), ("acl", "PutObjectAcl"),
            ("retention", "PutObjectRetention"), ("legal-hold", "PutObjectLegalHold")],
    "DELETE": [("tagging", "DeleteObjectTagging"), ("uploadId", "AbortMultipartUpload")],
    "POST": [("uploads", "CreateMultipartUpload"), ("uploadId", "CompleteMultipartUpload"),
             ("restore", "RestoreObject"), ("select", "SelectObjectContent")],
}
_S3_OBJECT_DEFAULT = {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject",
                      "HEAD": "HeadObject", "POST": "PostObject"}


def s3_operation(environ: dict, method: str, path: str, query: str) -> str:
    params = parse_qs(query, keep_blank_values=True)
    parts = unquote(path).lstrip("/").split("/", 1)
    if not parts[0]:
        return "ListBuckets" if method == "GET" else f"{method} /"
    is_object = len(parts) == 2 and parts[1] != ""
    if is_object:
        if method == "PUT":
            copy = "HTTP_X_AMZ_COPY_SOURCE" in environ
            if "partNumber" in params and "uploadId" in params:
                return "UploadPartCopy" if copy else "UploadPart"
            for sub, op in _S3_OBJECT["PUT"]:
                if sub in params:
                    return op
            return "CopyObject" if copy else "PutObject"
        for sub, op in _S3_OBJECT.get(method, []):
            if sub in params:
                return op
        return _S3_OBJECT_DEFAULT.get(method, method)
    if method == "GET" and params.get("list-type") == ["2"]:
        return "ListObjectsV2"
    for sub, op in _S3_BUCKET.get(method, []):
        if sub in params:
            return op
    return _S3_BUCKET_DEFAULT.get(method, method)


# --- Error bodies in each protocol ----------------------------------------------------------

_QUERY_XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_response(info: RequestInfo, code: str, message: str, status: int) -> tuple[int, list, bytes]:
    request_id = str(uuid.uuid4())
    sender = "Sender" if status < 500 else "Receiver"
    if info.protocol in ("json", "rest-json"):
        ctype = "application/x-amz-json-1.1" if info.protocol == "json" else "application/json"
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", ctype), ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)]
    elif info.protocol == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{_xml_escape(message)}</Message>"
            f"<RequestId>{request_id[:16].upper()}</RequestId><HostId>pipewright-emulator</HostId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id[:16].upper())]
    elif info.protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{code}</Code><Message>{_xml_escape(message)}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        xmlns = _QUERY_XMLNS.get(info.service, f"https://{info.service}.amazonaws.com/doc/")
        body = (
            f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{sender}</Type><Code>{code}</Code>'
            f"<Message>{_xml_escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


def fault_response(info: RequestInfo, kind: str) -> tuple[int, list, bytes]:
    """An injected fault, worded as the real service words it."""
    if kind == "throttle":
        if info.protocol == "s3":
            return error_response(info, "SlowDown", "Please reduce your request rate.", 503)
        if info.protocol == "ec2":
            return error_response(info, "RequestLimitExceeded", "Request limit exceeded.", 503)
        if info.protocol == "query":
            return error_response(info, "Throttling", "Rate exceeded", 400)
        return error_response(info, "ThrottlingException", "Rate exceeded", 400)
    if kind == "503":
        if info.protocol == "s3":
            return error_response(info, "ServiceUnavailable", "Please reduce your request rate.", 503)
        if info.protocol in ("json", "rest-json"):
            return error_response(info, "ServiceUnavailableException", "Service unavailable", 503)
        return error_response(info, "ServiceUnavailable", "Service is unable to handle request.", 503)
    # "500"
    if info.protocol in ("s3", "ec2"):
        return error_response(info, "InternalError", "We encountered an internal error. Please try again.", 500)
    return error_response(info, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500)


def not_implemented_response(info: RequestInfo) -> tuple[int, list, bytes]:
    """What LocalStack answers for an operation it does not serve (HTTP 501)."""
    message = f"API action '{info.operation}' for service '{info.service}' not yet implemented or pro feature"
    return error_response(info, "InternalFailure", message, 501)
