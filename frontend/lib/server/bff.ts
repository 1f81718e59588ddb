// The backend-for-frontend: the web server holds the API token in an HttpOnly cookie of the web origin and
// forwards `{WEB_URL}/api/...` to the API with the bearer added. Page scripts never see a credential.
// Server-only (route handlers, server components and proxy.ts import it; no client component does).

/** Where the web server reaches the API (read at run time, not baked into the build). */
export function apiBase(): string {
  return (process.env.API_INTERNAL_URL || process.env.NEXT_PUBLIC_API_URL || "http://localhost:8000").replace(/\/+$/, "");
}

/** The web app's public origins: WEB_URL (comma list allowed) — what Origin must be on a state change. */
export function webOrigins(): string[] {
  const raw = process.env.WEB_URL || "http://localhost:3000";
  const out: string[] = [];
  for (const part of raw.split(",")) {
    try {
      out.push(new URL(part.trim()).origin);
    } catch {
      // an unreadable entry allows nothing
    }
  }
  return out;
}

/** Over https (WEB_URL says so) the cookie is Secure and `__Host-` prefixed (no Domain, Path=/). */
export function secureCookies(): boolean {
  return webOrigins().some((o) => o.startsWith("https://"));
}

export function sessionCookieName(secure: boolean = secureCookies()): string {
  return secure ? "__Host-todo_session" : "todo_session";
}

/** `Set-Cookie` for a token that expires at `exp` (unix seconds). */
export function sessionCookie(token: string, exp: number, nowMs: number = Date.now()): string {
  const secure = secureCookies();
  const maxAge = Math.max(0, Math.floor(exp - nowMs / 1000));
  const parts = [`${sessionCookieName(secure)}=${token}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${maxAge}`];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(): string {
  const secure = secureCookies();
  const parts = [`${sessionCookieName(secure)}=`, "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0"];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}

/** The token from a Cookie header, or null. */
export function tokenFromCookieHeader(header: string | null): string | null {
  if (!header) return null;
  const name = sessionCookieName();
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0) continue;
    if (pair.slice(0, eq).trim() === name) {
      const value = pair.slice(eq + 1).trim();
      return value && /^[A-Za-z0-9._~+/=-]+$/.test(value) ? value : null;
    }
  }
  return null;
}

/** The `exp` claim of a JWT (the web server reads it only to size the cookie; the API verifies tokens). */
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

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Forgery defence for a request that may change something: the browser must say it comes from this
 * site. `Sec-Fetch-Site` (sent by every current browser) must be `same-origin`, and `Origin` must be one of
 * the web app's origins (or, behind no proxy, the origin the request was addressed to). A request with
 * neither header is refused too: no browser sends a cross-site POST without them.
 * Returns null when allowed, else the reason.
 */
export function forgeryCheck(method: string, headers: Headers, requestOrigin: string | null): string | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return `Sec-Fetch-Site: ${site}`;
  const origin = headers.get("origin");
  if (origin === null) return site === null ? "no Origin or Sec-Fetch-Site" : null;
  const allowed = new Set(webOrigins());
  if (requestOrigin) allowed.add(requestOrigin);
  return allowed.has(origin) ? null : `Origin: ${origin}`;
}

/** Paths whose successful answer ends the browser session (the cookie is cleared). */
const SIGN_OUT_PATHS = new Set(["/api/auth/logout", "/api/auth/logout-all"]);

/** Request headers passed on to the API; everything else (cookies, the browser's own Authorization) stays. */
const FORWARDED_REQUEST_HEADERS = ["accept", "content-type", "user-agent", "accept-language"];
/** Response headers passed back to the browser (never the API's Set-Cookie or CORS headers). */
const FORWARDED_RESPONSE_HEADERS = ["content-type", "retry-after", "www-authenticate", "cache-control"];

export interface ForwardInput {
  method: string;
  /** `/api/...` with the query string. */
  pathAndQuery: string;
  headers: Headers;
  body: ArrayBuffer | null;
  /** The browser's address as the web server's own socket saw it (server.mjs puts it in X-Forwarded-For). */
  clientIp: string | null;
  requestOrigin: string | null;
}

/**
 * One browser request through the web app to the API. Answers like the API (same status and JSON) except:
 * a token in an answer (sign-in, register, password change, any flow that returns TokenResponse) becomes the
 * session cookie and is removed from the body (`expires_at` in its place), and sign-out clears the cookie.
 */
export async function forward(input: ForwardInput, fetchImpl: typeof fetch = fetch): Promise<Response> {
  const refused = forgeryCheck(input.method, input.headers, input.requestOrigin);
  if (refused) {
    return Response.json({ detail: "Cross-site request refused" }, { status: 403, headers: { "cache-control": "no-store" } });
  }
  const path = input.pathAndQuery.split("?")[0] ?? "";
  const token = tokenFromCookieHeader(input.headers.get("cookie"));
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = input.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (input.clientIp) headers.set("x-forwarded-for", input.clientIp);

  let upstream: Response;
  try {
    upstream = await fetchImpl(`${apiBase()}${input.pathAndQuery}`, {
      method: input.method,
      headers,
      body: input.body && input.body.byteLength > 0 ? input.body : undefined,
      cache: "no-store",
      redirect: "manual",
    });
  } catch {
    return Response.json({ detail: "Service temporarily unavailable" }, { status: 503 });
  }

  const out = new Headers({ "cache-control": "no-store" });
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) out.set(name, value);
  }
  let body: BodyInit | null = upstream.status === 204 || upstream.status === 304 ? null : await upstream.arrayBuffer();

  if (upstream.ok && body && (out.get("content-type") ?? "").includes("json")) {
    const issued = takeToken(body as ArrayBuffer);
    if (issued) {
      out.append("set-cookie", sessionCookie(issued.token, issued.exp));
      body = JSON.stringify(issued.rest);
      out.delete("content-length");
    }
  }
  const signedOut = input.method === "POST" && SIGN_OUT_PATHS.has(path) && (upstream.ok || upstream.status === 401);
  // A cookie the API no longer accepts is dropped too: the browser stops sending a dead credential.
  if (signedOut || (token && upstream.status === 401)) out.append("set-cookie", clearedSessionCookie());
  return new Response(body, { status: upstream.status, headers: out });
}

/** `{access_token, ...rest}` -> the token, its expiry and the rest with `expires_at` (ISO) added. */
function takeToken(raw: ArrayBuffer): { token: string; exp: number; rest: Record<string, unknown> } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  const { access_token: token, ...rest } = parsed as Record<string, unknown>;
  if (typeof token !== "string") return null;
  const exp = tokenExp(token);
  if (exp === null) return null;
  return { token, exp, rest: { ...rest, expires_at: new Date(exp * 1000).toISOString() } };
}
