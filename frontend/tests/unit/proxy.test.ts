// @vitest-environment node
import { NextRequest } from "next/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { proxy } from "@/proxy";
import { jsonResponse, jwt, mockFetch } from "./helpers";

const WEB = "http://127.0.0.1:3000";

beforeEach(() => vi.stubEnv("WEB_URL", WEB));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

function visit(path: string, cookie?: string) {
  return proxy(new NextRequest(`${WEB}${path}`, { headers: cookie ? { cookie } : {} }));
}

describe("protected pages before any rendering (proxy.ts)", () => {
  it("redirects a visitor without a session cookie to /login?next=, with no page", async () => {
    const res = await visit("/tasks?filter=pending");
    expect(res.status).toBe(307);
    const location = new URL(res.headers.get("location") ?? "");
    expect(location.pathname).toBe("/login");
    expect(location.searchParams.get("next")).toBe("/tasks?filter=pending");
  });

  it("redirects and drops a cookie whose token has expired, without asking the API", async () => {
    const expired = jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) - 10 });
    const api = mockFetch(() => jsonResponse(200, {}));
    const res = await visit("/account", `todo_session=${expired}`);
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toContain("/login?next=/account");
    expect(res.headers.get("set-cookie")).toMatch(/todo_session=;.*Max-Age=0/);
    expect(api).not.toHaveBeenCalled();
  });

  it("redirects and drops a cookie the API refuses (session ended elsewhere)", async () => {
    const ended = jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) + 600 });
    const api = mockFetch(() => jsonResponse(401, { detail: "Could not validate credentials" }));
    const res = await visit("/tasks", `todo_session=${ended}`);
    expect(api).toHaveBeenCalledTimes(1);
    expect(res.status).toBe(307);
    expect(res.headers.get("set-cookie")).toMatch(/todo_session=;.*Max-Age=0/);
  });

  it("lets a cookie the API accepts through, and sets the CSP", async () => {
    const live = jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) + 600 });
    mockFetch(() => jsonResponse(200, { id: "u1" }));
    const res = await visit("/tasks", `todo_session=${live}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toMatch(/connect-src 'self';/);
  });

  it("leaves public pages alone", async () => {
    expect((await visit("/login")).status).toBe(200);
    expect((await visit("/")).status).toBe(200);
  });
});
