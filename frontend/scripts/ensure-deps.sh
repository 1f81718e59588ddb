#!/usr/bin/env bash
# Installs the frontend's npm dependencies from package-lock.json when node_modules is missing or stale.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "frontend: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
