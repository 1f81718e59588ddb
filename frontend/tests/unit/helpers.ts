import { vi } from "vitest";
import type { User } from "@/lib/types";

/** The signed-in user of the unit tests (token subject "u1", as `validToken`'s default). */
export const user: User = {
  id: "u1",
  email: "ada@example.com",
  name: "Ada",
  created_at: "2026-01-01T00:00:00Z",
  email_verified: false,
  two_factor_enabled: false,
};

export function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}.c2lnbmF0dXJl`;
}

export function validToken(sub = "u1", secondsLeft = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt({ sub, email: `${sub}@example.com`, iat: now, exp: now + secondsLeft });
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** Stubs global fetch with a handler; returns the mock so calls can be inspected. */
export function mockFetch(handler: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const fn = vi.fn(async (input: RequestInfo | URL, init: RequestInit) => handler(String(input), init ?? {}));
  vi.stubGlobal("fetch", fn);
  return fn;
}

export function headerOf(init: RequestInit | undefined, name: string): string | undefined {
  const headers = (init?.headers ?? {}) as Record<string, string>;
  return headers[name];
}
