# Sourced by scripts that drive the release API as a separate process (schemathesis, soak).
#
# start_release_api WORK — starts backend/target/release/todo-auth-api on 127.0.0.1 and a port the kernel
# picks (API_PORT=0: no race on a guessed port), with the rate limits off, logging to WORK/api.log.
# DATABASE_URL, JWT_SECRET, BCRYPT_COST and RUST_LOG come from the caller's environment. Sets API_PID and
# API_URL (read from the start-up line); exits with the log if the API does not come up. The caller's
# EXIT trap stops it (kill "$API_PID").
start_release_api() {
  local work=$1
  REGISTRATIONS_PER_CLIENT=0 LOGIN_FAILURES_PER_CLIENT=0 LOGIN_FAILURES_PER_EMAIL_CLIENT=0 LOGINS_PER_EMAIL=0 \
  API_HOST=127.0.0.1 API_PORT=0 NO_COLOR=1 \
    backend/target/release/todo-auth-api >"$work/api.log" 2>&1 &
  API_PID=$!
  API_URL=""
  for _ in $(seq 1 100); do
    API_URL="$(sed -n 's/.*listening on \(http:\/\/[0-9.]*:[0-9]*\).*/\1/p' "$work/api.log" 2>/dev/null | head -1 || true)"
    [ -n "$API_URL" ] && return 0
    kill -0 "$API_PID" 2>/dev/null || { cat "$work/api.log"; echo "the API did not start"; exit 1; }
    sleep 0.1
  done
  cat "$work/api.log"
  echo "the API did not report its address"
  exit 1
}
