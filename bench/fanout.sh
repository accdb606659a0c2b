#!/usr/bin/env bash
# Fan-out benchmark against a release build: publish latency for an author with
# FOLLOWERS followers vs one with none, and the time until every follower is notified.
# usage: bench/fanout.sh [FOLLOWERS=10000] [DATABASE_URL]   (default: a fresh SQLite file)
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_LOG=${RUST_LOG:-warn}
exec cargo run --quiet --release --example fanout -- "${1:-10000}" ${2:+"$2"}
