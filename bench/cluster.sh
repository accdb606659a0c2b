#!/usr/bin/env bash
# Several instances on one PostgreSQL behind nginx on loopback (round robin): requests
# per second with 1, 2 and 3 instances on the read routes and the 90/10 mix, then the
# delay from a write's commit on one instance to its visibility on the others, at rest
# and under the mix (bench/visibility.py). Builds nothing; installs nothing (needs nginx,
# wrk, curl, psql and python3). See bench/README.md.
#
#   bench/cluster.sh --binary target/release/conduit [--articles 10000] [--duration 10s]
#                    [--connections 64] [--probes 1000] [--instances 3]
#                    [--pg-url postgres://root@127.0.0.1/test] [--data-dir /tmp/conduit-bench]
#                    [--visibility-only] [--out results.md]
set -euo pipefail

binary=""
articles=10000
duration="10s"
connections=64
probes=1000
max_instances=3
visibility_only=0
pg_url="${BENCH_PG_URL:-postgres://root@127.0.0.1/test}"
data_dir="${BENCH_DATA_DIR:-/tmp/conduit-bench}"
out=""
here="$(cd "$(dirname "$0")" && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --articles) articles="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --probes) probes="$2"; shift 2 ;;
    --instances) max_instances="$2"; shift 2 ;;
    --visibility-only) visibility_only=1; shift ;;
    --pg-url) pg_url="$2"; shift 2 ;;
    --data-dir) data_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$binary" ] || { echo "--binary must name a built conduit (cargo build --release)" >&2; exit 2; }
for tool in nginx wrk curl psql python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install -y nginx-light wrk curl postgresql-client python3)" >&2; exit 2; }
done
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

. "$here/lib.sh"
export CONDUIT_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789"
export CONDUIT_BCRYPT_COST="${CONDUIT_BCRYPT_COST:-12}"
seed_site "$binary" postgres "$articles" "$pg_url" "$data_dir"

metrics_token="bench-metrics-token-0123456789"
lb_port=19490
lb="http://127.0.0.1:$lb_port"
port_of() { echo $(( 19500 + $1 )); }
pids=()
nginx_dir="$data_dir/nginx"

stop_all() {
  [ -f "$nginx_dir/nginx.pid" ] && nginx -p "$nginx_dir" -c nginx.conf -s stop 2>/dev/null || true
  for pid in "${pids[@]:-}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT

# start_cluster N: N instances and nginx balancing over them.
start_cluster() {
  local n=$1 servers=""
  for i in $(seq 1 "$n"); do
    CONDUIT_BIND="127.0.0.1:$(port_of "$i")" CONDUIT_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
      CONDUIT_METRICS_TOKEN="$metrics_token" "$binary" serve >"$data_dir/instance-$i.log" 2>&1 &
    pids+=($!)
    servers="$servers    server 127.0.0.1:$(port_of "$i");"$'\n'
  done
  for i in $(seq 1 "$n"); do wait_up "http://127.0.0.1:$(port_of "$i")" "$data_dir/instance-$i.log"; done
  mkdir -p "$nginx_dir/logs"
  cat >"$nginx_dir/nginx.conf" <<CONF
worker_processes 1;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream conduit {
$servers    keepalive 128;
  }
  server {
    listen 127.0.0.1:$lb_port;
    location / {
      proxy_pass http://conduit;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
    }
  }
}
CONF
  nginx -p "$nginx_dir" -c nginx.conf
  wait_up "$lb" "$nginx_dir/logs/error.log"
}

peak_rss() {
  local total=0
  for pid in "${pids[@]}"; do
    total=$(( total + $(awk '/VmHWM/ {print $2}' "/proc/$pid/status") ))
  done
  echo "$(( total / 1024 )) MB"
}

# The bench user (signed up once; the token outlives the runs) and its own article.
start_cluster 1
slugs=$(curl -fs "$lb/api/articles?limit=50" | json "','.join(a['slug'] for a in d['articles'])")
slug=${slugs%%,*}
token=$(curl -fs -X POST -H 'Content-Type: application/json' "$lb/api/users" \
  -d "{\"user\":{\"username\":\"cluster$RANDOM$RANDOM\",\"email\":\"cluster$RANDOM$RANDOM@example.com\",\"password\":\"bench-password-123\"}}" \
  | json "d['user']['token']")
probe_slug=$(curl -fs -X POST -H 'Content-Type: application/json' -H "Authorization: Token $token" \
  "$lb/api/articles" -d '{"article":{"title":"Visibility probe","description":"probe","body":"probe"}}' \
  | json "d['article']['slug']")
export BENCH_TOKEN="$token" BENCH_SLUGS="$slugs"
stop_all

if [ "$visibility_only" = 1 ]; then
  start_cluster "$max_instances"
else
{
  echo "### PostgreSQL cluster behind nginx, $articles articles, $connections connections, $duration per route"
  echo
  echo "| instances | route | req/s | p50 | p99 | errors | peak RSS (all instances) |"
  echo "|---|---|---|---|---|---|---|"
} | tee -a "${out:-/dev/null}"
for n in $(seq 1 "$max_instances"); do
  start_cluster "$n"
  for path in / "/article/$slug" /api/articles "/api/articles/$slug"; do
    wrk -t1 -c8 -d1s "$lb$path" >/dev/null 2>&1
  done
  for route in "GET /api/articles|$lb/api/articles" "GET /api/articles/:slug|$lb/api/articles/$slug" \
      "GET /article/:slug|$lb/article/$slug" "GET /|$lb/"; do
    result=$(measure "$connections" "${route#*|}")
    printf '| %s | %s | %s | %s |\n' "$n" "${route%%|*}" "${result//|/ | }" "$(peak_rss)" | tee -a "${out:-/dev/null}"
  done
  result=$(measure "$connections" -s "$here/lua/mix.lua" "$lb")
  printf '| %s | 90/10 read/write mix | %s | %s |\n' "$n" "${result//|/ | }" "$(peak_rss)" | tee -a "${out:-/dev/null}"
  [ "$n" -lt "$max_instances" ] && stop_all
done
fi

# Commit-to-visible with all instances up: writes through the first, reads on the others.
readers=()
for i in $(seq 2 "$max_instances"); do readers+=(--read "http://127.0.0.1:$(port_of "$i")"); done
probe() {
  python3 "$here/visibility.py" --write "http://127.0.0.1:$(port_of 1)" "${readers[@]}" \
    --token "$token" --slug "$probe_slug" --count "$probes" --metrics-token "$metrics_token"
}
at_rest=$(probe)
wrk -t2 -c"$connections" -d600s --timeout 10s -s "$here/lua/mix.lua" "$lb" >/dev/null 2>&1 &
mix_pid=$!
sleep 2
under_mix=$(probe)
kill "$mix_pid" 2>/dev/null; wait "$mix_pid" 2>/dev/null || true
{
  echo
  echo "Commit-to-visible, write through instance 1, read on instances 2..$max_instances in turn:"
  echo
  echo "- at rest: $at_rest"
  echo "- under the 90/10 mix ($connections connections through nginx): $under_mix"
  echo
} | tee -a "${out:-/dev/null}"
