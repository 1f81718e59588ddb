#!/usr/bin/env bash
# make bench-scale: the API on a PostgreSQL database of 1,000,000 users and 10,000,000 tasks against a
# 1,000-user one (bench/scale.py: bulk load with generate_series, latency, query plans), then one hour of
# simulated brute force against auth_attempts (the Rust test brute_force, on both databases).
# Not part of make test: the load takes minutes and the database some GB (dropped with
# `psql -c 'DROP DATABASE cluster_scale_1000000'`). Knobs: see bench/scale.py (SCALE_USERS, SCALE_TASKS…).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v psql >/dev/null || { echo "psql (PostgreSQL client) is required"; exit 1; }
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not running on 127.0.0.1:5432"; exit 1; }
bash scripts/build-deps.sh
cargo build --release --locked --manifest-path backend/Cargo.toml
python3 bench/scale.py
echo
echo "==> one hour of simulated brute force against auth_attempts"
(cd backend && cargo test --locked --test api -- brute_force --nocapture 2>&1 | grep -E "brute force|test result|panicked")
