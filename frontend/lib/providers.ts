// Sign-in with an OpenID Connect provider, in the browser: what the API's `?error=<code>` means (the words are
// ours; nothing from the URL is ever shown as is), and the two-factor step handed over in the URL's fragment.

/** The message for a provider flow's `?error=` code, naming the provider; null for a code that is not one. */
export function providerErrorMessage(code: string | null, providerName: string): string | null {
  if (!code || !code.startsWith("oidc_")) return null;
  switch (code) {
    case "oidc_cancelled":
      return `Signing in with ${providerName} was cancelled.`;
    case "oidc_expired":
      return `That sign-in with ${providerName} has expired or was already used. Please start again.`;
    case "oidc_unavailable":
      return `${providerName} cannot be reached right now. Please try again in a few minutes.`;
    case "oidc_unverified_email":
      return `${providerName} did not confirm your email address.`;
    case "oidc_unusable_email":
      return `${providerName} gave an email address that cannot be used here.`;
    case "oidc_linked_elsewhere":
      return `That ${providerName} account is already linked to another account here.`;
    case "oidc_verify_email_first":
      return "Please verify your email address first.";
    case "oidc_throttled":
      return "Too many sign-in attempts from your network. Please wait a few minutes and try again.";
    case "oidc_unknown_provider":
      return "That sign-in provider is not available.";
    default:
      return `Signing in with ${providerName} did not work. Please try again.`;
  }
}

/**
 * The `mfa_token` the API hands over in the fragment after a provider sign-in of a two-factor account
 * (`/login?next=…#mfa_token=…`): read once and taken out of the address bar and history, so it is neither
 * bookmarked nor left behind. A fragment never reaches a server, so no log holds it.
 */
export function takeProviderMfaToken(): string | null {
  if (typeof window === "undefined") return null;
  const match = /^#mfa_token=([A-Za-z0-9_-]{20,200})$/.exec(window.location.hash);
  if (!match) return null;
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${window.location.search}`);
  return match[1] ?? null;
}
