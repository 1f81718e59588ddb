import { NextResponse, type NextRequest } from "next/server";
import { clearedSessionCookie, sessionCookieName, tokenExp } from "@/lib/server/bff";
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

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (isProtected(pathname)) {
    const token = request.cookies.get(sessionCookieName())?.value;
    // No cookie, or one whose token has run out (read from its own `exp`: no API call): no page byte.
    const exp = token ? tokenExp(token) : null;
    if (!token || (exp !== null && exp * 1000 <= Date.now())) {
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
