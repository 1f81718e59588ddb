// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { forgeryCheck, forward, tokenFromCookieHeader, type ForwardInput } from "@/lib/server/bff";
import { jwt } from "./helpers";

const WEB = "http://127.0.0.1:3000";
const exp = Math.floor(Date.now() / 1000) + 3600;
const token = jwt({ sub: "u1", exp, sid: "s1" });
const user = { id: "u1", email: "ada@example.com", name: "Ada", created_at: "2026-01-01T00:00:00Z" };

beforeEach(() => {
  vi.stubEnv("WEB_URL", WEB);
  vi.stubEnv("API_INTERNAL_URL", "http://api.internal:8000");
});
afterEach(() => vi.unstubAllEnvs());

function input(method: string, path: string, headers: Record<string, string>, body?: unknown): ForwardInput {
  return {
    method,
    pathAndQuery: path,
    headers: new Headers(headers),
    body: body === undefined ? null : (new TextEncoder().encode(JSON.stringify(body)).buffer as ArrayBuffer),
    clientIp: "203.0.113.9",
    requestOrigin: WEB,
  };
}

const sameSite = { origin: WEB, "sec-fetch-site": "same-origin", "content-type": "application/json" };

function api(status: number, body: unknown) {
  return vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    void url;
    void init;
    return new Response(body === null ? null : JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", "set-cookie": "api=1" },
    });
  });
}

describe("forgery defence", () => {
  it.each([
    ["another site", { origin: "http://evil.example", "sec-fetch-site": "cross-site" }],
    ["a sibling subdomain", { origin: "http://a.127.0.0.1:3000", "sec-fetch-site": "same-site" }],
    ["no headers at all", {}],
    ["Origin null (sandboxed frame, form from file://)", { origin: "null" }],
    ["a wrong Origin without Sec-Fetch-Site", { origin: "http://evil.example" }],
  ])("refuses a state change from %s, before reaching the API", async (_why, headers) => {
    const fetchImpl = api(200, {});
    const res = await forward(input("POST", "/api/tasks", { ...headers, cookie: `todo_session=${token}` }, { title: "x" }), fetchImpl);
    expect(res.status).toBe(403);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("lets same-origin state changes and every GET through", () => {
    expect(forgeryCheck("POST", new Headers(sameSite), WEB)).toBeNull();
    expect(forgeryCheck("DELETE", new Headers({ origin: WEB }), WEB)).toBeNull();
    expect(forgeryCheck("GET", new Headers({ "sec-fetch-site": "cross-site" }), WEB)).toBeNull();
  });
});

describe("forwarding", () => {
  it("adds the cookie's token as the bearer and the browser's address; drops the browser's own Authorization", async () => {
    const fetchImpl = api(200, { tasks: [], total: 0 });
    await forward(
      input("GET", "/api/tasks?status=pending", { cookie: `x=1; todo_session=${token}`, authorization: "Bearer other", "user-agent": "UA" }),
      fetchImpl,
    );
    const [url, init] = fetchImpl.mock.calls[0]!;
    expect(url).toBe("http://api.internal:8000/api/tasks?status=pending");
    const headers = new Headers(init!.headers);
    expect(headers.get("authorization")).toBe(`Bearer ${token}`);
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.9");
    expect(headers.get("user-agent")).toBe("UA");
    expect(headers.get("cookie")).toBeNull();
  });

  it("turns a token in an answer into the HttpOnly cookie and removes it from the body", async () => {
    const res = await forward(
      input("POST", "/api/auth/login", sameSite, { email: "a@b.c", password: "x" }),
      api(200, { access_token: token, token_type: "bearer", user }),
    );
    const body = await res.json();
    expect(body).toEqual({ token_type: "bearer", user, expires_at: new Date(exp * 1000).toISOString() });
    expect(JSON.stringify(body)).not.toContain(token);
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toContain(`todo_session=${token}`);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeGreaterThan(3500);
    expect(cookie).not.toContain("api=1");
  });

  it("over https the cookie is Secure with a __Host- name", async () => {
    vi.stubEnv("WEB_URL", "https://todo.example");
    const res = await forward(
      { ...input("POST", "/api/auth/register", { origin: "https://todo.example", "sec-fetch-site": "same-origin" }, {}), requestOrigin: null },
      api(201, { access_token: token, token_type: "bearer", user }),
    );
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie.startsWith(`__Host-todo_session=${token}`)).toBe(true);
    expect(cookie).toMatch(/; Secure/);
    expect(tokenFromCookieHeader(`__Host-todo_session=${token}`)).toBe(token);
  });

  it("sign-out and a refused token clear the cookie", async () => {
    for (const [path, status] of [["/api/auth/logout", 204], ["/api/auth/logout-all", 200], ["/api/tasks", 401]] as const) {
      const res = await forward(input("POST", path, { ...sameSite, cookie: `todo_session=${token}` }), api(status, status === 204 ? null : {}));
      expect(res.headers.get("set-cookie"), path).toMatch(/^todo_session=; .*Max-Age=0/);
    }
  });

  it("a GET of a sign-out path (an <img> on another page, a prefetch) signs nobody out", async () => {
    const res = await forward(input("GET", "/api/auth/logout", {}), api(405, { detail: "Method Not Allowed" }));
    expect(res.status).toBe(405);
    expect(res.headers.get("set-cookie")).toBeNull();
    const dead = await forward(input("GET", "/api/auth/logout", {}), api(200, {}));
    expect(dead.headers.get("set-cookie")).toBeNull();
  });

  it("an unreachable API is a 503 in the API's shape", async () => {
    const res = await forward(input("GET", "/api/tasks", {}), vi.fn(async () => Promise.reject(new TypeError("down"))));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ detail: "Service temporarily unavailable" });
  });
});
