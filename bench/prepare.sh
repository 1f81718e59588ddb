# Sourced by bench/run.sh and bench/profile.sh: what a benchmark needs before any timing. Installs wrk
# (Debian package) when missing, checks PostgreSQL and the seed, and makes the seed's virtualenv (its
# Python also hashes the run's bcrypt password and times the bcrypt limit).
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

