"""A replica of `aws logs tail --follow` (aws-cli v2, which is not on PyPI): FilterLogEvents
from the newest timestamp seen, de-duplicated by event id, 5 s between rounds.

Usage: python tail5s.py GROUP STREAM SECONDS
"""
import sys
import time

import boto3

group, stream, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
client = boto3.client("logs")
start, seen = int(time.time() * 1000) - 60_000, set()
deadline = time.time() + seconds
while time.time() < deadline:
    kwargs = {"logGroupName": group, "logStreamNames": [stream], "startTime": start}
    while True:
        page = client.filter_log_events(**kwargs)
        for event in page["events"]:
            if event["eventId"] not in seen:
                seen.add(event["eventId"])
                print(event["message"].rstrip("\n"), flush=True)
                start = max(start, event["timestamp"])
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    time.sleep(5)
