#!/usr/bin/env bash
# The write rows of bench/writes.sh against a competing RealWorld backend,
# snamiki1212/realworld-v1-rust-actix-web-diesel (actix-web 4, diesel 2 with an r2d2
# pool, PostgreSQL), for a side-by-side comparison. Optional: the bench itself never
# requires this script, nor the peer's code (which is only fetched into the data folder,
# never into this repository).
#
#   bench/peer.sh [--source DIR | --commit SHA] [--articles 10000] [--duration 10s]
#                 [--connections 64] [--port 19496]
#                 [--pg-url postgres://root@127.0.0.1:5432/peer_bench]
#
# Builds the peer (release) from --source (a checkout of it; copied, never changed in
# place) or, by default, from a `git clone` at $peer_commit, into
# ${BENCH_DATA_DIR:-/tmp/conduit-bench}/peer. Its listen address is a constant
# (src/constants.rs, BIND = "0.0.0.0:8080"); the copy built here gets 127.0.0.1:--port
# instead, the one change made to it. Then: drops and recreates the --pg-url database,
# applies the peer's migrations/*/up.sql in order with psql (the peer applies none
# itself: it expects `diesel setup`), starts it (DATABASE_URL, SECRET_KEY for its JWTs,
# FRONTEND_ORIGIN for its CORS layer), and seeds it through its API (bench/peer_seed.py):
# 100 members and --articles articles spread over them.
#
# Rows as in writes.sh (bench/lua/writes.lua, 2 wrk threads): comments on one article,
# comments spread over 50 articles, article creates, each with the peer's peak RSS so
# far. The peer takes a comment only from the article's author (anyone else gets 404),
# so the two comment rows post as the one member who wrote those 50 articles; the
# creates come from all 100 members, as in writes.sh. The peer has no job queue: that
# column reads n/a.
set -euo pipefail

# BENCH_PEER_REPO: a mirror. The pinned commit is the one whose Cargo.toml and Cargo.lock
# (actix-web 4.3.1, diesel 2.1.0, r2d2 0.8.10) the comparison was prepared with, in the
# src/app/{drivers,features} layout; --commit picks another.
peer_repo="${BENCH_PEER_REPO:-https://github.com/snamiki1212/realworld-v1-rust-actix-web-diesel}"
peer_commit="2c4d32b363b53dcf0865293a70b13b19d88a0969"

source_dir=""
articles=10000
duration="10s"
connections=64
port=19496
pg_url="${BENCH_PEER_PG_URL:-postgres://root@127.0.0.1:5432/peer_bench}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}/peer"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --source) source_dir="$2"; shift 2 ;;
    --commit) peer_commit="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk cargo psql curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
if [ -n "$source_dir" ]; then
  [ -f "$source_dir/Cargo.toml" ] || { echo "--source must be a checkout of the peer" >&2; exit 2; }
  source_dir="$(cd "$source_dir" && pwd)"
fi

. "$here/lib.sh"

# The database named in --pg-url, and a URL of the same server to drop and create it from.
parsed=$(python3 - "$pg_url" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
name = url.path.lstrip("/")
if not name or not name.replace("_", "").isalnum():
    sys.exit("--pg-url must name a database (letters, digits, _), e.g. .../peer_bench")
print(name, urllib.parse.urlunsplit(url._replace(path="/postgres")))
PY
)
read -r db_name admin_url <<<"$parsed"

# The source, in $data_dir/src: a copy of --source, or a clone at $peer_commit.
src="$data_dir/src"
mkdir -p "$data_dir"
if [ -n "$source_dir" ]; then
  rm -rf "$src"
  mkdir -p "$src"
  tar -C "$source_dir" --exclude=./target --exclude=./.git -cf - . | tar -C "$src" -xf -
elif [ ! -d "$src/.git" ] || [ "$(git -C "$src" rev-parse HEAD)" != "$peer_commit" ]; then
  rm -rf "$src"
  echo "cloning $peer_repo at $peer_commit" >&2
  git init -q "$src"
  git -C "$src" remote add origin "$peer_repo"
  if ! git -C "$src" fetch -q --depth 1 origin "$peer_commit" 2>/dev/null; then
    git -C "$src" fetch -q origin
  fi
  git -C "$src" checkout -q --detach "$peer_commit"
fi
grep -q 'pub const BIND: &str = "' "$src/src/constants.rs" \
  || { echo "$src/src/constants.rs has no BIND constant: another layout of the peer?" >&2; exit 1; }
sed -i "s|pub const BIND: &str = \"[^\"]*\";|pub const BIND: \&str = \"127.0.0.1:$port\";|" \
  "$src/src/constants.rs"

echo "building the peer (release) in $data_dir/target" >&2
locked=()
[ -f "$src/Cargo.lock" ] && locked=(--locked)
(cd "$src" && CARGO_TARGET_DIR="$data_dir/target" cargo build --release "${locked[@]}" >&2)
binary="$data_dir/target/release/conduit"

psql -q -v ON_ERROR_STOP=1 "$admin_url" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" \
  -c "CREATE DATABASE $db_name" >/dev/null
for migration in "$src"/migrations/*/up.sql; do
  if ! out=$(psql -q -v ON_ERROR_STOP=1 "$pg_url" -f "$migration" 2>&1); then
    echo "migration $migration failed: $out" >&2
    exit 1
  fi
done

base="http://127.0.0.1:$port"
rm -f "$data_dir/server.log" "$data_dir/wrk.log"
trap stop_server EXIT
# From $data_dir: the peer reads a .env of its working folder (dotenv), never the source's.
(cd "$data_dir" && DATABASE_URL="$pg_url" SECRET_KEY="bench-peer-secret-0123456789abcdef" \
  FRONTEND_ORIGIN="http://localhost:3000" exec "$binary" >"$data_dir/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null \
    || { echo "the peer exited (is port $port taken?); see $data_dir/server.log" >&2; exit 1; }
  if curl -fs "$base/api/healthcheck" >/dev/null 2>&1 \
    && ss -ltnpH "sport = :$port" 2>/dev/null | grep -q "pid=$server_pid,"; then
    break
  fi
  sleep 0.1
done
curl -fs "$base/api/healthcheck" >/dev/null || { echo "the peer did not start; see $data_dir/server.log" >&2; exit 1; }

echo "seeding the peer through its API: 100 members, $articles articles" >&2
python3 "$here/peer_seed.py" --base "$base/api" --members 100 --articles "$articles" \
  --out "$data_dir" >&2
export BENCH_RUN="$RANDOM$RANDOM" BENCH_SLUGS
BENCH_SLUGS=$(cat "$data_dir/slugs.txt")

write_row() {
  local label=$1 mode=$2 tokens=$3 result before
  before=$(wal_bytes)
  result=$(BENCH_TOKENS="$tokens" BENCH_WRITE="$mode" \
    measure "$connections" -s "$here/lua/writes.lua" "$base")
  printf '| %s | %s | n/a | %s | %s |\n' "$label" "${result//|/ | }" \
    "$(wal_per_request "$before" "$result")" "$(peak_rss)"
}

echo "### writes, peer (realworld-v1-rust-actix-web-diesel): postgres, $articles articles, $connections connections, $duration per route"
echo
echo "| route | req/s | p50 | p99 | errors | jobs queued after | WAL per write | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
write_row "POST comment, one article" comment-one "$data_dir/owner.txt"
write_row "POST comment, 50 articles" comment-many "$data_dir/owner.txt"
write_row "POST /api/articles" create "$data_dir/tokens.txt"
echo
echo "Comments as the author of the 50 articles (the peer answers 404 to anyone else); creates as 100 members."
