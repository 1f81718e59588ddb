#!/usr/bin/env bash
# `make test`: every test, on a fresh machine. Stages run in order; the first failure stops the run.
# PostgreSQL at 127.0.0.1:5432 (user postgres) is required: under CI=true its absence fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/todo-test.XXXXXX")"
STARTED=$SECONDS
# The total wall time is printed at the end, whether the run passed or failed.
finish() {
  local code=$?
  rm -rf "$LOG_DIR"
  local took=$((SECONDS - STARTED))
  printf '\nmake test: %s after %dm%02ds wall time\n' "$([ "$code" = 0 ] && echo passed || echo FAILED)" $((took / 60)) $((took % 60))
}
trap finish EXIT
stage() { printf '\n==> %s\n' "$*"; }

bash scripts/build-deps.sh
stage "backend: format and lint (cargo fmt --check, clippy -D warnings)"
(cd backend && cargo fmt --check && cargo clippy --locked --all-targets -- -D warnings)

stage "backend: unit and integration tests (every API test on SQLite and on PostgreSQL)"
if [ -n "${CI:-}" ]; then
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { echo "PostgreSQL is not running on 127.0.0.1:5432 (required under CI)"; exit 1; }
fi
: >"$LOG_DIR/skipped"
(cd backend && TEST_SKIP_LOG="$LOG_DIR/skipped" cargo test --locked 2>&1) | tee "$LOG_DIR/cargo.log"
sqlite=$(grep -cE '^test .*::sqlite \.\.\. ok$' "$LOG_DIR/cargo.log" || true)
postgres_ok=$(grep -cE '^test .*::postgres \.\.\. ok$' "$LOG_DIR/cargo.log" || true)
# a PostgreSQL test without a server returns at once and libtest calls it "ok": those are skipped, not passed
skipped=$(grep -c . "$LOG_DIR/skipped" || true)
postgres=$((postgres_ok - skipped))
passed=$(( $(grep -E '^test result: ok\.' "$LOG_DIR/cargo.log" | awk '{s+=$4} END {print s+0}') - skipped ))
pg_summary="$postgres on PostgreSQL"
[ "$skipped" -eq 0 ] || pg_summary="$postgres on PostgreSQL, $skipped PostgreSQL tests SKIPPED (no server at 127.0.0.1:5432)"
echo "backend: $sqlite API tests passed on SQLite, $pg_summary ($passed Rust tests passed in all)"
if [ -n "${CI:-}" ] && [ "$postgres" -eq 0 ]; then echo "no PostgreSQL test ran under CI"; exit 1; fi

stages=2 # the two backend stages above
for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  stage "$(sed -n 2p "$extra" | sed 's/^# //')"
  bash "$extra"
  stages=$((stages + 1))
done

echo
echo "backend: $passed Rust tests passed ($sqlite API tests on SQLite, $pg_summary), and every later stage"
echo "stages: $stages passed, 0 failed"
