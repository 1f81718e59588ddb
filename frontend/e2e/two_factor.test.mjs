// Issue 15's browser journey, on issue 25's account page: turn on two-factor authentication from its row on
// /account by reading the key from the page, sign out, sign in with a code computed here from that key,
// then with a recovery code; and turn it off again with a recovery code.
import assert from "node:assert/strict";
import {
  api,
  assertNoReadableCredential,
  PASSWORD,
  registerViaApi,
  screenshot,
  signIn,
  storedToken,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
  test,
} from "./helpers.mjs";
import { stepNow, totp } from "./totp.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
}

test("two-factor: enable from the account page, then sign in with a code and with a recovery code", async ({ newSession }) => {
  assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Math.floor(59 / 30)), "287082", "RFC 6238 vector");
  const email = uniqueEmail("2fa");
  await registerViaApi(email);
  const { context, page, guard } = await newSession();
  // The login's 403 (two-factor required) is logged by the browser as a failed resource: expected here,
  // and so is the 400 of the wrong code tried on purpose.
  guard.allow(FAILED(403));
  guard.allow(FAILED(400));

  await signIn(page, email);
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  const row = page.getByTestId("row-two-factor");
  await row.getByText("Off", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  const setup = page.getByRole("region", { name: "Set up two-factor authentication" });
  await setup.getByLabel("Current password").fill(PASSWORD);
  await setup.getByRole("button", { name: "Continue" }).click();

  // The QR code is drawn in the page (a data: image, no remote service); the key is printed beside it, in
  // groups of four that never break, with a copy button.
  const qr = setup.getByTestId("totp-qr");
  await qr.waitFor();
  assert.match(await qr.getAttribute("src"), /^data:image\/png;base64,/);
  const key = setup.getByTestId("totp-secret");
  const secret = (await key.innerText()).replace(/\s/g, "");
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const groups = await key.locator(".key-group").allInnerTexts();
  assert.deepEqual(groups, secret.match(/.{4}/g), "the key is shown in groups of four");
  for (const g of await key.locator(".key-group").all()) {
    const box = await g.boundingBox();
    assert.ok(box.height < 30, `a key group wraps inside itself (${box.height}px high)`);
  }
  await setup.getByRole("button", { name: "Copy the key" }).waitFor();
  await waitForToastsGone(page);
  await setup.scrollIntoViewIfNeeded();
  await screenshot(page, "account-two-factor-qr");

  // A wrong code is said once, at the field (no banner, no toast); the one from the app turns it on, sent by
  // the code field itself at the sixth digit.
  const code = setup.getByLabel("Code from the app");
  await code.fill("000000");
  await setup.locator("#tf_enable_code-error").getByText("Invalid two-factor code").waitFor();
  assert.equal(await setup.locator("#tf-enable-error").innerText(), "");
  assert.equal(await toast(page, "Invalid two-factor code").count(), 0);
  const enableStep = stepNow();
  await code.fill(totp(secret, enableStep));
  await toast(page, "Two-factor authentication is on").waitFor();
  const codesPanel = page.getByRole("region", { name: "Save your recovery codes" });
  const list = codesPanel.getByTestId("recovery-codes");
  await list.waitFor();
  const recovery = (await list.locator("code").allInnerTexts()).map((c) => c.trim());
  assert.equal(recovery.length, 10);
  // Each code on one line: its box is one line high.
  const lineHeight = await list.locator("li").first().evaluate((li) => parseFloat(getComputedStyle(li).lineHeight));
  for (const item of await list.locator("li").all()) {
    const box = await item.boundingBox();
    assert.ok(box.height < lineHeight * 1.5, `a recovery code breaks across lines (${box.height}px for ${lineHeight}px lines)`);
  }
  await waitForToastsGone(page);
  await codesPanel.scrollIntoViewIfNeeded();
  await screenshot(page, "account-recovery-codes");
  await codesPanel.getByRole("button", { name: "I have saved them" }).click();
  await page.getByRole("button", { name: "Turn off two-factor authentication" }).waitFor();
  await row.getByText("On", { exact: true }).waitFor();

  // The password alone no longer signs in: the code step follows.
  await signOut(page);
  await signIn(page, email, PASSWORD, { path: null });
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  const step = page.getByLabel("Code", { exact: true });
  assert.equal(await step.getAttribute("inputmode"), "numeric");
  assert.equal(await step.getAttribute("autocomplete"), "one-time-code");
  await waitForToastsGone(page);
  await screenshot(page, "sign-in-two-factor-step");
  // The enabling code's step is spent; the next step's code is within the one step of drift allowed. No
  // button is pressed: the field sends the code at its sixth digit.
  await step.fill(totp(secret, Math.max(stepNow(), enableStep) + 1));
  await waitForPath(page, "/tasks");
  // The two-factor step leaves no credential a script can read either.
  await assertNoReadableCredential(page);
  const me = await api("/api/auth/me", { token: await storedToken(page) });
  assert.equal(me.body.two_factor_enabled, true);

  // Then with a recovery code, which works once.
  await signOut(page);
  await signIn(page, email, PASSWORD, { path: null });
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recovery[0]);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await waitForPath(page, "/tasks");

  await signOut(page);
  guard.allow(FAILED(401));
  await signIn(page, email, PASSWORD, { path: null });
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recovery[0]);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  // said once, at the field
  await page.locator("#code-error").getByText("Invalid two-factor code").waitFor();
  assert.equal(await page.locator("#two-factor-step-error").innerText(), "");
  assert.equal(await toast(page, "Invalid two-factor code").count(), 0);

  // Signed in with another recovery code, turn it off with a third one.
  await page.getByLabel("Recovery code").fill(recovery[1]);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  await page.getByRole("button", { name: "Turn off two-factor authentication" }).click();
  const off = page.getByRole("region", { name: "Turn off two-factor authentication" });
  await off.getByLabel("Current password").fill(PASSWORD);
  await off.getByRole("button", { name: "Use a recovery code instead" }).click();
  await off.getByLabel("Recovery code").fill(recovery[2]);
  await off.getByRole("button", { name: "Turn off", exact: true }).click();
  await toast(page, "Two-factor authentication is off").waitFor();
  await row.getByText("Off", { exact: true }).waitFor();
  assert.equal((await api("/api/auth/me", { token: await storedToken(page) })).body.two_factor_enabled, false);
  guard.assertClean();
  await context.close();
});
