#!/usr/bin/env bash
# Property-based API test: schemathesis reads /api/openapi.json from a running server on a
# fresh SQLite database and fires generated requests at every operation, failing on any
# 5xx, any status code the document does not list, and any body or content type that
# breaks the documented schema.
#
# Usage: .ci/schemathesis.sh CONDUIT_BINARY PORT VENV_DIR
# Installs schemathesis (pinned) into VENV_DIR when missing.
set -euo pipefail
BINARY=$(realpath "$1")
PORT=$2
VENV=$(realpath -m "$3")
SCHEMATHESIS_VERSION=4.32.5
BASE="http://127.0.0.1:$PORT"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

WORK=$(mktemp -d /tmp/conduit-schemathesis.XXXXXX)
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# Rate limits off: generated requests come fast from one address, and 429s would hide
# the routes behind them (the 429 answers themselves are tested in tests/it/security.rs).
(cd "$WORK" && DATABASE_URL="$WORK/schemathesis.db" CONDUIT_BIND="127.0.0.1:$PORT" \
  CONDUIT_RATE_LIMIT_PER_MINUTE=0 CONDUIT_BCRYPT_COST=10 RUST_LOG=warn \
  exec "$BINARY") >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "server died" >&2; exit 1; }
  sleep 0.2
done

# A registered user, so that routes behind the token are exercised past the 401, and one
# article, so that the article routes have something to find.
token=$(curl -fsS -X POST "$BASE/api/users" -H 'Content-Type: application/json' \
  -d '{"user":{"username":"fuzzer","email":"fuzzer@example.com","password":"fuzzing-password"}}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["user"]["token"])')
curl -fsS -o /dev/null -X POST "$BASE/api/articles" -H 'Content-Type: application/json' \
  -H "Authorization: Token $token" \
  -d '{"article":{"title":"Fuzzing","description":"d","body":"b","tagList":["fuzz"]}}'

status=0
# From the scratch directory: schemathesis keeps a cache in its working directory.
# One worker: with two, hypothesis parses lambdas' source on two threads at once, which
# CPython 3.11's ast module cannot do ("AST constructor recursion depth mismatch"
# crashed a run).
cd "$WORK"
"$VENV/bin/schemathesis" run "$BASE/api/openapi.json" \
  --url "$BASE" \
  --header "Authorization: Token $token" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples 100 \
  --seed 20261123 \
  --workers 1 \
  --request-timeout 10 \
  --warnings off \
  --no-color || status=$?
if [ "$status" -ne 0 ] || grep -q '\] ERROR' "$WORK/server.log"; then
  echo "--- server log (errors) ---"
  grep -E 'ERROR|panicked' "$WORK/server.log" | tail -20 || true
  exit 1
fi
