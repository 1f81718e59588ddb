// @vitest-environment node
// A protected page's one call to the API (lib/server/page-data.ts): the data, or the redirect to /login.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageData } from "@/lib/server/page-data";
import { jwt } from "./helpers";
import { standInApi, type StandIn } from "./stand-in-api";

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

let api: StandIn;

beforeEach(async () => {
  jar.cookies.clear();
  api = await standInApi();
  vi.stubEnv("WEB_URL", "http://127.0.0.1:3000");
  vi.stubEnv("API_INTERNAL_URL", `${api.url}/`);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await api.close();
});

describe("pageData", () => {
  it("asks the API once with the cookie's token as the bearer", async () => {
    jar.cookies.set("todo_session", token);
    api.answer(200, { tasks: [], total: 0 });
    expect(await pageData("/api/tasks", "/tasks")).toEqual({ data: { tasks: [], total: 0 }, expiresAt: exp * 1000 });
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toMatchObject({ method: "GET", url: "/api/tasks" });
    expect(api.calls[0]!.headers.authorization).toBe(`Bearer ${token}`);
  });

  it("sends a visitor the API refuses to /login?next=<page>", async () => {
    jar.cookies.set("todo_session", token);
    api.answer(401, { detail: "Token has been revoked" });
    await expect(pageData("/api/auth/me", "/account")).rejects.toThrow("redirect /login?next=/account");
  });

  it("sends a visitor without a live cookie to /login without asking the API", async () => {
    await expect(pageData("/api/tasks", "/tasks")).rejects.toThrow("redirect /login?next=/tasks");
    jar.cookies.set("todo_session", jwt({ sub: "u1", exp: Math.floor(Date.now() / 1000) - 1 }));
    await expect(pageData("/api/tasks", "/tasks")).rejects.toThrow("redirect /login?next=/tasks");
    expect(api.calls).toHaveLength(0);
  });

  it("renders without data when the API fails otherwise (the browser then loads it)", async () => {
    jar.cookies.set("todo_session", token);
    api.answer(503, { detail: "Service temporarily unavailable" });
    expect((await pageData("/api/tasks", "/tasks")).data).toBeNull();
    vi.stubEnv("API_INTERNAL_URL", "http://127.0.0.1:9"); // nothing listens there
    expect((await pageData("/api/tasks", "/tasks")).data).toBeNull();
  });
});
