#!/usr/bin/env bash
# `make cluster`: one origin, :8080 (CLUSTER_PORT), served by Debian's nginx with the site in deploy/nginx:
# /api/... (and /docs, /openapi.json, /health) to CLUSTER_SIZE (3) release API processes on one PostgreSQL
# (DATABASE_URL, default the local database todo_cluster, created when missing), everything else to
# CLUSTER_WEB_SIZE (2) web app processes (frontend/server.mjs; 0: none). Ctrl-C stops everything.
# API_BIN: an API binary to run instead of building the release one. Ports: CLUSTER_API_PORT (8001…),
# CLUSTER_WEB_PORT (8011…), CLUSTER_METRICS_PORT (9101…).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nginx.sh
export CLUSTER_PORT="${CLUSTER_PORT:-8080}"
# The one public origin: the API's mailed links and its check of cookie-authenticated changes, CORS for
# other clients, and the web processes' cookie name all follow it.
export WEB_URL="${WEB_URL:-http://localhost:$CLUSTER_PORT,http://127.0.0.1:$CLUSTER_PORT}"
export CORS_ORIGINS="${CORS_ORIGINS:-$WEB_URL}"
# Every process must share one signing key and one key for two-factor secrets (without the second, two-factor
# set-up is off): when they are not set, each is made once for local use, like make run's, and kept in data/.
local_secret() {
  local var="$1" file="data/$2"
  [ -z "${!var:-}" ] || return 0
  mkdir -p data
  [ -s "$file" ] || (umask 077 && openssl rand -hex 32 >"$file")
  export "$var=$(cat "$file")"
  echo "==> $var not set: using the local one in $file"
}
local_secret JWT_SECRET .cluster_jwt_secret
local_secret DATA_ENCRYPTION_KEY .cluster_data_encryption_key
ensure_nginx
command -v psql >/dev/null || { echo "psql (PostgreSQL client) is required"; exit 1; }

if [ -z "${API_BIN:-}" ]; then
  echo "==> building the API (cargo build --release)"
  bash scripts/build-deps.sh
  cargo build --release --locked --manifest-path backend/Cargo.toml
fi
if [ "${CLUSTER_WEB_SIZE:-2}" != 0 ]; then
  echo "==> preparing the web app (npm ci and next build on first run)"
  bash frontend/scripts/ensure-deps.sh
  bash frontend/scripts/build.sh
fi

exec python3 scripts/cluster.py serve
