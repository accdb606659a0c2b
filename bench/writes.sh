#!/usr/bin/env bash
# Write routes under load, on a freshly seeded site each run (writes change the data,
# so they never share the read benchmark's database). Builds nothing.
#
#   bench/writes.sh --binary target/release/conduit [--backend sqlite|postgres]
#                   [--articles 10000] [--duration 10s] [--connections 64]
#                   [--commenters members|author]
#
# Rows, each as many members (tokens of the first 100 seeded accounts), with the job
# workers on as in a real deployment: comments on one article, comments spread over 50
# articles, article creates, article edits (each member their own article). After each row: the jobs still queued, and the server's
# peak RSS so far. With `--commenters author` the comment rows post as one member on 50
# articles of their own (so no one is notified), as bench/peer.sh must post to the peer,
# which takes a comment only from the article's author.
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
duration="10s"
connections=64
commenters="members"
port=19495
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}/writes"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --commenters) commenters="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$commenters" in members|author) ;; *) echo "--commenters: members or author" >&2; exit 2 ;; esac
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST=10
rm -rf "$data_dir"
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir" bench_writes

queued() { site_sql bench_writes "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')"; }

base="http://127.0.0.1:$port"
trap stop_server EXIT
CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  CONDUIT_MAIL_DIR="$(fresh_mail_dir writes)" "$binary" serve >"$data_dir/server.log" 2>&1 &
server_pid=$!
wait_up "$base" "$data_dir/server.log"

python3 "$here/tokens.py" --count 100 >"$data_dir/tokens.txt"
export BENCH_TOKENS="$data_dir/tokens.txt" BENCH_RUN="$RANDOM$RANDOM"
BENCH_SLUGS=$(curl -fs "$base/api/articles?limit=50" | json "','.join(a['slug'] for a in d['articles'])")
export BENCH_SLUGS
comment_tokens="$data_dir/tokens.txt"
if [ "$commenters" = author ]; then
  head -n 1 "$data_dir/tokens.txt" >"$data_dir/author.txt"
  comment_tokens="$data_dir/author.txt"
  author_token=$(cat "$comment_tokens")
  BENCH_SLUGS=$(for i in $(seq 1 50); do
    curl -fs -X POST "$base/api/articles" -H "Authorization: Token $author_token" \
      -H 'Content-Type: application/json' \
      -d "{\"article\":{\"title\":\"Own $i $RANDOM$RANDOM\",\"description\":\"d\",\"body\":\"b\",\"tagList\":[\"bench\"]}}" \
      | json 'd["article"]["slug"]'
  done | paste -sd, -)
fi

write_row() {
  local label=$1 mode=$2 tokens=${3:-$data_dir/tokens.txt} result before wal
  before=$(wal_bytes)
  result=$(BENCH_TOKENS="$tokens" BENCH_WRITE="$mode" measure "$connections" -s "$here/lua/writes.lua" "$base")
  wal=$(wal_per_request "$before" "$result")
  printf '| %s | %s | %s | %s | %s |\n' "$label" "${result//|/ | }" "$(queued)" "$wal" "$(peak_rss)"
}

echo "### writes: $backend, $articles articles, $connections connections, $duration per route, comments by $commenters"
echo
echo "| route | req/s | p50 | p99 | errors | jobs queued after | WAL per write | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
write_row "POST comment, one article" comment-one "$comment_tokens"
write_row "POST comment, 50 articles" comment-many "$comment_tokens"
write_row "POST /api/articles" create
# One article of their own per member, for the edits.
while read -r token; do
  slug=$(curl -fs -X POST "$base/api/articles" -H "Authorization: Token $token" \
    -H 'Content-Type: application/json' \
    -d "{\"article\":{\"title\":\"Edited $RANDOM$RANDOM\",\"description\":\"d\",\"body\":\"b\",\"tagList\":[\"bench\"]}}" \
    | json 'd["article"]["slug"]')
  echo "$token $slug"
done <"$data_dir/tokens.txt" >"$data_dir/owned.txt"
export BENCH_OWNED="$data_dir/owned.txt"
write_row "PUT /api/articles/:slug" edit
