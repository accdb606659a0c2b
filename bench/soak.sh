#!/usr/bin/env bash
# A sustained 90/10 read/write mix (lua/soak.lua) against one server with its job
# workers on, on a freshly seeded site: does the job queue keep up, and how long does a
# comment's notification (and its email) take? Builds nothing.
#
#   bench/soak.sh --binary target/release/conduit [--backend sqlite|postgres]
#                 [--articles 10000] [--duration 300] [--connections 64]
#
# Prints the queue depth (queued or running jobs) and the age of its oldest job every
# 30 s, the load's figures, then, for the jobs the soak queued: how many finished within
# 60 s after it ended, and per kind the delay from being queued to done (p50, p99, max).
# "comment to email" is the whole chain: a comment's write (or, on builds before writes
# made their notifications themselves, its notification job queued) to the
# email job it queued done. The authors of the articles commented on each have a webhook
# for `comment.created` (to webhook_sink.py on the next port): "comment to webhook" is a
# comment's write to its delivery answered.
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
duration=300
connections=64
port=19496
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}/soak"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST=10
rm -rf "$data_dir"
schema=bench_soak
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir" "$schema"

base="http://127.0.0.1:$port"
sink_port=$((port + 1))
python3 "$here/webhook_sink.py" --port "$sink_port" >"$data_dir/sink.log" 2>&1 &
sink_pid=$!
stop_all() { stop_server; kill -TERM "$sink_pid" 2>/dev/null || true; }
trap stop_all EXIT
metrics_token="bench-metrics-token-0123456789"
CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  CONDUIT_WEBHOOK_ALLOW_PRIVATE=true CONDUIT_METRICS_TOKEN="$metrics_token" \
  CONDUIT_MAIL_DIR="$(fresh_mail_dir soak)" "$binary" serve >"$data_dir/server.log" 2>&1 &
server_pid=$!
wait_up "$base" "$data_dir/server.log"

python3 "$here/tokens.py" --count 100 >"$data_dir/tokens.txt"
export BENCH_TOKENS="$data_dir/tokens.txt" BENCH_RUN="$RANDOM$RANDOM"
BENCH_SLUGS=$(curl -fs "$base/api/articles?limit=50" | json "','.join(a['slug'] for a in d['articles'])")
export BENCH_SLUGS
authors=$(site_sql "$schema" "SELECT DISTINCT author_id FROM articles WHERE slug IN ('${BENCH_SLUGS//,/\',\'}')" | paste -sd, -)
hooks=0
for token in $(python3 "$here/tokens.py" --ids "$authors"); do
  curl -fs -X POST "$base/api/webhooks" -H "Authorization: Token $token" \
    -H 'Content-Type: application/json' \
    -d "{\"webhook\":{\"url\":\"http://127.0.0.1:$sink_port/hook\",\"secret\":\"bench-webhook-secret-0123\",\"events\":[\"comment.created\"]}}" >/dev/null
  hooks=$((hooks + 1))
done

# Timestamps are stored in UTC without a zone, as the server writes them.
started=$(date -u '+%Y-%m-%d %H:%M:%S')
if [ "$backend" = postgres ]; then
  age="COALESCE(EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - MIN(created_at)), 0)::int"
  delay() { echo "EXTRACT(EPOCH FROM $1 - $2)"; }
  notification_of="(e.payload::json->>'notification_id')::int"
else
  age="COALESCE(CAST((julianday('now') - julianday(MIN(created_at))) * 86400 AS INTEGER), 0)"
  delay() { echo "(julianday($1) - julianday($2)) * 86400"; }
  notification_of="json_extract(e.payload, '\$.notification_id')"
fi
depth() {
  site_sql "$schema" "SELECT COUNT(*) || ' jobs, oldest ' || $age || ' s' FROM jobs WHERE state IN ('queued', 'running')"
}

echo "### soak: $backend, $articles articles, $connections connections, ${duration}s, commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "$hooks authors of the articles commented on have a webhook for comment.created."
echo
wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s --latency -s "$here/lua/soak.lua" "$base" \
  >"$data_dir/wrk.txt" 2>&1 &
