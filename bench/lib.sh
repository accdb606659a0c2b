# Shared by bench/run.sh and bench/cluster.sh (sourced, not run).

# seed_site BINARY BACKEND ARTICLES PG_URL DATA_DIR [SCHEMA]: exports DATABASE_URL for
# that backend and size, and seeds it with `conduit seed` unless done before in
# DATA_DIR; sets seeded_users (their ids are 1..seeded_users). On PostgreSQL the site
# lives in SCHEMA (default bench_ARTICLES).
# A realistic shape that grows with the site: ten articles per writer, two comments and
# two favorites per article, ten follows per account.
seed_site() {
  local binary=$1 backend=$2 articles=$3 pg_url=$4 data_dir=$5 schema=${6:-bench_$3}
  local users=$(( articles / 10 > 100 ? articles / 10 : 100 ))
  local comments=$(( articles * 2 )) favorites=$(( articles * 2 ))
  local follows=$(( users * 10 ))
  seeded_users=$users
  mkdir -p "$data_dir"
  case "$backend" in
    sqlite) export DATABASE_URL="$data_dir/sqlite-$articles.db" ;;
    postgres)
      export DATABASE_URL="$pg_url?options=-csearch_path%3D$schema" ;;
    *) echo "--backend is sqlite or postgres" >&2; exit 2 ;;
  esac
  local marker="$data_dir/$backend-$articles.seeded"
  [ -f "$marker" ] && return 0
  if [ "$backend" = postgres ]; then
    psql -q "$pg_url" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
  else
    rm -f "$DATABASE_URL" "$DATABASE_URL-wal" "$DATABASE_URL-shm"
  fi
  echo "seeding $backend: $users users, $articles articles, $comments comments, $follows follows, $favorites favorites" >&2
  local started
  started=$(date +%s)
  "$binary" seed --users "$users" --articles "$articles" --comments "$comments" \
    --follows "$follows" --favorites "$favorites" >&2
  echo "seed took $(( $(date +%s) - started ))s" >&2
  touch "$marker"
}

# json EXPR: evaluates a Python expression over the JSON on stdin (as `d`).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# measure CONNECTIONS WRK-ARGS…: runs wrk for $duration; prints "req/s|p50|p99|errors"
# and appends wrk's own output to $data_dir/wrk.log.
measure() {
  local conns="$1"; shift
  local text
  text=$(${WRK_PREFIX:-} wrk -t2 -c"$conns" -d"$duration" --timeout 10s --latency "$@" 2>&1)
  echo "$text" >>"$data_dir/wrk.log"
  python3 - "$text" <<'PY'
import re, sys
t = sys.argv[1]
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
p50 = re.search(r"\n\s+50%\s+(\S+)", t)
p99 = re.search(r"\n\s+99%\s+(\S+)", t)
non = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errors = (int(non.group(1)) if non else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
print(f"{float(rps.group(1)) if rps else 0:.0f}|{p50.group(1) if p50 else '-'}|{p99.group(1) if p99 else '-'}|{errors}")
PY
}

# wal_bytes: the WAL bytes PostgreSQL has written so far at $pg_url (`pg_stat_wal`,
# PostgreSQL 14+, cluster-wide, so nothing else should write meanwhile); "-" when
# $backend is sqlite. Each WAL flush is a write and an fdatasync that committing
# transactions wait for, so what a write logs weighs on how many commit a second.
wal_bytes() {
  [ "${backend:-postgres}" = postgres ] || { echo -; return; }
  psql -qtA "$pg_url" -c "SELECT wal_bytes FROM pg_stat_wal"
}

# wal_per_request BEFORE RESULT: the WAL logged since `wal_bytes` printed BEFORE, per
# request of RESULT (a "req/s|…" line of `measure` over $duration), as "N.NN KB"; it
# includes what the job workers logged meanwhile.
wal_per_request() {
  python3 - "$1" "$(wal_bytes)" "${2%%|*}" "$duration" <<'PY'
import sys
before, after, rps, duration = sys.argv[1:]
seconds = float(duration[:-1]) * (60 if duration.endswith("m") else 1) if duration[-1] in "sm" else float(duration)
done = float(rps) * seconds
print("-" if "-" in (before, after) or done == 0 else f"{(int(after) - int(before)) / done / 1024:.2f} KB")
PY
}

# fresh_mail_dir NAME: prints an empty folder for the server's email files, in memory
# (/dev/shm) where there is one. On a disk, the files a previous run left and this run
# deletes make every new file slow to create for minutes after: ext4 without a journal
# (as on these machines) steps over each recently freed inode (`recently_deleted` in a
# perf profile was most of the job workers' time). The email files stand in for an SMTP
# server here, as webhook_sink.py does for webhook receivers.
fresh_mail_dir() {
  local root="${BENCH_MAIL_DIR:-/dev/shm/conduit-bench-mail}"
  if ! mkdir -p "$root" 2>/dev/null; then
    root="${BENCH_DATA_DIR:-/tmp/conduit-bench}/mail"
    mkdir -p "$root"
  fi
  rm -rf "${root:?}/$1"
  mkdir -p "$root/$1"
  echo "$root/$1"
}

# wait_up URL LOG: waits up to 10 s for URL/healthz; names LOG when it never answers.
# With $server_pid set, the answer must come from that process: a server left over from
# an earlier run on the same port would otherwise be measured in its place.
wait_up() {
  local port="${1##*:}"
  for _ in $(seq 1 100); do
    if [ -n "$server_pid" ] && ! kill -0 "$server_pid" 2>/dev/null; then
      echo "the server for $1 exited (is the port taken?); see $2" >&2
      exit 1
    fi
    if curl -fs "$1/healthz" >/dev/null 2>&1; then
      [ -z "$server_pid" ] && return 0
      ss -ltnpH "sport = :$port" 2>/dev/null | grep -q "pid=$server_pid," && return 0
    fi
    sleep 0.1
  done
  echo "the server at $1 did not start; see $2" >&2
  exit 1
}

# The server a script started (its pid in $server_pid): stop_server stops it and waits,
# peak_rss prints its peak RSS so far.
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
peak_rss() { awk '/VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$server_pid/status"; }

# site_sql SCHEMA STATEMENT: runs one statement on the seeded site ($DATABASE_URL on
# SQLite, SCHEMA of $pg_url on PostgreSQL, by $backend) and prints the result.
site_sql() {
  if [ "$backend" = postgres ]; then
    psql -qtA "$pg_url" -c "SET search_path TO $1; $2"
  else
    sqlite3 "$DATABASE_URL" "$2"
  fi
}

# sign_in_cookie BASE EMAIL PASSWORD JAR: signs in through the form and prints the
# session cookie ("conduit_session=…"). The page after signing in is read once, as a
# browser would: it shows (and so removes) the welcome message, which a cookie still
# holding would make every later request rewrite the session cookie to remove.
sign_in_cookie() {
  local base=$1 email=$2 password=$3 jar=$4 csrf
  rm -f "$jar"
  csrf=$(curl -fs -c "$jar" "$base/login" \
    | python3 -c "import re,sys; print(re.search(r'name=\"csrf_token\" value=\"([^\"]+)\"', sys.stdin.read()).group(1))")
  curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$csrf" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "$base/login"
  curl -fs -b "$jar" -c "$jar" -o /dev/null "$base/"
  awk '$6 == "conduit_session" {print "conduit_session=" $7}' "$jar"
}
