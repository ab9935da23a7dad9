#!/usr/bin/env bash
# ApplicationStop: stop the running revision before the new one is installed.
# CodeDeploy runs this from the *previous* revision, and not at all on an instance's first deployment.
set -euo pipefail

if [ -f /var/run/ec2-rolling.pid ]; then
  kill "$(cat /var/run/ec2-rolling.pid)" 2>/dev/null || true
  rm -f /var/run/ec2-rolling.pid
fi
