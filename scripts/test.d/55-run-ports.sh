#!/usr/bin/env bash
# make run on other ports: the web app's /api/... reaches the API, its pages carry their CSP, and a mailed link names WEB_PORT
set -euo pipefail
cd "$(dirname "$0")/../.."
API_PORT="${RUN_TEST_API_PORT:-18331}"
WEB_PORT="${RUN_TEST_WEB_PORT:-13331}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/todo-run-ports.XXXXXX")"
RUN_PID=""
cleanup() {
  local code=$?
  if [ -n "$RUN_PID" ]; then
    kill -TERM -- "-$RUN_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  [ "$code" = 0 ] || { echo "---- make run's output (last 30 lines) ----"; tail -n 30 "$WORK/run.log" || true; }
  rm -rf "$WORK"
  exit "$code"
}
trap cleanup EXIT

# Exactly `make run`, on a fresh SQLite database, with nothing set but the two ports.
env -u WEB_URL -u CORS_ORIGINS -u TRUSTED_PROXIES -u API_INTERNAL_URL -u SMTP_URL \
  DATABASE_URL="sqlite:///$WORK/app.db" API_PORT="$API_PORT" WEB_PORT="$WEB_PORT" BCRYPT_COST=4 \
  setsid bash scripts/run.sh >"$WORK/run.log" 2>&1 &
RUN_PID=$!
node frontend/scripts/wait-for.mjs "http://127.0.0.1:$WEB_PORT/login" 600 "$RUN_PID" || { echo "make run did not come up"; exit 1; }

node --input-type=module - "$WEB_PORT" "$WORK/mail" <<'JS'
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
const [port, mailDir] = process.argv.slice(2);
const web = `http://localhost:${port}`;
const email = `run-ports-${Date.now()}@example.com`;
// Signing up as the web app's own client does, through the web app's origin.
const res = await fetch(`${web}/api/auth/register`, {
  method: "POST",
  headers: { "content-type": "application/json", "x-session": "cookie", origin: web, "sec-fetch-site": "same-origin" },
  body: JSON.stringify({ email, password: "a long run-ports password" }),
});
const body = await res.json();
assert.equal(res.status, 201, JSON.stringify(body));
assert.equal(body.access_token, undefined, "a cookie-mode answer carries no token");
assert.match(res.headers.get("set-cookie") ?? "", /^todo_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
const page = await fetch(`${web}/login`);
assert.equal(page.status, 200);
assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self' 'sha256-/);
// The verification mail (no SMTP_URL: a .eml file beside the database, written by the outbox worker after
// the answer) links to this web app's port. Wait for the file itself.
const mailTo = () => {
  let files = [];
  try {
    files = readdirSync(mailDir).filter((f) => f.endsWith(".eml"));
  } catch {
    return undefined; // the folder is made with the first mail
  }
  return files.map((f) => readFileSync(`${mailDir}/${f}`, "utf8")).find((m) => m.includes(email));
};
const deadline = Date.now() + 60_000;
let mail;
while (!(mail = mailTo()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
assert.ok(mail, `no mail to ${email} in ${mailDir} within a minute`);
const link = /https?:\/\/[^\s"<>]+\/verify-email\?token=[A-Za-z0-9_=-]+/.exec(mail.replace(/=\r?\n/g, ""))?.[0];
assert.ok(link, "the mail holds a verification link");
assert.ok(link.startsWith(`http://localhost:${port}/verify-email?token=`), `the link points elsewhere: ${link}`);
console.log(`make run with WEB_PORT=${port}: sign-up through the web app's /api (cookie set, no token in the body), /login with its hash CSP, and the mailed link ${link.split("?")[0]}`);
JS
