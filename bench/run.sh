#!/usr/bin/env bash
# Load benchmark for one data size on one backend: seeds (once, then reused), starts
# the given release binary on loopback, runs every route with wrk and prints a
# markdown table. Builds nothing. See bench/README.md.
#
#   bench/run.sh --binary target/release/conduit [--backend sqlite|postgres]
#                [--articles 10000] [--duration 10s] [--connections 64]
#                [--port 19480] [--pg-url postgres://root@127.0.0.1/test]
#                [--data-dir /tmp/conduit-bench] [--out results.md]
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
duration="10s"
connections=64
port=19480
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
out=""
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
    --data-dir) data_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST="${CONDUIT_BCRYPT_COST:-12}"
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir"

base="http://127.0.0.1:$port"
trap stop_server EXIT

start_server() {
  CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
    CONDUIT_BENCH_CEILING_BYTES="${1:-}" "$binary" serve >"$data_dir/server.log" 2>&1 &
  server_pid=$!
  wait_up "$base" "$data_dir/server.log"
}

# First start: find the routes' targets and the article page's size for the ceiling.
start_server ""
slugs=$(curl -fs "$base/api/articles?limit=50" | json "','.join(a['slug'] for a in d['articles'])")
slug=${slugs%%,*}
authors=$(curl -fs "$base/api/articles?limit=50" | json "' '.join(sorted({a['author']['username'] for a in d['articles']}))")
page_bytes=$(curl -fs "$base/article/$slug" | wc -c)
stop_server
start_server "$page_bytes"

email="bench-$RANDOM$RANDOM@example.com"
password="bench-password-123"
token=$(curl -fs -X POST -H 'Content-Type: application/json' "$base/api/users" \
  -d "{\"user\":{\"username\":\"bench$RANDOM$RANDOM\",\"email\":\"$email\",\"password\":\"$password\"}}" \
  | json "d['user']['token']")
for author in $authors; do
  curl -fs -X POST -H "Authorization: Token $token" "$base/api/profiles/$author/follow" >/dev/null
done
export BENCH_TOKEN="$token" BENCH_EMAIL="$email" BENCH_PASSWORD="$password" BENCH_SLUGS="$slugs"

# Members for the signed-in rows: tokens of the first seeded accounts (at most 10,000),
# minted with the bench's secret, so each request comes from one of many members; and
# the bench user's session cookie for the signed-in page.
members=$(( seeded_users < 10000 ? seeded_users : 10000 ))
python3 "$here/tokens.py" --count "$members" >"$data_dir/tokens.txt"
export BENCH_TOKENS="$data_dir/tokens.txt"
# As many authors, for an anonymous list as broad as the members' feeds.
site_sql "bench_$articles" "SELECT username FROM users WHERE id <= $members ORDER BY id" \
  >"$data_dir/authors.txt"
export BENCH_AUTHORS="$data_dir/authors.txt"
BENCH_COOKIE=$(sign_in_cookie "$base" "$email" "$password" "$data_dir/cookies.txt")
export BENCH_COOKIE


row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "${3//|/ | }" "$(peak_rss)"; }

# Warm the caches the way a running site has them warm.
for path in / "/article/$slug" /api/articles "/api/articles/$slug" /api/tags; do
  wrk -t1 -c4 -d1s "$base$path" >/dev/null 2>&1
done
# members.lua GET PATH as the members: "req/s|p50|p99|errors".
as_members() { BENCH_PATH="$1" measure "$connections" -s "$here/lua/members.lua" "$base"; }
# Every member signed in at least once before the member rows, as on a site where they
# are active (one thread walks the tokens in order, for longer than the walk takes at
# the cold rate), then each path warmed as the members read it.
BENCH_WALK=1 BENCH_PATH=/api/articles wrk -t1 -c8 -d10s -s "$here/lua/members.lua" "$base" >/dev/null 2>&1
# Likewise every member's feed read once, as active members have read theirs.
BENCH_WALK=1 BENCH_PATH=/api/articles/feed wrk -t1 -c8 -d10s -s "$here/lua/members.lua" "$base" >/dev/null 2>&1
for path in /api/articles "/api/articles/$slug" /api/articles/feed; do
  BENCH_PATH="$path" wrk -t1 -c4 -d2s -s "$here/lua/members.lua" "$base" >/dev/null 2>&1
done
wrk -t1 -c4 -d2s -s "$here/lua/authors.lua" "$base" >/dev/null 2>&1

title="$backend, $articles articles, $connections connections, $duration per route"
{
  echo "### $title"
  echo
  echo "| route | size | req/s | p50 | p99 | errors | peak RSS |"
  echo "|---|---|---|---|---|---|---|"
  size() { curl -fs "$@" | wc -c | awk '{printf "%.1f KB", $1/1024}'; }
  row "ceiling (fixed body)" "$(size "$base/bench/ceiling")" "$(measure "$connections" "$base/bench/ceiling")"
  row "GET /" "$(size "$base/")" "$(measure "$connections" "$base/")"
  row "GET /article/:slug" "$(size "$base/article/$slug")" "$(measure "$connections" "$base/article/$slug")"
  row "GET /api/articles" "$(size "$base/api/articles")" "$(measure "$connections" "$base/api/articles")"
  row "GET /api/articles/:slug" "$(size "$base/api/articles/$slug")" "$(measure "$connections" "$base/api/articles/$slug")"
  row "GET /api/tags" "$(size "$base/api/tags")" "$(measure "$connections" "$base/api/tags")"
  row "GET /api/articles/feed (signed in)" "$(size -H "Authorization: Token $token" "$base/api/articles/feed")" \
    "$(measure "$connections" -s "$here/lua/feed.lua" "$base/api/articles/feed")"
  row "GET /api/articles ($members members)" "$(size -H "Authorization: Token $token" "$base/api/articles")" \
    "$(as_members /api/articles)"
  row "GET /api/articles/:slug ($members members)" "$(size -H "Authorization: Token $token" "$base/api/articles/$slug")" \
    "$(as_members "/api/articles/$slug")"
  row "GET /api/articles/feed ($members members)" "-" "$(as_members /api/articles/feed)"
  row "GET /api/articles?author= (anonymous, $members authors)" "-" \
    "$(measure "$connections" -s "$here/lua/authors.lua" "$base")"
  row "GET /article/:slug (signed in, session)" "$(size -H "Cookie: $BENCH_COOKIE" "$base/article/$slug")" \
    "$(measure "$connections" -s "$here/lua/session.lua" "$base/article/$slug")"
  row "POST /api/users/login (8 conns)" "-" "$(measure 8 -s "$here/lua/login.lua" "$base/api/users/login")"
  row "90/10 read/write mix" "-" "$(measure "$connections" -s "$here/lua/mix.lua" "$base")"
  # Reads while a login flood runs beside them: the reads' own figures.
  wrk -t1 -c8 -d"$duration" --timeout 30s -s "$here/lua/login.lua" "$base/api/users/login" >/dev/null 2>&1 &
  flood=$!
  row "GET /api/articles/:slug during a login flood" "-" "$(measure "$connections" "$base/api/articles/$slug")"
  wait "$flood" || true
  echo
} | tee -a "${out:-/dev/null}"
