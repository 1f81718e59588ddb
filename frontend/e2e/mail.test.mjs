// Account recovery and verified email in the browser, with the links taken from the mail the API wrote: the
// API runs without SMTP_URL here (as under `make run`), so each mail is an .eml file in E2E_MAIL_DIR (the
// `mail/` folder beside its SQLite file). The SMTP path itself is covered by backend/tests/api/mail.rs.
import assert from "node:assert/strict";
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
} from "./helpers.mjs";
import { linkFromMail } from "./mailbox.mjs";

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
  // the link was checked as the page opened (spending nothing): it names the account
  await page.getByText(email).waitFor();
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
  // the sign-in page opens with the address filled in, the password field ready
  assert.equal(await page.getByLabel("Email").inputValue(), email);
  await page.waitForFunction(() => document.activeElement?.id === "password");
  await signIn(page, email, newPassword, { path: null });
  await waitForPath(page, "/tasks");
  // Reset and sign in again: still no credential a page script can read.
  await assertNoReadableCredential(page);
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email, password: PASSWORD } })).status, 401);

  // The same link a second time: refused as the page opens, before anyone types a password; a new one is offered.
  await page.goto(link);
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();
  assert.equal(await page.getByLabel("New password", { exact: true }).count(), 0, "the dead link still offers the form");
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
  await page.getByRole("button", { name: "Change email" }).click();
  const form = page.getByRole("region", { name: "Change email" });
  await form.getByLabel("New email").fill(newEmail);
  await form.getByLabel("Current password").fill(PASSWORD);
  await form.getByRole("button", { name: "Send confirmation link" }).click();
  await page.getByRole("status").getByText(newEmail).waitFor();
  await screenshot(page, "change-email");

  const link = await linkFromMail(newEmail, "verify-email");
  await page.goto(link);
  await page.getByRole("heading", { name: "Email address confirmed" }).waitFor();
  await page.getByText(newEmail).first().waitFor();
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email: newEmail, password: PASSWORD } })).status, 200);
  assert.equal((await api("/api/auth/login", { method: "POST", body: { email, password: PASSWORD } })).status, 401);
});
