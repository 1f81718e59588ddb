// Shared fixtures for the browser journeys (@playwright/test, Debian's Chromium: see playwright.config.mjs).
// Every page a test opens fails the test on any console error, page error or request to a host other than the
// web app (the browser never calls the API itself), unless the test allows that message with `guard.allow(re)`.
//
//   import { test, registerViaApi, uniqueEmail } from "./helpers.mjs";
//   test("what the user does and sees", async ({ page, guard }) => { ... });          // one fresh browser
//   test("two browsers", async ({ newSession }) => { const a = await newSession(); ... }); // more of them
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { test as base } from "@playwright/test";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with scripts/e2e.sh`);
  return value;
}

export const WEB_URL = required("E2E_WEB_URL").replace(/\/+$/, "");
export const API_URL = required("E2E_API_URL").replace(/\/+$/, "");
export const JWT_SECRET = required("E2E_JWT_SECRET");
export const SCREENSHOT_DIR = process.env.E2E_SCREENSHOT_DIR || "";
export const PASSWORD = "correct-horse-battery";

/** The test OpenID provider scripts/e2e.sh starts (scripts/oidc-provider), the API's provider `local`. */
export const OIDC_ISSUER = (process.env.E2E_OIDC_ISSUER || "").replace(/\/+$/, "");
export const OIDC_NAME = process.env.E2E_OIDC_NAME || "Test provider";

// The browser talks to the web app only: the web server forwards /api/... to the API (never the browser). The
// one other site it may visit is the OpenID provider, during a provider sign-in.
// The web app is also served as http://localhost:<port> (e2e.sh lists it in WEB_URL): Chromium runs passkey
// ceremonies only on a domain, never on 127.0.0.1 (e2e/passkeys.test.mjs).
export const LOCALHOST_URL = WEB_URL.replace("//127.0.0.1", "//localhost");
const ALLOWED_ORIGINS = new Set([
  new URL(WEB_URL).origin,
  new URL(LOCALHOST_URL).origin,
  ...(OIDC_ISSUER ? [new URL(OIDC_ISSUER).origin] : []),
]);

/**
 * The journeys' `test`:
 * - `page`, `context`: Playwright's own (one fresh browser context per test, options from the config or
 *   `test.use`), every page of the context watched by `guard`;
 * - `guard`: `guard.allow(re)` accepts a console message the test provokes on purpose (e.g. the browser's own
 *   "Failed to load resource: ... 401" line when a wrong password is tried); checked when the test ends;
 * - `newSession(options)`: one more browser context (like another browser, its own cookies) with a watched
 *   first page: `{ context, page, guard, newPage }`; its guard is checked and the context closed at the end.
 */
export const test = base.extend({
  guard: async ({}, provide) => {
    const guard = makeGuard();
    await provide(guard);
    guard.assertClean();
  },
  context: async ({ context, guard }, provide) => {
    context.on("page", (page) => guard.watch(page));
    await provide(context);
  },
  newSession: async ({ browser, baseURL }, provide) => {
    const sessions = [];
    await provide(async (options) => {
      const session = await newSession(browser, baseURL, options);
      sessions.push(session);
      return session;
    });
    for (const { context } of sessions) await context.close();
    for (const { guard } of sessions) guard.assertClean();
  },
});

async function newSession(
  browser,
  baseURL,
  {
    viewport = { width: 1280, height: 800 },
    colorScheme = "light",
    timezoneId = "America/New_York",
    locale = "en-US",
    ...more // any other option of browser.newContext (e.g. proxy, userAgent)
  } = {},
) {
  const context = await browser.newContext({ viewport, colorScheme, timezoneId, locale, baseURL, ...more });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const guard = makeGuard();
  const page = await context.newPage();
  guard.watch(page);
  return { context, page, guard, newPage: async () => guard.watch(await context.newPage()) };
}

function makeGuard() {
  const problems = [];
  const allowed = [];
  const isAllowed = (text) => allowed.some((re) => re.test(text));
  return {
    problems,
    allow(re) {
      allowed.push(re);
    },
    watch(page) {
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        const text = msg.text();
        // For "Failed to load resource" the location is the resource itself: name it, so a failure says what.
        const where = msg.location()?.url;
        if (!isAllowed(text)) problems.push(`console error on ${page.url()}: ${text}${where ? ` [${where}]` : ""}`);
      });
      page.on("pageerror", (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
      page.on("request", (req) => {
        const url = req.url();
        if (url.startsWith("data:") || url.startsWith("blob:")) return;
        let origin;
        try {
          origin = new URL(url).origin;
        } catch {
          return;
        }
        if (!ALLOWED_ORIGINS.has(origin)) problems.push(`request to a foreign host: ${req.method()} ${url}`);
      });
      return page;
    },
    assertClean() {
      assert.deepEqual(problems, [], `the browser reported problems:\n${problems.join("\n")}`);
    },
  };
}

let counter = 0;
export function uniqueEmail(label = "user") {
  counter += 1;
  return `e2e-${label}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString("hex")}@example.com`;
}

/** Direct call to the API from node (not the browser), for checking what the server thinks. */
export async function api(pathname, { method = "GET", token, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${API_URL}${pathname}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, body: json, headers: res.headers };
}

export async function registerViaApi(email, password = PASSWORD, name = null) {
  const res = await api("/api/auth/register", { method: "POST", body: { email, password, name } });
  assert.equal(res.status, 201, `register via API: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** HS256 JWT, for tokens the server must refuse (wrong secret, expired). */
