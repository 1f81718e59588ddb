// The session lives in localStorage under the seed's keys. This module is the only code that touches
// them, and it is an external store (subscribe/getSnapshot) so React, other tabs and the API client all
// see one truth: a write here, or in another tab (the `storage` event), reaches every subscriber.
import type { User } from "@/lib/types";

export const TOKEN_KEY = "auth_token";
export const USER_KEY = "auth_user";

/** Why the session ended, so pages can tell "you signed out" from "your session was taken away". */
export type EndReason = "logout" | "expired" | "unauthorized" | null;

export interface Session {
  token: string | null;
  user: User | null;
  /** Set when this tab ended the session; null for a session ended in another tab. */
  endReason: EndReason;
}

const listeners = new Set<() => void>();
let endReason: EndReason = null;
let cache: { rawToken: string | null; rawUser: string | null; endReason: EndReason; session: Session } | null =
  null;

function safeGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function parseUser(raw: string | null): User | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === "object" && typeof (value as User).email === "string") return value as User;
  } catch {
    // a corrupt auth_user is treated as absent; /api/auth/me will refill it
  }
  return null;
}

function emit(): void {
  for (const listener of [...listeners]) listener();
}

export function getSession(): Session {
  const rawToken = safeGet(TOKEN_KEY);
  const rawUser = safeGet(USER_KEY);
  if (cache && cache.rawToken === rawToken && cache.rawUser === rawUser && cache.endReason === endReason) {
    return cache.session;
  }
  const session: Session = { token: rawToken || null, user: rawToken ? parseUser(rawUser) : null, endReason };
  cache = { rawToken, rawUser, endReason, session };
  return session;
}

export function getStoredToken(): string | null {
  return safeGet(TOKEN_KEY) || null;
}

export function saveSession(token: string, user: User): void {
  endReason = null;
  window.localStorage.setItem(TOKEN_KEY, token);
  window.localStorage.setItem(USER_KEY, JSON.stringify(user));
  emit();
}

export function saveUser(user: User): void {
  window.localStorage.setItem(USER_KEY, JSON.stringify(user));
  emit();
}

/** Removes both keys (the seed's 401 behaviour). */
export function clearSession(reason: Exclude<EndReason, null> = "unauthorized"): void {
  endReason = reason;
  try {
    window.localStorage.removeItem(TOKEN_KEY);
    window.localStorage.removeItem(USER_KEY);
  } catch {
    // storage unavailable: nothing to clear
  }
  emit();
}

function onStorage(event: StorageEvent): void {
  // key === null means localStorage.clear() in another tab
  if (event.key === null || event.key === TOKEN_KEY || event.key === USER_KEY) {
    endReason = null;
    emit();
  }
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener("storage", onStorage);
  };
}

/** The `exp` claim (seconds since the epoch) of a JWT, or null when it has none or is not a JWT. */
export function tokenExpiry(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
    const claims: unknown = JSON.parse(atob(b64));
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

export function isExpired(token: string, nowMs: number = Date.now()): boolean {
  const exp = tokenExpiry(token);
  return exp !== null && exp * 1000 <= nowMs;
}

/** For tests only. */
export function resetSessionStoreForTests(): void {
  endReason = null;
  cache = null;
}
