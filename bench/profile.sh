#!/usr/bin/env bash
# Where the time of GET /api/tasks goes: our API (release profile + line tables, built in its own target dir)
# under valgrind's callgrind, instructions counted only while wrk sends (a)'s request at 4 connections.
# Instruction counts are repeatable on a noisy machine, unlike seconds. Usage: bash bench/profile.sh [sqlite|postgres]
# Env: BENCH_PROFILE_MODE=tasks|plain, BENCH_PROFILE_PATH (for plain, e.g. /health/live), BENCH_DURATION (20).
# Output: bench/out/callgrind.<db>.out and a top-40 listing bench/out/callgrind.<db>.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
db="${1:-sqlite}"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
source "$here/prepare.sh"
target="${PROFILE_TARGET_DIR:-$repo/backend/target/profile}"
CARGO_TARGET_DIR="$target" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
  bash "$repo/scripts/build-deps.sh"
  cargo build --release --locked --manifest-path "$repo/backend/Cargo.toml"
mkdir -p "$here/out"
out="$here/out/callgrind.$db.out"
rm -f "$out"
OUR_BIN="$target/release/todo-auth-api" BENCH_TARGETS="profile-$db" BENCH_DURATION="${BENCH_DURATION:-20}" \
  BENCH_WRAP="valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=$out" \
  python3 "$here/bench.py"
requests=$(python3 -c "import json;print(json.load(open('$here/out/profile.json'))['results'][0]['p']['requests'])")
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | head -80 > "$here/out/callgrind.$db.txt" || true
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}') || true
echo "profile ($db): $total instructions for $requests requests = $((total / requests)) per request"
echo "top functions: $here/out/callgrind.$db.txt"
