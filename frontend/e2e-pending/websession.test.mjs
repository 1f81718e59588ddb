// The web session (issue 13): no credential a page script can read, server-rendered protected pages,
// forgery defence against a real page of another origin, the list of sessions, throttling per browser
// address through the web app.
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import { test } from "node:test";
import {
  api,
  browserPerFile,
  PASSWORD,
  registerViaApi,
  screenshot,
  sessionCookie,
  signIn,
  signUp,
  storedToken,
  toast,
  uniqueEmail,
  waitForPath,
  WEB_URL,
} from "./helpers.mjs";

const { newSession } = browserPerFile();

/** Everything a page script can reach: no token or session secret may be in any of it. */
async function assertNoReadableCredential(page, token) {
  const seen = await page.evaluate(async () => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    const dbs = typeof indexedDB.databases === "function" ? await indexedDB.databases() : [];
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie, idb: dbs.map((d) => d.name) };
  });
  const text = JSON.stringify(seen);
  assert.ok(token && token.length > 20, "the browser holds a session cookie");
  assert.ok(!text.includes(token), `a script can read the token: ${text}`);
  assert.ok(!text.includes(token.split(".")[2]), `a script can read the token's signature: ${text}`);
  assert.equal(seen.cookie, "", "document.cookie must show no session cookie");
  assert.deepEqual(seen.idb, [], "no IndexedDB database");
  assert.ok(!/auth_token|access_token/.test(text), text);
  const cookie = await sessionCookie(page);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.equal(cookie.path, "/");
  assert.ok(cookie.expires > Date.now() / 1000 + 3600, "the cookie expires with the session, not with the browser");
}

test("no sign-in path leaves a credential a page script can read", async () => {
  const { context, page, guard } = await newSession();
  const email = uniqueEmail("storage");
  await signUp(page, { email, name: "Storage" });
  await waitForPath(page, "/tasks");
  await assertNoReadableCredential(page, await storedToken(page));

  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
  assert.equal(await storedToken(page), null, "signing out removes the cookie");
  await signIn(page, email, PASSWORD, { path: null });
  await waitForPath(page, "/tasks");
  await assertNoReadableCredential(page, await storedToken(page));

  await page.goto("/account");
  const before = await storedToken(page);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("another-long-password");
  await page.getByLabel("Confirm new password").fill("another-long-password");
  await page.getByRole("button", { name: "Change password" }).click();
  await toast(page, "Password changed").waitFor();
  const after = await storedToken(page);
  assert.notEqual(after, before, "a password change gives this browser a new session");
  await assertNoReadableCredential(page, after);
  guard.assertClean();
  await context.close();
});

