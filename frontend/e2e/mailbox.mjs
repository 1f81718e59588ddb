// The mail the API wrote, read by the journeys: without SMTP_URL (as under scripts/e2e.sh) each mail is an
// .eml file in E2E_MAIL_DIR (the `mail/` folder beside the API's SQLite file).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { WEB_URL } from "./helpers.mjs";

const MAIL_DIR = process.env.E2E_MAIL_DIR;

/** The plain text of an .eml file with quoted-printable soft breaks and escapes undone. */
export function readMail(file) {
  const raw = readFileSync(file, "utf8");
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Waits (30 s at most) for a mail to `to` holding a link to `page`; returns the link. */
export async function linkFromMail(to, page, { after = new Set() } = {}) {
  assert.ok(MAIL_DIR, "E2E_MAIL_DIR is not set: run the browser tests with scripts/e2e.sh");
  const deadline = Date.now() + 30_000;
  const pattern = new RegExp(`${WEB_URL.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${page}\\?token=[A-Za-z0-9_-]+`);
  for (;;) {
    let files = [];
    try {
      files = readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml") && !after.has(f));
    } catch {
      files = [];
    }
    for (const f of files) {
      const text = readMail(path.join(MAIL_DIR, f));
      if (!new RegExp(`^To: .*${to.replace(/[.+]/g, "\\$&")}`, "mi").test(text)) continue;
      const found = pattern.exec(text);
      if (found) return found[0];
    }
    assert.ok(Date.now() < deadline, `no mail to ${to} with a /${page} link in ${MAIL_DIR}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The names of the mail files written so far (pass as `after` to wait for a newer mail only). */
export function mailFiles() {
  assert.ok(MAIL_DIR, "E2E_MAIL_DIR is not set: run the browser tests with scripts/e2e.sh");
  try {
    return new Set(readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml")));
  } catch {
    return new Set();
  }
}

/** Waits (30 s at most) for a sign-in code mailed to `to` (not among `after`); returns its 6 digits. */
export async function codeFromMail(to, { after = new Set() } = {}) {
  assert.ok(MAIL_DIR, "E2E_MAIL_DIR is not set: run the browser tests with scripts/e2e.sh");
  const deadline = Date.now() + 30_000;
  for (;;) {
    let files = [];
    try {
      files = readdirSync(MAIL_DIR).filter((f) => f.endsWith(".eml") && !after.has(f));
    } catch {
      files = [];
    }
    for (const f of files) {
      const text = readMail(path.join(MAIL_DIR, f));
      if (!new RegExp(`^To: .*${to.replace(/[.+]/g, "\\$&")}`, "mi").test(text)) continue;
      const found = /^Subject: (\d{6}) is your .* sign-in code/mi.exec(text);
      if (found) return found[1];
    }
    assert.ok(Date.now() < deadline, `no sign-in code mailed to ${to} in ${MAIL_DIR}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
