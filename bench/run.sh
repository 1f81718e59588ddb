#!/usr/bin/env bash
# make bench: our release API against the seed's FastAPI backend (async and sync styles), on SQLite and
# PostgreSQL, and the web app's paths (the browser's /api/... through the web server and nginx, its pages)
# against the API itself, driven by wrk on loopback. Writes BENCHMARKS.md and bench/latency.svg (see
# bench/bench.py).
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust), the seed at ../shared/peers/fastapi-seed.
# Knobs: BENCH_DURATION (10 s per run), BENCH_REPEATS (3), BENCH_TARGETS (comma list, default all),
#        SEED_VENV (default: the seed's own ~/.cache/fastapi-seed-venv), BENCH_PG (postgres://postgres@127.0.0.1:5432)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
source "$here/prepare.sh"

bash "$repo/scripts/build-deps.sh"
cargo build --release --locked --manifest-path "$repo/backend/Cargo.toml"
# (k)'s client: complete passkey sign-ins (backend/examples/passkey_bench.rs)
cargo build --release --locked --manifest-path "$repo/backend/Cargo.toml" --example passkey_bench
# The web phase: the production build of the web app (make run's), and nginx for the cluster's path.
bash "$repo/frontend/scripts/ensure-deps.sh"
bash "$repo/frontend/scripts/build.sh"
source "$repo/scripts/lib/nginx.sh"
ensure_nginx || echo "bench: the web phase will leave out its nginx row"
mkdir -p "$here/out"
cp "$repo/backend/target/release/todo-auth-api" "$here/out/todo-auth-api"
export OUR_BIN="$here/out/todo-auth-api"
export PASSKEY_BENCH_BIN="$repo/backend/target/release/examples/passkey_bench"
exec python3 "$here/bench.py"
