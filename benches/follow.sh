#!/usr/bin/env bash
# Follow lag: `pipewright logs --follow` beside a replica of `aws logs tail --follow` (5 s
# between FilterLogEvents rounds) on a build printing a timestamped line every 200 ms for 10 s.
#
# Usage: benches/follow.sh     (prints one line per tool: lines, median and max lag)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PW="${PIPEWRIGHT:-$ROOT/target/release/pipewright}"
[[ -x "$PW" ]] || cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
PY="$ROOT/localstack/.venv/bin/python"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pipewright-follow.XXXXXX")"
trap '"$ROOT/localstack/emulator" stop --port "$PORT" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
ENDPOINT="$("$ROOT/localstack/emulator" start --port "$PORT" | tail -n1)"
KEY=AKIAPIPEWRIGHTFOLLOW
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="$ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY=bench \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
curl -fsS -X POST "$ENDPOINT/_pipewright/config" -d "{\"scope\": \"$KEY\", \"start_on_create\": false}" >/dev/null

cd "$WORK"
cat > pipewright.yml <<'YML'
version: 1
name: follow
source:
  s3: { bucket: follow-src, key: source.zip }
build:
  commands:
    - sleep 3
    - for i in $(seq 1 50); do echo "tick-$i $(date +%s%3N)"; sleep 0.2; done
    - mkdir -p dist && touch dist/x
  artifacts: { base_directory: dist }
deploy:
  s3: { bucket: follow-site }
YML
"$PY" - <<'PY'
import io, zipfile, boto3
s3 = boto3.client("s3")
s3.create_bucket(Bucket="follow-src")
s3.put_bucket_versioning(Bucket="follow-src", VersioningConfiguration={"Status": "Enabled"})
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("README.txt", "follow\n")
s3.put_object(Bucket="follow-src", Key="source.zip", Body=buf.getvalue())
PY
"$PW" up --yes >/dev/null 2>&1
ID="$("$PW" run --no-wait)"
"$PW" logs --follow --until-done --execution "$ID" 2>/dev/null \
    | "$PY" "$ROOT/benches/lag.py" "pipewright logs --follow" > pw.txt &
read -r GROUP STREAM < <("$PY" - <<'PY'
import time, boto3
cb = boto3.client("codebuild")
while True:
    ids = cb.list_builds_for_project(projectName="follow-build").get("ids", [])
    if ids:
        logs = cb.batch_get_builds(ids=ids[:1])["builds"][0].get("logs") or {}
        if logs.get("streamName"):
            print(logs["groupName"], logs["streamName"])
            break
    time.sleep(0.1)
PY
)
"$PY" "$ROOT/benches/tail5s.py" "$GROUP" "$STREAM" 20 \
    | "$PY" "$ROOT/benches/lag.py" "aws logs tail --follow (replica, 5 s rounds)" > tail.txt &
wait
cat pw.txt tail.txt
