// @vitest-environment node
import { createHash } from "node:crypto";
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { config, proxy, protectedPageCsp } from "@/proxy";
import { THEME_SCRIPT } from "@/lib/theme";
import { jwt } from "./helpers";
import { standInApi, type StandIn } from "./stand-in-api";

const WEB = "http://127.0.0.1:3000";
const inTenMinutes = () => Math.floor(Date.now() / 1000) + 600;

let api: StandIn;

beforeEach(async () => {
  api = await standInApi();
  vi.stubEnv("WEB_URL", WEB);
  vi.stubEnv("API_INTERNAL_URL", api.url);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await api.close();
});

/** A redirect's target on this origin (Next.js relativizes it when it answers). */
function target(res: Response): string | null {
  const location = res.headers.get("location");
  if (!location) return null;
  const url = new URL(location);
  return `${url.pathname}${url.search}`;
}

function visit(path: string, cookie?: string) {
  return proxy(new NextRequest(`${WEB}${path}`, { headers: cookie ? { cookie } : {} }));
}

describe("the gate of the protected pages (proxy.ts), on the cookie alone", () => {
  it("redirects a visitor without a session cookie to /login?next=, with no page", async () => {
    const res = await visit("/tasks?filter=pending");
    expect(res.status).toBe(307);
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("next")).toBe("/tasks?filter=pending");
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it.each([
    ["has expired", jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) - 10 })],
    ["has no exp", jwt({ sub: "u1" })],
    ["is no token at all", "not-a-token"],
  ])("redirects and drops a cookie whose token %s, without asking the API", async (_why, token) => {
    const res = await visit("/account", `todo_session=${token}`);
    expect(res.status).toBe(307);
    expect(target(res)).toBe("/login?next=/account");
    expect(res.headers.get("set-cookie")).toMatch(/^todo_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0$/);
    expect(api.calls).toHaveLength(0);
  });

  it("lets a live cookie through without asking the API (the page's own call decides), under a nonce CSP", async () => {
    const res = await visit("/tasks", `other=1; todo_session=${jwt({ sub: "u1", exp: inTenMinutes() })}`);
    expect(res.status).toBe(200);
    expect(api.calls).toHaveLength(0);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    // Next.js reads the nonce from the request's CSP header to stamp its own scripts.
    expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
    expect(csp).toContain("'strict-dynamic'");
    expect(csp).not.toContain("unsafe-inline' 'nonce"); // scripts: never 'unsafe-inline'
    expect(/script-src [^;]*unsafe-inline/.test(csp)).toBe(false);
    const second = await visit("/tasks", `todo_session=${jwt({ sub: "u1", exp: inTenMinutes() })}`);
    expect(second.headers.get("content-security-policy")).not.toContain(nonce!);
  });

  it("allows the root layout's theme script by its hash", () => {
    const hash = createHash("sha256").update(THEME_SCRIPT).digest("base64");
    expect(protectedPageCsp("abc", false)).toContain(`'sha256-${hash}'`);
    expect(protectedPageCsp("abc", false)).toMatch(/connect-src 'self';/);
    expect(protectedPageCsp("abc", false)).toMatch(/frame-ancestors 'none'/);
  });

  it("over https reads the __Host- cookie", async () => {
    vi.stubEnv("WEB_URL", "https://todo.example");
    const live = jwt({ sub: "u1", exp: inTenMinutes() });
    expect((await visit("/tasks", `todo_session=${live}`)).status).toBe(307);
    expect((await visit("/tasks", `__Host-todo_session=${live}`)).status).toBe(200);
  });

  it("runs only on the protected pages, and on the sign-in pages when a session cookie comes along", () => {
    const sources = config.matcher.map((m) => m.source);
    expect(sources).toEqual(["/tasks/:path*", "/account/:path*", "/:page(login|register)", "/:page(login|register)"]);
    expect(config.matcher.slice(2).map((m) => m.has?.[0]?.key)).toEqual(["todo_session", "__Host-todo_session"]);
  });
});

describe("the sign-in pages with a session cookie", () => {
  it("send a live session on to next (same-origin only) or /tasks", async () => {
    const token = jwt({ sub: "u1", exp: inTenMinutes() });
    api.answer(200, { id: "u1" });
    const res = await visit("/login?next=/account", `todo_session=${token}`);
    expect(res.status).toBe(307);
    expect(target(res)).toBe("/account");
    expect(api.calls[0]).toMatchObject({ method: "GET", url: "/api/auth/me" });
    expect(api.calls[0]!.headers.authorization).toBe(`Bearer ${token}`);
    const evil = await visit("/register?next=//evil.example", `todo_session=${token}`);
    expect(target(evil)).toBe("/tasks");
  });

  it("drop a cookie the API refuses (ended on another device) and show the page", async () => {
    api.answer(401, { detail: "Token has been revoked" });
    const res = await visit("/login?next=/tasks", `todo_session=${jwt({ sub: "u1", exp: inTenMinutes() })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("set-cookie")).toMatch(/^todo_session=;.*Max-Age=0/);
  });

  it("show the page when the API cannot be reached", async () => {
    vi.stubEnv("API_INTERNAL_URL", "http://127.0.0.1:9"); // nothing listens there
    const res = await visit("/login", `todo_session=${jwt({ sub: "u1", exp: inTenMinutes() })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});
