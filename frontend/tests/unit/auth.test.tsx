import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { useEffect } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthProvider, useAuth, type AuthContextValue } from "@/lib/auth/context";
import { getSession, resetSessionStoreForTests, SIGNED_OUT, type Session } from "@/lib/auth/storage";
import { jsonResponse, mockFetch, user } from "./helpers";

const router = { replace: vi.fn(), push: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

let latest: AuthContextValue;
function Probe() {
  const auth = useAuth();
  useEffect(() => {
    latest = auth;
  });
  return <p data-testid="state">{auth.isAuthenticated ? `in:${auth.user?.name}` : `out:${auth.endReason}`}</p>;
}

function renderAuth(initial: Session = SIGNED_OUT) {
  return render(
    <AuthProvider initial={initial}>
      <Probe />
    </AuthProvider>,
  );
}

const state = () => screen.getByTestId("state").textContent;

/** Every place a script could keep a credential: nothing may be there. */
function expectNoStoredCredential() {
  expect(localStorage.length).toBe(0);
  expect(sessionStorage.length).toBe(0);
  expect(document.cookie).toBe("");
}

beforeEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  resetSessionStoreForTests();
  vi.clearAllMocks();
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("useAuth", () => {
  it("throws a clear error outside AuthProvider", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    expect(() => renderHook(() => useAuth())).toThrow("useAuth must be used within an AuthProvider");
  });
});

describe("the session the server rendered", () => {
  it("is used as is, without a request", () => {
    const fetchMock = mockFetch(() => jsonResponse(500, {}));
    renderAuth({ user, expiresAt: Date.now() + 60_000, endReason: null });
    expect(state()).toBe("in:Ada");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("signed out stays signed out", () => {
    renderAuth();
    expect(state()).toBe("out:null");
  });
});

describe("signing in and out", () => {
  it("login keeps the user but no token anywhere a script can read", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { token_type: "bearer", user, expires_at: inAnHour() }));
    renderAuth();
    await act(async () => {
      await latest.login(" ada@example.com ", "pw");
    });
    expect(state()).toBe("in:Ada");
    expect(JSON.parse(String(fetchMock.mock.calls[0]![1].body))).toEqual({ email: "ada@example.com", password: "pw" });
    expect(getSession().expiresAt).toBeGreaterThan(Date.now());
    expectNoStoredCredential();
  });

  it("register sends the trimmed name only when given", async () => {
    const fetchMock = mockFetch(() => jsonResponse(201, { token_type: "bearer", user, expires_at: inAnHour() }));
    renderAuth();
    await act(async () => {
      await latest.register("ada@example.com", "password123", "  ");
    });
    expect(JSON.parse(String(fetchMock.mock.calls[0]![1].body))).toEqual({ email: "ada@example.com", password: "password123" });
    expect(state()).toBe("in:Ada");
    expectNoStoredCredential();
  });

  it("logout asks the server, then signs out here even when the server is away", async () => {
    mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    renderAuth({ user, expiresAt: null, endReason: null });
    await act(async () => {
      await latest.logout();
    });
    expect(state()).toBe("out:logout");
  });

  it("a failed password change keeps the session", async () => {
    mockFetch(() => jsonResponse(400, { detail: "Current password is incorrect" }));
    renderAuth({ user, expiresAt: null, endReason: null });
    await act(async () => {
      await expect(latest.changePassword("wrong", "new-password-1")).rejects.toThrow("Current password is incorrect");
    });
    expect(state()).toBe("in:Ada");
  });

  it("a 401 from any request ends the session with the reason", async () => {
    mockFetch(() => jsonResponse(401, { detail: "Token has been revoked" }));
    renderAuth({ user, expiresAt: null, endReason: null });
    const { tasksApi } = await import("@/lib/api");
    await act(async () => {
      await tasksApi.list().catch(() => undefined);
    });
    expect(state()).toBe("out:unauthorized");
  });
});

describe("expiry", () => {
  it("signs out when the session's time is up", async () => {
    vi.useFakeTimers();
    renderAuth({ user, expiresAt: Date.now() + 5_000, endReason: null });
    expect(state()).toBe("in:Ada");
    await act(async () => {
      vi.advanceTimersByTime(5_001);
    });
    expect(state()).toBe("out:expired");
  });
});

describe("other tabs", () => {
  it("a sign-out in another tab signs this one out; a sign-in there signs this one in", async () => {
    renderAuth({ user, expiresAt: null, endReason: null });
    const otherTab = new BroadcastChannel("todo-auth");
    otherTab.postMessage({ type: "signed-out" });
    await waitFor(() => expect(state()).toBe("out:null"));
    otherTab.postMessage({ type: "signed-in", user: { ...user, name: "Ada L" }, expiresAt: null });
    await waitFor(() => expect(state()).toBe("in:Ada L"));
    otherTab.close();
  });
});
