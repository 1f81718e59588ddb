# Sourced (not run) by scripts/run.sh when OIDC_LOCAL=1, and by frontend/scripts/e2e.sh: installs the test
# OpenID provider of this folder when missing (npm ci, from the pinned lock file), starts it in the background on
# loopback, and exports the API's variables for it as the provider `local` ("Test provider").
#
#   in:  WEB_URL (comma list; the callback of every entry is registered; default http://localhost:$WEB_PORT),
#        OIDC_LOCAL_PORT (9400), OIDC_LOCAL_NAME ("Test provider")
#   out: OIDC_PROVIDERS (",local" appended), OIDC_LOCAL_ISSUER, OIDC_LOCAL_CLIENT_ID, OIDC_LOCAL_CLIENT_SECRET,
#        OIDC_LOCAL_NAME, and OIDC_LOCAL_PID (the caller stops it)
#
# Its users (users.json): alice / alice-pass (verified), bob / bob-pass (unverified), carol / carol-pass, dave /
# dave-pass (no email). A provider that does not start stops the caller (a failed `return 1` under set -e).

oidc_local_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -f "$oidc_local_dir/node_modules/oidc-provider/package.json" ]; then
  echo "==> installing the test OpenID provider (npm ci in scripts/oidc-provider)"
  (cd "$oidc_local_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

oidc_local_redirects=""
IFS=',' read -ra oidc_local_entries <<<"${WEB_URL:-http://localhost:${WEB_PORT:-3000}}"
for oidc_local_entry in "${oidc_local_entries[@]}"; do
  oidc_local_entry="${oidc_local_entry// /}"
  oidc_local_entry="${oidc_local_entry%/}"
  [ -n "$oidc_local_entry" ] || continue
  oidc_local_redirects+="${oidc_local_redirects:+,}$oidc_local_entry/api/auth/oidc/local/callback"
done
oidc_local_secret="$(node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))')"
oidc_local_ready="$(mktemp "${TMPDIR:-/tmp}/oidc-local.XXXXXX")"

oidc_local_clients="$(node -e 'const [secret, uris] = process.argv.slice(1);
  process.stdout.write(JSON.stringify([{ client_id: "web", client_secret: secret, client_name: "Todo", redirect_uris: uris.split(",") }]))' \
  "$oidc_local_secret" "$oidc_local_redirects")"

OP_CLIENTS="$oidc_local_clients" OP_QUIET=1 \
  node "$oidc_local_dir/provider.mjs" --port "${OIDC_LOCAL_PORT:-9400}" >"$oidc_local_ready" &
OIDC_LOCAL_PID=$!

oidc_local_issuer=""
for _ in $(seq 1 200); do
  oidc_local_issuer="$(sed -n 's/^READY .*"issuer":"\([^"]*\)".*/\1/p' "$oidc_local_ready")"
  [ -n "$oidc_local_issuer" ] && break
  kill -0 "$OIDC_LOCAL_PID" 2>/dev/null || break
  sleep 0.1
done
rm -f "$oidc_local_ready"
if [ -z "$oidc_local_issuer" ]; then
  echo "the test OpenID provider did not start (port ${OIDC_LOCAL_PORT:-9400} taken? OIDC_LOCAL_PORT picks another)" >&2
  kill "$OIDC_LOCAL_PID" 2>/dev/null || true
  return 1
fi

export OIDC_PROVIDERS="${OIDC_PROVIDERS:+$OIDC_PROVIDERS,}local"
export OIDC_LOCAL_ISSUER="$oidc_local_issuer"
export OIDC_LOCAL_CLIENT_ID=web
export OIDC_LOCAL_CLIENT_SECRET="$oidc_local_secret"
export OIDC_LOCAL_NAME="${OIDC_LOCAL_NAME:-Test provider}"
export OIDC_LOCAL_PID
echo "==> test OpenID provider at $OIDC_LOCAL_ISSUER (users: alice / alice-pass, bob / bob-pass, carol / carol-pass)"
