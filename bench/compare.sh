#!/usr/bin/env bash
# Two builds side by side on the same seeded data: the anonymous read routes (or, with
# --signed-in, the signed-in ones), each binary in turn, several passes, medians. For
# "does this change cost the read path anything?" (run-to-run noise on a 2-core machine
# is about ±10 %, hence the passes). Builds nothing.
#
# --signed-in: the list, the single article and the feed as 1,000 different members
# (tokens from bench/tokens.py), and the article page with a session cookie signed in
# through the form by each binary in turn.
#
# --pin: the server (and PostgreSQL's processes) on CPU 0, wrk on CPU 1, so that the two
# do not trade cores between runs (less noise on a 2-core machine).
#
#   bench/compare.sh --base OLD_BINARY --new NEW_BINARY [--backend sqlite|postgres] [--signed-in] [--pin] [--only ROUTE-SUBSTRING]
#                    [--articles 10000] [--passes 3] [--duration 10s] [--connections 64]
#                    [--pg-url postgres://root@127.0.0.1/test] [--data-dir /tmp/conduit-bench]
#                    [--out results.md]
set -euo pipefail

base_bin="" new_bin="" backend="sqlite" articles=10000 passes=3 duration="10s"
connections=64 port=19470 out="" signed_in=0 pin=0 only=""
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
here="$(cd "$(dirname "$0")" && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base_bin="$2"; shift 2 ;;
    --new) new_bin="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --signed-in) signed_in=1; shift ;;
    --pin) pin=1; shift ;;
    --only) only="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$base_bin" ] && [ -x "$new_bin" ] || { echo "--base and --new must name built binaries" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
# The newer binary seeds (and migrates); the older one ignores migrations it does not know.
seed_site "$new_bin" "$backend" "$articles" "$pg_url" "$data_dir"

base="http://127.0.0.1:$port"
pid=""
stop() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
server_prefix=""
unpin_postgres() { :; }
if [ "$pin" = 1 ]; then
  command -v taskset >/dev/null || { echo "--pin needs taskset (util-linux)" >&2; exit 2; }
  server_prefix="taskset -c 0"
  export WRK_PREFIX="taskset -c 1"
  if [ "$backend" = postgres ]; then
    # New backends inherit the postmaster's CPU set.
    for p in $(pgrep -x postgres; pgrep -f '^postgres:'); do taskset -a -cp 0 "$p" >/dev/null 2>&1 || true; done
    unpin_postgres() {
      for p in $(pgrep -x postgres; pgrep -f '^postgres:'); do taskset -a -cp 0-1 "$p" >/dev/null 2>&1 || true; done
    }
  fi
fi
trap 'stop; unpin_postgres' EXIT

results="$data_dir/compare-$backend.tsv"
: >"$results"
if [ "$signed_in" = 1 ]; then
  members=$(( seeded_users < 1000 ? seeded_users : 1000 ))
  python3 "$here/tokens.py" --count "$members" >"$data_dir/compare-tokens.txt"
  export BENCH_TOKENS="$data_dir/compare-tokens.txt"
  bench_email="compare-$RANDOM$RANDOM@example.com" bench_password="bench-password-123"
  registered=""
fi
# Signs the bench user in through the form; exports its session cookie as BENCH_COOKIE.
session_cookie() {
  BENCH_COOKIE=$(sign_in_cookie "$base" "$bench_email" "$bench_password" "$data_dir/compare-cookies.txt")
  export BENCH_COOKIE
  # A cookie that did not sign in would measure the anonymous page.
  # (Read whole first: `grep -q` stopping early would fail curl's pipe under pipefail.)
  local home
  home=$(curl -fs -H "Cookie: $BENCH_COOKIE" "$base/")
  case "$home" in
    *'data-auth-state="authenticated"'*) ;;
    *) echo "the bench user's session did not sign in" >&2; exit 1 ;;
  esac
}
for pass in $(seq 1 "$passes"); do
  for which in base new; do
    bin=$base_bin; [ "$which" = new ] && bin=$new_bin
    CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
      $server_prefix "$bin" serve >"$data_dir/compare-server.log" 2>&1 &
    pid=$!
    wait_up "$base" "$data_dir/compare-server.log"
    slug=$(curl -fs "$base/api/articles?limit=1" | json "d['articles'][0]['slug']")
    for path in / "/article/$slug" /api/articles "/api/articles/$slug" /api/tags; do
      wrk -t1 -c4 -d1s "$base$path" >/dev/null 2>&1
    done
    if [ "$signed_in" = 1 ]; then
      if [ -z "$registered" ]; then
        curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' "$base/api/users" \
          -d "{\"user\":{\"username\":\"compare$RANDOM$RANDOM\",\"email\":\"$bench_email\",\"password\":\"$bench_password\"}}"
        registered=1
      fi
      session_cookie
      for path in /api/articles "/api/articles/$slug" /api/articles/feed; do
        BENCH_PATH="$path" wrk -t1 -c4 -d1s -s "$here/lua/members.lua" "$base" >/dev/null 2>&1
      done
      for route in "GET /api/articles ($members members)|/api/articles" \
          "GET /api/articles/:slug ($members members)|/api/articles/$slug" \
          "GET /api/articles/feed ($members members)|/api/articles/feed"; do
        case "${route%%|*}" in *"$only"*) ;; *) continue ;; esac
        result=$(BENCH_PATH="${route#*|}" measure "$connections" -s "$here/lua/members.lua" "$base")
        printf '%s\t%s\t%s\n' "$which" "${route%%|*}" "${result%%|*}" >>"$results"
      done
      case "GET /article/:slug (session)" in
        *"$only"*)
          result=$(measure "$connections" -s "$here/lua/session.lua" "$base/article/$slug")
          printf '%s\t%s\t%s\n' "$which" "GET /article/:slug (session)" "${result%%|*}" >>"$results"
          ;;
      esac
    else
      for route in "GET /|/" "GET /article/:slug|/article/$slug" "GET /api/articles|/api/articles" \
          "GET /api/articles/:slug|/api/articles/$slug" "GET /api/tags|/api/tags"; do
        case "${route%%|*}" in *"$only"*) ;; *) continue ;; esac
        result=$(measure "$connections" "$base${route#*|}")
        printf '%s\t%s\t%s\n' "$which" "${route%%|*}" "${result%%|*}" >>"$results"
      done
    fi
    stop
  done
done
python3 - "$results" "$backend" "$articles" "$passes" "$duration" "$connections" <<'PY' | tee -a "${out:-/dev/null}"
import statistics, sys
path, backend, articles, passes, duration, conns = sys.argv[1:]
rows = {}
for line in open(path):
    which, route, rps = line.rstrip("\n").split("\t")
    rows.setdefault(route, {}).setdefault(which, []).append(float(rps))
pinned = "; server on CPU 0, wrk on CPU 1" if __import__("os").environ.get("WRK_PREFIX") else ""
print(f"### {backend}, {articles} articles: base vs new, median req/s of {passes} alternating passes ({duration}, {conns} connections{pinned})")
print()
print("| route | base | new | change | all passes (base / new) |")
print("|---|---|---|---|---|")
for route, by in rows.items():
    b, n = statistics.median(by["base"]), statistics.median(by["new"])
    runs = " ".join(f"{x:.0f}" for x in by["base"]) + " / " + " ".join(f"{x:.0f}" for x in by["new"])
    print(f"| {route} | {b:.0f} | {n:.0f} | {100 * (n - b) / b:+.1f} % | {runs} |")
print()
PY
