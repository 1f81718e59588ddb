// The account page's rows that round 3's API routes made possible (issue 25 items 6 and 9): the name, edited
// and removed (PATCH /api/auth/me) with every tab following; "N recovery codes left" (GET /api/auth/2fa); and
// "Generate new codes" (POST /api/auth/2fa/recovery-codes), after which the old codes no longer sign in.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  api,
  PASSWORD,
  registerViaApi,
  seedSession,
  signIn,
  storedToken,
  test,
  toast,
  uniqueEmail,
  waitForPath,
} from "./helpers.mjs";
import { enableTwoFactorViaApi, signInWithRecoveryCodeViaApi, stepNow, totp } from "./totp.mjs";

const FAILED = (status) => new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

/** The two-factor step of the sign-in page, with a recovery code. */
async function signInWithRecoveryCode(page, email, code) {
  await signIn(page, email);
  await page.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
  await page.getByRole("button", { name: "Use a recovery code instead" }).click();
  await page.getByLabel("Recovery code").fill(code);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
}

test("the name: added, refused at the field when too long, edited, removed — the header of every tab follows", async ({ newSession }) => {
  const email = uniqueEmail("name");
  const { access_token: token } = await registerViaApi(email);
  const { context, page, newPage } = await newSession();
  await seedSession(context, token);
  const other = await newPage();
  await other.goto("/tasks");
  await other.getByTestId("nav-user").getByText(email).waitFor();

  await page.goto("/account");
  const row = page.getByTestId("row-name");
  await row.getByText("Not set").waitFor();
  await page.getByTestId("nav-user").getByText(email).waitFor();

  // Add one: too long is said at the field only, and goes as soon as the field is edited.
  await row.getByRole("button", { name: "Add your name" }).click();
  const form = page.getByRole("region", { name: "Add your name" });
  const field = form.getByLabel("Name");
  assert.equal(await isFocused(field), true, "the field has the focus");
  await field.fill("A".repeat(101));
  await form.getByRole("button", { name: "Save" }).click();
  const error = form.locator("#profile_name-error");
  await error.getByText("Name must be at most 100 characters").waitFor();
  assert.equal(await form.locator("#edit-name-error").innerText(), "", "said once: no banner");
  assert.equal(await toast(page, "at most 100").count(), 0, "said once: no toast");
  await field.fill("  Ada Lovelace  ");
  assert.equal(await error.innerText(), "", "the error goes when the field is edited");
  await form.getByRole("button", { name: "Save" }).click();
  await toast(page, "Name saved").waitFor();
  await row.getByTestId("account-name").getByText("Ada Lovelace", { exact: true }).waitFor();
  await page.getByTestId("nav-user").getByText("Ada Lovelace", { exact: true }).waitFor();
  await other.getByTestId("nav-user").getByText("Ada Lovelace", { exact: true }).waitFor();
  const editButton = row.getByRole("button", { name: "Edit name" });
  assert.equal(await isFocused(editButton), true, "focus returns to the row");
  assert.equal((await api("/api/auth/me", { token: await storedToken(page) })).body.name, "Ada Lovelace", "kept trimmed");

  // Edit it: the form holds the name as it is.
  await editButton.click();
  const edit = page.getByRole("region", { name: "Edit name" });
  assert.equal(await edit.getByLabel("Name").inputValue(), "Ada Lovelace");
  await edit.getByLabel("Name").fill("Ada King");
  await edit.getByRole("button", { name: "Save" }).click();
  await row.getByTestId("account-name").getByText("Ada King", { exact: true }).waitFor();
  await other.getByTestId("nav-user").getByText("Ada King", { exact: true }).waitFor();

  // A new page load shows what the server keeps.
  await page.reload();
  await row.getByTestId("account-name").getByText("Ada King", { exact: true }).waitFor();

  // Remove it: an empty field.
  await row.getByRole("button", { name: "Edit name" }).click();
  await edit.getByLabel("Name").fill("");
  await edit.getByRole("button", { name: "Save" }).click();
  await toast(page, "Name removed").waitFor();
  await row.getByText("Not set").waitFor();
  await row.getByRole("button", { name: "Add your name" }).waitFor();
  await page.getByTestId("nav-user").getByText(email).waitFor();
  await other.getByTestId("nav-user").getByText(email).waitFor();
  assert.equal((await api("/api/auth/me", { token: await storedToken(page) })).body.name, null);
});

