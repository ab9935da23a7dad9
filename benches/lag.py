"""Read lines `... tick-N <epoch ms>` from stdin; print how late each arrived (median, max).

Usage: some-follower | python lag.py NAME
"""
import re
import statistics
import sys
import time

name = sys.argv[1]
lags, seen = [], []
for line in sys.stdin:
    now = time.time() * 1000
    match = re.search(r"tick-(\d+) (\d+)", line)
    if match:
        seen.append(int(match.group(1)))
        lags.append(now - int(match.group(2)))
in_order_once = seen == list(range(1, len(seen) + 1))
print(f"{name}: {len(lags)} lines (each once, in order: {in_order_once}), "
      f"lag median {statistics.median(lags):.0f} ms, max {max(lags):.0f} ms")
