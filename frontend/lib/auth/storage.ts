// Who is signed in, as this tab knows it. No credential lives here or anywhere a script can read: the
// token is in an HttpOnly cookie that only the API reads and writes. This module keeps the user and when
// the session expires (neither is a secret), is an external store for React, and tells the other tabs of
// this browser about sign-in and sign-out (BroadcastChannel).
//
// A page is served the same to everyone (the public pages are static files), so a tab starts not knowing
// (`known: false`): it asks the API once (`GET /api/auth/me`, lib/auth/context.tsx), unless a protected
// page rendered on the server already said who it is (lib/auth/page-session.tsx).
import type { User } from "@/lib/types";

/**
 * Why the session ended, so pages can say so: "logout" (signed out here), "expired" (its time ran out),
 * "unauthorized" (the API refused it: ended on another device, a password change, sign out everywhere).
 */
export type EndReason = "logout" | "expired" | "unauthorized" | null;

export interface Session {
  user: User | null;
  /** When the session ends (ms since the epoch), or null when unknown / signed out. */
  expiresAt: number | null;
  /** Why it ended; null while signed in, for a visitor who never signed in, or a sign-out in another tab. */
  endReason: EndReason;
  /** False until this tab has learnt whether anyone is signed in. */
  known: boolean;
}

/** Before this tab has asked (and on the server, where a static page is rendered for everyone). */
export const UNKNOWN: Session = { user: null, expiresAt: null, endReason: null, known: false };
export const SIGNED_OUT: Session = { user: null, expiresAt: null, endReason: null, known: true };

type Message =
  | { type: "signed-in"; user: User; expiresAt: number | null }
  | { type: "signed-out"; reason?: EndReason }
  // "The account changed on the server: read it again" (e.g. the email was confirmed in this tab).
  | { type: "refresh" };

const CHANNEL = "todo-auth";
const listeners = new Set<() => void>();
const refreshListeners = new Set<() => void>();
let session: Session = UNKNOWN;
let channel: BroadcastChannel | null = null;

function emit(): void {
  for (const listener of [...listeners]) listener();
}

function set(next: Session, broadcast: Message | null): void {
  session = next;
  if (broadcast) channel?.postMessage(broadcast);
  emit();
}

function onMessage(event: MessageEvent<Message>): void {
  const msg = event.data;
  if (msg?.type === "signed-in") set({ user: msg.user, expiresAt: msg.expiresAt, endReason: null, known: true }, null);
  // A refused or expired session is news for every tab (each says why); a sign-out is this person's own doing.
  else if (msg?.type === "signed-out") {
    const reason = msg.reason === "unauthorized" || msg.reason === "expired" ? msg.reason : null;
    set({ ...SIGNED_OUT, endReason: reason }, null);
  } else if (msg?.type === "refresh") for (const listener of [...refreshListeners]) listener();
}

export function getSession(): Session {
  return session;
}

/** What the server rendered a page with, or what the API said: this tab now knows (no other tab is told). */
export function learnSession(user: User | null, expiresAt: number | null): void {
  if (!user) {
    if (!session.known) set(SIGNED_OUT, null);
    return;
  }
  set({ user, expiresAt, endReason: null, known: true }, null);
}

/** A sign-in here: this tab and every other tab of this browser. */
export function saveSession(user: User, expiresAt: number | null): void {
  set({ user, expiresAt, endReason: null, known: true }, { type: "signed-in", user, expiresAt });
}

/** The same session with the user's record refreshed (e.g. two-factor turned on), in every tab. */
export function saveUser(user: User): void {
  if (!session.user) return;
  saveSession(user, session.expiresAt);
}

/** Ends the session in this tab and every other tab of this browser. */
export function clearSession(reason: Exclude<EndReason, null> = "unauthorized"): void {
  if (!session.user && session.known && session.endReason === reason) return;
  set({ ...SIGNED_OUT, endReason: reason }, { type: "signed-out", reason });
}

/** Asks the other tabs of this browser to read the signed-in user again (lib/auth/refresh.ts). */
export function askOtherTabsToRefresh(): void {
  channel?.postMessage({ type: "refresh" } satisfies Message);
}

/** Runs `listener` when another tab asks for a refresh; returns the unsubscribe. */
export function onRefreshRequest(listener: () => void): () => void {
  refreshListeners.add(listener);
  return () => refreshListeners.delete(listener);
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!channel && typeof BroadcastChannel !== "undefined") {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = onMessage;
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && channel) {
      channel.close();
      channel = null;
    }
  };
}

/** For tests only. */
export function resetSessionStoreForTests(): void {
  session = UNKNOWN;
  channel?.close();
  channel = null;
  listeners.clear();
  refreshListeners.clear();
}
