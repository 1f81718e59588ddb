import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { useEffect } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthProvider, PageSession, useAuth, type AuthContextValue } from "@/lib/auth/context";
import { getSession, learnSession, resetSessionStoreForTests } from "@/lib/auth/storage";
import type { User } from "@/lib/types";
import { headerOf, jsonResponse, mockFetch, user } from "./helpers";

const router = { replace: vi.fn(), push: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

let latest: AuthContextValue;
function Probe() {
  const auth = useAuth();
  useEffect(() => {
    latest = auth;
  });
  const text = auth.isLoading ? "loading" : auth.isAuthenticated ? `in:${auth.user?.name}` : `out:${auth.endReason}`;
  return <p data-testid="state">{text}</p>;
}

/** The provider over a tab that already knows its session (signed out when `who` is null): no first look. */
function renderAuth(who: User | null = null, expiresAt: number | null = null) {
  learnSession(who, expiresAt);
  return render(
    <AuthProvider>
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

describe("learning who is signed in", () => {
  it("a page's first look asks the API once, with the cookie, and learns the user and the expiry", async () => {
    const until = inAnHour();
    const fetchMock = mockFetch(() => jsonResponse(200, { user, expires_at: until }));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    expect(state()).toBe("loading");
    await waitFor(() => expect(state()).toBe("in:Ada"));
    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/auth/session");
    expect(init.credentials).toBe("same-origin");
    expect(headerOf(init, "X-Session")).toBe("cookie");
    expect(getSession().expiresAt).toBe(Date.parse(until));
  });

  it("nobody signed in is signed out, with no reason to tell", async () => {
    mockFetch(() => jsonResponse(200, { user: null, expires_at: null }));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(state()).toBe("out:null"));
  });

  it("an API that cannot be reached shows the page signed out", async () => {
    mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    render(
      <AuthProvider>
        <Probe />
      </AuthProvider>,
    );
    await waitFor(() => expect(state()).toBe("out:null"));
  });

  it("a protected page's own session is used from the first render, without a request", async () => {
    const fetchMock = mockFetch(() => jsonResponse(500, {}));
    render(
      <AuthProvider>
        <PageSession session={{ user, expiresAt: Date.now() + 60_000, endReason: null, known: true }}>
          <Probe />
        </PageSession>
      </AuthProvider>,
    );
    expect(state()).toBe("in:Ada");
    await waitFor(() => expect(getSession().user).toEqual(user));
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("a session this tab believed in, refused on a second look, ends with the reason", async () => {
    mockFetch(() => jsonResponse(200, { user: null, expires_at: null }));
    renderAuth(user);
    await act(async () => {
      await latest.refresh();
    });
    expect(state()).toBe("out:unauthorized");
  });
});

describe("signing in and out", () => {
  it("login keeps the user but no token anywhere a script can read", async () => {
    const fetchMock = mockFetch(() => jsonResponse(200, { token_type: "bearer", user, expires_at: inAnHour() }));
    renderAuth();
    expect(state()).toBe("out:null");
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
    renderAuth(user);
    await act(async () => {
      await latest.logout();
    });
    expect(state()).toBe("out:logout");
  });

  it("a failed password change keeps the session", async () => {
    mockFetch(() => jsonResponse(400, { detail: "Current password is incorrect" }));
    renderAuth(user);
    await act(async () => {
      await expect(latest.changePassword("wrong", "new-password-1")).rejects.toThrow("Current password is incorrect");
    });
    expect(state()).toBe("in:Ada");
  });

  it("a 401 from any request ends the session with the reason", async () => {
    mockFetch(() => jsonResponse(401, { detail: "Token has been revoked" }));
    renderAuth(user);
    const { tasksApi } = await import("@/lib/api");
    await act(async () => {
      await tasksApi.list().catch(() => undefined);
    });
    expect(state()).toBe("out:unauthorized");
  });

  it("a 401 saying the token ran out ends it as expired", async () => {
    mockFetch(() => jsonResponse(401, { detail: "Token has expired" }));
    renderAuth(user);
    const { tasksApi } = await import("@/lib/api");
    await act(async () => {
      await tasksApi.list().catch(() => undefined);
    });
    expect(state()).toBe("out:expired");
  });
});

describe("expiry", () => {
  it("signs out when the session's time is up", async () => {
    vi.useFakeTimers();
    renderAuth(user, Date.now() + 5_000);
    expect(state()).toBe("in:Ada");
    await act(async () => {
      vi.advanceTimersByTime(5_001);
    });
    expect(state()).toBe("out:expired");
  });
});

describe("other tabs", () => {
  it("a sign-out in another tab signs this one out; a sign-in there signs this one in", async () => {
    renderAuth(user);
    const otherTab = new BroadcastChannel("todo-auth");
    otherTab.postMessage({ type: "signed-out", reason: "logout" });
    await waitFor(() => expect(state()).toBe("out:null"));
    otherTab.postMessage({ type: "signed-in", user: { ...user, name: "Ada L" }, expiresAt: null });
    await waitFor(() => expect(state()).toBe("in:Ada L"));
    otherTab.close();
  });

  it("a session the API refused in another tab ends here with the same reason", async () => {
    renderAuth(user);
    const otherTab = new BroadcastChannel("todo-auth");
    otherTab.postMessage({ type: "signed-out", reason: "unauthorized" });
    await waitFor(() => expect(state()).toBe("out:unauthorized"));
    otherTab.close();
  });
});
