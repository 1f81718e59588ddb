#!/usr/bin/env bash
# Production build of the web app, skipped when an identical one exists. Nothing of the deployment is baked
# in (the API's address, the public origins and the ports are read when the server starts), so one build
# serves `make run` on any ports, `make cluster` and the benchmarks.
# env: NEXT_DIST_DIR (default .next), FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export NEXT_DIST_DIR="${NEXT_DIST_DIR:-.next}"

# What the build depends on: Node's version and every source/config file.
inputs=()
for p in app components lib public proxy.ts next.config.ts scripts/csp-hashes.mjs package.json package-lock.json tsconfig.json; do
  if [ -e "$p" ]; then inputs+=("$p"); fi
done
stamp="$({
  node --version
  find "${inputs[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1)"

if [ "${FORCE_BUILD:-0}" != 1 ] && [ -f "$NEXT_DIST_DIR/BUILD_ID" ] \
  && [ "$(cat "$NEXT_DIST_DIR/.build-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "frontend: build in $NEXT_DIST_DIR is up to date"
  exit 0
fi
echo "frontend: next build into $NEXT_DIST_DIR"
./node_modules/.bin/next build
# The public pages are built once: their CSP allows their inline scripts by hash (no per-request nonce).
node scripts/csp-hashes.mjs
echo "$stamp" > "$NEXT_DIST_DIR/.build-stamp"
