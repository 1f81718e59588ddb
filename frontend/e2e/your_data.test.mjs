// Your data and your history (issue 28): the recent activity after a sign-in from a second browser (and "This
// was not me"), "Download my data", and "Delete my account" → signed out, cannot sign in.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  api,
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
import { enableTwoFactorViaApi } from "./totp.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

async function signedIn(newSession, email, options = {}) {
  const session = await newSession(options);
  await signIn(session.page, email, PASSWORD);
  await waitForPath(session.page, "/tasks");
  await session.page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  return session;
}

async function openAccount(page) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
  await waitForPath(page, "/account");
}

test("recent activity shows the sign-in of a second browser, and 'This was not me' signs it out and asks for a new password", async ({
  newSession,
}) => {
  const email = uniqueEmail("activity");
  await registerViaApi(email);
  const mine = await signedIn(newSession, email);
  const other = await signedIn(newSession, email, { userAgent: FIREFOX });
  other.guard.allow(FAILED(401));

  await openAccount(mine.page);
  const section = mine.page.getByTestId("activity");
  await section.getByRole("heading", { name: "Recent activity" }).waitFor();
  // The row says where the last sign-in came from; "Show" opens the list.
  await section.getByTestId("last-sign-in").getByText("Firefox on Linux").waitFor();
  await section.getByRole("button", { name: "Show recent activity" }).click();
  const list = mine.page.getByRole("region", { name: "Sign-ins and changes" });
  const events = list.getByTestId("activity-event");
  // Newest first: the Firefox sign-in, then this browser's, then registration's.
  await events.first().waitFor();
  assert.equal(await events.count(), 3);
  const newest = events.nth(0);
  assert.match(await newest.innerText(), /Signed in — Password/);
  assert.match(await newest.innerText(), /Firefox on Linux/);
  assert.match(await events.nth(1).innerText(), /Signed in — Password[\s\S]*Chrome on Linux/);
  assert.match(await events.nth(2).innerText(), /Signed in — New account/);
  await waitForToastsGone(mine.page);
  await section.evaluate((el) => {
    el.scrollIntoView({ block: "start" });
    window.scrollBy(0, -76); // below the sticky header
  });
  await screenshot(mine.page, "account-recent-activity");

  // Not me: every other session ends, and the password form opens here (this session stays).
  await newest.getByRole("button", { name: /This was not me/ }).click();
  const dialog = mine.page.getByRole("dialog", { name: "Secure your account?" });
  await dialog.getByRole("button", { name: "Sign out everywhere else" }).click();
  await toast(mine.page, "Every other session is signed out").waitFor();
  await mine.page.getByRole("region", { name: "Change password" }).waitFor();
  await mine.page.getByLabel("Current password").waitFor();
  assert.equal(await mine.page.getByLabel("Current password").evaluate((el) => el === document.activeElement), true);
  // The other browser is signed out; this one is not, and its sessions list shows it alone.
  assert.equal((await api("/api/auth/me", { token: await storedToken(other.page) })).status, 401);
  assert.equal((await api("/api/auth/me", { token: await storedToken(mine.page) })).status, 200);
  await mine.page.getByTestId("sessions").getByTestId("session").first().waitFor();
  assert.equal(await mine.page.getByTestId("sessions").getByTestId("session").count(), 1);
  await other.page.reload();
  await waitForPath(other.page, "/login?next=/tasks");
});

test("'Download my data' downloads the export: the user and every task, and no token", async ({ newSession }) => {
  const email = uniqueEmail("download");
  const registered = await registerViaApi(email);
  for (const title of ["Water the plants", "File the taxes"]) {
    const res = await api("/api/tasks", { method: "POST", token: registered.access_token, body: { title } });
    assert.equal(res.status, 201);
  }
  const { page } = await signedIn(newSession, email);
  await openAccount(page);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Download my data" }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^todo-data-\d{4}-\d{2}-\d{2}\.json$/);
  const text = readFileSync(await file.path(), "utf8");
  const doc = JSON.parse(text);
  assert.equal(doc.user.email, email);
  assert.deepEqual(doc.tasks.map((t) => t.title).sort(), ["File the taxes", "Water the plants"]);
  assert.ok(doc.activity.some((e) => e.type === "sign_in"));
  assert.deepEqual([doc.passkeys, doc.linked_providers], [[], []]);
  const token = await storedToken(page);
  for (const secret of [token, registered.access_token]) {
    assert.ok(!text.includes(secret.split(".")[2]), "no token in the export");
  }
  assert.ok(!/hashed_password|\$2b\$/.test(text), "no password hash in the export");
  // Still signed in, still on the page.
  await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
});

test("'Delete my account' names what goes, asks for the password and a code, then signs out for good", async ({
  newSession,
}) => {
  const email = uniqueEmail("delete");
  const registered = await registerViaApi(email);
  await api("/api/tasks", { method: "POST", token: registered.access_token, body: { title: "Something to lose" } });
  const { recoveryCodes } = await enableTwoFactorViaApi(registered.access_token);
  const session = await newSession();
  const { page, guard } = session;
  guard.allow(FAILED(400));
  guard.allow(FAILED(401));
  guard.allow(FAILED(403)); // the password's answer: two-factor code required
  // Sign in with the second factor (a recovery code).
  await signIn(page, email, PASSWORD);
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(recoveryCodes[0]);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await waitForPath(page, "/tasks");
  await openAccount(page);

  await page.getByRole("button", { name: "Delete my account" }).click();
  const panel = page.getByRole("region", { name: "Delete your account?" });
  const lost = panel.getByTestId("what-will-be-lost");
  await lost.getByText("your 1 task").waitFor();
  await lost.getByText(/your sign-in on every device \(2 sessions, this one included\)/).waitFor();
  await lost.getByText(/two-factor authentication and its recovery codes/).waitFor();
  await waitForToastsGone(page);
  await page.getByTestId("section-your-data").evaluate((el) => {
    el.scrollIntoView({ block: "start" });
    window.scrollBy(0, -76); // below the sticky header
  });
  await screenshot(page, "account-delete");

  // A wrong password deletes nothing.
  await panel.getByLabel("Current password").fill("not my password");
  await panel.getByRole("button", { name: "Use a recovery code instead" }).click();
  await panel.getByLabel("Recovery code").fill(recoveryCodes[1]);
  await panel.getByRole("button", { name: "Delete my account" }).click();
  await panel.getByText("Current password is incorrect").waitFor();
  assert.equal((await api("/api/auth/me", { token: registered.access_token })).status, 200);

  await panel.getByLabel("Current password").fill(PASSWORD);
  await panel.getByRole("button", { name: "Delete my account" }).click();
  await waitForPath(page, "/login");
  await toast(page, "Your account was deleted").waitFor();
  assert.equal(await storedToken(page), null, "the session cookie is gone");
  assert.equal((await api("/api/auth/me", { token: registered.access_token })).status, 401);

  // Cannot sign in any more.
  await signIn(page, email, PASSWORD, { path: null });
  await page.getByText("Invalid email or password").first().waitFor();
  assert.equal(page.url().endsWith("/login"), true);
});
