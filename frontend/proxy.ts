// Runs before a page only where the visitor's session decides something (see `config.matcher`); every other
// path — the public pages, built once and served as files with their own hash-based CSP (scripts/csp-hashes.mjs),
// `/_next/static`, and `/api/...`, which never reaches Next.js — goes by untouched.
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, sha256Source } from "@/lib/csp.mjs";
import { loginUrl, postLoginPath } from "@/lib/navigation";
import { apiGet } from "@/lib/server/api";
import { clearedSessionCookie, liveUntil, sessionCookieName } from "@/lib/server/cookie";
import { THEME_SCRIPT } from "@/lib/theme";

/** The root layout's inline theme script, allowed by its hash (it carries no nonce: the layout is static). */
const THEME_HASH = sha256Source(THEME_SCRIPT);

/** A protected page's policy: the request's nonce (Next.js stamps it on its own scripts) and the theme's hash. */
export function protectedPageCsp(nonce: string, dev = process.env.NODE_ENV === "development"): string {
  return contentSecurityPolicy([`'nonce-${nonce}'`, "'strict-dynamic'", THEME_HASH], dev);
}

function redirectTo(path: string, request: NextRequest, clearCookie: boolean): NextResponse {
  const response = NextResponse.redirect(new URL(path, request.url), 307);
  if (clearCookie) response.headers.append("set-cookie", clearedSessionCookie());
  return response;
}

/**
 * The gate of the protected pages, decided on the cookie alone (no API call): without a cookie whose token
 * has not run out, a redirect to /login?next=<path> with no page byte (and a dead cookie goes). Otherwise the
 * page renders with its one API call (lib/server/page-data.ts), under a per-request nonce CSP.
 */
function protectedPage(request: NextRequest, token: string | undefined): NextResponse {
  const { pathname, search } = request.nextUrl;
  if (liveUntil(token) === null) return redirectTo(loginUrl(`${pathname}${search}`), request, !!token);
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = protectedPageCsp(nonce);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", csp); // where Next.js reads the nonce from
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

/**
 * /login or /register visited with a session cookie (only then does this run): a live session goes on to
 * `?next=` (or /tasks) at once; one the API refuses (ended on another device) is dropped with the page.
 */
async function signInPage(request: NextRequest, token: string): Promise<NextResponse> {
  let status: number;
  try {
    status = (await apiGet("/api/auth/me", token)).status;
  } catch {
    return NextResponse.next(); // the API is away: the page itself will tell
  }
  if (status === 401) {
    const response = NextResponse.next();
    response.headers.append("set-cookie", clearedSessionCookie());
    response.headers.set("cache-control", "private, no-store"); // this answer is this visitor's alone
    return response;
  }
  if (status === 200) return redirectTo(postLoginPath(request.nextUrl.searchParams.get("next")), request, false);
  return NextResponse.next();
}

export async function proxy(request: NextRequest): Promise<NextResponse> {
  const token = request.cookies.get(sessionCookieName())?.value;
  const { pathname } = request.nextUrl;
  if (pathname === "/login" || pathname === "/register") {
    return token ? signInPage(request, token) : NextResponse.next();
  }
  return protectedPage(request, token);
}

// The one list of protected pages, and the sign-in pages when a session cookie (either name) comes along.
export const config = {
  matcher: [
    { source: "/tasks/:path*" },
    { source: "/account/:path*" },
    { source: "/:page(login|register)", has: [{ type: "cookie", key: "todo_session" }] },
    { source: "/:page(login|register)", has: [{ type: "cookie", key: "__Host-todo_session" }] },
  ],
};
