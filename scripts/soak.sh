#!/usr/bin/env bash
# soak: a bounded mixed load (2.5 minutes, loopback only) against the release API: errors, p99 and RSS over time
# `make soak`; not part of `make test`. Knobs: SOAK_SECONDS (150), SOAK_CLIENTS (32), SOAK_THINK_MS (40),
# SOAK_DATABASE (sqlite | postgres: a fresh database on 127.0.0.1:5432, dropped afterwards),
# SOAK_BCRYPT_COST (10: logins are 2% of the mix; at the default 12 they would dominate two cores).
# Rate limits are off: this measures the server under steady use, not the throttles.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
DATABASE="${SOAK_DATABASE:-sqlite}"

bash scripts/build-deps.sh
cargo build --release --locked --manifest-path backend/Cargo.toml
cargo build --release --locked --manifest-path backend/Cargo.toml --example soak

WORK="$(mktemp -d "${TMPDIR:-/tmp}/todo-soak.XXXXXX")"
API_PID=""
PG_DB=""
cleanup() {
  if [ -n "$API_PID" ]; then kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql -h 127.0.0.1 -U postgres -qAtXc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

case "$DATABASE" in
  sqlite) URL="sqlite:///$WORK/app.db" ;;
  postgres)
    PG_DB="soak_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    psql -h 127.0.0.1 -U postgres -qAtXc "CREATE DATABASE $PG_DB" postgres
    URL="postgres://postgres@127.0.0.1:5432/$PG_DB" ;;
  *) echo "SOAK_DATABASE must be sqlite or postgres"; exit 2 ;;
esac

# shellcheck source=lib/api.sh
. scripts/lib/api.sh
DATABASE_URL="$URL" \
JWT_SECRET="soak-only-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
DATA_ENCRYPTION_KEY="soak-only-key-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
BCRYPT_COST="${SOAK_BCRYPT_COST:-10}" RUST_LOG=warn,todo_auth_api=info \
  start_release_api "$WORK"
BASE="$API_URL"
echo "soak: release API pid $API_PID at $BASE on $DATABASE (BCRYPT_COST=${SOAK_BCRYPT_COST:-10})"
# The machine is shared: a busy neighbour shows up in the figures, so say how busy it was.
echo "soak: load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"

set +e
SOAK_URL="$BASE" SOAK_PID="$API_PID" backend/target/release/examples/soak
rc=$?
set -e
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
warnings=$(grep -cE ' (WARN|ERROR) ' "$WORK/api.log" || true)
echo "  API log: $warnings warning/error lines"
grep -E ' (WARN|ERROR) ' "$WORK/api.log" | sed 's/^/    /' | head -20 || true
kill -0 "$API_PID" 2>/dev/null || { echo "the API died during the soak"; exit 1; }
exit "$rc"
