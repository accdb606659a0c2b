#!/usr/bin/env bash
# The whole matrix of docs/benchmarks.md: 10,000 and 1,000,000 articles on SQLite and
# PostgreSQL, every route, into one markdown file. Builds nothing.
#
#   bench/matrix.sh target/release/conduit [results.md] [duration]
#
# Time on the reference 2-core machine, with the default 10 s per route: seeding about
# 1 min (10k, both backends) + roughly 10-25 min per backend for 1M (see
# docs/benchmarks.md for measured seed rates); each of the four runs then takes about
# 2.5 min (11 routes x 10 s + warm-up). The seeded databases are kept in
# $BENCH_DATA_DIR (default /tmp/conduit-bench, ~4 GB for SQLite at 1M) and reused.
set -euo pipefail
binary="${1:?usage: bench/matrix.sh BINARY [OUT] [DURATION]}"
out="${2:-bench-results.md}"
duration="${3:-10s}"
here="$(cd "$(dirname "$0")" && pwd)"
{
  echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "- kernel: $(uname -a)"
  echo "- command: bench/matrix.sh $binary $out $duration"
  echo
} >"$out"
for articles in 10000 1000000; do
  for backend in sqlite postgres; do
    "$here/run.sh" --binary "$binary" --backend "$backend" --articles "$articles" \
      --duration "$duration" --out "$out"
  done
done
echo "results in $out" >&2
