#!/usr/bin/env bash
# browser journeys: Debian's Chromium (playwright-core) against the real API and the production web build
set -euo pipefail
cd "$(dirname "$0")/../.."
bash frontend/scripts/e2e.sh
