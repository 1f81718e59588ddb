// The session as server components see it: the cookie read on the server, checked with the API. One
// look-up per request (React's cache), shared by the root layout and the protected pages.
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { cache } from "react";
import type { Session } from "@/lib/auth/storage";
import { loginUrl } from "@/lib/navigation";
import { apiBase, sessionCookieName, tokenExp } from "@/lib/server/bff";
import type { User } from "@/lib/types";

export const SIGNED_OUT_SESSION: Session = { user: null, expiresAt: null, endReason: null };

async function sessionToken(): Promise<string | null> {
  return (await cookies()).get(sessionCookieName())?.value || null;
}

/** GET an API path with the visitor's token; `null` when there is no session or the API refuses it (401). */
export async function apiGetWithSession<T>(path: string): Promise<T | null> {
  const token = await sessionToken();
  if (!token) return null;
  const res = await fetch(`${apiBase()}${path}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    cache: "no-store",
  });
  if (res.status === 401) return null;
  if (!res.ok) throw new Error(`The API answered ${res.status} for ${path}`);
  return (await res.json()) as T;
}

/** The visitor's session (signed out when there is no cookie or the API no longer accepts it). */
export const currentSession = cache(async (): Promise<Session> => {
  const token = await sessionToken();
  if (!token) return SIGNED_OUT_SESSION;
  let user: User | null;
  try {
    user = await apiGetWithSession<User>("/api/auth/me");
  } catch {
    // The API is away: render signed out rather than fail every page; protected pages then redirect.
    return SIGNED_OUT_SESSION;
  }
  if (!user) return SIGNED_OUT_SESSION;
  const exp = tokenExp(token);
  return { user, expiresAt: exp === null ? null : exp * 1000, endReason: null };
});

/** For a protected page: the signed-in session, or an HTTP redirect to /login?next=<path> before any byte. */
export async function requireSession(path: string): Promise<Session> {
  const session = await currentSession();
  if (!session.user) redirect(loginUrl(path));
  return session;
}
