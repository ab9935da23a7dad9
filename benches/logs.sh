#!/usr/bin/env bash
# `pipewright logs --all` of a 100 000-line build beside awslogs (`awslogs get`) and boto3's
# GetLogEvents paginator on the same stream, with the emulator at 0 ms and 50 ms latency; plus
# the emulator's own serving time for that stream (serve.py) and pipewright's peak RSS.
#
# Usage: benches/logs.sh [RUNS]          (default 3 runs per cell; the median is reported)
#        LINES=1000000 benches/logs.sh   (another build size)
#
# Needs: Python 3.10+ (a venv for awslogs is made in benches/.venv), /usr/bin/time, curl.
# Prints a Markdown table. Everything runs on a private emulator on a free port.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-3}"
LINES="${LINES:-100000}"
PW="${PIPEWRIGHT:-$ROOT/target/release/pipewright}"
if [[ ! -x "$PW" ]]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
fi
EMU_PY="$ROOT/localstack/.venv/bin/python"
VENV="$ROOT/benches/.venv"
if [[ ! -x "$VENV/bin/awslogs" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet awslogs==0.15.0
fi

PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pipewright-bench.XXXXXX")"
trap '"$ROOT/localstack/emulator" stop --port "$PORT" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
ENDPOINT="$("$ROOT/localstack/emulator" start --port "$PORT" | tail -n1)"
KEY=AKIAPIPEWRIGHTBENCH1
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="$ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
    AWS_ACCESS_KEY_ID="$KEY" AWS_SECRET_ACCESS_KEY=bench \
    AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

knob() { curl -fsS -X POST "$ENDPOINT/_pipewright/config" -d "{\"scope\": \"$KEY\", $1}" >/dev/null; }

# A pipeline whose build prints $LINES lines, run once.
knob '"start_on_create": false'
cd "$WORK"
cat > pipewright.yml <<EOF
version: 1
name: bench
source:
  s3: { bucket: bench-src, key: source.zip }
build:
  commands:
    - seq 1 $LINES | sed 's/^/line-/'
    - mkdir -p dist && touch dist/x
  artifacts: { base_directory: dist }
deploy:
  s3: { bucket: bench-site }
EOF
"$EMU_PY" - <<'PY'
import io, zipfile, boto3
s3 = boto3.client("s3")
s3.create_bucket(Bucket="bench-src")
s3.put_bucket_versioning(Bucket="bench-src", VersioningConfiguration={"Status": "Enabled"})
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("README.txt", "bench\n")
s3.put_object(Bucket="bench-src", Key="source.zip", Body=buf.getvalue())
PY
"$PW" up --yes >/dev/null
"$PW" run >/dev/null
read -r GROUP STREAM < <("$EMU_PY" - <<'PY'
import boto3
cb = boto3.client("codebuild")
ids = cb.list_builds_for_project(projectName="bench-build")["ids"]
logs = cb.batch_get_builds(ids=ids[:1])["builds"][0]["logs"]
print(logs["groupName"], logs["streamName"])
PY
)

# Every tool must print every line once before it is timed.
check() {
    local name="$1"; shift
    local got
    got="$("$@" 2>/dev/null | grep -c '^line-' || true)"
    [[ "$got" == "$LINES" ]] || { echo "$name printed $got of $LINES lines" >&2; exit 1; }
}
PAGINATOR=("$EMU_PY" "$ROOT/benches/paginator.py" "$GROUP" "$STREAM")
AWSLOGS=("$VENV/bin/awslogs" get "$GROUP" "$STREAM" --start=1d --no-group --no-stream
         --aws-endpoint-url "$ENDPOINT" --aws-region us-east-1)
check pipewright "$PW" logs --all
check paginator "${PAGINATOR[@]}"
check awslogs "${AWSLOGS[@]}"

# Median wall seconds (and max RSS in MB for the median run) of RUNS runs.
measure() {
    local results=()
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
            cat "$WORK/err" >&2; exit 1; }
        results+=("$(cat "$WORK/time")")
    done
    printf '%s\n' "${results[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p" \
        | awk '{ printf "%.2f %.1f\n", $1, $2 / 1024 }'
}
serve() {
    local times=()
    for _ in $(seq "$RUNS"); do
        times+=("$("$EMU_PY" "$ROOT/benches/serve.py" "$ENDPOINT" "$KEY" "$GROUP" "$STREAM")")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

echo
echo "logs --all of a $LINES-line build (median of $RUNS; RSS = peak resident memory)"
echo
echo "| latency | pipewright | RSS | boto3 paginator | awslogs get | emulator serving | vs paginator | vs awslogs | vs serving |"
echo "|---|---|---|---|---|---|---|---|---|"
for latency in 0 50; do
    knob "\"latency_ms\": $latency"
    read -r pw_s pw_mb < <(measure "$PW" logs --all)
    read -r pg_s _ < <(measure "${PAGINATOR[@]}")
    read -r al_s _ < <(measure "${AWSLOGS[@]}")
    sv_s="$(serve)"
    ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
    echo "| ${latency} ms | ${pw_s} s | ${pw_mb} MB | ${pg_s} s | ${al_s} s | ${sv_s} s | $(ratio "$pg_s" "$pw_s") | $(ratio "$al_s" "$pw_s") | $(ratio "$pw_s" "$sv_s") of it |"
done
