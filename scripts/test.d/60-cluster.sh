#!/usr/bin/env bash
# cluster: nginx -t on deploy/nginx, then 3 API processes on one PostgreSQL and 2 web processes behind nginx (fresh start, sign-out, throttling, outbox delivered once over SMTP, one origin for pages and /api, rolling restarts of both, SIGKILL)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/nginx.sh
skip_or_fail() {
  if [ -n "${CI:-}" ]; then echo "FAILED: $1 (required under CI)"; exit 1; fi
  echo "SKIPPED: $1 (the cluster tests need it; under CI=true this fails)"
  exit 0
}
pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || skip_or_fail "PostgreSQL is not running on 127.0.0.1:5432"
command -v psql >/dev/null || skip_or_fail "psql (PostgreSQL client) is missing"
ensure_nginx || skip_or_fail "nginx cannot be installed"
python3 scripts/cluster.py check
# The SMTP server the processes deliver to: aiosmtpd from PyPI, in the project's .venv (pinned).
AIOSMTPD_VERSION="1.4.6"
VENV="$PWD/.venv"
if ! "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$AIOSMTPD_VERSION')" 2>/dev/null; then
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" \
    || skip_or_fail "aiosmtpd cannot be installed from PyPI"
fi
export CLUSTER_SMTPD_PYTHON="$VENV/bin/python"
if [ -z "${API_BIN:-}" ]; then
  cargo build --release --locked --manifest-path backend/Cargo.toml
  export API_BIN="$PWD/backend/target/release/todo-auth-api"
fi
# The web processes serve the production build (done by the frontend stage; rebuilt here only when stale).
bash frontend/scripts/ensure-deps.sh
bash frontend/scripts/build.sh
if command -v systemd-analyze >/dev/null 2>&1; then
  # The unit as shipped, with ExecStart pointed at this build (verify checks that the binary exists).
  unit_dir="$(mktemp -d)"
  sed "s|^ExecStart=.*|ExecStart=$API_BIN|" deploy/systemd/todo-auth-api@.service \
    >"$unit_dir/todo-auth-api@.service"
  ln -s todo-auth-api@.service "$unit_dir/todo-auth-api@8001.service"
  out="$(systemd-analyze verify "$unit_dir/todo-auth-api@8001.service" 2>&1)" || { echo "$out"; rm -rf "$unit_dir"; exit 1; }
  rm -rf "$unit_dir"
  [ -z "$out" ] || { echo "$out"; echo "systemd-analyze verify complained about deploy/systemd/todo-auth-api@.service"; exit 1; }
  echo "systemd-analyze verify: deploy/systemd/todo-auth-api@.service is valid"
fi
timeout 300 python3 scripts/cluster.py test