export function mintJwt(claims, secret) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const head = b64({ alg: "HS256", typ: "JWT" });
  const payload = b64(claims);
  const sig = createHmac("sha256", secret).update(`${head}.${payload}`).digest("base64url");
  return `${head}.${payload}.${sig}`;
}

/** The web app's session cookie (scripts/e2e.sh serves over http, so no `__Host-` prefix). */
export const SESSION_COOKIE = "todo_session";

/** The session cookie as the browser stores it (read by the test from the cookie jar, never by a page script). */
export async function sessionCookie(pageOrContext) {
  const context = "context" in pageOrContext ? pageOrContext.context() : pageOrContext;
  const cookies = await context.cookies(WEB_URL);
  return cookies.find((c) => c.name === SESSION_COOKIE) ?? null;
}

/** The API token this browser's session cookie holds, or null (the cookie is HttpOnly: only the test sees it). */
export async function storedToken(pageOrContext) {
  return (await sessionCookie(pageOrContext))?.value ?? null;
}

/** Gives the browser a session cookie holding `token` before any page loads (like a sign-in would). */
export async function seedSession(context, token) {
  await context.addCookies([
    { name: SESSION_COOKIE, value: token, url: WEB_URL, httpOnly: true, sameSite: "Lax" },
  ]);
}

/**
 * Everything a script of the page can reach — localStorage, sessionStorage, IndexedDB, document.cookie —
 * holds no token or session secret; the session cookie is HttpOnly, SameSite=Lax, Path=/ and expires with
 * the session (not with the browser).
 */
export async function assertNoReadableCredential(page) {
  const cookie = await sessionCookie(page);
  assert.ok(cookie && cookie.value.length > 20, "the browser holds a session cookie");
  const token = cookie.value;
  const seen = await page.evaluate(async () => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    const dbs = typeof indexedDB.databases === "function" ? await indexedDB.databases() : [];
    return { local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie, idb: dbs.map((d) => d.name) };
  });
  const text = JSON.stringify(seen);
  const signature = token.split(".")[2] ?? token;
  assert.ok(!text.includes(token), `a page script can read the token: ${text}`);
  assert.ok(!text.includes(signature), `a page script can read the token's signature: ${text}`);
  assert.ok(!/auth_token|access_token|mfa_token/.test(text), `a credential-like key is readable: ${text}`);
  assert.ok(!seen.cookie.includes(SESSION_COOKIE), `document.cookie shows the session cookie: ${seen.cookie}`);
  assert.deepEqual(seen.idb, [], "no IndexedDB database");
  assert.equal(cookie.httpOnly, true, "HttpOnly");
  assert.equal(cookie.sameSite, "Lax", "SameSite=Lax");
  assert.equal(cookie.path, "/", "Path=/");
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
  assert.ok(Math.abs(cookie.expires - claims.exp) <= 5, `the cookie expires with the session (${cookie.expires} vs exp ${claims.exp})`);
}

export async function signUp(page, { email, password = PASSWORD, name = "" }) {
  await page.goto("/register");
  if (name) await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Confirm password").fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
}

export async function signIn(page, email, password = PASSWORD, { path: loginPath = "/login" } = {}) {
  if (loginPath) await page.goto(loginPath);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Waits for the URL to be exactly `pathAndQuery` on the web origin. */
export async function waitForPath(page, pathAndQuery) {
  await page.waitForURL((url) => `${url.pathname}${url.search}` === pathAndQuery);
}

export async function screenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}

/**
 * Records, from before the first paint, whether a protected heading ever appears in the DOM of this
 * tab (in sessionStorage, so the flag survives both client-side and full-page redirects).
 */
export async function watchForProtectedPaint(context) {
  await context.addInitScript((origin) => {
    if (location.origin !== origin) return;
    const check = () => {
      const h1 = document.querySelector("h1");
      if (h1 && /^(Your tasks|Account)$/.test((h1.textContent || "").trim())) {
        sessionStorage.setItem("__protectedPainted", "1");
      }
    };
    new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
  }, new URL(WEB_URL).origin);
}

/** True when a protected heading was ever in this tab's DOM since watchForProtectedPaint. */
export async function protectedWasPainted(page) {
  return page.evaluate(() => sessionStorage.getItem("__protectedPainted") === "1");
}

/** Waits until no toast is on screen (so a screenshot shows the page itself). */
export async function waitForToastsGone(page, timeout = 12_000) {
  await page.waitForFunction(() => document.querySelectorAll('[data-rht-toaster] [role="status"]').length === 0, null, {
    timeout,
  });
}

/** The toast (react-hot-toast, role=status) with this text. */
export function toast(page, text) {
  return page.locator('[data-rht-toaster] [role="status"]').filter({ hasText: text }).first();
}
