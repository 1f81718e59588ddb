import { NextResponse, type NextRequest } from "next/server";
import { apiBase, clearedSessionCookie, sessionCookieName, tokenExp } from "@/lib/server/bff";
import { loginUrl } from "@/lib/navigation";

/** Pages only a signed-in visitor may see. Without a session cookie: an HTTP redirect, no page byte. */
const PROTECTED = ["/tasks", "/account"];

function isProtected(pathname: string): boolean {
  return PROTECTED.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/**
 * Content-Security-Policy with a fresh nonce per request. Scripts run only when they carry the nonce
 * (Next.js stamps it on its own scripts; the root layout on the theme script), so an injected
 * <script> or inline handler does not run. Styles allow 'unsafe-inline' because react-hot-toast
 * injects its CSS at run time; style injection cannot run code or reach another host.
 */
export function buildCsp(nonce: string, dev = process.env.NODE_ENV === "development"): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    // The browser talks to this origin only: the web server forwards /api/... to the API.
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    "worker-src 'self'",
  ].join("; ");
}

/**
 * Whether the API still accepts this token (one `GET /api/auth/me`). An API that cannot be reached or answers
 * an error is not a refusal: the page then decides (its layout asks again; the visitor is not signed out).
 */
async function refusedByApi(token: string): Promise<boolean> {
  try {
    const res = await fetch(`${apiBase()}/api/auth/me`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      cache: "no-store",
    });
    return res.status === 401;
  } catch {
    return false;
  }
}

export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (isProtected(pathname)) {
    const token = request.cookies.get(sessionCookieName())?.value;
    // No cookie, one whose token has run out (its own `exp`, no API call), or one the API no longer accepts
    // (ended elsewhere, signed with another key): a redirect with no page byte, and the dead cookie goes.
    const exp = token ? tokenExp(token) : null;
    if (!token || (exp !== null && exp * 1000 <= Date.now()) || (await refusedByApi(token))) {
      const response = NextResponse.redirect(new URL(loginUrl(`${pathname}${search}`), request.url), 307);
      if (token) response.headers.append("set-cookie", clearedSessionCookie());
      return response;
    }
  }
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = buildCsp(nonce);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("Content-Security-Policy", csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!_next/static|_next/image|favicon.ico|icon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
