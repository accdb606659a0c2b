#!/usr/bin/env bash
# Live connections and GraphQL under load (issue "Live pages and a GraphQL API"): on a
# seeded site (as bench/run.sh seeds it), against a release binary. Builds nothing.
#
#   bench/live.sh --binary target/release/conduit [--backend sqlite|postgres]
#                 [--articles 10000] [--streams 1000] [--rounds 20] [--duration 10s]
#                 [--port 19490] [--pg-url …] [--data-dir /tmp/conduit-bench]
#
# Rows:
# - GraphQL against REST, 64 connections: `articles(limit: 20)` with authors and tags
#   against `GET /api/articles?limit=20`, and the signed-in `feed` against
#   `GET /api/articles/feed` (the bench user follows the newest articles' authors).
# - The cached anonymous article page (64 connections) with no live connection open.
# - The same while --streams live connections wait on that article (bench/live_clients.py).
# - Delivery: --rounds comments posted on that article, each timed from its POST until
#   every stream has it; and the server's RSS with the streams open and its peak.
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
streams=1000
rounds=20
duration="10s"
port=19490
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --streams) streams="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir"

base="http://127.0.0.1:$port"
work=$(mktemp -d)
trap 'stop_server; [ -n "${clients_pid:-}" ] && kill "$clients_pid" 2>/dev/null; rm -rf "$work"' EXIT

# One address holds every stream: the per-address cap must be above --streams.
CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  CONDUIT_LIVE_MAX_PER_ADDRESS=$(( streams + 100 )) "$binary" serve >"$data_dir/live-server.log" 2>&1 &
server_pid=$!
wait_up "$base" "$data_dir/live-server.log"

newest=$(curl -fs "$base/api/articles?limit=20")
slug=$(echo "$newest" | json "d['articles'][0]['slug']")
email="live$RANDOM$RANDOM@bench.test"
token=$(curl -fs -X POST -H 'Content-Type: application/json' "$base/api/users" \
  -d "{\"user\":{\"username\":\"live$RANDOM$RANDOM\",\"email\":\"$email\",\"password\":\"bench-password\"}}" \
  | json "d['user']['token']")
for author in $(echo "$newest" | json "' '.join(sorted({a['author']['username'] for a in d['articles']}))"); do
  curl -fs -o /dev/null -X POST -H "Authorization: Token $token" "$base/api/profiles/$author/follow"
done
export BENCH_TOKEN="$token"

row() { IFS='|' read -r rps p50 p99 errors <<<"$2"; printf '| %s | %s | %s | %s | %s |\n' "$1" "$rps" "$p50" "$p99" "$errors"; }
warm() { for _ in 1 2 3; do curl -fs -o /dev/null "$@"; done; }

fields='slug title description tagList createdAt updatedAt favorited favoritesCount author { username bio image following }'
list_body="{\"query\":\"{ articles(limit: 20) { articlesCount articles { $fields } } }\"}"
feed_body="{\"query\":\"{ feed(limit: 20) { articlesCount articles { $fields } } }\"}"
warm "$base/api/articles?limit=20"
warm -H "Authorization: Token $token" "$base/api/articles/feed?limit=20"
warm -X POST -H 'Content-Type: application/json' -d "$list_body" "$base/api/graphql"

echo "| $backend, $articles articles | req/s | p50 | p99 | errors |"
echo "| --- | --- | --- | --- | --- |"
row "REST GET /api/articles?limit=20" "$(measure 64 "$base/api/articles?limit=20")"
row "GraphQL articles(limit: 20)" "$(BENCH_GRAPHQL_BODY="$list_body" measure 64 -s "$here/lua/graphql.lua" "$base/api/graphql")"
row "REST GET /api/articles/feed?limit=20" "$(measure 64 -s "$here/lua/feed.lua" "$base/api/articles/feed?limit=20")"
row "GraphQL feed(limit: 20)" "$(BENCH_GRAPHQL_BODY="$feed_body" BENCH_GRAPHQL_SIGNED_IN=1 measure 64 -s "$here/lua/graphql.lua" "$base/api/graphql")"

warm "$base/article/$slug"
row "GET /article/:slug, no live connection" "$(measure 64 "$base/article/$slug")"
rss() { awk '/VmRSS/ {printf "%.0f MB", $2 / 1024}' "/proc/$server_pid/status"; }
rss_before=$(rss)

python3 "$here/live_clients.py" "$base" "$slug" "$token" "$streams" "$rounds" \
  "$work/ready" "$work/go" >"$work/delivery.json" &
clients_pid=$!
for _ in $(seq 1 600); do
  [ -f "$work/ready" ] && break
  kill -0 "$clients_pid" 2>/dev/null || { echo "live clients failed" >&2; exit 1; }
  sleep 0.1
done
[ -f "$work/ready" ] || { echo "the streams did not open within 60 s" >&2; exit 1; }
rss_held=$(rss)
row "GET /article/:slug, $streams live connections open" "$(measure 64 "$base/article/$slug")"
touch "$work/go"
wait "$clients_pid"
clients_pid=""
echo
echo "RSS before the streams: $rss_before; with $streams streams open: $rss_held; peak: $(peak_rss)"
echo "Delivery of $rounds comments to $streams streams: $(cat "$work/delivery.json")"
