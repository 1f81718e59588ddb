// Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain, through a CDP session) and the switch
// that makes a page behave as a browser without passkey autofill. Shared by the passkey journeys
// (passkeys.test.mjs) and the tour of `make run` (scripts/tour.mjs); reads no environment.

/**
 * Chromium's virtual authenticator answers a conditional (autofill) request by itself as soon as the page makes
 * one. To press the button, a page opened with `sessionStorage.noAutofill` set behaves as a browser without
 * passkey autofill (the page then makes no conditional request).
 */
export async function withoutAutofillWhenAsked(page) {
  await page.addInitScript(() => {
    if (!window.PublicKeyCredential) return;
    window.__conditionalMediation = window.PublicKeyCredential.isConditionalMediationAvailable;
    if (sessionStorage.getItem("noAutofill")) {
      window.PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    }
  });
}

/**
 * Asks for (or stops asking for) no autofill: in the pages opened from now on, and in the one already open — a
 * sign-out lands on /login without loading a document, so the flag read when the page loaded would not do (its
 * /login then made a conditional request, which the authenticator answered, signing back in at once).
 */
export async function askNoAutofill(page, yes) {
  await page.evaluate((on) => {
    if (on) sessionStorage.setItem("noAutofill", "1");
    else sessionStorage.removeItem("noAutofill");
    if (window.PublicKeyCredential && window.__conditionalMediation) {
      const available = on ? async () => false : window.__conditionalMediation;
      window.PublicKeyCredential.isConditionalMediationAvailable = available;
    }
  }, yes);
}

/** A platform authenticator (internal, resident keys, user verification) on this page's browser context. */
export async function virtualAuthenticator(page, { isUserVerified = true } = {}) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified,
      automaticPresenceSimulation: true,
    },
  });
  return {
    cdp,
    authenticatorId,
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials,
    setUserVerified: (yes) => cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: yes }),
  };
}
