// Sign-in and sign-up behaviour in the browser: backend messages, client-side checks, rejected and
// expired stored tokens, `next` sanitising, keyboard-only use, throttling, theme, CSP.
import assert from "node:assert/strict";
import {
  JWT_SECRET,
  mintJwt,
  PASSWORD,
  protectedWasPainted,
  registerViaApi,
  screenshot,
  seedSession,
  signIn,
  storedToken,
  toast,
  uniqueEmail,
  waitForPath,
  watchForProtectedPaint,
  WEB_URL,
  test,
} from "./helpers.mjs";

const FAILED_401 = /Failed to load resource: the server responded with a status of 401/;

test("a wrong password shows the backend's message and stays on /login", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(FAILED_401);
  const email = uniqueEmail("wrongpw");
  await registerViaApi(email);
  // hold the request until the pending state has been seen: the button is disabled and says so
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const slow = async (route) => {
    await held;
    await route.continue();
  };
  await context.route(`${WEB_URL}/api/auth/login`, slow);
  await signIn(page, email, "not-the-password");
  const pending = page.getByRole("button", { name: "Signing in…" });
  await pending.waitFor();
  assert.equal(await pending.isDisabled(), true);
  release();
  const alert = page.locator("#login-form-error");
  await alert.getByText("Invalid email or password").waitFor();
  // said once, in the form: no toast repeats it
  assert.equal(await toast(page, "Invalid email or password").count(), 0, "the form's error is repeated in a toast");
  await context.unroute(`${WEB_URL}/api/auth/login`, slow);
  assert.equal(new URL(page.url()).pathname, "/login");
  assert.equal(await storedToken(page), null);
  assert.equal(await page.getByRole("button", { name: "Sign in", exact: true }).isEnabled(), true);

  // The sign-in form does not apply the registration rules: a 3-character password is asked of the API
  // (a user whose older password is shorter must not be blocked by the form), which refuses it as wrong.
  await page.getByLabel("Password", { exact: true }).fill("abc");
  const [answer] = await Promise.all([
    page.waitForResponse((res) => res.url() === `${WEB_URL}/api/auth/login`),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  assert.equal(answer.status(), 401);
  await alert.getByText("Invalid email or password").waitFor();
  assert.equal(await page.getByText(/must be at least/).count(), 0);

  // A clean sign-in page for the README
  await page.goto("/login");
  await page.getByLabel("Email").fill("ada.lovelace@example.com");
  await page.getByLabel("Password", { exact: true }).fill("correct-horse");
  await page.evaluate(() => document.activeElement?.blur());
  await screenshot(page, "login");

  guard.assertClean();
  await context.close();
});

test("an already registered email shows 'Email already registered'", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(/Failed to load resource: the server responded with a status of 400/);
  const email = uniqueEmail("dupe");
  await registerViaApi(email);
  await page.goto("/register");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.locator("#email-error").getByText("Email already registered").waitFor();
  // said once, at the field: neither the form's banner nor a toast repeats it
  assert.equal(await page.locator("#register-form-error").innerText(), "");
  assert.equal(await toast(page, "Email already registered").count(), 0, "the field's error is repeated in a toast");
  assert.equal(new URL(page.url()).pathname, "/register");
  assert.equal(await page.getByLabel("Email").getAttribute("aria-invalid"), "true");
  guard.assertClean();
  await context.close();
});

test("sign-up checks the form before sending it", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  let registerCalls = 0;
  page.on("request", (req) => {
    if (req.url() === `${WEB_URL}/api/auth/register`) registerCalls += 1;
  });
  await page.goto("/register");
  assert.equal(await page.getByLabel("Email").getAttribute("type"), "email");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Confirm password").fill("different");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.locator("#email-error").getByText("Enter a valid email address").waitFor();
  await page.locator("#password-error").getByText("Password must be at least 8 characters").waitFor();
  await page.locator("#confirm_password-error").getByText("Passwords do not match").waitFor();
  // focus moves to the first field in error
  assert.equal(await page.evaluate(() => document.activeElement?.id), "email");
  assert.equal(registerCalls, 0);
  guard.assertClean();
  await context.close();
});

