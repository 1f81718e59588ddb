#!/usr/bin/env bash
# The web app for `make run` and `make cluster`: installs dependencies if needed, builds if needed, serves the
# production build with server.mjs (/api/... streamed to the API, public pages from memory, the rest Next.js;
# WEB_WORKERS processes, default one per CPU).
# env: API_INTERNAL_URL (where the web server reaches the API; default http://localhost:8000), WEB_URL (the app's
#      public origin(s), comma list: the session cookie is `__Host-` named when one is https; default
#      http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT), WEB_PORT (default 3000), WEB_HOST (default: all
#      interfaces), WEB_WORKERS.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/ensure-deps.sh
bash scripts/build.sh
export WEB_PORT="${WEB_PORT:-3000}"
export WEB_URL="${WEB_URL:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}"
export API_INTERNAL_URL="${API_INTERNAL_URL:-http://localhost:8000}"
exec node server.mjs
