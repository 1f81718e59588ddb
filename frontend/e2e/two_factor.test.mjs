// Issue 15's browser journey: turn on two-factor authentication on /account by reading the secret from the
// page, sign out, sign in with a code computed here from that secret, then with a recovery code.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
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

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${text}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) for time step `step`. */
function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const o = h[19] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, "0");
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
}

test("two-factor: enable from the account page, then sign in with a code and with a recovery code", async ({ newSession }) => {
  assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Math.floor(59 / 30)), "287082", "RFC 6238 vector");
  const email = uniqueEmail("2fa");
  await registerViaApi(email);
  const { context, page, guard } = await newSession();
  // The login's 403 (two-factor required) is logged by the browser as a failed resource: expected here.
  guard.allow(FAILED(403));

  await signIn(page, email);
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  const section = page.getByRole("region", { name: "Two-factor authentication" });
  await section.getByLabel("Current password").fill(PASSWORD);
  await section.getByRole("button", { name: "Set up two-factor authentication" }).click();

  // The QR code is drawn in the page (a data: image, no remote service); the key is printed beside it.
  const qr = section.getByTestId("totp-qr");
  await qr.waitFor();
  assert.match(await qr.getAttribute("src"), /^data:image\/png;base64,/);
  const secret = (await section.getByTestId("totp-secret").innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await waitForToastsGone(page);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, "account-two-factor-qr");

  const enableStep = stepNow();
  await section.getByLabel("Code from the app").fill(totp(secret, enableStep));
  await section.getByRole("button", { name: "Turn on" }).click();
  await toast(page, "Two-factor authentication is on").waitFor();
  const list = section.getByTestId("recovery-codes");
  await list.waitFor();
  const recovery = (await list.locator("code").allInnerTexts()).map((c) => c.trim());
  assert.equal(recovery.length, 10);
  await section.getByRole("button", { name: "I have saved them" }).click();
  await section.getByRole("button", { name: "Turn off two-factor authentication" }).waitFor();

  // The password alone no longer signs in: the code step follows.
  await signOut(page);
  await signIn(page, email, PASSWORD, { path: null });
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  const code = page.getByLabel("Code", { exact: true });
  assert.equal(await code.getAttribute("inputmode"), "numeric");
  assert.equal(await code.getAttribute("autocomplete"), "one-time-code");
  await waitForToastsGone(page);
  await screenshot(page, "sign-in-two-factor-step");
  // The enabling code's step is spent; the next step's code is within the one step of drift allowed.
  await code.fill(totp(secret, Math.max(stepNow(), enableStep) + 1));
  await page.getByRole("button", { name: "Verify and sign in" }).click();
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
  await page.getByRole("alert").filter({ hasText: "Invalid two-factor code" }).waitFor();
  guard.assertClean();
  await context.close();
});
