import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, authApi, describeDetail, parseRetryAfter, request, tasksApi, UNREACHABLE_MESSAGE } from "@/lib/api";
import { getSession, resetSessionStoreForTests, saveSession } from "@/lib/auth/storage";
import { headerOf, jsonResponse, mockFetch, user } from "./helpers";

beforeEach(() => {
  localStorage.clear();
  resetSessionStoreForTests();
  window.history.replaceState(null, "", "/tasks?filter=pending");
});

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error("expected the request to fail");
}

describe("request", () => {
  it("calls this web app's own /api/... with the session cookie and no Authorization header", async () => {
    saveSession(user, null);
    const fetchMock = mockFetch(() => jsonResponse(200, { tasks: [], total: 0 }));
    await tasksApi.list("pending");
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/tasks?status=pending");
    expect(init.credentials).toBe("same-origin");
    expect(headerOf(init, "Authorization")).toBeUndefined();
  });

  it("sends JSON bodies", async () => {
    const fetchMock = mockFetch(() => jsonResponse(201, { id: "t1" }));
    await tasksApi.create({ title: "Buy milk", description: null });
    const [, init] = fetchMock.mock.calls[0]!;
    expect(init.method).toBe("POST");
    expect(headerOf(init, "Content-Type")).toBe("application/json");
    expect(JSON.parse(String(init.body))).toEqual({ title: "Buy milk", description: null });
  });

  it("handles 204 No Content", async () => {
    mockFetch(() => new Response(null, { status: 204 }));
    await expect(tasksApi.remove("t1")).resolves.toBeUndefined();
  });

  it("turns an unreachable server into a clear message", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    const err = await caught(request("/api/tasks"));
    expect(err.status).toBe(0);
    expect(err.message).toBe(UNREACHABLE_MESSAGE);
    expect(err.message).toContain("Cannot reach the server");
  });

  it("uses the backend's detail as the message", async () => {
    mockFetch(() => jsonResponse(400, { detail: "Email already registered" }));
    const err = await caught(authApi.register({ email: "ada@example.com", password: "password123" }));
    expect(err.status).toBe(400);
    expect(err.message).toBe("Email already registered");
  });

  it("answers an unreadable error body with a generic message", async () => {
    mockFetch(() => new Response("<html>Bad gateway</html>", { status: 502 }));
    const err = await caught(request("/api/tasks"));
    expect(err.message).toBe("The server had a problem. Please try again.");
  });
});

describe("401 handling", () => {
  it("ends the session in the store (and leaves navigation to RequireAuth)", async () => {
    saveSession(user, null);
    const before = window.location.href;
    mockFetch(() => jsonResponse(401, { detail: "Token has expired" }, { "WWW-Authenticate": "Bearer" }));
    const err = await caught(tasksApi.list());
    expect(err.status).toBe(401);
    expect(getSession()).toMatchObject({ user: null, endReason: "unauthorized" });
    expect(window.location.href).toBe(before);
  });

  it("does not end anything when a wrong password is rejected", async () => {
    mockFetch(() => jsonResponse(401, { detail: "Invalid email or password" }));
    const err = await caught(authApi.login({ email: "ada@example.com", password: "wrong-password" }));
    expect(err.message).toBe("Invalid email or password");
    expect(getSession().endReason).toBeNull();
  });

  it("lets logout ignore a 401 (the session is over either way)", async () => {
    saveSession(user, null);
    mockFetch(() => jsonResponse(401, { detail: "Token has been revoked" }));
    await caught(authApi.logout());
    expect(getSession().user).toEqual(user);
  });
});

describe("422 mapping", () => {
  it("maps each item to the field its loc names, never [object Object]", async () => {
    mockFetch(() =>
      jsonResponse(422, {
        detail: [
          { loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" },
          { loc: ["body", "password"], msg: "String should have at least 8 characters", type: "string_too_short" },
        ],
      }),
    );
    const err = await caught(authApi.register({ email: "nope", password: "short" }));
    expect(err.status).toBe(422);
    expect(err.fieldErrors).toEqual({
      email: "value is not a valid email address",
      password: "String should have at least 8 characters",
    });
    expect(err.message).toContain("Email: value is not a valid email address");
    expect(err.message).not.toContain("[object Object]");
  });

  it("keeps body-level items in the message", () => {
    const { message, fieldErrors } = describeDetail(
      [{ loc: ["body"], msg: "Value error, JSON decode error", type: "json_invalid" }],
      422,
    );
    expect(fieldErrors).toEqual({});
    expect(message).toBe("JSON decode error");
  });

  it.each([
    ["an object", { weird: true }],
    ["a list of objects without msg", [{ loc: ["body", "x"] }]],
    ["a number", 42],
    ["nothing", undefined],
  ])("never shows [object Object] for %s", (_label, detail) => {
    const { message } = describeDetail(detail, 422);
    expect(message).not.toContain("[object Object]");
    expect(message.length).toBeGreaterThan(0);
  });
});

describe("429 and 503", () => {
  it("says the wait in minutes, never in raw seconds, and keeps the seconds for a countdown", async () => {
    mockFetch(() =>
      jsonResponse(429, { detail: "Too many attempts. Try again in 897 seconds." }, { "Retry-After": "897" }),
    );
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.status).toBe(429);
    expect(err.message).toBe("Too many attempts. Try again in 15 minutes.");
    expect(err.retryAfter).toBe(897);
    expect(err.reason).toBe("Too many attempts.");
  });

  it("rounds a short wait up to one minute", async () => {
    mockFetch(() =>
      jsonResponse(429, { detail: "Too many attempts. Try again in 42 seconds." }, { "Retry-After": "42" }),
    );
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.message).toBe("Too many attempts. Try again in 1 minute.");
    expect(err.retryAfter).toBe(42);
  });

  it("adds the wait time when only the Retry-After header has it", async () => {
    mockFetch(() => jsonResponse(429, { detail: "Slow down" }, { "Retry-After": "7" }));
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.message).toBe("Slow down. Try again in 1 minute.");
    expect(err.retryAfter).toBe(7);
  });

  it("reads the wait from the message when the header is not exposed, and says it once", async () => {
    mockFetch(() => jsonResponse(429, { detail: "Too many attempts. Try again in 900 seconds." }));
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.message).toBe("Too many attempts. Try again in 15 minutes.");
    expect(err.retryAfter).toBe(900);
  });

  it("shows 503 with its wait time", async () => {
    mockFetch(() => jsonResponse(503, { detail: "Service temporarily unavailable" }, { "Retry-After": "1" }));
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.message).toBe("Service temporarily unavailable. Try again in 1 minute.");
    expect(err.retryAfter).toBe(1);
  });

  it("leaves a 429 without any wait as it is", async () => {
    mockFetch(() => jsonResponse(429, { detail: "Too many attempts" }));
    const err = await caught(authApi.login({ email: "ada@example.com", password: "password123" }));
    expect(err.message).toBe("Too many attempts");
    expect(err.retryAfter).toBeNull();
  });

  it("parses Retry-After dates", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
