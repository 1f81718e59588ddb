#!/usr/bin/env bash
# The web app for `make run`: installs dependencies if needed, builds if needed, serves the production
# build with server.mjs (Next.js behind a server that records the browser's address for the API).
# env: API_INTERNAL_URL (where the web server reaches the API; default NEXT_PUBLIC_API_URL or
#      http://localhost:8000), WEB_URL (the app's public origin(s), for the forgery check and Secure cookies;
#      default http://localhost:$WEB_PORT), WEB_PORT (default 3000), WEB_HOST (default: all interfaces).
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export NEXT_PUBLIC_API_URL="${NEXT_PUBLIC_API_URL:-http://localhost:8000}"
bash scripts/ensure-deps.sh
bash scripts/build.sh
export WEB_PORT="${WEB_PORT:-3000}"
export WEB_URL="${WEB_URL:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}"
export API_INTERNAL_URL="${API_INTERNAL_URL:-$NEXT_PUBLIC_API_URL}"
exec node server.mjs
