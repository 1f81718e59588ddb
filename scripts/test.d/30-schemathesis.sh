#!/usr/bin/env bash
# schemathesis: every check against /openapi.json of the release API, authenticated (SQLite, pinned version)
# Installs schemathesis into ./.venv (project-local, git-ignored) when missing, builds the release API,
# starts it on a throw-away SQLite database and a free port, registers a user, and runs every check
# schemathesis has with a fixed seed. Any failure fails the stage; the API is always stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
ST_VERSION="4.32.5"
VENV="$ROOT/.venv"
EXAMPLES="${ST_MAX_EXAMPLES:-200}"
SEED="${ST_SEED:-20261126}"

if ! "$VENV/bin/st" --version 2>/dev/null | grep -qF "$ST_VERSION"; then
  echo "installing schemathesis==$ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi
"$VENV/bin/st" --version

cargo build --release --locked --manifest-path backend/Cargo.toml

WORK="$(mktemp -d "${TMPDIR:-/tmp}/todo-schemathesis.XXXXXX")"
API_PID=""
cleanup() {
  if [ -n "$API_PID" ]; then kill "$API_PID" 2>/dev/null || true; wait "$API_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# API_PORT=0: the kernel picks a free port and the start-up line names it (no race on a guessed port).
# Requests are logged (info) so the status codes the API answered can be counted afterwards.
# shellcheck source=../lib/api.sh
. scripts/lib/api.sh
DATABASE_URL="sqlite:///$WORK/app.db" \
JWT_SECRET="schemathesis-only-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
BCRYPT_COST=4 RUST_LOG=info \
  start_release_api "$WORK"
URL="$API_URL"
echo "API at $URL (pid $API_PID)"

export ST_API_URL="$URL" ST_EMAIL="schemathesis@example.com" ST_PASSWORD="schemathesis-password-1"
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/api/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$ST_EMAIL\",\"password\":\"$ST_PASSWORD\"}")
[ "$status" = 201 ] || { echo "registering the schemathesis user answered $status"; exit 1; }

# The hooks sign in afresh for every test case: logout/logout-all revoke the token they are called with.
# Run from $WORK: schemathesis keeps a .schemathesis/ cache in its working directory.
set +e
cd "$WORK"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$ROOT/scripts/schemathesis" \
  "$VENV/bin/st" --no-color --config-file "$ROOT/scripts/schemathesis/schemathesis.toml" run "$URL/openapi.json" \
  --checks all --max-examples "$EXAMPLES" --seed "$SEED" --workers 2 \
  --report junit --report-junit-path "$WORK/junit.xml" 2>&1 | tee "$WORK/st.out"
rc=${PIPESTATUS[0]}
cd "$ROOT"
set -e

# What the API itself saw: requests by status (the fresh sign-ins of the hooks included).
echo
echo "API requests answered, by status:"
grep -o 'status=[0-9]*' "$WORK/api.log" | sort | uniq -c | sort -k2 | sed 's/^/  /'
total=$(grep -c 'finished processing request' "$WORK/api.log" || true)
fivexx=$(grep -cE 'status=5[0-9][0-9]' "$WORK/api.log" || true)
cases=$(sed -n 's/^ *\([0-9]*\) generated.*/\1/p' "$WORK/st.out" | tail -1)
echo "schemathesis: ${cases:-?} test cases generated, every check on each; $total requests reached the API, $fivexx answered 5xx"
if [ "$rc" -ne 0 ]; then echo "schemathesis found failures (exit $rc)"; exit "$rc"; fi
if [ "$fivexx" -ne 0 ]; then echo "the API answered 5xx"; exit 1; fi
echo "schemathesis: 0 failures"
