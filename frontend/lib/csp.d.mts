/** `'sha256-…'` for an inline script's text. */
export function sha256Source(text: string): string;
/** The page policy with these script sources besides 'self' (a nonce and 'strict-dynamic', or hashes). */
export function contentSecurityPolicy(scriptSources: readonly string[], dev?: boolean): string;
