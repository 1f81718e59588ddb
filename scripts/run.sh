#!/usr/bin/env bash
# `make run`: the whole system on a fresh machine. Builds the API (release) and the web app, starts the
# API on :8000 (SQLite in ./data by default) and the web app on :3000, prints both URLs and stops both
# on Ctrl-C. Every API variable (DATABASE_URL, JWT_SECRET, …) is honoured; see `make api ARGS=--help`.
# Other ports: API_PORT=8100 WEB_PORT=3100 make run — everything that names the web app follows WEB_PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
export API_PORT="${API_PORT:-8000}"
export WEB_PORT="${WEB_PORT:-3000}"
# The web app's public origins, from its port (unless given): the API's mailed links use the first, its
# check of cookie-authenticated changes and its CORS list all of them, and the web server names the
# session cookie after them.
export WEB_URL="${WEB_URL:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}"
export CORS_ORIGINS="${CORS_ORIGINS:-$WEB_URL}"
# The browser reaches the API through the web server's /api/... (server.mjs streams it, naming the browser's
# address in X-Forwarded-For): the API believes that header from this machine only.
export TRUSTED_PROXIES="${TRUSTED_PROXIES:-127.0.0.1,::1}"
export API_INTERNAL_URL="${API_INTERNAL_URL:-http://127.0.0.1:$API_PORT}"

echo "==> building the API (cargo build --release)"
bash scripts/build-deps.sh
cargo build --release --locked --manifest-path backend/Cargo.toml

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

set -m # each child in its own process group, so Ctrl-C handling stops all of its children too
if [ "${OIDC_LOCAL:-}" = 1 ]; then
  # the test OpenID provider on :9400 (OIDC_LOCAL_PORT), and the API configured for it ("Continue with Test provider")
  source scripts/oidc-provider/local.sh
  pids+=("$OIDC_LOCAL_PID")
fi
backend/target/release/todo-auth-api &
pids+=($!)

if [ -f frontend/scripts/web.sh ]; then
  echo "==> preparing the web app (npm ci and next build on first run)"
  bash frontend/scripts/web.sh &
  pids+=($!)
fi
set +m

node_ok() { node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$1" 2>/dev/null; }
for _ in $(seq 1 600); do
  api_up=0; web_up=0
  node_ok "http://127.0.0.1:$API_PORT/health" && api_up=1
  { [ ! -f frontend/scripts/web.sh ] || node_ok "http://127.0.0.1:$WEB_PORT/"; } && web_up=1
  [ $api_up = 1 ] && [ $web_up = 1 ] && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a process exited during start-up" >&2; exit 1; }; done
  sleep 1
done
echo
echo "  API      http://localhost:$API_PORT   (docs: http://localhost:$API_PORT/docs)"
[ -f frontend/scripts/web.sh ] && echo "  Web app  ${WEB_URL%%,*}   (its /api/... is the API; mailed links point here)"
echo "  Ctrl-C stops both."
echo
wait -n "${pids[@]}" || true
