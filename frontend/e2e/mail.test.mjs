// Account recovery and verified email in the browser, with the links taken from the mail the API wrote: the
// API runs without SMTP_URL here (as under `make run`), so each mail is an .eml file in E2E_MAIL_DIR (the
// `mail/` folder beside its SQLite file). The SMTP path itself is covered by backend/tests/api/mail.rs.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  api,
  assertNoReadableCredential,
  PASSWORD,
  registerViaApi,
  screenshot,
  signIn,
  signUp,
  test,
  uniqueEmail,
  waitForPath,
  WEB_URL,
} from "./helpers.mjs";

const MAIL_DIR = process.env.E2E_MAIL_DIR;

/** The plain text of an .eml file with quoted-printable soft breaks and escapes undone. */
function readMail(file) {
  const raw = readFileSync(file, "utf8");
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Waits (30 s at most) for a mail to `to` holding a link to `page`; returns the link. */
async function linkFromMail(to, page, { after = new Set() } = {}) {
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

test("forgot password -> link from the mail -> new password -> sign in with it", async ({ page, guard }) => {
  guard.allow(/status of 400/); // the second use of the link, at the end
  const email = uniqueEmail("forgot");
  await registerViaApi(email);
  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await waitForPath(page, "/forgot-password");
  await page.getByLabel("Email").fill(email);
  await screenshot(page, "forgot-password");
  await page.getByRole("button", { name: "Send me a link" }).click();
  await page.getByRole("status").getByText(email).waitFor();

  const link = await linkFromMail(email, "reset-password");
  const response = await page.goto(link);
  assert.equal(response.headers()["referrer-policy"], "no-referrer");
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  // The token has left the address bar (and the history entry) as soon as the page read it.
  await waitForPath(page, "/reset-password");
  assert.equal(await page.locator('meta[name="referrer"]').getAttribute("content"), "no-referrer");
  const newPassword = "a brand new passphrase";
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await screenshot(page, "reset-password");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByRole("heading", { name: "Password changed" }).waitFor();
  await screenshot(page, "password-changed");

  await page.getByRole("link", { name: "Sign in" }).first().click();
  await waitForPath(page, "/login");
  await signIn(page, email, newPassword, { path: null });
  await waitForPath(page, "/tasks");
  // Reset and sign in again: still no credential a page script can read.
  await assertNoReadableCredential(page);
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email, password: PASSWORD } })).status, 401);

  // The same link a second time: the page learns it on submit (the API checks it), says so and offers a new one.
  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill("yet another passphrase");
  await page.getByLabel("Confirm new password").fill("yet another passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();
  await page.getByText("This reset link is invalid or has expired").waitFor();
  await page.getByRole("link", { name: "Send me a new link" }).waitFor();
});

test("register -> verify from the mail", async ({ page }) => {
  const email = uniqueEmail("verify");
  await signUp(page, { email });
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { name: "Confirm your email address" }).waitFor();
  await screenshot(page, "verify-notice");

  const link = await linkFromMail(email, "verify-email");
  await page.goto(link);
  await page.getByRole("heading", { name: "Email address confirmed" }).waitFor();
  await waitForPath(page, "/verify-email");
  await screenshot(page, "email-verified");
  await page.getByRole("link", { name: "Continue" }).click();
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { name: "Your tasks" }).or(page.locator("main")).first().waitFor();
  assert.equal(await page.getByRole("heading", { name: "Confirm your email address" }).count(), 0);
});

test("change email on /account -> link to the new address -> the account has it", async ({ page }) => {
  const email = uniqueEmail("old");
  const newEmail = uniqueEmail("new");
  await registerViaApi(email);
  await signIn(page, email);
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  await page.getByLabel("New email").fill(newEmail);
  await page.getByLabel("Current password").first().fill(PASSWORD);
  await page.getByRole("button", { name: "Send confirmation link" }).click();
  await page.getByRole("status").getByText(newEmail).waitFor();
  await screenshot(page, "change-email");

  const link = await linkFromMail(newEmail, "verify-email");
  await page.goto(link);
  await page.getByRole("heading", { name: "Email address confirmed" }).waitFor();
  await page.getByText(newEmail).first().waitFor();
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email: newEmail, password: PASSWORD } })).status, 200);
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email, password: PASSWORD } })).status, 401);
});
