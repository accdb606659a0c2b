#!/usr/bin/env bash
# Search and feeds under load, at one data size on one backend: full-text search with a
# one-word, a two-word and a prefix query (the seeded bodies share one vocabulary, so
# each word matches most articles: the worst case for ranking), the RSS feed, and the
# cached article page it is compared with (plain, then gzip as browsers and feed readers
# ask for them). Builds nothing; seeds once per size.
#
#   bench/search.sh --binary target/release/conduit [--backend sqlite|postgres]
#                   [--articles 10000] [--duration 10s] [--connections 64] [--no-cache]
#
# With --no-cache the server runs with CONDUIT_CACHE_MAX_MB=0: every search goes to the
# engine (a search otherwise answers repeats from the shared cache until an article
# changes).
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
duration="10s"
connections=64
port=19590
cache_mb=48
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
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
    --no-cache) cache_mb=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 2; }

# shellcheck source=bench/lib.sh
. "$here/lib.sh"
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir"

server_pid=""
trap stop_server EXIT
base="http://127.0.0.1:$port"
CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 CONDUIT_CACHE_MAX_MB=$cache_mb RUST_LOG=warn \
  "$binary" >"$data_dir/search-server.log" 2>&1 &
server_pid=$!
wait_up "$base" "$data_dir/search-server.log"

slug=$(curl -fs "$base/api/articles?limit=1" | json 'd["articles"][0]["slug"]')
count() { curl -fs "$base/api/search?$1&limit=1" | json 'd["articlesCount"]'; }
# Warm the caches the compared reads use.
curl -fs -o /dev/null "$base/article/$slug"
curl -fs -o /dev/null "$base/feed.xml"

echo "| Request ($backend, $articles articles, $connections connections, $duration, caches $cache_mb MB) | matches | req/s | p50 | p99 | errors |"
echo "| --- | --- | --- | --- | --- | --- |"
row() { IFS='|' read -r rps p50 p99 errors <<<"$3"; echo "| $1 | $2 | $rps | $p50 | $p99 | $errors |"; }
# Each measured search is asked once first, as every other row's cache is warmed: a
# search's first answer at 1M articles takes 0.2-0.3 s on SQLite, and wrk, correcting
# for coordinated omission, would count that one stall of every connection as ~1.5-3 %
# of its samples (the server's own histogram shows only the 64 stalled requests).
for query in "q=latency" "q=latency%20buffer" "q=migr" "q=%22cache%20index%22"; do
  curl -fs -o /dev/null "$base/api/search?$query"
  row "GET /api/search?$query" "$(count "$query")" "$(measure "$connections" "$base/api/search?$query")"
done
curl -fs -o /dev/null "$base/search?q=latency"
row "GET /search?q=latency (page)" "-" "$(measure "$connections" "$base/search?q=latency")"
row "GET /feed.xml" "-" "$(measure "$connections" "$base/feed.xml")"
row "GET /article/:slug (cached page)" "-" "$(measure "$connections" "$base/article/$slug")"
# As browsers and feed readers ask: gzip accepted (both are kept gzipped in the cache).
gzip=(-H "Accept-Encoding: gzip")
row "GET /feed.xml, gzip" "-" "$(measure "$connections" "${gzip[@]}" "$base/feed.xml")"
row "GET /article/:slug (cached page), gzip" "-" "$(measure "$connections" "${gzip[@]}" "$base/article/$slug")"
echo
echo "peak RSS: $(peak_rss)"
