// The web session (issue 13): no credential a page script can read, server-rendered protected pages, forgery
// defence against a real page of another origin, the list of sessions, and throttling per browser address
// through the web app.
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import {
  API_URL,
  api,
  assertNoReadableCredential,
  PASSWORD,
  registerViaApi,
  screenshot,
  signIn,
  signUp,
  storedToken,
  test,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
  WEB_URL,
} from "./helpers.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

test("no sign-in path leaves a credential a page script can read", async ({ newSession }) => {
  const { page } = await newSession();
  const email = uniqueEmail("storage");
  // register
  await signUp(page, { email, name: "Storage" });
  await waitForPath(page, "/tasks");
  await assertNoReadableCredential(page);

  // sign out, sign in
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
  assert.equal(await storedToken(page), null, "signing out removes the cookie");
  await signIn(page, email, PASSWORD, { path: null });
  await waitForPath(page, "/tasks");
  await assertNoReadableCredential(page);

  // password change (reset-and-sign-in is checked in mail.test.mjs, the two-factor step in two_factor.test.mjs)
  await page.goto("/account");
  const before = await storedToken(page);
  await page.getByRole("button", { name: "Change password" }).click();
  const form = page.getByRole("region", { name: "Change password" });
  await form.getByLabel("Current password").fill(PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill("another-long-passphrase");
  await form.getByLabel("Confirm new password").fill("another-long-passphrase");
  await form.getByRole("button", { name: "Change password" }).click();
  await toast(page, "Password changed").waitFor();
  const after = await storedToken(page);
  assert.ok(after && after !== before, "a password change gives this browser a new session");
  await assertNoReadableCredential(page);
});

test("the first HTML of /tasks holds the tasks; without a session it is a redirect with no protected byte", async () => {
  const email = uniqueEmail("ssr");
  const { access_token: token } = await registerViaApi(email, PASSWORD, "Server Side");
  const title = `Server-rendered ${Date.now()}`;
  assert.equal((await api("/api/tasks", { method: "POST", token, body: { title } })).status, 201);

  // A plain HTTP client (no JavaScript at all) with the cookie: the list is in the first response.
  const withCookie = await fetch(`${WEB_URL}/tasks`, { headers: { cookie: `todo_session=${token}` }, redirect: "manual" });
  assert.equal(withCookie.status, 200);
  const html = await withCookie.text();
  assert.ok(html.includes(title), "the first HTML holds the task");
  assert.ok(!html.includes(token), "the page never carries the token");
  assert.ok(!html.includes(token.split(".")[2]), "the page never carries the token's signature");
  assert.ok(!html.includes("Loading your tasks"), "no loader in the first HTML");
  const account = await fetch(`${WEB_URL}/account`, { headers: { cookie: `todo_session=${token}` }, redirect: "manual" });
  assert.equal(account.status, 200);
  assert.ok((await account.text()).includes(email), "the first HTML of /account holds the account");

  for (const [cookie, why] of [
    [null, "no cookie"],
    ["todo_session=not-a-token", "a cookie the API refuses"],
  ]) {
    const res = await fetch(`${WEB_URL}/tasks`, { headers: cookie ? { cookie } : {}, redirect: "manual" });
    assert.ok([303, 307, 308].includes(res.status), `${why}: ${res.status}`);
    const location = new URL(res.headers.get("location"), WEB_URL);
    assert.equal(`${location.pathname}${location.search}`, "/login?next=/tasks", why);
    const body = await res.text();
    assert.ok(!body.includes(title), `${why}: a protected byte was sent`);
    assert.ok(!body.includes("Your tasks"), `${why}: the protected page was rendered`);
  }
  const signedOut = await fetch(`${WEB_URL}/account`, { redirect: "manual" });
  assert.equal(signedOut.status, 307);
  assert.equal(signedOut.headers.get("location"), "/login?next=/account");
  assert.ok(!(await signedOut.text()).includes("Where you're signed in"));
});

/** Stops a test server now (the browser's kept-alive connections would hold close() open). */
function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Serves one attack page on 127.0.0.1:<free port>, addressed as `host`; returns its origin and a stop. */
async function attackSite(host, html) {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://${host}:${server.address().port}`;
  return { origin, stop: () => close(server) };
}

const ATTACK = (web) => `<!doctype html><meta charset="utf-8"><title>win a prize</title>
<form id="f1" method="POST" action="${web}/api/tasks" enctype="text/plain">
  <input name='{"title":"forged by a form","x":"' value='"}'>
</form>
<form id="f2" method="POST" action="${web}/api/auth/logout-all"></form>
<form id="f3" method="POST" action="${web}/api/auth/logout"></form>
<script>
  window.results = [];
  window.attack = async function () {
    const attempts = [
      ["fetch text/plain JSON", () => fetch("${web}/api/tasks", { method: "POST", mode: "no-cors", credentials: "include",
        headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ title: "forged by fetch" }) })],
      ["fetch sign-out everywhere", () => fetch("${web}/api/auth/logout-all", { method: "POST", mode: "no-cors", credentials: "include" })],
      ["fetch sign-out", () => fetch("${web}/api/auth/logout", { method: "POST", mode: "no-cors", credentials: "include" })],
      ["fetch read", () => fetch("${web}/api/tasks", { credentials: "include" }).then((r) => r.text())],
      ["fetch read sessions", () => fetch("${web}/api/auth/sessions", { credentials: "include" }).then((r) => r.text())],
      ["fetch delete", () => fetch("${web}/api/tasks/x", { method: "DELETE", credentials: "include" })],
    ];
    for (const [name, run] of attempts) {
      try { const r = await run(); window.results.push([name, typeof r === "string" ? "READ:" + r : "sent"]); }
      catch (e) { window.results.push([name, "blocked"]); }
    }
  };
</script>`;

test("a page of another origin can neither change nor read anything through the web app or the API", async ({ newSession }) => {
  const { context, page } = await newSession();
  const email = uniqueEmail("csrf");
  await signUp(page, { email });
  await waitForPath(page, "/tasks");
  const token = await storedToken(page);
  assert.equal((await api("/api/tasks", { method: "POST", token, body: { title: "mine" } })).status, 201);
  const snapshot = async () => (await api("/api/tasks", { token })).body;
  const before = await snapshot();
  const webOrigin = new URL(WEB_URL).origin;

  // localhost:<port> is another site (the SameSite cookie stays home); 127.0.0.1:<other port> is the same
  // site but another origin (the cookie goes along, and only the Origin/Sec-Fetch-Site check stands): both refused.
  const webHost = new URL(WEB_URL).hostname;
  for (const host of [webHost === "localhost" ? "127.0.0.1" : "localhost", webHost]) {
    const site = await attackSite(host, ATTACK(WEB_URL));
    const evil = await context.newPage(); // not watched: its refused requests are the point
    for (const form of ["f1", "f2", "f3"]) {
      await evil.goto(`${site.origin}/`);
      await Promise.all([
        evil.waitForURL((u) => u.origin === webOrigin),
        evil.locator(`#${form}`).evaluate((f) => f.submit()),
      ]);
      assert.deepEqual(await snapshot(), before, `${host}: form ${form} changed the user's data`);
      assert.equal((await api("/api/auth/me", { token })).status, 200, `${host}: form ${form} signed the user out`);
      assert.match(await evil.content(), /Cross-site request refused/, `${host}: form ${form} was not refused`);
    }
    await evil.goto(`${site.origin}/`);
    await evil.evaluate(() => window.attack());
    const results = await evil.evaluate(() => window.results);
    assert.equal(results.length, 6);
    for (const [name, outcome] of results) assert.ok(!String(outcome).startsWith("READ:"), `${host}: ${name} read ${outcome}`);
    assert.deepEqual(await snapshot(), before, `${host}: fetch changed the user's data`);
    assert.equal((await api("/api/auth/me", { token })).status, 200, `${host}: fetch signed the user out`);
    assert.equal(await storedToken(page), token, `${host}: the browser's session cookie was changed`);
    await evil.close();
    await site.stop();
  }

  // No state change on GET: the sign-out and task routes answer GET with 405 and change nothing.
  for (const path of ["/api/auth/logout", "/api/auth/logout-all"]) {
    const res = await fetch(`${WEB_URL}${path}`, { headers: { cookie: `todo_session=${token}` } });
    assert.equal(res.status, 405, `GET ${path}`);
  }
  assert.equal((await api("/api/auth/me", { token })).status, 200);

  // The API's CORS names origins: it never reflects one it was not told about.
  for (const method of ["GET", "OPTIONS"]) {
    const res = await fetch(`${API_URL}/api/tasks`, {
      method,
      headers: { origin: "http://evil.example", "access-control-request-method": "POST", authorization: `Bearer ${token}` },
    });
    assert.notEqual(res.headers.get("access-control-allow-origin"), "http://evil.example", `${method}: origin reflected`);
    assert.notEqual(res.headers.get("access-control-allow-origin"), "*", `${method}: any origin allowed`);
  }

  // and the user's own page still works
  await page.reload();
  await page.getByText("mine").first().waitFor();
  await assertNoReadableCredential(page);
});

test("two browsers see each other in the sessions list and can end each other's session", async ({ newSession }) => {
  const email = uniqueEmail("devices");
  await registerViaApi(email);
  const a = await newSession();
  const b = await newSession({ colorScheme: "dark" });
  b.guard.allow(FAILED(401));
  a.guard.allow(FAILED(401));
  for (const s of [a, b]) {
    await signIn(s.page, email);
    await waitForPath(s.page, "/tasks");
  }
  await a.page.goto("/account");
  const list = a.page.getByTestId("sessions");
  await list.getByRole("heading", { name: "Where you're signed in" }).waitFor();
  // one for the registration (from node, straight to the API), one per browser
  await a.page.getByTestId("session").nth(2).waitFor();
  assert.equal(await a.page.getByTestId("session").count(), 3);
  assert.equal(await list.locator("[data-current]").count(), 1);
  await list.locator("[data-current]").getByText("This device").waitFor();
  // 127.0.0.1 as a person reads it (issue 25)
  await list.locator("[data-current]").getByText("this computer (localhost)").waitFor();
  await list.locator("[data-current]").getByText("Chrome on Linux").waitFor();
  await waitForToastsGone(a.page);
  await list.scrollIntoViewIfNeeded();
  await screenshot(a.page, "sessions");

  // A ends B's session (newest first: B signed in last)
  const bToken = await storedToken(b.page);
  const others = list.locator("[data-testid=session]:not([data-current])");
  assert.equal(await others.count(), 2);
  await others.first().getByRole("button", { name: "Sign out Chrome on Linux" }).click();
  await toast(a.page, "Signed out Chrome on Linux").waitFor();
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

  // "Sign out" on this device's own row signs this browser out
  await b.page.goto("/account");
  await b.page.getByRole("button", { name: "Sign out this device" }).click();
  await waitForPath(b.page, "/login");
  assert.equal(await storedToken(b.page), null);
});

/**
 * A plain HTTP forward proxy whose connections to the web app leave from `localAddress` (Linux routes all of
 * 127/8 to loopback): a browser context using it reaches the web app from that address, like a browser on
 * another machine. It passes requests on unchanged (it adds no X-Forwarded-For of its own).
 */
async function addressProxy(localAddress) {
  const server = createServer((req, res) => {
    const target = new URL(req.url);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers: req.headers,
        localAddress,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server: `http://127.0.0.1:${server.address().port}`,
    stop: () => close(server),
  };
}

/** A sign-in attempt made by the page's own script (a same-origin fetch through the web app); its status. */
function loginStatus(page, email, password, headers = {}) {
  return page.evaluate(
    async ([e, p, h]) =>
      (
        await fetch("/api/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json", ...h },
          body: JSON.stringify({ email: e, password: p }),
        })
      ).status,
    [email, password, headers],
  );
}

