// @vitest-environment node
// A protected page's one call to the API (lib/server/page-data.ts): the data, or the redirect to /login.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageData } from "@/lib/server/page-data";
import { jsonResponse, jwt, mockFetch } from "./helpers";

const jar = vi.hoisted(() => ({ cookies: new Map<string, string>() }));
vi.mock("next/headers", () => ({
  cookies: async () => ({ get: (name: string) => (jar.cookies.has(name) ? { name, value: jar.cookies.get(name) } : undefined) }),
}));
vi.mock("next/navigation", () => ({
  redirect: (url: string) => {
    throw new Error(`redirect ${url}`);
  },
}));

const exp = Math.floor(Date.now() / 1000) + 600;
const token = jwt({ sub: "u1", exp });

beforeEach(() => {
  jar.cookies.clear();
  vi.stubEnv("WEB_URL", "http://127.0.0.1:3000");
  vi.stubEnv("API_INTERNAL_URL", "http://api.internal:8000/");
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
});

describe("pageData", () => {
  it("asks the API once with the cookie's token as the bearer", async () => {
    jar.cookies.set("todo_session", token);
    const api = mockFetch(() => jsonResponse(200, { tasks: [], total: 0 }));
    expect(await pageData("/api/tasks", "/tasks")).toEqual({ data: { tasks: [], total: 0 }, expiresAt: exp * 1000 });
    expect(api).toHaveBeenCalledTimes(1);
    const [url, init] = api.mock.calls[0]!;
    expect(url).toBe("http://api.internal:8000/api/tasks");
    expect(new Headers(init.headers).get("authorization")).toBe(`Bearer ${token}`);
  });

  it("sends a visitor the API refuses to /login?next=<page>", async () => {
    jar.cookies.set("todo_session", token);
    mockFetch(() => jsonResponse(401, { detail: "Token has been revoked" }));
    await expect(pageData("/api/auth/me", "/account")).rejects.toThrow("redirect /login?next=/account");
  });

  it("sends a visitor without a live cookie to /login without asking the API", async () => {
    const api = mockFetch(() => jsonResponse(200, {}));
    await expect(pageData("/api/tasks", "/tasks")).rejects.toThrow("redirect /login?next=/tasks");
    jar.cookies.set("todo_session", jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) - 1 }));
    await expect(pageData("/api/tasks", "/tasks")).rejects.toThrow("redirect /login?next=/tasks");
    expect(api).not.toHaveBeenCalled();
  });

  it("renders without data when the API fails otherwise (the browser then loads it)", async () => {
    jar.cookies.set("todo_session", token);
    mockFetch(() => jsonResponse(503, { detail: "Service temporarily unavailable" }));
    expect((await pageData("/api/tasks", "/tasks")).data).toBeNull();
    mockFetch(() => Promise.reject(new TypeError("fetch failed")));
    expect((await pageData("/api/tasks", "/tasks")).data).toBeNull();
  });
});
