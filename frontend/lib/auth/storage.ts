// Who is signed in, as this tab knows it. No credential lives here or anywhere a script can read: the
// token is in an HttpOnly cookie that only the web server sees (lib/server/bff.ts). This module keeps the
// user and when the session expires (neither is a secret), is an external store for React, and tells the
// other tabs of this browser about sign-in and sign-out (BroadcastChannel).
import type { User } from "@/lib/types";

/** Why the session ended, so pages can tell "you signed out" from "your session was taken away". */
export type EndReason = "logout" | "expired" | "unauthorized" | null;

export interface Session {
  user: User | null;
  /** When the session ends (ms since the epoch), or null when unknown / signed out. */
  expiresAt: number | null;
  /** Set when this tab ended the session; null for a session ended in another tab. */
  endReason: EndReason;
}

export const SIGNED_OUT: Session = { user: null, expiresAt: null, endReason: null };

type Message =
  | { type: "signed-in"; user: User; expiresAt: number | null }
  | { type: "signed-out" }
  // "The account changed on the server: read it again" (e.g. the email was confirmed in this tab).
  | { type: "refresh" };

const CHANNEL = "todo-auth";
const listeners = new Set<() => void>();
const refreshListeners = new Set<() => void>();
let session: Session = SIGNED_OUT;
let initialised = false;
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
  if (msg?.type === "signed-in") set({ user: msg.user, expiresAt: msg.expiresAt, endReason: null }, null);
  else if (msg?.type === "signed-out") set(SIGNED_OUT, null);
  else if (msg?.type === "refresh") for (const listener of [...refreshListeners]) listener();
}

/** The session the server rendered this page for; taken once per page load (later renders keep the store). */
export function initSession(initial: Session): void {
  if (initialised) return;
  initialised = true;
  session = initial;
}

export function getSession(): Session {
  return session;
}

export function saveSession(user: User, expiresAt: number | null): void {
  set({ user, expiresAt, endReason: null }, { type: "signed-in", user, expiresAt });
}

/** The same session with the user's record refreshed (e.g. two-factor turned on), in every tab. */
export function saveUser(user: User): void {
  if (!session.user) return;
  saveSession(user, session.expiresAt);
}

/** Ends the session in this tab and every other tab of this browser. */
export function clearSession(reason: Exclude<EndReason, null> = "unauthorized"): void {
  if (!session.user && session.endReason === reason) return;
  set({ ...SIGNED_OUT, endReason: reason }, { type: "signed-out" });
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
  session = SIGNED_OUT;
  initialised = false;
  channel?.close();
  channel = null;
  listeners.clear();
  refreshListeners.clear();
}
