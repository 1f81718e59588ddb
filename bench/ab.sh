#!/usr/bin/env bash
# A/B of two builds of our API on (a) (GET /api/tasks, 32 connections), interleaved A B A B … so that the
# machine's drift hits both alike. Prints req/s, p99 and resident memory after the run (d) of every run,
# and the median ratio B/A.
# Usage: bash bench/ab.sh OLD_BIN NEW_BIN [sqlite|postgres] [rounds=3]. BENCH_DURATION (8 s) per run.
# A binary of HEAD: git worktree add /tmp/ab-old HEAD && cargo build --release --manifest-path /tmp/ab-old/backend/Cargo.toml
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
source "$here/prepare.sh"
a="$(realpath "$1")"; b="$(realpath "$2")"; db="${3:-sqlite}"; rounds="${4:-3}"
results=()
for ((i = 1; i <= rounds; i++)); do
  for bin in "$a" "$b"; do
    OUR_BIN="$bin" BENCH_TARGETS="ab-$db" BENCH_REPEATS=1 BENCH_CURVE=0 BENCH_DURATION="${BENCH_DURATION:-8}" \
      python3 "$here/bench.py" >/dev/null
    r=$(python3 -c "import json; t=json.load(open('$here/out/ab-$db.json'))['results'][0]; a=t['a']['runs'][0]; print(f\"{a['rps']:.0f} {a['p99_us']/1000:.1f} {t['d']['VmRSS']/1024:.1f}\")")
    label=$([ "$bin" = "$a" ] && echo A || echo B)
    echo "round $i $label: $r   (req/s, p99 ms, RSS MiB)"
    results+=("$label $r")
  done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin]
a = [float(r[1]) for r in rows if r[0] == "A"]; b = [float(r[1]) for r in rows if r[0] == "B"]
print(f"A median {statistics.median(a):.0f} req/s, B median {statistics.median(b):.0f} req/s, B/A = {statistics.median(b) / statistics.median(a):.2f}")'