async function assertRejectedStoredToken(newSession, makeToken) {
  const { context, page, guard } = await newSession();
  guard.allow(FAILED_401);
  const email = uniqueEmail("stored");
  const { user } = await registerViaApi(email);
  const rejected = makeToken(user);
  await seedSession(context, rejected);
  await watchForProtectedPaint(context);
  await page.goto("/tasks");
  await waitForPath(page, "/login?next=/tasks");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.equal(await storedToken(page), null, "the rejected token must be removed");
  assert.equal(await page.evaluate(() => localStorage.getItem("auth_user")), null);
  assert.equal(await protectedWasPainted(page), false, "protected content was painted with a rejected token");
  // and signing in from there returns to /tasks, with a new session in place of the rejected one
  await signIn(page, email, PASSWORD, { path: null });
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  const fresh = await storedToken(page);
  assert.ok(fresh && fresh !== rejected, "the rejected token was replaced");
  guard.assertClean();
  await context.close();
}

test("a stored token signed with another secret sends the user to /login", async ({ newSession }) => {
  await assertRejectedStoredToken(newSession, (user) => {
    const now = Math.floor(Date.now() / 1000);
    return mintJwt({ sub: user.id, email: user.email, iat: now, exp: now + 3600 }, "another-secret-".repeat(4));
  });
});

test("an expired stored token sends the user to /login", async ({ newSession }) => {
  await assertRejectedStoredToken(newSession, (user) => {
    const now = Math.floor(Date.now() / 1000);
    return mintJwt({ sub: user.id, email: user.email, iat: now - 7200, exp: now - 3600 }, JWT_SECRET);
  });
});

test("`next` only ever leads to a page of this site", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  const email = uniqueEmail("next");
  await registerViaApi(email);
  for (const evil of ["//evil.example/tasks", "https://evil.example/", "/\\evil.example"]) {
    await signIn(page, email, PASSWORD, { path: `/login?next=${encodeURIComponent(evil)}` });
    await waitForPath(page, "/tasks");
    assert.equal(new URL(page.url()).origin, new URL(WEB_URL).origin);
    await context.clearCookies();
  }
  // a same-origin next is honoured, query included
  await signIn(page, email, PASSWORD, { path: "/login?next=/tasks%3Ffilter%3Dcompleted" });
  await waitForPath(page, "/tasks?filter=completed");
  guard.assertClean();
  await context.close();
});

test("keyboard only: sign in, add a task and complete it", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  const email = uniqueEmail("keys");
  await registerViaApi(email);
  await page.goto("/login");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  const focusedId = () => page.evaluate(() => document.activeElement?.id ?? "");
  for (let i = 0; i < 15 && (await focusedId()) !== "email"; i += 1) await page.keyboard.press("Tab");
  assert.equal(await focusedId(), "email", "Tab never reached the email field");
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, "none", "the focused field has no visible focus indicator");
  await page.keyboard.type(email);
  await page.keyboard.press("Tab");
  assert.equal(await focusedId(), "password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();

  // Add a task with the keyboard
  for (let i = 0; i < 25 && (await focusedId()) !== "title"; i += 1) await page.keyboard.press("Tab");
  assert.equal(await focusedId(), "title", "Tab never reached the task title field");
  await page.keyboard.type("Typed without a mouse");
  await page.keyboard.press("Enter");
  const box = page.getByRole("checkbox", { name: 'Mark "Typed without a mouse" as completed' });
  await box.waitFor();
  // Reach the checkbox by Tab and tick it with Space
  for (let i = 0; i < 25 && !(await box.evaluate((el) => el === document.activeElement)); i += 1) {
    await page.keyboard.press("Tab");
  }
  assert.equal(await box.evaluate((el) => el === document.activeElement), true, "Tab never reached the checkbox");
  await page.keyboard.press("Space");
  await page.getByRole("checkbox", { name: 'Mark "Typed without a mouse" as pending' }).waitFor();
  guard.assertClean();
  await context.close();
});

test("repeated wrong passwords show the wait time of the API's 429", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(FAILED_401);
  guard.allow(/Failed to load resource: the server responded with a status of 429/);
  const email = uniqueEmail("throttle");
  await registerViaApi(email);
  await page.goto("/login");
  const alert = page.locator("#login-form-error");
  let throttled = "";
  for (let attempt = 1; attempt <= 8 && !throttled; attempt += 1) {
    await signIn(page, email, `wrong-password-${attempt}`, { path: null });
    await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
    await page.waitForFunction(() => !document.querySelector('button[type="submit"]')?.disabled);
    await alert.filter({ hasText: /./ }).waitFor();
    const text = await alert.innerText();
    if (/Too many attempts/.test(text)) throttled = text;
    else assert.match(text, /Invalid email or password/);
  }
  // the wait in minutes (never raw seconds), with a live countdown
  assert.match(throttled, /Too many attempts\. Try again in \d+ minutes?\./);
  assert.doesNotMatch(throttled, /seconds?/);
  guard.assertClean();
  await context.close();
});

