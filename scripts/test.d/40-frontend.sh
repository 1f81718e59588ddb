#!/usr/bin/env bash
# frontend: tsc --noEmit, eslint, Vitest unit tests and next build
set -euo pipefail
cd "$(dirname "$0")/../../frontend"
bash scripts/ensure-deps.sh
npm run check