test("the first HTML of /tasks holds the tasks; without a session it is a redirect with no protected byte", async () => {
  const email = uniqueEmail("ssr");
  const { access_token: token } = await registerViaApi(email);
  const title = `Server-rendered ${Date.now()}`;
  assert.equal((await api("/api/tasks", { method: "POST", token, body: { title } })).status, 201);

  // A plain HTTP client (no JavaScript) with the cookie: the list is in the first response.
  const withCookie = await fetch(`${WEB_URL}/tasks`, { headers: { cookie: `todo_session=${token}` }, redirect: "manual" });
  assert.equal(withCookie.status, 200);
  const html = await withCookie.text();
  assert.ok(html.includes(title), "the first HTML holds the task");
  assert.ok(!html.includes(token), "the page never carries the token");
  assert.ok(!html.includes("Loading your tasks"), "no loader in the first HTML");

  for (const [cookie, why] of [[null, "no cookie"], ["todo_session=not-a-token", "a cookie the API refuses"]]) {
    const res = await fetch(`${WEB_URL}/tasks`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
    assert.ok([303, 307, 308].includes(res.status), `${why}: ${res.status}`);
    assert.equal(new URL(res.headers.get("location"), WEB_URL).pathname + new URL(res.headers.get("location"), WEB_URL).search, "/login?next=/tasks", why);
    const body = await res.text();
    assert.ok(!body.includes(title), `${why}: a protected byte was sent`);
  }
  const account = await fetch(`${WEB_URL}/account`, { redirect: "manual" });
  assert.equal(account.status, 307);
  assert.equal(account.headers.get("location"), "/login?next=/account");
});

/** Serves one attack page on 127.0.0.1:<port 0>, reachable under `host`; returns its origin and a stop. */
async function attackSite(host, html) {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://${host}:${server.address().port}`;
  return { origin, stop: () => new Promise((resolve) => server.close(resolve)) };
}

const ATTACK = (web) => `<!doctype html><meta charset="utf-8"><title>win a prize</title>
<form id="f1" method="POST" action="${web}/api/tasks" enctype="text/plain">
  <input name='{"title":"forged by a form","x":"' value='"}'>
</form>
<form id="f2" method="POST" action="${web}/api/auth/logout-all"></form>
<iframe name="sink"></iframe>
<script>
  window.results = [];
  async function attack() {
    const attempts = [
      ["fetch text/plain JSON", () => fetch("${web}/api/tasks", { method: "POST", mode: "no-cors", credentials: "include",
        headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ title: "forged by fetch" }) })],
      ["fetch sign-out", () => fetch("${web}/api/auth/logout", { method: "POST", mode: "no-cors", credentials: "include" })],
      ["fetch read", () => fetch("${web}/api/tasks", { credentials: "include" }).then((r) => r.text())],
      ["fetch delete", () => fetch("${web}/api/auth/sessions/x", { method: "DELETE", credentials: "include" })],
    ];
    for (const [name, run] of attempts) {
      try { const r = await run(); window.results.push([name, typeof r === "string" ? "READ:" + r : "sent"]); }
      catch (e) { window.results.push([name, "blocked"]); }
    }
  }
</script>`;

test("a page of another origin can neither change nor read anything through the web app", async () => {
  const { context, page, guard } = await newSession();
  const email = uniqueEmail("csrf");
  await signUp(page, { email });
  await waitForPath(page, "/tasks");
  const token = await storedToken(page);
  assert.equal((await api("/api/tasks", { method: "POST", token, body: { title: "mine" } })).status, 201);
  const snapshot = async () => (await api("/api/tasks", { token })).body;
  const before = await snapshot();

  // localhost:<port> is another site; 127.0.0.1:<other port> is the same site (SameSite cookies go along)
  // but another origin: both must be refused.
  const webHost = new URL(WEB_URL).hostname;
  for (const host of [webHost === "localhost" ? "127.0.0.1" : "localhost", webHost]) {
    const site = await attackSite(host, ATTACK(WEB_URL));
    const evil = await context.newPage(); // unguarded: its failed requests are the point
    for (const form of ["f1", "f2"]) {
      await evil.goto(`${site.origin}/`);
      await Promise.all([evil.waitForURL((u) => u.origin === new URL(WEB_URL).origin), evil.locator(`#${form}`).evaluate((f) => f.submit())]);
      assert.match(await evil.content(), /Cross-site request refused/, `${host} form ${form}`);
      assert.deepEqual(await snapshot(), before, `${host}: form ${form} changed the user's data`);
      assert.equal((await api("/api/auth/me", { token })).status, 200, `${host}: form ${form} signed the user out`);
    }
    await evil.goto(`${site.origin}/`);
    await evil.evaluate(() => window.attack());
    const results = await evil.evaluate(() => window.results);
    for (const [name, outcome] of results) assert.ok(!String(outcome).startsWith("READ:"), `${host}: ${name} read ${outcome}`);
    assert.deepEqual(await snapshot(), before, `${host}: fetch changed the user's data`);
    assert.equal((await api("/api/auth/me", { token })).status, 200, `${host}: fetch signed the user out`);
    await evil.close();
    await site.stop();
  }
  // and the user's own page still works
  await page.reload();
  await page.getByText("mine").first().waitFor();
  guard.assertClean();
  await context.close();
});

test("two browsers see each other in the sessions list and can end each other's session", async () => {
  const email = uniqueEmail("devices");
  await registerViaApi(email);
  const a = await newSession();
  const b = await newSession({ colorScheme: "dark" });
  for (const s of [a, b]) {
    await signIn(s.page, email);
    await waitForPath(s.page, "/tasks");
  }
  await a.page.goto("/account");
  const list = a.page.getByTestId("sessions");
  await list.getByRole("heading", { name: "Where you're signed in" }).waitFor();
  // one for the registration (API), one per browser
  await a.page.getByTestId("session").nth(2).waitFor();
  assert.equal(await list.locator("[data-current]").count(), 1);
  await list.locator("[data-current]").getByText("This device").waitFor();
  await list.getByText("127.0.0.1").first().waitFor();
  await list.getByText("Chrome on Linux").first().waitFor();
  await screenshot(a.page, "sessions");

  // A ends B's session (newest first: B signed in last)
  const bToken = await storedToken(b.page);
  const others = list.locator("[data-testid=session]:not([data-current])");
  assert.equal(await others.count(), 2);
  await others.first().getByRole("button").click();
  await toast(a.page, "Signed out").waitFor();
  await a.page.waitForFunction(() => document.querySelectorAll("[data-testid=session]:not([data-current])").length === 1);
  assert.equal((await api("/api/auth/me", { token: bToken })).status, 401, "B's credential stopped at once");
  await b.page.goto("/tasks");
  await waitForPath(b.page, "/login?next=/tasks");

  // B signs in again and signs out everywhere else: A is out
  await signIn(b.page, email, PASSWORD, { path: null });
  await waitForPath(b.page, "/tasks");
  await b.page.goto("/account");
  await b.page.getByRole("button", { name: "Sign out everywhere else" }).click();
  await toast(b.page, "Signed out everywhere else").waitFor();
  await b.page.getByText("No other sessions.").waitFor();
  await a.page.goto("/tasks");
  await waitForPath(a.page, "/login?next=/tasks");
  await b.page.goto("/tasks");
  await b.page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  a.guard.assertClean();
  b.guard.assertClean();
  await a.context.close();
  await b.context.close();
});

/** A sign-in through the web app from a given local address (Linux routes all of 127/8 to loopback). */
function loginFrom(localAddress, email, extraHeaders = {}) {
  const url = new URL("/api/auth/login", WEB_URL);
  const body = JSON.stringify({ email, password: "wrong-password" });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        localAddress,
        headers: { "content-type": "application/json", origin: new URL(WEB_URL).origin, "sec-fetch-site": "same-origin", ...extraHeaders },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

test("through the web app, throttling keys on each browser's own address, which no client can set", async () => {
  const email = uniqueEmail("throttle");
  await registerViaApi(email);
  // scripts/e2e.sh: LOGIN_FAILURES_PER_EMAIL_CLIENT=5
  for (let i = 0; i < 5; i += 1) assert.equal(await loginFrom("127.0.0.2", email), 401);
  assert.equal(await loginFrom("127.0.0.2", email), 429, "the sixth failure from one address is throttled");
  assert.equal(await loginFrom("127.0.0.2", email, { "x-forwarded-for": "198.51.100.1" }), 429, "a forged X-Forwarded-For changes nothing");
  assert.equal(await loginFrom("127.0.0.3", email), 401, "another address is not throttled");
});
