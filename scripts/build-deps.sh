#!/usr/bin/env bash
# The system packages the API's build needs beyond Rust itself: OpenSSL's headers and pkg-config (webauthn-rs,
# the passkeys' relying party, links OpenSSL). Idempotent: does nothing when they are there; otherwise installs
# them with apt-get (as root, or through sudo), and fails with a clear message where it cannot.
set -euo pipefail
if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists openssl 2>/dev/null; then
  exit 0
fi
if command -v dpkg >/dev/null 2>&1 && dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
  exit 0
fi
echo "build-deps: OpenSSL headers or pkg-config missing; installing libssl-dev and pkg-config with apt-get"
command -v apt-get >/dev/null 2>&1 || {
  echo "build-deps: FAILED: no apt-get here; install OpenSSL's development headers and pkg-config yourself" >&2
  exit 1
}
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "build-deps: FAILED: not root and no sudo to run apt-get" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y libssl-dev pkg-config
