#!/usr/bin/env bash
# ApplicationStart: start the new revision. Replace the web server below with your application.
set -euo pipefail

cd /var/www/ec2-rolling
# Output goes to a file: a background process holding the hook's output would make it hang.
nohup python3 -m http.server 8080 >/var/log/ec2-rolling.log 2>&1 &
echo $! >/var/run/ec2-rolling.pid
