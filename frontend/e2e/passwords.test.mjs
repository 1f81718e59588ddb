// New passwords in the browser (issue 14): the strength meter while typing, "show password", and the
// server's reason (a common password, one built from the email) at the field, on register and on the account
// page's change-password form.
import assert from "node:assert/strict";
import { PASSWORD, registerViaApi, signIn, uniqueEmail, waitForPath, test } from "./helpers.mjs";

const FAILED_422 = /Failed to load resource: the server responded with a status of 422/;

test("register: the meter rates the password and the server's reason lands at the field", async ({ page, guard }) => {
  guard.allow(FAILED_422);
  const email = uniqueEmail("meter");
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  const password = page.getByLabel("Password", { exact: true });
  const meter = page.getByTestId("password-strength");

  await password.fill("baseball");
  await meter.getByText("Very weak").waitFor();
  assert.equal(await meter.getAttribute("data-score"), "0");

  // Show password reveals both fields.
  assert.equal(await password.getAttribute("type"), "password");
  await page.getByLabel("Show password").check();
  assert.equal(await password.getAttribute("type"), "text");
  assert.equal(await page.getByLabel("Confirm password").getAttribute("type"), "text");
  await page.getByLabel("Show password").uncheck();
  assert.equal(await password.getAttribute("autocomplete"), "new-password");

  // Long enough for the form, refused by the server: its reason appears at the field.
  await password.fill("BaseBall2024!");
  await page.getByLabel("Confirm password").fill("BaseBall2024!");
  await page.getByRole("button", { name: "Sign up" }).click();
  const error = page.locator("#password-error");
  await error.getByText(/too common/).waitFor();
  assert.equal(await password.getAttribute("aria-invalid"), "true");
  assert.equal(new URL(page.url()).pathname, "/register");

  // Built from the email's local part.
  const local = email.split("@")[0];
  await password.fill(`${local}2024`);
  await page.getByLabel("Confirm password").fill(`${local}2024`);
  await page.getByRole("button", { name: "Sign up" }).click();
  await error.getByText(/close to your email address/).waitFor();

  // A strong passphrase: the meter says so and the account is made.
  const strong = "quiet lantern orbit marmalade";
  await password.fill(strong);
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="password-strength"]')?.getAttribute("data-score")) >= 3,
  );
  await page.getByLabel("Confirm password").fill(strong);
  await page.getByRole("button", { name: "Sign up" }).click();
  await waitForPath(page, "/tasks");
});

test("change password: the same fields, and the server's reason at the new password", async ({ page, guard }) => {
  guard.allow(FAILED_422);
  const email = uniqueEmail("change");
  await registerViaApi(email, PASSWORD, "Quentin Marblewood");
  await signIn(page, email);
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  // One form open at a time: the password's, opened from its row.
  await page.getByRole("button", { name: "Change password" }).click();
  const form = page.getByRole("region", { name: "Change password" }).locator("form");
  await form.getByLabel("Current password").fill(PASSWORD);
  const next = form.getByLabel("New password", { exact: true });
  await next.fill("Marblewood!!");
  await form.getByTestId("password-strength").getByText(/Very weak|Weak/).waitFor();
  await form.getByLabel("Confirm new password").fill("Marblewood!!");
  await form.getByRole("button", { name: "Change password" }).click();
  await page.locator("#new_password-error").getByText(/close to your name/).waitFor();
  assert.equal(await next.getAttribute("aria-invalid"), "true");
});
