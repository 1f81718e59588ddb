// Every page, signed out and signed in, in the light and the dark theme, checked with axe-core: no serious or
// critical violation of WCAG 2.1 A/AA. A page with content in every state it shows (tasks, a completed one,
// the inline edit form, the delete dialog) is scanned in that state too.
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { api, PASSWORD, registerViaApi, seedSession, signIn, test, uniqueEmail, waitForToastsGone } from "./helpers.mjs";
import { linkFromMail } from "./mailbox.mjs";
import { enableTwoFactorViaApi } from "./totp.mjs";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/** Scans what the page shows now; fails naming each serious or critical violation and where it is. */
async function assertAccessible(page, label) {
  await waitForToastsGone(page);
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad.map(
    (v) =>
      `${v.impact} ${v.id}: ${v.help}\n` +
      v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.replace(/\s+/g, " ")}`).join("\n"),
  );
  assert.deepEqual(report, [], `${label}: axe found serious or critical violations:\n${report.join("\n")}`);
}

for (const theme of ["light", "dark"]) {
  test.describe(`${theme} theme`, () => {
    test.use({ colorScheme: theme });

    test(`signed-out pages have no serious accessibility violation (${theme})`, async ({ page, guard }) => {
      guard.allow(/Failed to load resource: the server responded with a status of 404/);
      for (const [path, heading] of [
        ["/", /Keep track of what matters/],
        ["/login", "Sign in"],
        ["/register", "Create your account"],
        ["/no-such-page", "Page not found"],
      ]) {
        await page.goto(path);
        await page.getByRole("heading", { level: 1, name: heading }).waitFor();
        assert.equal(await page.evaluate(() => document.documentElement.getAttribute("data-theme")), theme);
        await assertAccessible(page, `${path} (${theme})`);
      }
      // the sign-up form showing its errors
      await page.goto("/register");
      await page.getByLabel("Email").fill("not-an-email");
      await page.getByRole("button", { name: "Sign up" }).click();
      await page.locator("#email-error").getByText("Enter a valid email address").waitFor();
      await assertAccessible(page, `/register with errors (${theme})`);
    });

    test(`signed-in pages have no serious accessibility violation (${theme})`, async ({ page, context }) => {
      const { access_token: token } = await registerViaApi(uniqueEmail(`a11y-${theme}`));
      for (const title of ["Water the plants", "Renew the passport"]) {
        const res = await api("/api/tasks", { method: "POST", token, body: { title, description: "Before Friday" } });
        assert.equal(res.status, 201);
      }
      const listed = await api("/api/tasks?status=all", { token });
      const toggled = await api(`/api/tasks/${listed.body.tasks[0].id}/toggle`, { method: "POST", token });
      assert.equal(toggled.status, 200);
      await seedSession(context, token);

      await page.goto("/tasks");
      await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
      await page.getByTestId("task-item").first().waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.getAttribute("data-theme")), theme);
      await assertAccessible(page, `/tasks (${theme})`);

      await page.getByRole("button", { name: 'Edit "Water the plants"' }).click();
      await page.getByRole("form", { name: 'Edit task "Water the plants"' }).waitFor();
      await assertAccessible(page, `/tasks editing a task (${theme})`);
      await page.keyboard.press("Escape");

      await page.getByRole("button", { name: 'Delete "Renew the passport"' }).click();
      await page.getByRole("dialog", { name: "Delete this task?" }).waitFor();
      await assertAccessible(page, `/tasks delete dialog (${theme})`);
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

      await page.goto("/tasks?filter=completed");
      await page.getByRole("heading", { name: "Completed tasks" }).waitFor();
      await assertAccessible(page, `/tasks?filter=completed (${theme})`);

      await page.goto("/account");
      await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
      await assertAccessible(page, `/account (${theme})`);

      // each of the account page's forms, open (one at a time)
      for (const [button, region] of [
        ["Change email", "Change email"],
        ["Change password", "Change password"],
        ["Set up two-factor authentication", "Set up two-factor authentication"],
      ]) {
        await page.getByRole("button", { name: button }).click();
        await page.getByRole("region", { name: region }).waitFor();
        await assertAccessible(page, `/account with "${region}" open (${theme})`);
      }
      // the two-factor set-up's second step: QR code, the key in groups, the code input
      const setup = page.getByRole("region", { name: "Set up two-factor authentication" });
      await setup.getByLabel("Current password").fill(PASSWORD);
      await setup.getByRole("button", { name: "Continue" }).click();
      await setup.getByTestId("totp-qr").waitFor();
      await assertAccessible(page, `/account two-factor set-up with the QR code (${theme})`);
    });

    test(`reset, forgot-password and two-factor pages have no serious accessibility violation (${theme})`, async ({ page, guard }) => {
      guard.allow(/Failed to load resource: the server responded with a status of (400|401|403)/);
      await page.goto("/forgot-password");
      await page.getByRole("heading", { level: 1, name: "Forgot your password?" }).waitFor();
      await assertAccessible(page, `/forgot-password (${theme})`);

      const email = uniqueEmail(`a11y-reset-${theme}`);
      const { access_token: token } = await registerViaApi(email);
      assert.equal((await api("/api/auth/forgot-password", { method: "POST", body: { email } })).status, 202);
      await page.goto(await linkFromMail(email, "reset-password"));
      await page.getByRole("heading", { level: 1, name: "Choose a new password" }).waitFor();
      await assertAccessible(page, `/reset-password (${theme})`);
      await page.goto("/reset-password?token=not-a-real-token");
      await page.getByRole("heading", { level: 1, name: "This link does not work" }).waitFor();
      await assertAccessible(page, `/reset-password with a dead link (${theme})`);

      // the sign-in's two-factor step, with a wrong code's error at the field
      await enableTwoFactorViaApi(token);
      await signIn(page, email);
      await page.getByRole("heading", { level: 1, name: "Two-factor authentication" }).waitFor();
      await assertAccessible(page, `two-factor step (${theme})`);
      await page.getByLabel("Code", { exact: true }).fill("000000");
      await page.locator("#code-error").getByText("Invalid two-factor code").waitFor();
      await assertAccessible(page, `two-factor step with an error (${theme})`);
    });
  });
}
