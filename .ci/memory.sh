#!/usr/bin/env bash
# Memory stays flat: a release server on a fresh, seeded SQLite file serves a million
# anonymous reads (bench/lua/reads.lua: tags, the list, an article through the API, the
# home page, the article page) with /metrics never read. Its RSS after a warm-up of
# 200,000 requests and after the million more may differ by at most $MAX_GROWTH_KB.
# (Before the metrics recorder's upkeep ran on its own, the same server grew by about
# 17 MB per million requests.)
#
#   .ci/memory.sh BINARY PORT WORKDIR
set -euo pipefail
binary=$1 port=$2 work=$3
here="$(cd "$(dirname "$0")/.." && pwd)"
MAX_GROWTH_KB=${MAX_GROWTH_KB:-8192}
base="http://127.0.0.1:$port"
mkdir -p "$work"
export DATABASE_URL="$work/memory.db" CONDUIT_BIND="127.0.0.1:$port" RUST_LOG=warn \
  CONDUIT_RATE_LIMIT_PER_MINUTE=0 CONDUIT_SECRET_KEY="memory-test-secret-0123456789abcdef0123"
"$binary" seed --users 100 --articles 1000 --comments 2000 --follows 1000 --favorites 2000 \
  >"$work/seed.log" 2>&1
"$binary" serve >"$work/memory.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
BENCH_SLUGS=$(curl -fs "$base/api/articles?limit=20" \
  | python3 -c "import json,sys; print(','.join(a['slug'] for a in json.load(sys.stdin)['articles']))")
export BENCH_SLUGS

# serve COUNT: runs wrk in 5 s rounds until COUNT requests were answered, all 2xx.
serve() {
  local total=0 out done_now
  while [ "$total" -lt "$1" ]; do
    out=$(wrk -t2 -c32 -d5s --timeout 10s -s "$here/bench/lua/reads.lua" "$base")
    if echo "$out" | grep -qE "Non-2xx|Socket errors"; then
      echo "$out" >&2
      echo "memory test: some requests failed" >&2
      exit 1
    fi
    done_now=$(echo "$out" | awk '/requests in/ {print $1}')
    total=$((total + done_now))
  done
  echo "$total"
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

warm=$(serve 200000)
before=$(rss)
served=$(serve 1000000)
after=$(rss)
growth=$((after - before))
echo "memory test: RSS ${before} kB after $warm warm-up requests, ${after} kB after $served more (growth ${growth} kB, at most ${MAX_GROWTH_KB} kB allowed)"
[ "$growth" -le "$MAX_GROWTH_KB" ]
