#!/usr/bin/env bash
# A/B of two builds of our API, interleaved A B A B … so that the machine's drift hits both alike, with the
# median ratio B/A of each measure.
# Usage: bash bench/ab.sh OLD_BIN NEW_BIN [sqlite|postgres] [rounds=3] [a|all]
#   a   (default): (a) GET /api/tasks at 32 connections, BENCH_DURATION (8 s) a run; req/s, p99, the CPU time
#       per request of the server and (on PostgreSQL) of the database's processes, and the resident memory
#       after it (d). CPU time per request is the steadiest measure on a shared machine.
#   all: make bench's phases (a)–(e) of our API, BENCH_DURATION (5 s) a run: (a) req/s and p99, (b) sign-ins
#       per second, (c) p99 of (a) during a sign-in storm, (d) resident memory, (e) start to first 200.
# A binary of HEAD: git worktree add /tmp/ab-old HEAD && cargo build --release --manifest-path /tmp/ab-old/backend/Cargo.toml
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
source "$here/prepare.sh"
a="$(realpath "$1")"; b="$(realpath "$2")"; db="${3:-sqlite}"; rounds="${4:-3}"; phases="${5:-a}"
case "$phases" in
  a) target="ab-$db"; duration="${BENCH_DURATION:-8}"; repeats=1 ;;
  all) target="ab-all-$db"; duration="${BENCH_DURATION:-5}"; repeats=3 ;;
  *) echo "phases must be a or all" >&2; exit 2 ;;
esac
rows="$(mktemp)"; trap 'rm -f "$rows"' EXIT
for ((i = 1; i <= rounds; i++)); do
  for bin in "$a" "$b"; do
    label=$([ "$bin" = "$a" ] && echo A || echo B)
    OUR_BIN="$bin" BENCH_TARGETS="$target" BENCH_REPEATS="$repeats" BENCH_CURVE=0 BENCH_DURATION="$duration" \
      python3 "$here/bench.py" >/dev/null
    python3 - "$here/out/$target.json" "$label" "$i" >>"$rows" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
if "failed" in r:
    sys.exit(f"{sys.argv[2]} failed: {r['failed']}")
m = {"a req/s": r["a"]["rps"]["median"], "a p99 ms": r["a"]["p99_us"]["median"] / 1000,
     "a server CPU µs/req": r["a"]["api_cpu_us"]["median"], "d RSS MiB": r["d"]["VmRSS"] / 1024}
if r["db"] == "postgres":
    m["a PG CPU µs/req"] = r["a"]["db_cpu_us"]["median"]
if "b" in r:
    m["b logins/s"] = r["b"]["good_rps"]
    m["c p99 ms"] = r["c"]["p99_us"]["median"] / 1000
    m["e start ms"] = r["e"]["median"] * 1000
print(json.dumps({"label": sys.argv[2], "round": int(sys.argv[3]), **m}))
PY
    tail -1 "$rows" | python3 -c '
import json, sys
r = json.load(sys.stdin)
head = "round %d %s: " % (r.pop("round"), r.pop("label"))
print(head + ", ".join("%s %.1f" % kv for kv in r.items()))'
  done
done
python3 - "$rows" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
higher_is_better = {"a req/s", "b logins/s"}
for k in [k for k in rows[0] if k not in ("label", "round")]:
    a = statistics.median(r[k] for r in rows if r["label"] == "A")
    b = statistics.median(r[k] for r in rows if r["label"] == "B")
    per_round = [next(r[k] for r in rows if r["label"] == "B" and r["round"] == i) /
                 next(r[k] for r in rows if r["label"] == "A" and r["round"] == i)
                 for i in sorted({r["round"] for r in rows})]
    better = "higher" if k in higher_is_better else "lower"
    print(f"{k:12} A median {a:9.1f}  B median {b:9.1f}  B/A = {b / a:.2f} ({better} is better; per round "
          + ", ".join(f"{x:.2f}" for x in per_round) + ")")
PY
