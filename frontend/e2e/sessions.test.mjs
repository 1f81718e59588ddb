// Sessions across tabs, browsers and the server (issue 3 and issue 4's browser journeys).
import assert from "node:assert/strict";
import {
  api,
  PASSWORD,
  registerViaApi,
  signIn,
  storedToken,
  toast,
  uniqueEmail,
  waitForPath,
  test,
} from "./helpers.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

async function signedIn(newSession, email, password = PASSWORD) {
  const session = await newSession();
  await signIn(session.page, email, password);
  await waitForPath(session.page, "/tasks");
  await session.page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  return session;
}

test("signing out in one tab signs out the other, and signing in signs it in", async ({ newSession }) => {
  const email = uniqueEmail("tabs");
  await registerViaApi(email);
  const { context, page: tab1, guard, newPage } = await signedIn(newSession, email);
  const tab2 = await newPage();
  await tab2.goto("/tasks");
  await tab2.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();

  // (a background tab's animation frames are throttled, which slows Playwright's clicks; act in front)
  await tab1.bringToFront();
  await tab1.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(tab1, "/login");
  // the other tab follows without a reload, and will come back to /tasks
  await waitForPath(tab2, "/login?next=/tasks");
  await tab2.getByRole("heading", { name: "Sign in" }).waitFor();

  // signing in in tab 1 takes tab 2 back to /tasks too
  await signIn(tab1, email, PASSWORD, { path: null });
  await waitForPath(tab1, "/tasks");
  await waitForPath(tab2, "/tasks");
  await tab2.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  guard.assertClean();
  await context.close();
});

test("sign out everywhere ends the session in another browser too", async ({ newSession }) => {
  const email = uniqueEmail("everywhere");
  await registerViaApi(email);
  const a = await signedIn(newSession, email);
  const b = await signedIn(newSession, email);
  b.guard.allow(FAILED(401));
  const tokenA = await storedToken(a.page);
  const tokenB = await storedToken(b.page);
  assert.notEqual(tokenA, tokenB);

  await a.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
  await waitForPath(a.page, "/account");
  await a.page.getByRole("button", { name: "Sign out everywhere", exact: true }).click();
  const dialog = a.page.getByRole("dialog", { name: "Sign out everywhere?" });
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await waitForPath(a.page, "/login");
  await toast(a.page, "Signed out everywhere").waitFor();
  assert.equal(await storedToken(a.page), null);

  // The API rejects both tokens now
  assert.equal((await api("/api/auth/me", { token: tokenA })).status, 401);
  assert.equal((await api("/api/auth/me", { token: tokenB })).status, 401);

  // The other browser loses access: its next page load goes to sign-in
  await b.page.reload();
  await waitForPath(b.page, "/login?next=/tasks");
  assert.equal(await storedToken(b.page), null, "the dead cookie is dropped with the redirect");

  a.guard.assertClean();
  b.guard.assertClean();
  await a.context.close();
  await b.context.close();
});

test("changing the password: wrong current password, then old password out, new one in", async ({ newSession }) => {
  const email = uniqueEmail("passwd");
  const newPassword = "a-brand-new-password";
  await registerViaApi(email);
  const a = await signedIn(newSession, email);
  const b = await signedIn(newSession, email);
  a.guard.allow(FAILED(400));
  a.guard.allow(FAILED(401));
  b.guard.allow(FAILED(401));
  const tokenBefore = await storedToken(a.page);
  const tokenB = await storedToken(b.page);

  await a.page.goto("/account");
  await a.page.getByRole("button", { name: "Change password" }).click();
  const form = a.page.getByRole("region", { name: "Change password" });
  await form.waitFor();

  // Confirmation is checked in the browser
  await form.getByLabel("Current password").fill(PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill(newPassword);
  await form.getByLabel("Confirm new password").fill("something-else");
  await form.getByRole("button", { name: "Change password" }).click();
  await form.locator("#confirm_new_password-error").getByText("Passwords do not match").waitFor();

  // A wrong current password is the API's 400, and the user stays signed in
  await form.getByLabel("Current password").fill("not-my-password");
  await form.getByLabel("Confirm new password").fill(newPassword);
  await form.getByRole("button", { name: "Change password" }).click();
  await form.locator("#current_password-error").getByText("Current password is incorrect").waitFor();
  // said once, at the field (issue 25): not in the form's banner, not in a toast
  assert.equal(await form.locator("#change-password-error").innerText(), "");
  assert.equal(await toast(a.page, "Current password is incorrect").count(), 0);
  assert.equal(new URL(a.page.url()).pathname, "/account");
  assert.equal(await storedToken(a.page), tokenBefore);

  // The right one changes it; this tab keeps working with a fresh token
  await form.getByLabel("Current password").fill(PASSWORD);
  await form.getByRole("button", { name: "Change password" }).click();
  await toast(a.page, "Password changed").waitFor();
  const tokenAfter = await storedToken(a.page);
  assert.ok(tokenAfter && tokenAfter !== tokenBefore, "a fresh token is stored");
  assert.equal((await api("/api/auth/me", { token: tokenAfter })).status, 200);
  assert.equal((await api("/api/auth/me", { token: tokenB })).status, 401, "other sessions are revoked");
  await a.page.reload();
  await a.page.getByRole("heading", { level: 1, name: "Account" }).waitFor();

  // The other browser is signed out at its next load
  await b.page.reload();
  await waitForPath(b.page, "/login?next=/tasks");

  // Old password no longer works, the new one does
  await a.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(a.page, "/login");
  await signIn(a.page, email, PASSWORD, { path: null });
  await a.page.locator("#login-form-error").getByText("Invalid email or password").waitFor();
  await signIn(a.page, email, newPassword, { path: null });
  await waitForPath(a.page, "/tasks");

  a.guard.assertClean();
  b.guard.assertClean();
  await a.context.close();
  await b.context.close();
});
