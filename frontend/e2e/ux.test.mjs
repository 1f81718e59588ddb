// Issue 25 ("a web app people enjoy"), items 2–9, as a person meets them: the one-time code input, errors
// said once and gone when fixed, one toast at a time and never over the header, the throttle's wait in
// minutes with a countdown, a dead reset link refused as the page opens, tabs that refresh the user, and
// the account page's rows.
import assert from "node:assert/strict";
import {
  api,
  PASSWORD,
  registerViaApi,
  screenshot,
  seedSession,
  signIn,
  test,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
} from "./helpers.mjs";
import { linkFromMail } from "./mailbox.mjs";
import { enableTwoFactorViaApi, stepNow, totp } from "./totp.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** Puts `text` on the clipboard event of the focused element, as a paste from the system would. */
async function paste(page, text) {
  await page.evaluate((t) => {
    const data = new DataTransfer();
    data.setData("text/plain", t);
    document.activeElement.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/** From now on, the page records the most toasts it ever showed at once (window.__mostToasts). */
async function countToasts(page) {
  await page.evaluate(() => {
    window.__mostToasts = 0;
    const count = () => {
      const n = document.querySelectorAll('[data-rht-toaster] [role="status"]').length;
      window.__mostToasts = Math.max(window.__mostToasts, n);
    };
    new MutationObserver(count).observe(document.body, { childList: true, subtree: true });
    count();
  });
}

/** The header's box and the on-screen toast's box do not overlap. */
async function assertToastClearOfHeader(page, text) {
  const header = await page.locator(".site-header").boundingBox();
  const box = await toast(page, text).boundingBox();
  assert.ok(box, `the toast "${text}" is on screen`);
  const overlaps = box.y < header.y + header.height && box.y + box.height > header.y;
  assert.ok(!overlaps, `the toast "${text}" (y ${box.y}) covers the header (to y ${header.y + header.height})`);
}

for (const [name, viewport, colorScheme] of [
  ["desktop, light", DESKTOP, "light"],
  ["phone, dark", PHONE, "dark"],
]) {
  test(`the two-factor code input is large, numeric, one-time-code, and a pasted code signs in by itself (${name})`, async ({ newSession }) => {
    const email = uniqueEmail("otp");
    const { access_token: token } = await registerViaApi(email);
    const { secret, step: used } = await enableTwoFactorViaApi(token);
    const { page, guard } = await newSession({ viewport, colorScheme });
    guard.allow(FAILED(403)); // the password step's "two-factor code required"
    guard.allow(FAILED(401)); // the wrong code below

    await signIn(page, email);
    await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    const input = page.getByLabel("Code", { exact: true });
    assert.equal(await input.getAttribute("autocomplete"), "one-time-code");
    assert.equal(await input.getAttribute("inputmode"), "numeric");
    assert.equal(await input.getAttribute("type"), "text");
    assert.equal(await input.evaluate((el) => el === document.activeElement), true, "the code field has the focus");
    const box = await input.boundingBox();
    assert.ok(box.height >= 52, `the code field is ${box.height}px high`);
    assert.ok(box.width >= 240, `the code field is ${box.width}px wide`);
    const style = await input.evaluate((el) => {
      const s = getComputedStyle(el);
      const card = getComputedStyle(el.closest(".card"));
      return { size: parseFloat(s.fontSize), bg: s.backgroundColor, color: s.color, cardBg: card.backgroundColor, cardColor: card.color, radius: parseFloat(s.borderTopLeftRadius) };
    });
    assert.ok(style.size >= 24, `the digits are ${style.size}px`);
    // styled like the page in either theme (not the browser's grey default)
    assert.equal(style.bg, style.cardBg);
    assert.equal(style.color, style.cardColor);
    assert.ok(style.radius >= 8);

    // A wrong code, typed: sent at the sixth digit, refused once, at the field; typing again clears it.
    await input.pressSequentially("000000");
    await page.locator("#code-error").getByText("Invalid two-factor code").waitFor();
    assert.equal(await page.locator("#two-factor-step-error").innerText(), "");
    assert.equal(await toast(page, "Invalid two-factor code").count(), 0);
    await input.press("1");
    await page.locator("#code-error").getByText("Invalid two-factor code").waitFor({ state: "detached" });
    assert.equal(await input.inputValue(), "1", "the wrong code was selected, so typing replaced it");

    // The right one pasted as "123 456": taken whole, and the form sends itself.
    const code = totp(secret, Math.max(stepNow(), used) + 1);
    await paste(page, `${code.slice(0, 3)} ${code.slice(3)}`);
    await waitForPath(page, "/tasks");
    await toast(page, "Signed in").waitFor();
  });
}

test("a field's error goes as soon as the field is edited", async ({ page, guard }) => {
  guard.allow(FAILED(400)); // "Email already registered", on purpose
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const emailError = page.locator("#email-error");
  const passwordError = page.locator("#password-error");
  await emailError.getByText("Email is required").waitFor();
  await passwordError.getByText("Password is required").waitFor();
  await page.getByLabel("Email").pressSequentially("a");
  await emailError.getByText("Email is required").waitFor({ state: "detached" });
  assert.equal(await page.getByLabel("Email").getAttribute("aria-invalid"), null);
  // the other field keeps its own until it is edited
  assert.equal(await passwordError.innerText(), "Password is required");
  await page.getByLabel("Password", { exact: true }).fill("x");
  await passwordError.getByText("Password is required").waitFor({ state: "detached" });

  // the same on a form the server refused: the email is taken, said at the field, gone when it changes
  const taken = uniqueEmail("taken");
  await registerViaApi(taken);
  await page.goto("/register");
  await page.getByLabel("Email").fill(taken);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  const [answer] = await Promise.all([
    page.waitForResponse((res) => res.url().endsWith("/api/auth/register")),
    page.getByRole("button", { name: "Sign up" }).click(),
  ]);
  assert.equal(answer.status(), 400);
  await page.locator("#email-error").getByText("Email already registered").waitFor();
  await page.getByLabel("Email").pressSequentially("x");
  await page.locator("#email-error").getByText("Email already registered").waitFor({ state: "detached" });
});

for (const [name, viewport] of [
  ["desktop", DESKTOP],
  ["phone", PHONE],
]) {
  test(`one toast at a time, never over the header, and a success replaces a stale error (${name})`, async ({ newSession }) => {
    const email = uniqueEmail("toasts");
    const { access_token: token } = await registerViaApi(email);
    const { context, page, guard } = await newSession({ viewport });
    guard.allow(/Failed to load resource: net::ERR_FAILED/);
    await seedSession(context, token);
    await page.goto("/tasks");
    await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
    await countToasts(page);

    const form = page.getByRole("region", { name: "Add a task" });
    for (const title of ["Buy milk", "Water the plants", "Call the bank"]) {
      await form.getByLabel("Title").fill(title);
      await form.getByRole("button", { name: "Add task" }).click();
      await page.getByTestId("task-item").filter({ hasText: title }).waitFor();
    }
    await toast(page, "Task created successfully").waitFor();
    await assertToastClearOfHeader(page, "Task created successfully");

    // An error toast (the server cannot be reached), then the same action succeeds: the error goes.
    const cutOff = (route) => route.abort("failed");
    await context.route("**/api/tasks/*/toggle", cutOff);
    await page.getByRole("checkbox", { name: 'Mark "Buy milk" as completed' }).click();
    await toast(page, "Cannot reach the server").waitFor();
    await context.unroute("**/api/tasks/*/toggle", cutOff);
    await page.getByRole("checkbox", { name: 'Mark "Buy milk" as completed' }).click();
    await toast(page, "Task marked as completed").waitFor();
    await toast(page, "Cannot reach the server").waitFor({ state: "detached" });
    await assertToastClearOfHeader(page, "Task marked as completed");
    // the header's buttons stay usable while a toast shows
    await page.getByRole("button", { name: /Switch to (dark|light) theme/ }).click({ trial: true });

    assert.equal(await page.evaluate(() => window.__mostToasts), 1, "more than one toast was on screen at once");
  });
}

test("a throttled sign-in says the wait in minutes, counts down, and offers a password reset", async ({ page, guard }) => {
  guard.allow(FAILED(401));
  guard.allow(FAILED(429));
  const email = uniqueEmail("wait");
  await registerViaApi(email);
  await page.goto("/login");
  const banner = page.locator("#login-form-error");
  // scripts/e2e.sh: LOGIN_FAILURES_PER_EMAIL_CLIENT=5, so the sixth wrong password is throttled
  for (let attempt = 1; attempt <= 6; attempt += 1) {
    const [answer] = await Promise.all([
      page.waitForResponse((res) => res.url().endsWith("/api/auth/login")),
      signIn(page, email, `wrong-password-${attempt}`, { path: null }),
    ]);
    if (answer.status() === 429) break;
    assert.equal(answer.status(), 401);
  }
  await banner.getByText(/Too many attempts\. Try again in \d+ minutes?\./).waitFor();
  const text = await banner.innerText();
  assert.doesNotMatch(text, /seconds?/, `raw seconds: ${text}`);
  // a live countdown: its face changes while we look
  const countdown = banner.getByTestId("retry-countdown");
  const first = await countdown.innerText();
  assert.match(first, /^\d+:\d{2}$/);
  await page.waitForFunction((before) => document.querySelector('[data-testid="retry-countdown"]')?.textContent !== before, first);
  // said once: no toast, and at most one toast was ever needed (none)
  assert.equal(await toast(page, "Too many attempts").count(), 0);
  await waitForToastsGone(page);
  await screenshot(page, "sign-in-throttled");
  await banner.getByRole("link", { name: "Reset it" }).click();
  await waitForPath(page, "/forgot-password");
});

test("a used or unknown reset link is refused as the page opens; after a reset, sign-in has the email", async ({ page, guard }) => {
  guard.allow(FAILED(400));
  const email = uniqueEmail("dead");
  await registerViaApi(email);
  assert.equal((await api("/api/auth/forgot-password", { method: "POST", body: { email } })).status, 202);
  const link = await linkFromMail(email, "reset-password");

  // a made-up token: refused before any field is shown
  await page.goto("/reset-password?token=not-a-real-token");
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();
  assert.equal(await page.getByLabel("New password", { exact: true }).count(), 0);

  // the live link: the form, naming the account; the new password; then sign-in with the address filled in
  await page.goto(link);
  await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await page.getByText(email).waitFor();
  await page.getByLabel("New password", { exact: true }).fill("a brand new passphrase");
  await page.getByLabel("Confirm new password").fill("a brand new passphrase");
  await page.getByRole("button", { name: "Set new password" }).click();
  await page.getByRole("heading", { name: "Password changed" }).waitFor();
  await page.getByRole("link", { name: "Sign in" }).last().click();
  await waitForPath(page, "/login");
  // (filled by an effect once the page is interactive)
  await page.waitForFunction((e) => document.getElementById("email")?.value === e, email);
  assert.equal(await page.getByLabel("Email").inputValue(), email);

  // the same link again, now used: refused as the page opens, nothing typed
  await page.goto(link);
  await page.getByRole("heading", { name: "This link does not work" }).waitFor();
  await page.getByText("This reset link is invalid or has expired").waitFor();
  assert.equal(await page.getByLabel("New password", { exact: true }).count(), 0);
});

test("another tab refreshes the user when it gets the focus, or when a tab says the account changed", async ({ newSession }) => {
  const email = uniqueEmail("stale");
  const { access_token: token } = await registerViaApi(email);
  const verifyLink = await linkFromMail(email, "verify-email");
  const { context, page: a, newPage } = await newSession();
  await seedSession(context, token);
  await a.goto("/account");
  const banner = a.getByRole("heading", { name: "Confirm your email address" });
  await banner.waitFor();
  await a.evaluate(() => (window.__sameDocument = true));

  // The email is confirmed elsewhere (here: straight through the API); tab A regains the focus.
  const verified = await api("/api/auth/verify-email", { method: "POST", body: { token: new URL(verifyLink).searchParams.get("token") } });
  assert.equal(verified.status, 200);
  assert.equal(await banner.count(), 1, "nothing changes before the tab is looked at again");
  // (headless Chromium does not move focus between tabs: the event is what the browser would fire)
  await a.evaluate(() => window.dispatchEvent(new Event("focus")));
  await banner.waitFor({ state: "detached" });
  await a.getByTestId("row-email").getByText("Not confirmed").waitFor({ state: "detached" });
  assert.equal(await a.evaluate(() => window.__sameDocument), true, "refreshed in place, not by a reload");

  // An email change confirmed in another tab of this browser: tab A shows the new address at once.
  const newEmail = uniqueEmail("stale-new");
  const change = await api("/api/auth/change-email", { method: "POST", token, body: { current_password: PASSWORD, new_email: newEmail } });
  assert.equal(change.status, 202);
  const changeLink = await linkFromMail(newEmail, "verify-email");
  const b = await newPage();
  await b.goto(changeLink);
  await b.getByRole("heading", { name: "Email address confirmed" }).waitFor();
  await a.getByTestId("account-email").getByText(newEmail.split("@")[0]).waitFor();
  await a.getByTestId("nav-user").getByText(newEmail).waitFor();
  assert.equal(await a.evaluate(() => window.__sameDocument), true);
});

test("the account page: one form open at a time, the email never broken mid-word, short on a phone", async ({ newSession }) => {
  const email = `a-rather-long-address-${Date.now().toString(36)}@example-mail.com`;
  const { access_token: token } = await registerViaApi(email, PASSWORD, "Ada Lovelace");
  const { context, page } = await newSession({ viewport: PHONE });
  await seedSession(context, token);
  await page.goto("/account");
  await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
  await waitForToastsGone(page);
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  // Round 3 adds sections of one summary row each (Recent activity and Your data, Linked providers when a provider
  // is configured, Passkeys): the page as it was keeps its two screens, and each new section (with its margin)
  // stays within a quarter of a screen while closed.
  const added = await page.evaluate(() =>
    ["activity", "section-your-data", "linked-providers", "passkeys"].map((id) => {
      const el = document.querySelector(`[data-testid="${id}"]`);
      return { id, h: el ? el.getBoundingClientRect().height + parseFloat(getComputedStyle(el).marginBottom) : 0 };
    }),
  );
  for (const { id, h } of added.slice(0, 2)) assert.ok(h > 0, `the section ${id} is missing`);
  for (const { id, h } of added) assert.ok(h <= PHONE.height / 4, `the section ${id} is ${h}px tall on a phone`);
  const before = height - added.reduce((a, { h }) => a + h, 0);
  assert.ok(before <= 2 * PHONE.height, `the account page (without round 3's sections) is ${before}px long on a phone`);
  assert.ok((await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)) <= 0, "scrolls sideways");
  assert.equal(await page.getByLabel("Current password").count(), 0, "no form is open until asked for");

  // the email: each part on one line (it may wrap before the "@", never inside a part)
  for (const part of await page.getByTestId("account-email").locator(".email-part").all()) {
    const { height, line } = await part.evaluate((el) => ({
      height: el.getBoundingClientRect().height,
      line: parseFloat(getComputedStyle(el).lineHeight),
    }));
    assert.ok(height < line * 1.5, `a part of the email is broken across lines (${height}px for ${line}px lines)`);
  }

  await page.getByRole("button", { name: "Change email" }).click();
  await page.getByRole("region", { name: "Change email" }).waitFor();
  assert.equal(await page.getByLabel("Current password").count(), 1);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByRole("region", { name: "Change password" }).waitFor();
  assert.equal(await page.getByRole("region", { name: "Change email" }).count(), 0, "the email form is still open");
  assert.equal(await page.getByLabel("Current password").count(), 1, "the current password is asked more than once");
  await page.getByRole("region", { name: "Change password" }).getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Change password" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Change password" }).evaluate((el) => el === document.activeElement), true, "focus returns to the row");
});