test("through the web app, throttling keys on each browser's own address, which no client can set", async ({ newSession }) => {
  const email = uniqueEmail("throttle");
  await registerViaApi(email);
  const proxyA = await addressProxy("127.0.0.2");
  const proxyB = await addressProxy("127.0.0.3");
  try {
    const a = await newSession({ proxy: { server: proxyA.server } });
    const b = await newSession({ proxy: { server: proxyB.server } });
    for (const s of [a, b]) {
      s.guard.allow(FAILED(401));
      s.guard.allow(FAILED(429));
      await s.page.goto("/login");
    }
    // scripts/e2e.sh: LOGIN_FAILURES_PER_EMAIL_CLIENT=5
    for (let i = 0; i < 5; i += 1) assert.equal(await loginStatus(a.page, email, "wrong-password"), 401);
    assert.equal(await loginStatus(a.page, email, "wrong-password"), 429, "A's sixth failure is throttled");
    assert.equal(
      await loginStatus(a.page, email, "wrong-password", { "x-forwarded-for": "198.51.100.7" }),
      429,
      "an X-Forwarded-For sent by the browser changes nothing",
    );
    assert.equal(await loginStatus(a.page, email, PASSWORD), 429, "A stays throttled, even with the right password");

    // B, from another address, is not: a wrong password is a 401, the right one signs in
    assert.equal(await loginStatus(b.page, email, "wrong-password"), 401, "B is throttled apart from A");
    await signIn(b.page, email);
    await waitForPath(b.page, "/tasks");
    // and the API recorded B's own address for its session
    await b.page.goto("/account");
    const current = b.page.getByTestId("sessions").locator("[data-current]");
    await current.getByText("127.0.0.3").waitFor();

    // A, through the form: the API's wait time, shown to the person
    await signIn(a.page, email);
    await a.page.locator("#login-form-error").getByText(/Too many attempts/).waitFor();
  } finally {
    await proxyA.stop();
    await proxyB.stop();
  }
});
