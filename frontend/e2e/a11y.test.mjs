// Every page, signed out and signed in, in the light and the dark theme, checked with axe-core: no serious or
// critical violation of WCAG 2.1 A/AA. A page with content in every state it shows (tasks, a completed one,
// the inline edit form, the delete dialog) is scanned in that state too.
import assert from "node:assert/strict";
import AxeBuilder from "@axe-core/playwright";
import { api, registerViaApi, seedSession, test, uniqueEmail, waitForToastsGone } from "./helpers.mjs";

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
    });
  });
}
