// The browser's half of passkeys, on @simplewebauthn/browser: it turns the API's options (JSON, binary values
// base64url) into navigator.credentials calls and the authenticator's answer back into JSON, and handles
// conditional mediation (passkey autofill) and the abort of a pending ceremony when another starts.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { passkeysApi } from "@/lib/api";
import type { PasskeyInfo, SignedIn } from "@/lib/types";

export { browserSupportsWebAuthn as passkeysSupported, browserSupportsWebAuthnAutofill as passkeyAutofillSupported };

/** What a person is told when a ceremony fails in the browser (never a stack trace). */
export function passkeyErrorMessage(err: unknown, action: "sign-in" | "add"): string | null {
  const name = err instanceof Error ? err.name : "";
  // A ceremony aborted because another one started (autofill, then the button): nothing to say.
  if (name === "AbortError") return null;
  if (name === "NotAllowedError") {
    return action === "sign-in"
      ? "Passkey sign-in was cancelled, or no passkey for this site was chosen."
      : "Adding the passkey was cancelled.";
  }
  if (name === "InvalidStateError") return "This device already holds a passkey for your account.";
  if (name === "SecurityError") return "This site cannot use passkeys at this address.";
  if (err instanceof Error && err.message && !(err instanceof TypeError)) return err.message;
  return action === "sign-in" ? "Passkey sign-in did not work. Try again." : "The passkey could not be added.";
}

/**
 * A passkey sign-in: the API's options, the browser's dialog (or, with `autofill`, the email field's
 * suggestions: it waits until one is picked), the API's check. Answers the sign-in (the session cookie is set).
 */
export async function signInWithPasskey(autofill: boolean): Promise<SignedIn> {
  const { ceremony_id, options } = await passkeysApi.loginStart();
  const credential = await startAuthentication({
    optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
    useBrowserAutofill: autofill,
  });
  return passkeysApi.loginFinish(ceremony_id, credential);
}

/** Ends a pending autofill ceremony (leaving the page). */
export function cancelPasskeyCeremony() {
  WebAuthnAbortService.cancelCeremony();
}

/** Adds a passkey to the signed-in account: the proof, the browser's dialog, the API's check. */
export async function addPasskey(currentPassword: string | null, name?: string): Promise<PasskeyInfo> {
  const { ceremony_id, options } = await passkeysApi.registerStart(currentPassword);
  const credential = await startRegistration({
    optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON,
  });
  return passkeysApi.registerFinish(ceremony_id, credential, name);
}
