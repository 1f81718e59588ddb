// The Content-Security-Policy of every page, written once. Used by proxy.ts (protected pages, rendered per
// request: a fresh nonce) and by scripts/csp-hashes.mjs after `next build` (public pages, built once: the
// hashes of their inline scripts). Either way no inline script runs without its hash or the request's nonce,
// so an injected <script> or inline handler does not run.
// Plain JavaScript (with lib/csp.d.mts for TypeScript) because the build script runs in plain Node.
import { createHash } from "node:crypto";

/** `'sha256-…'` for an inline script's text (what a browser compares it with). */
export function sha256Source(text) {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * The policy, given what may run besides this origin's script files: `'nonce-…' 'strict-dynamic'` for a
 * page rendered per request, the inline scripts' hashes for a page built once. Styles allow 'unsafe-inline'
 * because react-hot-toast injects its CSS at run time (style injection runs no code and reaches no host).
 */
export function contentSecurityPolicy(scriptSources, dev = false) {
  return [
    "default-src 'self'",
    `script-src 'self' ${scriptSources.join(" ")}${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    // The browser talks to this origin only: /api/... is routed to the API by path.
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "manifest-src 'self'",
    "worker-src 'self'",
  ].join("; ");
}
