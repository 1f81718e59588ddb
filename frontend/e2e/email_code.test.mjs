// Issue 26's browser journey for one-time email codes: on /login, "Email me a code", the code read from the
// mail the API wrote, a wrong code said at the field, "Send a new code" (the older code stops working), signed
// in; and for an account with two-factor on, the TOTP step after the code. Screenshots of both code pages.
import assert from "node:assert/strict";
import {
  api,
  assertNoReadableCredential,
  registerViaApi,
  screenshot,
  test,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
} from "./helpers.mjs";
import { codeFromMail, linkFromMail, mailFiles } from "./mailbox.mjs";
import { enableTwoFactorViaApi, stepNow, totp } from "./totp.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

/** Registers `email` and opens its verification link through the API: a verified account; answers its token. */
async function verifiedAccount(email) {
  const { access_token: token } = await registerViaApi(email);
  const link = await linkFromMail(email, "verify-email");
  const res = await api("/api/auth/verify-email", { method: "POST", body: { token: new URL(link).searchParams.get("token") } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return token;
}

/** A six-digit code that is not `code`. */
const otherThan = (code) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

async function askForCode(page, email) {
  await page.goto("/login");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  // The address typed on the password form is carried over.
  assert.equal(await page.getByLabel("Email", { exact: true }).inputValue(), email);
  const before = mailFiles();
  await page.getByRole("button", { name: "Email me a code" }).click();
  await page.getByRole("heading", { name: "Check your email" }).waitFor();
  return codeFromMail(email, { after: before });
}

test("email code: sign in with a code from the mail; a wrong code is said at the field", async ({ newSession }) => {
  const email = uniqueEmail("code");
  await verifiedAccount(email);
  const { page, guard } = await newSession();
  guard.allow(FAILED(401)); // the wrong and the replaced code, on purpose

  await page.goto("/login");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.getByRole("button", { name: "Email me a code" }).click();
  await page.getByRole("heading", { name: "Sign in with an emailed code" }).waitFor();
  await screenshot(page, "sign-in-email-code-ask");
  await page.getByRole("button", { name: "Sign in with your password instead" }).click();

  const first = await askForCode(page, email);
  const field = page.getByLabel("Code", { exact: true });
  assert.equal(await field.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await field.getAttribute("inputmode"), "numeric");
  assert.ok(await field.evaluate((el) => el === document.activeElement), "the code field has the focus");
  await page.getByText(email).waitFor();
  await waitForToastsGone(page);
  await screenshot(page, "sign-in-email-code-check");

  // A wrong code: said once, at the field, and the form sends itself at the sixth digit.
  await field.fill(otherThan(first));
  await page.locator("#email-code-error").getByText("Invalid or expired code").waitFor();
  assert.equal(await page.locator("#email-code-verify-error").innerText(), "");
  assert.equal(await toast(page, "Invalid or expired code").count(), 0);
  await screenshot(page, "sign-in-email-code-wrong");

  // A new code replaces the first one.
  const before = mailFiles();
  await page.getByRole("button", { name: "Send a new code" }).click();
  await toast(page, "A new code is on its way").waitFor();
  const second = await codeFromMail(email, { after: before });
  if (second !== first) {
    await field.fill(first);
    await page.locator("#email-code-error").getByText("Invalid or expired code").waitFor();
  }
  await field.fill(second);
  await waitForPath(page, "/tasks");
  await toast(page, "Signed in").waitFor();
  await assertNoReadableCredential(page);
  // The session is the cookie's: a protected page rendered on the server opens with it.
  await page.goto("/account");
  await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
});

test("email code: an account with two-factor on gets its TOTP step after the code", async ({ newSession }) => {
  const email = uniqueEmail("code2fa");
  const token = await verifiedAccount(email);
  const { secret, step: used } = await enableTwoFactorViaApi(token);
  const { page, guard } = await newSession();
  guard.allow(FAILED(403)); // the code's "two-factor code required"

  const code = await askForCode(page, email);
  await page.getByLabel("Code", { exact: true }).fill(code);
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  await page.getByLabel("Code", { exact: true }).fill(totp(secret, Math.max(stepNow(), used) + 1));
  await waitForPath(page, "/tasks");
  await toast(page, "Signed in").waitFor();
});
