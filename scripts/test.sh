#!/usr/bin/env bash
# `make test`: every test, on a fresh machine. Stages run in order; the first failure stops the run.
# PostgreSQL at 127.0.0.1:5432 (user postgres) is required: under CI=true its absence fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
LOG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/todo-test.XXXXXX")"
trap 'rm -rf "$LOG_DIR"' EXIT
stage() { printf '\n==> %s\n' "$*"; }

stage "backend: format and lint (cargo fmt --check, clippy -D warnings)"
(cd backend && cargo fmt --check && cargo clippy --locked --all-targets -- -D warnings)

stage "backend: unit and integration tests (every API test on SQLite and on PostgreSQL)"
if [ -n "${CI:-}" ]; then
  pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 || { echo "PostgreSQL is not running on 127.0.0.1:5432 (required under CI)"; exit 1; }
fi
(cd backend && cargo test --locked 2>&1) | tee "$LOG_DIR/cargo.log"
sqlite=$(grep -cE '^test .*::sqlite \.\.\. ok$' "$LOG_DIR/cargo.log" || true)
postgres=$(grep -cE '^test .*::postgres \.\.\. ok$' "$LOG_DIR/cargo.log" || true)
passed=$(grep -E '^test result: ok\.' "$LOG_DIR/cargo.log" | awk '{s+=$4} END {print s+0}')
echo "backend: $sqlite API tests passed on SQLite, $postgres on PostgreSQL ($passed Rust tests in all)"
if [ -n "${CI:-}" ] && [ "$postgres" -eq 0 ]; then echo "no PostgreSQL test ran under CI"; exit 1; fi

stages=2 # the two backend stages above
for extra in scripts/test.d/*.sh; do
  [ -e "$extra" ] || continue
  stage "$(sed -n 2p "$extra" | sed 's/^# //')"
  bash "$extra"
  stages=$((stages + 1))
done

echo
echo "backend: $passed Rust tests passed ($sqlite API tests on SQLite, $postgres on PostgreSQL), and every later stage"
echo "stages: $stages passed, 0 failed"
