"""The baseline: boto3's GetLogEvents paginator over one stream, every line to stdout.

Usage: python paginator.py GROUP STREAM   (endpoint and credentials from the AWS_* variables)
Prints the lines; on stderr, the time spent fetching (after imports and client creation).
"""
import sys
import time

import boto3

group, stream = sys.argv[1], sys.argv[2]
client = boto3.client("logs")
started = time.perf_counter()
out = sys.stdout
token = None
kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
while True:
    page = client.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
    for event in page["events"]:
        out.write(event["message"].rstrip("\n") + "\n")
    if page["nextForwardToken"] == token:
        break
    token = page["nextForwardToken"]
print(f"fetch {time.perf_counter() - started:.3f}", file=sys.stderr)
