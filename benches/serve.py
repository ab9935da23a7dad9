"""The emulator's own serving time for a stream: the same GetLogEvents pages as the paginator,
sent over one kept-alive HTTP connection, bodies read but not parsed beyond the next token.

Usage: python serve.py ENDPOINT ACCESS_KEY GROUP STREAM   → seconds on stdout
"""
import http.client
import json
import re
import sys
import time
from urllib.parse import urlparse

endpoint, key, group, stream = sys.argv[1:5]
url = urlparse(endpoint)
conn = http.client.HTTPConnection(url.hostname, url.port)
headers = {
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "Logs_20140328.GetLogEvents",
    # moto does not check signatures; the emulator scopes knobs by this key id.
    "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/20240101/us-east-1/logs/aws4_request, "
    "SignedHeaders=host, Signature=0",
}
token = None
started = time.perf_counter()
while True:
    body = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    if token:
        body["nextToken"] = token
    conn.request("POST", "/", json.dumps(body), headers)
    raw = conn.getresponse().read()
    # Find the token without decoding every event.
    nxt = re.search(rb'"nextForwardToken":\s*"([^"]+)"', raw).group(1).decode()
    if nxt == token:
        break
    token = nxt
print(f"{time.perf_counter() - started:.3f}")
