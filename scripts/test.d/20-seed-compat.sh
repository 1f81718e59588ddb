#!/usr/bin/env bash
# drop-in, both ways: the seed's own backend and ours take turns on one database (SQLite, PostgreSQL)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v psql >/dev/null || { echo "psql (PostgreSQL client) is required"; exit 1; }
cargo build --release --locked --manifest-path backend/Cargo.toml
python3 scripts/seed_compat.py