test("the theme toggle persists across reloads", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  await page.goto("/");
  await page.getByRole("heading", { level: 1 }).waitFor();
  const theme = () => page.evaluate(() => document.documentElement.getAttribute("data-theme"));
  assert.equal(await theme(), "light");
  await page.getByRole("button", { name: "Switch to dark theme" }).click();
  assert.equal(await theme(), "dark");
  await page.reload();
  await page.getByRole("button", { name: "Switch to light theme" }).waitFor();
  assert.equal(await theme(), "dark");
  await page.getByRole("button", { name: "Switch to light theme" }).click();
  assert.equal(await theme(), "light");
  guard.assertClean();
  await context.close();
});

test("unknown pages get the not-found page", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(/Failed to load resource: the server responded with a status of 404/);
  const res = await page.goto("/no-such-page");
  assert.equal(res.status(), 404);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  guard.assertClean();
  await context.close();
});

test("pages are served with a Content-Security-Policy that blocks injected scripts", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(/Content Security Policy/);
  const res = await page.goto("/login");
  const csp = res.headers()["content-security-policy"] ?? "";
  assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  assert.doesNotMatch(csp.match(/script-src[^;]*/)[0], /unsafe-inline|unsafe-eval/);
  // The browser talks to this origin only (the web server forwards /api/... to the API).
  assert.match(csp, /connect-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers()["x-frame-options"], "DENY");
  assert.equal(res.headers()["x-content-type-options"], "nosniff");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  // Injected markup cannot run code: its inline event handler is refused (wait for the browser to say so)
  const refusal = page.waitForEvent("console", (msg) => /inline event handler/i.test(msg.text()));
  await page.evaluate(() => {
    const div = document.createElement("div");
    div.innerHTML = '<img alt="" src="data:," onerror="window.__injected = true">';
    document.body.appendChild(div);
  });
  await refusal;
  assert.equal(await page.evaluate(() => window.__injected === true), false, "an injected inline handler ran");
  guard.assertClean();
  await context.close();
});

test("an API that cannot be reached gives a clear message, and the tasks page can retry", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  guard.allow(/Failed to load resource: net::ERR_FAILED/);
  const email = uniqueEmail("offline");
  await registerViaApi(email);
  const cutOff = (route) => route.abort("failed");
  // Signing in while the API is unreachable
  await context.route(`${WEB_URL}/api/**`, cutOff);
  await signIn(page, email);
  await page.locator("#login-form-error").getByText("Cannot reach the server").waitFor();
  assert.equal(await toast(page, "Cannot reach the server").count(), 0, "the form's error is repeated in a toast");
  await context.unroute(`${WEB_URL}/api/**`, cutOff);

  await signIn(page, email, PASSWORD, { path: null });
  await waitForPath(page, "/tasks");
  await page.getByText("No tasks yet").waitFor();

  // The list came with the page (rendered on the server); a later request that cannot get through says so,
  // and nothing is lost: the same task goes in once the connection is back.
  await context.route(`${WEB_URL}/api/tasks**`, cutOff);
  const form = page.getByRole("region", { name: "Add a task" });
  await form.getByLabel("Title").fill("Offline task");
  await form.getByRole("button", { name: "Add task" }).click();
  await form.locator("#task-form-error").getByText("Cannot reach the server").waitFor();
  assert.equal(await toast(page, "Cannot reach the server").count(), 0, "the form's error is repeated in a toast");
  await context.unroute(`${WEB_URL}/api/tasks**`, cutOff);
  await page.getByText("No tasks yet").waitFor();
  assert.equal(await form.getByLabel("Title").inputValue(), "Offline task");
  await form.getByRole("button", { name: "Add task" }).click();
  await page.getByTestId("task-item").filter({ hasText: "Offline task" }).waitFor();
  guard.assertClean();
  await context.close();
});