test("small things: show password on sign-in, a rest after 'Resend the link', one vocabulary", async ({ newSession }) => {
  const email = uniqueEmail("small");
  await registerViaApi(email);
  const { page } = await newSession();
  await page.goto("/login");
  const password = page.getByLabel("Password", { exact: true });
  await password.fill(PASSWORD);
  assert.equal(await password.getAttribute("type"), "password");
  await page.getByLabel("Show password").check();
  assert.equal(await password.getAttribute("type"), "text");
  await page.getByLabel("Show password").uncheck();
  assert.equal(await password.getAttribute("type"), "password");
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await waitForPath(page, "/tasks");
  await toast(page, "Signed in").waitFor();

  await page.getByRole("button", { name: "Resend the link" }).click();
  await toast(page, "A new link is on its way").waitFor();
  const resend = page.getByRole("button", { name: "Resend the link" });
  assert.equal(await resend.isDisabled(), true, "the button rests after sending");
  await page.getByTestId("resend-wait").getByText(/You can ask for another in 0:[0-5]\d|1:00/).waitFor();
  // the rest holds across pages of this tab
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
  await waitForPath(page, "/account");
  assert.equal(await page.getByRole("button", { name: "Resend the link" }).isDisabled(), true);

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
  await toast(page, "Signed out").waitFor();
  assert.equal(await page.getByText(/Logged (in|out)/).count(), 0);
});
