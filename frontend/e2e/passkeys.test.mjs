// Passkeys in Chromium with its virtual authenticator (the DevTools protocol's WebAuthn domain, reached through a
// CDP session): register, add a passkey on /account (the password first), sign out, sign in with the passkey by
// the button and by autofill on the email field, remove it; another browser whose authenticator lacks the
// credential is refused with a clear message; a cancelled ceremony says so. Chromium runs WebAuthn only on a
// domain (never on 127.0.0.1): these journeys use the web app as http://localhost:<port>, whose RP id the API
// is given (WEBAUTHN_RP_ID=localhost in scripts/e2e.sh).
import assert from "node:assert/strict";
import { LOCALHOST_URL, PASSWORD, screenshot, signUp, test, toast, uniqueEmail, waitForPath, waitForToastsGone } from "./helpers.mjs";
import { askNoAutofill, virtualAuthenticator, withoutAutofillWhenAsked } from "./virtual-authenticator.mjs";

test.use({ baseURL: LOCALHOST_URL });

async function addPasskeyOnAccount(page) {
  await page.goto("/account");
  const section = page.getByTestId("passkeys");
  await section.getByRole("button", { name: "Add a passkey" }).click();
  await section.getByLabel("Current password").fill(PASSWORD);
  await section.getByRole("button", { name: "Continue" }).click();
}

async function signOut(page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
}

test("a passkey is added on /account, signs in by the button and by autofill, and is removed", async ({ page, guard }) => {
  // A refused passkey sign-in and a removal's refresh may log the browser's own "Failed to load resource" line.
  guard.allow(/Failed to load resource: the server responded with a status of 401/);
  const authenticator = await virtualAuthenticator(page);
  await withoutAutofillWhenAsked(page);
  const email = uniqueEmail("passkey");
  await signUp(page, { email });
  await waitForPath(page, "/tasks");

  await addPasskeyOnAccount(page);
  await toast(page, "Passkey added").waitFor();
  const section = page.getByTestId("passkeys");
  await section.getByText("Chrome on Linux").first().waitFor();
  await assert.doesNotReject(section.getByText(/Added .* · never used/).waitFor());
  const held = await authenticator.credentials();
  assert.equal(held.length, 1, "the authenticator holds one credential");
  assert.equal(held[0].isResidentCredential, true, "a discoverable credential");
  assert.equal(held[0].rpId, "localhost");

  // Renamed.
  await section.getByRole("button", { name: "Rename Chrome on Linux" }).click();
  await section.getByLabel("Passkey name").fill("My laptop");
  await section.getByRole("button", { name: "Save" }).click();
  await section.getByText("My laptop").waitFor();
  await waitForToastsGone(page);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, "passkeys-account");

  // Signed out, then in with the button: no email typed. No autofill is asked for before signing out: the
  // sign-out lands on /login, whose conditional request the virtual authenticator would answer at once.
  await askNoAutofill(page, true);
  await signOut(page);
  await page.goto("/login");
  const button = page.getByRole("button", { name: "Sign in with a passkey" });
  await button.waitFor();
  assert.equal(await page.getByLabel("Email").getAttribute("autocomplete"), "username webauthn");
  await screenshot(page, "passkeys-login");
  await button.click();
  await waitForPath(page, "/tasks");
  await toast(page, "Signed in").waitFor();

  // "Where you're signed in" lists the session; /account says the passkey was used.
  await page.goto("/account");
  await page.getByTestId("passkeys").getByText(/last used/).waitFor();

  // Signed out, then in by autofill: the page starts a conditional request as it loads (the email field says
  // "username webauthn"), which the virtual authenticator answers as a person picking the suggested passkey.
  await signOut(page);
  await askNoAutofill(page, false);
  await page.goto("/login");
  await waitForPath(page, "/tasks");
  await toast(page, "Signed in").waitFor();

  // Removed (the account keeps its password): the authenticator's credential no longer signs in.
  await page.goto("/account");
  const again = page.getByTestId("passkeys");
  await again.getByRole("button", { name: "Remove My laptop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Remove" }).click();
  await toast(page, "was removed").waitFor();
  await again.getByText("No passkeys yet").waitFor();
  await askNoAutofill(page, true);
  await signOut(page);
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await page.getByTestId("passkey-error").waitFor();
  assert.match(await page.getByTestId("passkey-error").innerText(), /Passkey sign-in failed/);
  assert.equal(new URL(page.url()).pathname, "/login");
});

test("another browser whose authenticator lacks the credential is refused with a clear message", async ({
  page,
  newSession,
}) => {
  await virtualAuthenticator(page);
  await signUp(page, { email: uniqueEmail("passkey-other") });
  await waitForPath(page, "/tasks");
  await addPasskeyOnAccount(page);
  await toast(page, "Passkey added").waitFor();

  const other = await newSession({ baseURL: LOCALHOST_URL });
  await virtualAuthenticator(other.page);
  await other.page.goto("/login");
  await other.page.getByRole("button", { name: "Sign in with a passkey" }).click();
  const error = other.page.getByTestId("passkey-error");
  await error.waitFor();
  assert.match(await error.innerText(), /no passkey for this site was chosen|cancelled/);
  assert.equal(new URL(other.page.url()).pathname, "/login");
});

test("a cancelled ceremony says so, on /login and on /account", async ({ page }) => {
  const authenticator = await virtualAuthenticator(page);
  await signUp(page, { email: uniqueEmail("passkey-cancel") });
  await waitForPath(page, "/tasks");

  // The person does not verify (the authenticator's user verification fails): adding is cancelled.
  await authenticator.setUserVerified(false);
  await addPasskeyOnAccount(page);
  const section = page.getByTestId("passkeys");
  await section.getByText("Adding the passkey was cancelled.").waitFor();
  assert.equal((await authenticator.credentials()).length, 0);

  await authenticator.setUserVerified(true);
  await section.getByRole("button", { name: "Continue" }).click();
  await toast(page, "Passkey added").waitFor();

  await signOut(page);
  await authenticator.setUserVerified(false);
  await page.goto("/login");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  const error = page.getByTestId("passkey-error");
  await error.waitFor();
  assert.match(await error.innerText(), /^Passkey sign-in was cancelled/);
  assert.ok(!/Error|at .*\.js/.test(await error.innerText()), "no stack trace");
});
