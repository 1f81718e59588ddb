#!/usr/bin/env bash
# The web app for `make run`: installs dependencies if needed, builds if needed, serves the production
# build. env: NEXT_PUBLIC_API_URL (default http://localhost:8000), WEB_PORT (default 3000),
#      WEB_HOST (default: all interfaces).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export NEXT_PUBLIC_API_URL="${NEXT_PUBLIC_API_URL:-http://localhost:8000}"
bash scripts/ensure-deps.sh
bash scripts/build.sh
args=(start -p "${WEB_PORT:-3000}")
if [ -n "${WEB_HOST:-}" ]; then args+=(-H "$WEB_HOST"); fi
exec ./node_modules/.bin/next "${args[@]}"
