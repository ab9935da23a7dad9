#!/usr/bin/env bash
# ValidateService: fail the deployment (and roll back) unless the new revision answers.
set -euo pipefail

for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if curl --silent --fail http://localhost:8080/ >/dev/null; then
    exit 0
  fi
  echo "not answering yet (attempt $attempt)"
  sleep 3
done
echo "ec2-rolling did not answer on port 8080" >&2
exit 1
