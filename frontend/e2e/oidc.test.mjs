// Sign-in with an OpenID Connect provider, in Chromium, against the real test provider scripts/e2e.sh starts
// (scripts/oidc-provider: panva's oidc-provider, OpenID Certified), configured in the API as `local`:
// "Continue with …" → the provider's own login page → back on /tasks signed in; linking from /account; unlinking.
import assert from "node:assert/strict";
import {
  OIDC_ISSUER,
  OIDC_NAME,
  PASSWORD,
  api,
  assertNoReadableCredential,
  registerViaApi,
  screenshot,
  signIn,
  storedToken,
  test,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
} from "./helpers.mjs";

test.beforeAll(() => {
  assert.ok(OIDC_ISSUER, "E2E_OIDC_ISSUER is not set: run the browser tests with scripts/e2e.sh");
});

/**
 * From now on, the page records the text of every toast it shows, in order (window.__toasts): a toast that another
 * replaces within milliseconds is missed by a waitFor, not by this.
 */
async function recordToasts(page) {
  await page.evaluate(() => {
    window.__toasts = [];
    const record = () => {
      for (const el of document.querySelectorAll('[data-rht-toaster] [role="status"]')) {
        if (!window.__toasts.includes(el.textContent)) window.__toasts.push(el.textContent);
      }
    };
    new MutationObserver(record).observe(document.body, { childList: true, subtree: true, characterData: true });
    record();
  });
}

/** At the provider's login page (a fresh browser always gets it): sign in as `login`. */
async function signInAtProvider(page, login) {
  await page.waitForURL((url) => url.origin === new URL(OIDC_ISSUER).origin);
  await page.getByLabel("Login or email").fill(login);
  await page.getByLabel("Password").fill(`${login}-pass`);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("Continue with the provider: its login page, then back on /tasks signed in with an HttpOnly session", async ({ page }) => {
  await page.goto("/login?next=/tasks");
  const button = page.getByRole("link", { name: `Continue with ${OIDC_NAME}` });
  await button.waitFor();
  // The ways in that need no email (the provider, a passkey), then one "or with your email" above the form.
  const card = await page.locator(".auth-card").innerText();
  const at = (text) => card.indexOf(text);
  const order = [`Continue with ${OIDC_NAME}`, "Sign in with a passkey", "or with your email", "Password"];
  assert.ok(order.every((text, i) => at(text) >= 0 && (i === 0 || at(order[i - 1]) < at(text))), card);
  await screenshot(page, "oidc-login-buttons");
  await button.click();
  await page.getByLabel("Login or email").waitFor();
  await screenshot(page, "oidc-provider-login");
  await signInAtProvider(page, "alice");
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { name: "Your tasks" }).waitFor();
  await assertNoReadableCredential(page);
  const me = await api("/api/auth/me", { token: await storedToken(page) });
  assert.equal(me.body.email, "alice@example.com");
  assert.equal(me.body.email_verified, true);
});

test("a provider that does not confirm the address: the sign-in page says so, and nobody is signed in", async ({ page }) => {
  await page.goto("/register");
  await page.getByRole("link", { name: `Continue with ${OIDC_NAME}` }).click();
  await signInAtProvider(page, "bob");
  await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("error") === "oidc_unverified_email");
  await page.getByText(`${OIDC_NAME} did not confirm your email address.`).waitFor();
  assert.equal(await storedToken(page), null);
});

test("link a provider from /account, sign in with it, then unlink it", async ({ page, newSession }) => {
  const email = uniqueEmail("oidc-link");
  await registerViaApi(email);
  await signIn(page, email, PASSWORD);
  await waitForPath(page, "/tasks");
  const identityReads = [];
  const countIdentityReads = (request) => {
    if (request.method() === "GET" && new URL(request.url()).pathname === "/api/auth/identities") identityReads.push(1);
  };
  page.on("request", countIdentityReads);
  await page.goto("/account");
  const section = page.getByTestId("linked-providers");
  await section.getByRole("button", { name: `Link ${OIDC_NAME}` }).waitFor();
  await page.getByTestId("passkeys").getByText("No passkeys yet").waitFor();
  page.off("request", countIdentityReads);
  assert.equal(identityReads.length, 1, "the page reads the linked identities once, for Passkeys and Linked providers");
  await section.getByRole("button", { name: `Link ${OIDC_NAME}` }).click();
  await signInAtProvider(page, "carol");
  await page.waitForURL((url) => url.pathname === "/account");
  await toast(page, `${OIDC_NAME} is linked to your account`).waitFor();
  await section.getByTestId("linked-identity").filter({ hasText: "carol@example.com" }).waitFor();
  assert.equal(new URL(page.url()).search, "", "the note of the return is taken out of the address");
  await waitForToastsGone(page);
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, "oidc-account-linked");

  // Another browser: carol at the provider now signs in to this account.
  const other = await newSession();
  await other.page.goto("/login");
  await other.page.getByRole("link", { name: `Continue with ${OIDC_NAME}` }).click();
  await signInAtProvider(other.page, "carol");
  await waitForPath(other.page, "/tasks");
  const me = await api("/api/auth/me", { token: await storedToken(other.page) });
  assert.equal(me.body.email, email);

  // Unlink (confirmed in a dialog): gone from the list, and carol no longer signs in here.
  await recordToasts(page);
  await section.getByRole("button", { name: `Unlink ${OIDC_NAME} (carol@example.com)` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Unlink" }).click();
  await toast(page, `${OIDC_NAME} is unlinked`).waitFor();
  await section.getByTestId("linked-identity").waitFor({ state: "detached" });
  // The one notice of the unlink, until it goes: the return from the link is not announced again when the
  // section reads the providers anew.
  await waitForToastsGone(page);
  assert.deepEqual(await page.evaluate(() => window.__toasts), [`${OIDC_NAME} is unlinked`]);
  const linked = await api("/api/auth/identities", { token: await storedToken(page) });
  assert.deepEqual(linked.body, { identities: [], has_password: true });
});
