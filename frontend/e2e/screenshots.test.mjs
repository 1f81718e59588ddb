// Every page at 1280×800 and 390×844, in the light and the dark theme, written to docs/screenshots/ as
// <page>-<desktop|phone>-<light|dark>.png (the README's table links them). Each page is taken once it shows
// what it is for, with no toast over it.
import assert from "node:assert/strict";
import path from "node:path";
import {
  api,
  PASSWORD,
  registerViaApi,
  screenshot,
  SCREENSHOT_DIR,
  seedSession,
  signIn,
  test,
  uniqueEmail,
  waitForToastsGone,
} from "./helpers.mjs";
import { linkFromMail } from "./mailbox.mjs";
import { enableTwoFactorViaApi } from "./totp.mjs";

const VARIANTS = [
  ["desktop", { width: 1280, height: 800 }, "light"],
  ["desktop", { width: 1280, height: 800 }, "dark"],
  ["phone", { width: 390, height: 844 }, "light"],
  ["phone", { width: 390, height: 844 }, "dark"],
];

for (const [device, viewport, colorScheme] of VARIANTS) {
  const suffix = `${device}-${colorScheme}`;
  test(`screenshots of every page (${suffix})`, async ({ newSession }) => {
    const shot = async (page, name) => {
      await waitForToastsGone(page);
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
      await screenshot(page, `${name}-${suffix}`);
    };

    // Signed out
    const out = await newSession({ viewport, colorScheme });
    out.guard.allow(/Failed to load resource: the server responded with a status of (400|403|404)/);
    const page = out.page;
    await page.goto("/");
    await page.getByRole("heading", { level: 1 }).waitFor();
    await shot(page, "landing");
    await page.goto("/login");
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await shot(page, "login");
    await page.goto("/register");
    await page.getByRole("heading", { name: "Create your account" }).waitFor();
    await shot(page, "register");
    await page.goto("/forgot-password");
    await page.getByRole("heading", { name: "Forgot your password?" }).waitFor();
    await shot(page, "forgot-password");
    await page.goto("/no-such-page");
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await shot(page, "not-found");

    // A reset link, live and dead
    const resetEmail = uniqueEmail(`shot-reset-${suffix}`);
    await registerViaApi(resetEmail);
    assert.equal((await api("/api/auth/forgot-password", { method: "POST", body: { email: resetEmail } })).status, 202);
    const link = await linkFromMail(resetEmail, "reset-password");
    await page.goto(link);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await shot(page, "reset-password");
    await page.goto("/reset-password?token=used-or-expired");
    await page.getByRole("heading", { name: "This link does not work" }).waitFor();
    await shot(page, "reset-link-refused");

    // The two-factor step of a sign-in
    const tfEmail = uniqueEmail(`shot-2fa-${suffix}`);
    const { access_token: tfToken } = await registerViaApi(tfEmail, PASSWORD, "Ada Lovelace");
    await enableTwoFactorViaApi(tfToken);
    await signIn(page, tfEmail);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    await screenshot(page, `sign-in-two-factor-${suffix}`);

    // Signed in: tasks, account (closed and with a form open), the verify-email page
    const email = uniqueEmail(`shot-${suffix}`);
    const { access_token: token } = await registerViaApi(email, PASSWORD, "Ada Lovelace");
    for (const [title, description] of [
      ["Renew the passport", "The appointment is on Friday at 10:30"],
      ["Water the plants", null],
      ["Call the bank about the card", null],
    ]) {
      assert.equal((await api("/api/tasks", { method: "POST", token, body: { title, description } })).status, 201);
    }
    const listed = await api("/api/tasks?status=all", { token });
    await api(`/api/tasks/${listed.body.tasks.at(-1).id}/toggle`, { method: "POST", token });
    const inside = await newSession({ viewport, colorScheme });
    await seedSession(inside.context, token);
    const p = inside.page;
    await p.goto("/tasks");
    await p.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
    await p.getByTestId("task-item").first().waitFor();
    await shot(p, "tasks");
    await p.goto("/account");
    await p.getByRole("heading", { level: 1, name: "Account" }).waitFor();
    await p.getByTestId("session").first().waitFor();
    await shot(p, "account");
    if (colorScheme === "light" && SCREENSHOT_DIR) {
      // the whole page, for the README's before/after
      await p.screenshot({ path: path.join(SCREENSHOT_DIR, `account-full-${device}.png`), fullPage: true });
    }
    await p.getByRole("button", { name: "Change password" }).click();
    await p.getByRole("region", { name: "Change password" }).waitFor();
    await p.getByRole("region", { name: "Change password" }).scrollIntoViewIfNeeded();
    await shot(p, "account-change-password");
    const verifyLink = await linkFromMail(email, "verify-email");
    await p.goto(verifyLink);
    await p.getByRole("heading", { name: "Email address confirmed" }).waitFor();
    await shot(p, "email-verified");
  });
}
