// The session cookie as the web server sees it: its name and the expiry its token states. The API writes
// and reads the cookie (backend/src/web_session.rs); the web server only looks at it to turn a signed-out
// visitor away before rendering (proxy.ts) and to call the API for a page (lib/server/page-data.ts).
import "server-only";

/** WEB_URL's origins (comma list): any https one makes the cookie Secure and `__Host-` named, as in the API. */
function secure(): boolean {
  return (process.env.WEB_URL || "http://localhost:3000").split(",").some((u) => u.trim().startsWith("https://"));
}

export function sessionCookieName(): string {
  return secure() ? "__Host-todo_session" : "todo_session";
}

/** A `Set-Cookie` that removes the session cookie (a dead one goes with the redirect that turns it away). */
export function clearedSessionCookie(): string {
  return `${sessionCookieName()}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure() ? "; Secure" : ""}`;
}

/**
 * The `exp` claim (unix seconds) of the cookie's JWT, read without verifying it: the web server only
 * decides whether a visitor is worth rendering for; the API verifies the token on the page's own call.
 */
export function tokenExp(token: string): number | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === "number" && Number.isFinite(exp) ? exp : null;
  } catch {
    return null;
  }
}

/** A cookie worth rendering for: present, with an `exp` that can be read and has not passed. */
export function liveUntil(token: string | undefined, nowMs: number = Date.now()): number | null {
  if (!token) return null;
  const exp = tokenExp(token);
  return exp !== null && exp * 1000 > nowMs ? exp * 1000 : null;
}