test("recovery codes left: 10, then 9 after signing in with one, in the warning tone at 3", async ({ newSession }) => {
  const email = uniqueEmail("codes-left");
  const { access_token: token } = await registerViaApi(email);
  const { recoveryCodes } = await enableTwoFactorViaApi(token);
  const { context, page, guard } = await newSession();
  guard.allow(FAILED(403)); // the password step's "two-factor code required"
  await seedSession(context, token);

  await page.goto("/account");
  const row = page.getByTestId("row-recovery-codes-row");
  const left = row.getByTestId("recovery-codes-left");
  await left.getByText("10 recovery codes left", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");

  await signInWithRecoveryCode(page, email, recoveryCodes[0]);
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  await left.getByText("9 recovery codes left", { exact: true }).waitFor();
  assert.doesNotMatch(await left.getAttribute("class"), /badge-warning/, "nine is not few");
  await row.getByRole("button", { name: "Generate new codes" }).waitFor();

  // Six more used elsewhere; the tab reads the count again when it is looked at.
  for (const code of recoveryCodes.slice(1, 7)) await signInWithRecoveryCodeViaApi(email, code);
  // (headless Chromium does not move focus between tabs: the event is what the browser would fire)
  await page.evaluate(() => window.dispatchEvent(new Event("focus")));
  await left.getByText("3 recovery codes left", { exact: true }).waitFor();
  assert.match(await left.getAttribute("class"), /badge-warning/, "three or fewer: the warning tone");
  await row.getByText("Make new ones before you run out.").waitFor();
});

test("generate new codes: a wrong code is refused at the field; then the old codes no longer sign in, the new ones do", async ({ newSession }) => {
  const email = uniqueEmail("new-codes");
  const { access_token: token } = await registerViaApi(email);
  const { secret, step: used, recoveryCodes: old } = await enableTwoFactorViaApi(token);
  const { context, page, guard } = await newSession();
  guard.allow(FAILED(400)); // the wrong code tried on purpose
  guard.allow(FAILED(403)); // the password step's "two-factor code required"
  guard.allow(FAILED(401)); // an old recovery code at the sign-in's two-factor step
  await seedSession(context, token);

  await page.goto("/account");
  const row = page.getByTestId("row-recovery-codes-row");
  await row.getByText("10 recovery codes left", { exact: true }).waitFor();
  await row.getByRole("button", { name: "Generate new codes" }).click();
  const form = page.getByRole("region", { name: "Generate new recovery codes" });
  await form.getByText("Every code you have now stops working").waitFor();
  const password = form.getByLabel("Current password");
  assert.equal(await isFocused(password), true, "the password field has the focus");
  await password.fill(PASSWORD);

  // The one-time-code input; a wrong code (sent by the field at its sixth digit) is said at the field only.
  const code = form.getByLabel("Code from the app");
  assert.equal(await code.getAttribute("autocomplete"), "one-time-code");
  assert.equal(await code.getAttribute("inputmode"), "numeric");
  await code.fill("000000");
  const codeError = form.locator("#tf_codes_code-error");
  await codeError.getByText("Invalid two-factor code").waitFor();
  assert.equal(await form.locator("#tf-codes-error").innerText(), "", "said once: no banner");
  assert.equal(await toast(page, "Invalid two-factor code").count(), 0, "said once: no toast");
  assert.equal(await isFocused(code), true, "focus on the code field");
  await code.fill("1");
  assert.equal(await codeError.innerText(), "", "the error goes when the code is edited");

  // The right code (the enabling code's step is spent: the next one is within the drift allowed).
  await code.fill(totp(secret, Math.max(stepNow(), used) + 1));
  const codesPanel = page.getByRole("region", { name: "Save your new recovery codes" });
  await codesPanel.getByText("Your old recovery codes stopped working.").waitFor();
  const heading = codesPanel.getByRole("heading", { name: "Save your new recovery codes" });
  assert.equal(await isFocused(heading), true, "the new codes' heading has the focus");
  const list = codesPanel.getByTestId("recovery-codes");
  await list.waitFor();
  const fresh = (await list.locator("code").allInnerTexts()).map((c) => c.trim());
  assert.equal(fresh.length, 10);
  assert.equal(new Set(fresh).size, 10);
  assert.deepEqual(fresh.filter((c) => old.includes(c)), [], "all ten are new");
  await row.getByText("10 recovery codes left", { exact: true }).waitFor();

  // Download: a text file with the ten codes.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    codesPanel.getByRole("button", { name: "Download" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "recovery-codes.txt");
  const saved = readFileSync(await download.path(), "utf8");
  for (const c of fresh) assert.ok(saved.includes(c), `the download holds ${c}`);
  await codesPanel.getByRole("button", { name: "Copy" }).waitFor();

  await codesPanel.getByRole("button", { name: "I have saved them" }).click();
  await codesPanel.waitFor({ state: "detached" });
  assert.equal(await isFocused(row.getByRole("button", { name: "Generate new codes" })), true, "focus returns to the row");

  // An old code no longer signs in (said at the field); a new one does.
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
  await signInWithRecoveryCode(page, email, old[1]);
  await page.locator("#code-error").getByText("Invalid two-factor code").waitFor();
  await page.getByLabel("Recovery code").fill(fresh[0]);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await waitForPath(page, "/tasks");
  await page.goto("/account");
  await row.getByText("9 recovery codes left", { exact: true }).waitFor();
});
