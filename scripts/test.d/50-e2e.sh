#!/usr/bin/env bash
# browser journeys: @playwright/test in Debian's Chromium against the real API and the production web build (+ axe-core)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash frontend/scripts/e2e.sh
