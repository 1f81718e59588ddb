// Same-origin redirect targets and the one place that knows how to leave the current page.

const LOGIN_PATHS = ["/login", "/register"];

/**
 * Returns `value` when it is a path on this origin ("/tasks?filter=pending"), otherwise null.
 * Absolute URLs ("https://evil.example"), protocol-relative ones ("//evil.example"), backslash
 * tricks ("/\\evil.example") and anything with control characters are refused, so `?next=` can
 * never send a user to another site.
 */
export function sanitizeNext(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return null;
  if (!value.startsWith("/") || value.startsWith("//")) return null;
  // Browsers read "\" as "/" and drop tabs/newlines, so "/\evil" or "/\t/evil" would become "//evil".
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return null;
  const base = "http://same-origin.invalid";
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return null;
  }
  if (url.origin !== base) return null;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** Where a signed-in user goes from /login or /register: `next` when safe (and not an auth page), else /tasks. */
export function postLoginPath(next: unknown): string {
  const safe = sanitizeNext(next);
  if (!safe) return "/tasks";
  const pathname = safe.split(/[?#]/)[0] ?? "";
  if (LOGIN_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`))) return "/tasks";
  return safe;
}

/** `/login?next=<path>`; `/` is left out on purpose, and auth pages never become a `next`. */
export function loginUrl(currentPath?: string | null): string {
  const next = currentPath ? sanitizeNext(currentPath) : null;
  if (!next || next === "/" || postLoginPath(next) !== next) return "/login";
  // "/" is legal in a query string; keeping it readable gives /login?next=/tasks
  return `/login?next=${encodeURIComponent(next).replace(/%2F/gi, "/")}`;
}

export function currentPath(): string {
  if (typeof window === "undefined") return "/";
  return `${window.location.pathname}${window.location.search}`;
}
