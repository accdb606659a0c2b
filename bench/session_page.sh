#!/usr/bin/env bash
# The article page with a session against the same page without one: issue 17's row
# that falls short at 10,000 articles, measured on its own.
#
#   bench/session_page.sh --binary target/release/conduit [--backend sqlite|postgres]
#                         [--articles 10000] [--passes 3] [--duration 5s]
#                         [--callgrind] [--port 19481]
#
# Pins the server to CPU 0 and wrk to CPU 1, warms both pages, then alternates the two
# (64 connections) `--passes` times and prints each pass's rates, the server's CPU time
# a request, and their ratios. With `--callgrind` it runs the server under valgrind
# instead and prints the instructions per request of each page (4 connections, 10 s
# each; repeatable for the same binary and data, however busy the machine is). Seeds
# like run.sh (see lib.sh).
set -euo pipefail

binary=""
backend="sqlite"
articles=10000
passes=3
duration="5s"
callgrind=""
port=19481
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
here="$(cd "$(dirname "$0")" && pwd)"

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --passes) passes="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --callgrind) callgrind=1; shift ;;
    --port) port="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
[ -z "$callgrind" ] || command -v valgrind >/dev/null || { echo "valgrind is missing" >&2; exit 2; }

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST=10
seed_site "$binary" "$backend" "$articles" "$pg_url" "$data_dir"

base="http://127.0.0.1:$port"
log="$data_dir/session-page-server.log"
trap stop_server EXIT
if [ -n "$callgrind" ]; then
  out="$data_dir/callgrind.out"
  rm -f "$out" "$out".*
  # The job workers stay off: only the requests are counted.
  CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 CONDUIT_WORKERS=0 RUST_LOG=warn \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$binary" serve >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
else
  CONDUIT_BIND="127.0.0.1:$port" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
    taskset -c 0 "$binary" serve >"$log" 2>&1 &
  server_pid=$!
  wait_up "$base" "$log"
fi

slug=$(curl -fs "$base/api/articles?limit=1" | json "d['articles'][0]['slug']")
email="page-$RANDOM$RANDOM@example.com"
password="bench-password-123"
curl -fs -X POST -H 'Content-Type: application/json' "$base/api/users" \
  -d "{\"user\":{\"username\":\"page$RANDOM$RANDOM\",\"email\":\"$email\",\"password\":\"$password\"}}" >/dev/null
cookie=$(sign_in_cookie "$base" "$email" "$password" "$data_dir/session-page-cookies.txt")
page="$base/article/$slug"
echo "page: /article/$slug, $(curl -fs "$page" | wc -c) bytes signed out, $(curl -fs -H "Cookie: $cookie" "$page" | wc -c) signed in"

if [ -n "$callgrind" ]; then
  # requests COOKIE...: runs wrk (4 connections, 10 s) and prints how many it made.
  requests() { wrk -t1 -c4 -d10s "$@" "$page" | awk '/requests in/ {print $1}'; }
  requests -H "Cookie: $cookie" >/dev/null
  requests >/dev/null
  callgrind_control -z "$server_pid" >/dev/null 2>&1
  signed_in=$(requests -H "Cookie: $cookie")
  callgrind_control -d "$server_pid" >/dev/null 2>&1
  signed_out=$(requests)
  callgrind_control -d "$server_pid" >/dev/null 2>&1
  total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'; }
  python3 - "$(total "$out.1")" "$signed_in" "$(total "$out.2")" "$signed_out" <<'PY'
import sys
si, sn, ai, an = (int(x) for x in sys.argv[1:])
print(f"with a session: {si / sn:,.0f} instructions a request ({sn} requests)")
print(f"without:        {ai / an:,.0f} instructions a request ({an} requests)")
PY
  echo "profiles: $out.1 (with a session), $out.2 (without); callgrind_annotate --inclusive=yes FILE"
  exit 0
fi

# rate COOKIE...: "REQ/S US" — the rate, and the server's CPU time (user + system, from
# /proc) per request: the second moves less than the first when the machine is busy.
ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
rate() {
  local before after out
  before=$(ticks)
  out=$(taskset -c 1 wrk -t1 -c64 -d"$duration" "$@" "$page")
  after=$(ticks)
  awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
    '/requests in/ {n = $1} /Requests\/sec/ {r = $2} END {printf "%s %.1f\n", r, t * 1e6 / hz / n}' <<<"$out"
}
for _ in 1 2; do rate >/dev/null; rate -H "Cookie: $cookie" >/dev/null; done
for pass in $(seq 1 "$passes"); do
  anonymous=$(rate)
  session=$(rate -H "Cookie: $cookie")
  python3 - "$pass" $anonymous $session <<'PY'
import sys
p, a, acpu, s, scpu = sys.argv[1], *map(float, sys.argv[2:])
print(f"pass {p}: without a session {a:,.0f} req/s ({acpu:.1f} us of CPU each), "
      f"with one {s:,.0f} req/s ({scpu:.1f} us): {s / a:.0%} by rate, {acpu / scpu:.0%} by CPU")
PY
done
