#!/usr/bin/env bash
# Production build of the web app, skipped when an identical one exists.
# env: NEXT_PUBLIC_API_URL (default http://localhost:8000; baked into the build),
#      NEXT_DIST_DIR (default .next), FORCE_BUILD=1 to rebuild anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export NEXT_PUBLIC_API_URL="${NEXT_PUBLIC_API_URL:-http://localhost:8000}"
export NEXT_DIST_DIR="${NEXT_DIST_DIR:-.next}"

# What the build depends on: the API URL, Node's version and every source/config file.
inputs=()
for p in app components lib public proxy.ts next.config.ts package.json package-lock.json tsconfig.json; do
  if [ -e "$p" ]; then inputs+=("$p"); fi
done
stamp="$({
  echo "api=$NEXT_PUBLIC_API_URL"
  node --version
  find "${inputs[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -d' ' -f1)"

if [ "${FORCE_BUILD:-0}" != 1 ] && [ -f "$NEXT_DIST_DIR/BUILD_ID" ] \
  && [ "$(cat "$NEXT_DIST_DIR/.build-stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "frontend: build in $NEXT_DIST_DIR is up to date (API $NEXT_PUBLIC_API_URL)"
  exit 0
fi
echo "frontend: next build into $NEXT_DIST_DIR (API $NEXT_PUBLIC_API_URL)"
./node_modules/.bin/next build
echo "$stamp" > "$NEXT_DIST_DIR/.build-stamp"
