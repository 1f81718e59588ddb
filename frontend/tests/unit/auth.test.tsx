import { act, cleanup, render, renderHook, screen, waitFor } from "@testing-library/react";
import { useEffect } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthProvider, useAuth, type AuthContextValue } from "@/lib/auth/context";
import { resetSessionStoreForTests, TOKEN_KEY, USER_KEY } from "@/lib/auth/storage";
import { headerOf, jsonResponse, jwt, mockFetch, validToken } from "./helpers";

const router = { replace: vi.fn(), push: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() };
vi.mock("next/navigation", () => ({ useRouter: () => router }));

const user = { id: "u1", email: "ada@example.com", name: "Ada", created_at: "2026-01-01T00:00:00Z" };
const freshUser = { ...user, name: "Ada Lovelace" };

let latest: AuthContextValue;
function Probe() {
  const auth = useAuth();
  useEffect(() => {
    latest = auth;
  });
  return (
    <p data-testid="state">{auth.isLoading ? "loading" : auth.isAuthenticated ? `in:${auth.user?.name}` : "out"}</p>
  );
}

function renderAuth() {
  return render(
    <AuthProvider>
      <Probe />
    </AuthProvider>,
  );
}

const state = () => screen.getByTestId("state").textContent;

function store(token: string, u: object = user) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, JSON.stringify(u));
}

/** What another tab does: change localStorage, then the browser fires `storage` here. */
function otherTab(key: string, newValue: string | null) {
  if (newValue === null) localStorage.removeItem(key);
  else localStorage.setItem(key, newValue);
  window.dispatchEvent(new StorageEvent("storage", { key, newValue, storageArea: localStorage }));
}

beforeEach(() => {
  localStorage.clear();
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

describe("loading a stored session", () => {
  it("is signed out when nothing is stored, without calling the API", async () => {
    const fetchMock = mockFetch(() => jsonResponse(500, {}));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("checks a stored token with GET /api/auth/me before trusting it", async () => {
    const token = validToken();
    store(token);
    let answer: (r: Response) => void = () => {};
    const fetchMock = mockFetch(() => new Promise<Response>((resolve) => (answer = resolve)));
    renderAuth();
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    expect(state()).toBe("loading"); // nothing signed-in is shown until the API answers
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("http://localhost:8000/api/auth/me");
    expect(headerOf(init, "Authorization")).toBe(`Bearer ${token}`);
    await act(async () => answer(jsonResponse(200, freshUser)));
    await waitFor(() => expect(state()).toBe("in:Ada Lovelace"));
    expect(JSON.parse(localStorage.getItem(USER_KEY)!)).toEqual(freshUser);
    expect(latest.token).toBe(token);
    expect(latest.getToken()).toBe(token);
  });

  it("clears a token the API rejects", async () => {
    store(validToken());
    mockFetch(() => jsonResponse(401, { detail: "Invalid authentication token" }));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(localStorage.getItem(USER_KEY)).toBeNull();
  });

  it("clears an expired token without asking the API", async () => {
    const now = Math.floor(Date.now() / 1000);
    store(jwt({ sub: "u1", iat: now - 100, exp: now - 10 }));
    const fetchMock = mockFetch(() => jsonResponse(200, user));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    expect(fetchMock).not.toHaveBeenCalled();
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(latest.endReason).toBe("expired");
  });

  it("keeps the session when the API cannot be reached", async () => {
    store(validToken());
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
  });
});

describe("signing in and out", () => {
  it("login stores the token and user under the seed's keys", async () => {
    const token = validToken();
    mockFetch(() => jsonResponse(200, { access_token: token, token_type: "bearer", user }));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    await act(async () => {
      await latest.login(" ada@example.com ", "password123");
    });
    expect(state()).toBe("in:Ada");
    expect(localStorage.getItem(TOKEN_KEY)).toBe(token);
    expect(JSON.parse(localStorage.getItem(USER_KEY)!)).toEqual(user);
  });

  it("register sends the optional name only when given", async () => {
    const token = validToken();
    const fetchMock = mockFetch(() => jsonResponse(201, { access_token: token, token_type: "bearer", user }));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    await act(async () => {
      await latest.register("ada@example.com", "password123", "   ");
    });
    expect(JSON.parse(String(fetchMock.mock.calls[0]![1].body))).toEqual({
      email: "ada@example.com",
      password: "password123",
    });
    expect(state()).toBe("in:Ada");
  });

  it("logout revokes the token with the API, then clears storage", async () => {
    const token = validToken();
    store(token);
    const fetchMock = mockFetch((url) =>
      url.endsWith("/api/auth/me") ? jsonResponse(200, user) : new Response(null, { status: 204 }),
    );
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
    await act(async () => {
      await latest.logout();
    });
    const [url, init] = fetchMock.mock.calls[1]!;
    expect(url).toBe("http://localhost:8000/api/auth/logout");
    expect(init.method).toBe("POST");
    expect(headerOf(init, "Authorization")).toBe(`Bearer ${token}`);
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(state()).toBe("out");
    expect(latest.endReason).toBe("logout");
  });

  it("logout still signs out locally when the API cannot be reached", async () => {
    store(validToken());
    mockFetch((url) => {
      if (url.endsWith("/api/auth/me")) return jsonResponse(200, user);
      throw new TypeError("Failed to fetch");
    });
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
    await act(async () => {
      await latest.logout();
    });
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(state()).toBe("out");
  });

  it("changePassword keeps the user signed in with the fresh token", async () => {
    const token = validToken("u1", 3600);
    const fresh = validToken("u1", 7200);
    store(token);
    mockFetch((url) =>
      url.endsWith("/api/auth/me")
        ? jsonResponse(200, user)
        : jsonResponse(200, { access_token: fresh, token_type: "bearer", user }),
    );
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
    await act(async () => {
      await latest.changePassword("old-password", "new-password");
    });
    expect(localStorage.getItem(TOKEN_KEY)).toBe(fresh);
    expect(state()).toBe("in:Ada");
  });

  it("signs out when the token's exp passes", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    store(validToken("u1", 5));
    mockFetch(() => jsonResponse(200, user));
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
    await act(async () => {
      vi.advanceTimersByTime(6_000);
    });
    expect(state()).toBe("out");
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(latest.endReason).toBe("expired");
  });
});

describe("other tabs", () => {
  it("signing out in another tab signs this one out", async () => {
    store(validToken());
    mockFetch(() => jsonResponse(200, user));
    renderAuth();
    await waitFor(() => expect(state()).toBe("in:Ada"));
    act(() => {
      otherTab(USER_KEY, null);
      otherTab(TOKEN_KEY, null);
    });
    expect(state()).toBe("out");
    expect(latest.endReason).toBeNull(); // so this tab returns to where it was after signing in again
  });

  it("signing in in another tab signs this one in (after checking the token)", async () => {
    const token = validToken();
    const fetchMock = mockFetch(() => jsonResponse(200, user));
    renderAuth();
    await waitFor(() => expect(state()).toBe("out"));
    act(() => {
      otherTab(TOKEN_KEY, token);
      otherTab(USER_KEY, JSON.stringify(user));
    });
    await waitFor(() => expect(state()).toBe("in:Ada"));
    expect(headerOf(fetchMock.mock.calls[0]![1], "Authorization")).toBe(`Bearer ${token}`);
  });
});