wrk_pid=$!
# memory: RSS now, and what the caches hold of it (/metrics).
memory() {
  curl -fs -H "Authorization: Bearer $metrics_token" "$base/metrics" | awk '
    /^process_resident_memory_bytes / { rss = $2 }
    /^cache_weighted_bytes\{/ { caches += $2 }
    END { printf "%.0f MB | %.1f MB", rss / 1048576, caches / 1048576 }'
}
echo "| after | queue depth | peak RSS | RSS | caches |"
echo "|---|---|---|---|---|"
elapsed=0
while kill -0 "$wrk_pid" 2>/dev/null; do
  sleep 30
  elapsed=$((elapsed + 30))
  kill -0 "$wrk_pid" 2>/dev/null || break
  echo "| ${elapsed} s | $(depth) | $(peak_rss) | $(memory) |"
done
wait "$wrk_pid" || true
echo "| end of load | $(depth) | $(peak_rss) | $(memory) |"
for _ in $(seq 1 60); do
  [ "$(site_sql "$schema" "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")" = 0 ] && break
  sleep 1
done
echo "| drained after | $(depth) | $(peak_rss) | $(memory) |"
echo
echo '```'
grep -E "Requests/sec|Non-2xx|Socket errors|    (50|99)%" "$data_dir/wrk.txt" || true
echo '```'
echo

{
  site_sql "$schema" "SELECT kind, $(delay updated_at created_at), state FROM jobs WHERE created_at >= '$started'" \
    | sed 's/^/job|/'
  site_sql "$schema" "SELECT 'comment to email', $(delay e.updated_at j.created_at), e.state FROM jobs e
    JOIN notifications n ON n.id = $notification_of
    JOIN jobs j ON j.id = CASE WHEN n.dedupe_key LIKE 'job:%' THEN CAST(substr(n.dedupe_key, 5) AS INTEGER) END
    WHERE e.kind = 'email.notification' AND j.kind = 'notify.one' AND j.created_at >= '$started'" \
    | sed 's/^/job|/'
  # Notifications the comment's write made itself (their email from the write), and, on
  # builds before those, through a notify.one job (from the start of that job).
  site_sql "$schema" "SELECT 'comment to email', $(delay e.updated_at n.created_at), e.state FROM jobs e
    JOIN notifications n ON n.id = $notification_of
    WHERE e.kind = 'email.notification' AND n.dedupe_key LIKE 'write:%' AND n.created_at >= '$started'" \
    | sed 's/^/job|/'
  # Builds whose recipients share one email job: from the comment's notification to the
  # job that took it done (the email sent). Such notifications have no key, or on builds
  # before that a random `write:` one; older builds have no `email_job`, hence `|| true`.
  site_sql "$schema" "SELECT 'comment to email', $(delay e.updated_at n.created_at),
      CASE WHEN e.state = 'done' THEN 'done' ELSE 'waiting' END FROM notifications n
    LEFT JOIN jobs e ON e.id = n.email_job
    WHERE n.emailed AND (n.dedupe_key IS NULL OR n.dedupe_key LIKE 'write:%')
      AND n.kind = 'comment' AND n.created_at >= '$started'" 2>/dev/null \
    | sed 's/^/job|/' || true
  # Deliveries the comment's write queued itself (from the start of the delivery), and,
  # on builds before those, through a webhook.event job (from the start of that job).
  site_sql "$schema" "SELECT 'comment to webhook', $(delay d.updated_at d.created_at),
      CASE d.state WHEN 'succeeded' THEN 'done' ELSE d.state END FROM webhook_deliveries d
    WHERE d.source_key NOT LIKE 'event:%' AND d.created_at >= '$started'" \
    | sed 's/^/job|/'
  site_sql "$schema" "SELECT 'comment to webhook', $(delay d.updated_at j.created_at),
      CASE d.state WHEN 'succeeded' THEN 'done' ELSE d.state END FROM jobs j
    JOIN webhook_deliveries d ON d.source_key = 'event:' || j.id
    WHERE j.kind = 'webhook.event' AND j.created_at >= '$started'" \
    | sed 's/^/job|/'
} | python3 -c '
import sys, collections
rows = collections.defaultdict(list)
for line in sys.stdin:
    _, kind, seconds, state = line.rstrip("\n").split("|")
    rows[kind].append(float(seconds) if state == "done" else float("inf"))
print("| jobs of the soak | count | not done | p50 | p99 | max |")
print("|---|---|---|---|---|---|")
def fmt(s):
    return "never" if s == float("inf") else f"{s * 1000:.0f} ms"
for kind, delays in sorted(rows.items()):
    delays.sort()
    pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
    undone = sum(1 for d in delays if d == float("inf"))
    print(f"| {kind} | {len(delays)} | {undone} | {fmt(pick(0.5))} | {fmt(pick(0.99))} | {fmt(delays[-1])} |")
'
kill -TERM "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
echo
cat "$data_dir/sink.log"
