#!/usr/bin/env bash
# BeforeInstall: prepare the instance before CodeDeploy copies the new files into /var/www/ec2-rolling.
set -euo pipefail

# Install what the application needs, e.g.:
#   dnf install -y python3
mkdir -p /var/www/ec2-rolling
