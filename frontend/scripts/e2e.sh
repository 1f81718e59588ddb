#!/usr/bin/env bash
# Browser end-to-end tests, everything included, on a fresh machine:
#   Debian's Chromium (installed with apt-get when missing) driven by @playwright/test, against our real
#   API binary on a fresh SQLite database in a temp dir and the production build (next build + next start).
# env: API_BIN (default ../backend/target/release/todo-auth-api; built with cargo when missing),
#      E2E_API_PORT (18321), E2E_WEB_PORT (13321), CHROMIUM_PATH (/usr/bin/chromium),
#      E2E_OIDC_PORT (0: a free one, for the test OpenID provider),
#      E2E_SCREENSHOT_DIR (../docs/screenshots), E2E_TESTS (files or name filters given to `playwright test`;
#      default: every e2e/*.test.mjs), E2E_RETRIES (1), E2E_ARTIFACTS_DIR (frontend/e2e-artifacts).
# A browser that cannot be installed or started is a failure (never a skip), in CI and everywhere else.
set -euo pipefail
FRONTEND="$(cd "$(dirname "$0")/.." && pwd)"
REPO="$(cd "$FRONTEND/.." && pwd)"
cd "$FRONTEND"

HOST=127.0.0.1
API_PORT="${E2E_API_PORT:-18321}"
WEB_PORT="${E2E_WEB_PORT:-13321}"
API_URL="http://$HOST:$API_PORT"
WEB_URL="http://$HOST:$WEB_PORT"
DEFAULT_API_BIN="$REPO/backend/target/release/todo-auth-api"
API_BIN="${API_BIN:-$DEFAULT_API_BIN}"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
SCREENSHOT_DIR="${E2E_SCREENSHOT_DIR:-$REPO/docs/screenshots}"

fail() {
  echo "e2e: FAILED: $*" >&2
  exit 1
}

# 1. Chromium from Debian
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "e2e: $CHROMIUM_PATH not found; installing Debian's chromium with apt-get"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || fail "chromium is missing and this user cannot run apt-get (no root, no sudo)"
    SUDO="sudo"
  fi
  $SUDO apt-get update || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium \
    || fail "apt-get install chromium failed"
fi
[ -x "$CHROMIUM_PATH" ] || fail "no browser at $CHROMIUM_PATH"
"$CHROMIUM_PATH" --version || fail "$CHROMIUM_PATH does not run"

# 2. npm dependencies
bash scripts/ensure-deps.sh

# 3. The API binary
if [ ! -x "$API_BIN" ]; then
  [ "$API_BIN" = "$DEFAULT_API_BIN" ] || fail "API_BIN=$API_BIN is not an executable file"
  echo "e2e: building the API ($API_BIN is missing)"
  bash "$REPO/scripts/build-deps.sh" || fail "the API's build dependencies could not be installed"
  cargo build --release --manifest-path "$REPO/backend/Cargo.toml" || fail "cargo build of the API failed"
fi

# 4. The ports must be ours
for url in "$API_URL/health" "$WEB_URL/"; do
  if node -e "fetch(process.argv[1],{signal:AbortSignal.timeout(1000)}).then(()=>process.exit(0),()=>process.exit(1))" "$url"; then
    fail "something already answers at $url; stop it or set E2E_API_PORT / E2E_WEB_PORT"
  fi
done

# 5. Production build with this run's API URL baked in, in its own folder (make run's .next is untouched)
export NEXT_DIST_DIR=.next-e2e
NEXT_PUBLIC_API_URL="$API_URL" bash scripts/build.sh

# 6. Start the API (fresh SQLite in a temp dir) and the web app; always stop both
WORK="$(mktemp -d "${TMPDIR:-/tmp}/todo-e2e.XXXXXX")"
API_PID=""
WEB_PID=""
stop() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local code=$?
  stop "$WEB_PID"
  stop "$API_PID"
  stop "${OIDC_LOCAL_PID:-}"
  if [ "$code" != 0 ]; then
    echo "---- API log (last 40 lines) ----" >&2
    tail -n 40 "$WORK/api.log" >&2 2>/dev/null || true
    echo "---- web log (last 40 lines) ----" >&2
    tail -n 40 "$WORK/web.log" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The test OpenID provider (scripts/oidc-provider) on a free port, and the API configured for it as `local`
# (e2e/oidc.test.mjs); stopped with the others.
OIDC_LOCAL_PORT="${E2E_OIDC_PORT:-0}" WEB_URL="$WEB_URL" source "$REPO/scripts/oidc-provider/local.sh" \
  || fail "the test OpenID provider did not start"

JWT_SECRET="$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))")"
(
  cd "$WORK"
  exec env -u SMTP_URL \
    DATABASE_URL="sqlite:///$WORK/app.db" \
    JWT_SECRET="$JWT_SECRET" \
    API_HOST="$HOST" \
    API_PORT="$API_PORT" \
    CORS_ORIGINS="$WEB_URL,http://localhost:$WEB_PORT" \
    WEB_URL="$WEB_URL,http://localhost:$WEB_PORT" \
    WEBAUTHN_RP_ID=localhost \
    BCRYPT_COST=4 \
    REGISTRATIONS_PER_CLIENT=0 \
    LOGIN_FAILURES_PER_CLIENT=0 \
    LOGIN_FAILURES_PER_EMAIL_CLIENT=5 \
    TRUSTED_PROXIES="$HOST" \
    setsid "$API_BIN"
) >"$WORK/api.log" 2>&1 &
API_PID=$!
node scripts/wait-for.mjs "$API_URL/health" 60 "$API_PID" || fail "the API did not start"
echo "e2e: API up at $API_URL (pid $API_PID, database $WORK/app.db)"

WEB_PORT="$WEB_PORT" WEB_HOST="${E2E_WEB_HOST:-$HOST}" WEB_URL="$WEB_URL" API_INTERNAL_URL="$API_URL" \
  setsid node server.mjs >"$WORK/web.log" 2>&1 &
WEB_PID=$!
node scripts/wait-for.mjs "$WEB_URL/" 60 "$WEB_PID" || fail "the web app did not start"
echo "e2e: web app up at $WEB_URL (pid $WEB_PID)"

# 7. The journeys: @playwright/test (playwright.config.mjs: one worker, one retry reported as "flaky",
# traces of failed tests and an HTML report in e2e-artifacts/, git-ignored; E2E_ARTIFACTS_DIR moves them)
mkdir -p "$SCREENSHOT_DIR"
tests=()
if [ -n "${E2E_TESTS:-}" ]; then
  read -r -a tests <<<"$E2E_TESTS"
fi
E2E_API_URL="$API_URL" E2E_WEB_URL="$WEB_URL" E2E_JWT_SECRET="$JWT_SECRET" E2E_OIDC_ISSUER="$OIDC_LOCAL_ISSUER" \
  E2E_SCREENSHOT_DIR="$SCREENSHOT_DIR" CHROMIUM_PATH="$CHROMIUM_PATH" E2E_MAIL_DIR="$WORK/mail" \
  ./node_modules/.bin/playwright test "${tests[@]}"
echo "e2e: HTML report in ${E2E_ARTIFACTS_DIR:-$FRONTEND/e2e-artifacts}/report (npx playwright show-report <dir>)"
