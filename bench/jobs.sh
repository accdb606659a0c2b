#!/usr/bin/env bash
# How fast the job workers drain a backlog, with a long history of finished jobs in the
# table (the queue keeps them a week), and what idle workers cost afterwards.
# Builds nothing.
#
#   bench/jobs.sh --binary target/release/conduit [--backend sqlite|postgres]
#                 [--history 100000] [--comments 3000] [--workers 2]
#
# 1. seeds a small site (1,000 articles) and adds --history finished jobs;
# 2. with the workers off, posts --comments comments (8 at a time, spread over the
#    articles, each by one of 100 members), which enqueue their jobs;
# 3. starts the server with --workers workers and times the drain (queued + running
#    down to zero, polled every 100 ms): jobs per second;
# 4. then measures the server's CPU over 10 idle seconds.
set -euo pipefail

binary=""
backend="sqlite"
history=100000
comments=3000
workers=2
port=19490
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}/jobs"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --history) history="$2"; shift 2 ;;
    --comments) comments="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST=10
# A fresh site every run: the queue's history is part of the measurement.
rm -rf "$data_dir"
seed_site "$binary" "$backend" 1000 "$pg_url" "$data_dir" bench_jobs

sql() { site_sql bench_jobs "$1"; }

echo "adding $history finished jobs" >&2
if [ "$backend" = postgres ]; then
  sql "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
       SELECT 'comment_posted', '{}', 'done', 1, 8, now(), now(), now() FROM generate_series(1, $history)"
else
  sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $history)
       INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at, created_at, updated_at)
       SELECT 'comment_posted', '{}', 'done', 1, 8, datetime('now'), datetime('now'), datetime('now') FROM n"
fi

base="http://127.0.0.1:$port"
trap stop_server EXIT
start_server() {
  CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
    CONDUIT_WORKERS="$1" CONDUIT_MAIL_DIR="$data_dir/mail" \
    "$binary" serve >>"$data_dir/server.log" 2>&1 &
  server_pid=$!
  wait_up "$base" "$data_dir/server.log"
}

start_server 0
python3 "$here/tokens.py" --count 100 >"$data_dir/tokens.txt"
slugs=$(curl -fs "$base/api/articles?limit=100" | json "'\n'.join(a['slug'] for a in d['articles'])")
echo "posting $comments comments with the workers off" >&2
python3 - "$base" "$comments" "$data_dir/tokens.txt" "$slugs" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, count, tokens, slugs = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read().split(), sys.argv[4].split()
def post(i):
    body = json.dumps({"comment": {"body": f"Queued comment {i}"}}).encode()
    req = urllib.request.Request(f"{base}/api/articles/{slugs[i % len(slugs)]}/comments", body,
        {"Content-Type": "application/json", "Authorization": f"Token {tokens[i % len(tokens)]}"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 201, r.status
with ThreadPoolExecutor(8) as pool:
    list(pool.map(post, range(count)))
PY
stop_server
queued=$(sql "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
echo "$queued jobs queued; starting $workers workers" >&2

started=$(date +%s.%N)
start_server "$workers"
while [ "$(sql "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")" != 0 ]; do
  sleep 0.1
done
drained=$(date +%s.%N)
ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
idle_before=$(ticks)
sleep 10
idle_after=$(ticks)
hz=$(getconf CLK_TCK)
dead=$(sql "SELECT COUNT(*) FROM jobs WHERE state = 'dead'")
python3 - "$backend" "$history" "$queued" "$workers" "$started" "$drained" \
  "$idle_before" "$idle_after" "$hz" "$dead" <<'PY'
import sys
backend, history, queued, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secs = float(sys.argv[6]) - float(sys.argv[5])
idle = (int(sys.argv[8]) - int(sys.argv[7])) / int(sys.argv[9]) / 10 * 100
print(f"| {backend} | {history} | {queued} | {workers} | {secs:.1f} s | {queued / secs:.0f} | {idle:.1f} % | {sys.argv[10]} |")
PY
