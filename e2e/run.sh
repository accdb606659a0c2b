#!/usr/bin/env bash
# Runs the browser tests against a running Conduit: bash e2e/run.sh http://127.0.0.1:8091
# Uses Debian's Chromium (never downloads a browser); screenshots go to target/e2e/.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BASE_URL   (e.g. http://127.0.0.1:8091)" >&2
  exit 2
fi
base_url="$1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
  else
    echo "e2e: /usr/bin/chromium is missing; install Debian's chromium package" >&2
    exit 1
  fi
fi

if command -v curl >/dev/null && ! curl -fsS -o /dev/null "$base_url/"; then
  echo "e2e: nothing answers at $base_url" >&2
  exit 1
fi

# The admin tests need an admin. Given the server's binary and database
# (CONDUIT_BIN, DATABASE_URL), one is made here with `conduit admin create`, the
# password on stdin; or pass an existing one in E2E_ADMIN_EMAIL / E2E_ADMIN_PASSWORD.
if [ -z "${E2E_ADMIN_EMAIL:-}" ] && [ -n "${CONDUIT_BIN:-}" ] && [ -n "${DATABASE_URL:-}" ]; then
  admin_name="e2eadmin$(date +%s)$RANDOM"
  E2E_ADMIN_EMAIL="$admin_name@example.com"
  E2E_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  printf '%s\n' "$E2E_ADMIN_PASSWORD" |
    "$CONDUIT_BIN" admin create --username "$admin_name" --email "$E2E_ADMIN_EMAIL" >/dev/null
  export E2E_ADMIN_EMAIL E2E_ADMIN_PASSWORD
fi

# The accounts tests read the recovery email from the server's mail folder: by default
# `<database>.mail` beside a SQLite file.
if [ -z "${E2E_MAIL_DIR:-}" ] && [ -n "${DATABASE_URL:-}" ] && [[ "$DATABASE_URL" != postgres* ]]; then
  export E2E_MAIL_DIR="$DATABASE_URL.mail"
fi

BASE_URL="$base_url" node --test --test-concurrency=1 tests/*.test.mjs
