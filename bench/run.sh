#!/usr/bin/env bash
# make bench: our release API against the seed's FastAPI backend (async and sync styles), on SQLite and
# PostgreSQL, driven by wrk on loopback. Writes BENCHMARKS.md and bench/latency.svg (see bench/bench.py).
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust), the seed at ../shared/peers/fastapi-seed.
# Knobs: BENCH_DURATION (10 s per run), BENCH_REPEATS (3), BENCH_TARGETS (comma list, default all),
#        SEED_VENV (default: the seed's own ~/.cache/fastapi-seed-venv), BENCH_PG (postgres://postgres@127.0.0.1:5432)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
export SEED_DIR="${SEED_DIR:-$repo/../shared/peers/fastapi-seed}"
export SEED_VENV="${SEED_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/fastapi-seed-venv}"

if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian package)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi
command -v psql >/dev/null || { echo "bench: psql is needed (PostgreSQL client)" >&2; exit 1; }
psql "${BENCH_PG:-postgres://postgres@127.0.0.1:5432}/postgres" -tAXc 'SELECT 1' >/dev/null \
  || { echo "bench: PostgreSQL is not reachable on 127.0.0.1:5432 as postgres" >&2; exit 1; }
[ -f "$SEED_DIR/run.sh" ] || { echo "bench: the seed's backend is not at $SEED_DIR" >&2; exit 1; }

# The seed's virtualenv, made the way its run.sh makes it, before any timing (its first start would build it).
if [ ! -x "$SEED_VENV/bin/uvicorn" ]; then
  echo "bench: creating the seed's virtualenv in $SEED_VENV" >&2
  python3 -m venv "$SEED_VENV"
  "$SEED_VENV/bin/pip" install -q -r "$SEED_DIR/requirements.txt"
fi

cargo build --release --locked --manifest-path "$repo/backend/Cargo.toml"
mkdir -p "$here/out"
cp "$repo/backend/target/release/todo-auth-api" "$here/out/todo-auth-api"
export OUR_BIN="$here/out/todo-auth-api"
exec python3 "$here/bench.py"
