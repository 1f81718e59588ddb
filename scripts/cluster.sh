#!/usr/bin/env bash
# `make cluster`: CLUSTER_SIZE (3) release API processes on one PostgreSQL (DATABASE_URL, default the local
# database todo_cluster, created when missing) behind Debian's nginx on :8080 (CLUSTER_PORT) with the site
# in deploy/nginx, plus the web app on :3000 pointed at nginx (CLUSTER_WEB=0: without it). Ctrl-C stops
# everything. API_BIN: an API binary to run instead of building the release one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nginx.sh
export CLUSTER_PORT="${CLUSTER_PORT:-8080}"
export WEB_PORT="${WEB_PORT:-3000}"
export NEXT_PUBLIC_API_URL="${NEXT_PUBLIC_API_URL:-http://localhost:$CLUSTER_PORT}"
export CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}"
if [ -z "${JWT_SECRET:-}" ]; then
  # Every process must sign with one key: made once for local use, like make run's.
  mkdir -p data
  [ -s data/.cluster_jwt_secret ] || (umask 077 && openssl rand -hex 32 >data/.cluster_jwt_secret)
  JWT_SECRET="$(cat data/.cluster_jwt_secret)"
  export JWT_SECRET
  echo "==> JWT_SECRET not set: using the local one in data/.cluster_jwt_secret"
fi
if [ -z "${DATA_ENCRYPTION_KEY:-}" ]; then
  # Two-factor secrets are encrypted with one key shared by every process (required with PostgreSQL).
  mkdir -p data
  [ -s data/.cluster_data_encryption_key ] || (umask 077 && openssl rand -hex 32 >data/.cluster_data_encryption_key)
  DATA_ENCRYPTION_KEY="$(cat data/.cluster_data_encryption_key)"
  export DATA_ENCRYPTION_KEY
  echo "==> DATA_ENCRYPTION_KEY not set: using the local one in data/.cluster_data_encryption_key"
fi
ensure_nginx
command -v psql >/dev/null || { echo "psql (PostgreSQL client) is required"; exit 1; }

if [ -z "${API_BIN:-}" ]; then
  echo "==> building the API (cargo build --release)"
  cargo build --release --locked --manifest-path backend/Cargo.toml
fi
web=1
[ "${CLUSTER_WEB:-1}" = 0 ] && web=0

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

set -m # each child in its own process group, so Ctrl-C handling stops all of its children too
python3 scripts/cluster.py serve &
pids+=($!)
if [ $web = 1 ]; then
  echo "==> preparing the web app (npm ci and next build on first run)"
  bash frontend/scripts/web.sh &
  pids+=($!)
fi
set +m

node_ok() { node -e "fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" "$1" 2>/dev/null; }
for _ in $(seq 1 600); do
  node_ok "http://127.0.0.1:$CLUSTER_PORT/health" && { [ $web = 0 ] || node_ok "http://127.0.0.1:$WEB_PORT/"; } && break
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "a process exited during start-up" >&2; exit 1; }; done
  sleep 1
done
echo
echo "  API (nginx)  http://localhost:$CLUSTER_PORT   (docs: http://localhost:$CLUSTER_PORT/docs)"
[ $web = 1 ] && echo "  Web app      http://localhost:$WEB_PORT"
echo "  Ctrl-C stops everything."
echo
wait -n "${pids[@]}" || true
