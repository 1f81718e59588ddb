// The main journey of issue 3: sign up -> tasks -> create, edit, toggle, filter, delete -> reload ->
// sign out (the API forgets the token) -> /tasks sends to /login?next=/tasks -> sign in returns there.
import assert from "node:assert/strict";
import {
  api,
  PASSWORD,
  protectedWasPainted,
  screenshot,
  signIn,
  storedToken,
  toast,
  uniqueEmail,
  waitForPath,
  waitForToastsGone,
  watchForProtectedPaint,
  test,
} from "./helpers.mjs";

function taskItem(page, title) {
  return page.getByTestId("task-item").filter({ has: page.getByRole("heading", { name: title, exact: true }) });
}

async function createTask(page, title, description = "") {
  const form = page.getByRole("region", { name: "Add a task" });
  await form.getByLabel("Title").fill(title);
  if (description) await form.getByLabel("Description").fill(description);
  await form.getByRole("button", { name: "Add task" }).click();
  await taskItem(page, title).waitFor();
}

async function filterCounts(page) {
  const nav = page.getByRole("navigation", { name: "Filter tasks" });
  const read = async (label) =>
    Number(await nav.getByRole("link", { name: new RegExp(`^${label}`) }).locator(".filter-count").innerText());
  return { all: await read("All"), pending: await read("Pending"), completed: await read("Completed") };
}

test("sign up, manage tasks, reload, sign out, and come back to /tasks after signing in", async ({ newSession }) => {
  const { context, page, guard } = await newSession();
  await watchForProtectedPaint(context);
  const email = uniqueEmail("journey");

  // Landing page, signed out
  await page.goto("/");
  await page.getByRole("heading", { level: 1, name: /Keep track of what matters/ }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).waitFor();
  await screenshot(page, "landing");

  // Sign up from the navigation
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign up" }).click();
  await waitForPath(page, "/register");
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await waitForPath(page, "/tasks");
  await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  await toast(page, "Account created successfully").waitFor();
  assert.equal(await page.getByTestId("nav-user").innerText(), "Ada Lovelace");
  await page.getByText("No tasks yet").waitFor();

  // Live character limits
  const form = page.getByRole("region", { name: "Add a task" });
  await form.getByLabel("Title").fill("Buy milk");
  assert.equal(await form.locator("#title-count").innerText(), "8/200");
  // Counted as the API counts (code points: an emoji is one character), and nothing typed or pasted is cut
  // silently: a title over the limit is said to be, next to the field.
  await form.getByLabel("Title").fill("😀".repeat(201));
  assert.equal(await form.locator("#title-count").innerText(), "201/200");
  assert.equal(await form.getByLabel("Title").getAttribute("maxlength"), null);
  await form.getByRole("button", { name: "Add task" }).click();
  await form.getByText("Title must be at most 200 characters").waitFor();
  await form.getByLabel("Title").fill("😀".repeat(200));
  assert.equal(await form.locator("#title-count").innerText(), "200/200");
  await form.getByLabel("Title").fill("");

  // An empty title is refused next to the field, without a request
  await form.getByRole("button", { name: "Add task" }).click();
  await form.getByText("Title is required").waitFor();

  // Create
  await createTask(page, "Buy milk", "Two litres, semi-skimmed");
  await toast(page, "Task created successfully").waitFor();
  await createTask(page, "Write report", "");
  await createTask(page, "Call the bank", "About the new card");
  assert.deepEqual(await filterCounts(page), { all: 3, pending: 3, completed: 0 });
  // newest first
  const titles = await page.getByTestId("task-item").locator(".task-title").allInnerTexts();
  assert.deepEqual(titles, ["Call the bank", "Write report", "Buy milk"]);

  // Dates are shown in the viewer's local time (this context runs in America/New_York, en-US)
  const token = await storedToken(page);
  const listed = await api("/api/tasks?status=all", { token });
  assert.equal(listed.status, 200);
  const milk = listed.body.tasks.find((t) => t.title === "Buy milk");
  const expected = new Intl.DateTimeFormat("en-US", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "America/New_York",
  }).format(new Date(/Z|[+-]\d\d:?\d\d$/.test(milk.created_at) ? milk.created_at : `${milk.created_at}Z`));
  assert.equal(await taskItem(page, "Buy milk").locator("time").first().innerText(), expected);

  // Edit
  await taskItem(page, "Write report").getByRole("button", { name: 'Edit "Write report"' }).click();
  const editForm = page.getByRole("form", { name: 'Edit task "Write report"' });
  await editForm.getByLabel("Title").fill("Write quarterly report");
  await editForm.getByLabel("Description").fill("Due on Friday");
  await editForm.getByRole("button", { name: "Save" }).click();
  await taskItem(page, "Write quarterly report").getByText("Due on Friday").waitFor();
  await toast(page, "Task updated successfully").waitFor();

  // Toggle
  await page.getByRole("checkbox", { name: 'Mark "Buy milk" as completed' }).click();
  await page.getByRole("checkbox", { name: 'Mark "Buy milk" as pending' }).waitFor();
  await toast(page, "Task marked as completed").waitFor();
  assert.deepEqual(await filterCounts(page), { all: 3, pending: 2, completed: 1 });

  await waitForToastsGone(page);
  await screenshot(page, "tasks");

  // Filters live in the URL
  const filters = page.getByRole("navigation", { name: "Filter tasks" });
  await filters.getByRole("link", { name: /^Pending/ }).click();
  await waitForPath(page, "/tasks?filter=pending");
  await page.getByRole("heading", { name: "Pending tasks" }).waitFor();
  assert.deepEqual(await page.getByTestId("task-item").locator(".task-title").allInnerTexts(), [
    "Call the bank",
    "Write quarterly report",
  ]);
  await filters.getByRole("link", { name: /^Completed/ }).click();
  await waitForPath(page, "/tasks?filter=completed");
  await page.getByRole("heading", { name: "Completed tasks" }).waitFor();
  assert.deepEqual(await page.getByTestId("task-item").locator(".task-title").allInnerTexts(), ["Buy milk"]);
  // A filter survives a reload
  await page.reload();
  await page.getByRole("heading", { name: "Completed tasks" }).waitFor();
  await taskItem(page, "Buy milk").waitFor();
  await filters.getByRole("link", { name: /^All/ }).click();
  await waitForPath(page, "/tasks?filter=all");

  // Delete asks first; Cancel keeps the task
  await taskItem(page, "Call the bank").getByRole("button", { name: 'Delete "Call the bank"' }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this task?" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "hidden" });
  await taskItem(page, "Call the bank").waitFor();
  await taskItem(page, "Call the bank").getByRole("button", { name: 'Delete "Call the bank"' }).click();
  await dialog.getByRole("button", { name: "Delete task" }).click();
  await taskItem(page, "Call the bank").waitFor({ state: "detached" });
  await toast(page, "Task deleted successfully").waitFor();
  assert.deepEqual(await filterCounts(page), { all: 2, pending: 1, completed: 1 });

  // The server agrees
  const after = await api("/api/tasks?status=all", { token });
  assert.deepEqual(after.body.tasks.map((t) => [t.title, t.description, t.is_completed]).sort(), [
    ["Buy milk", "Two litres, semi-skimmed", true],
    ["Write quarterly report", "Due on Friday", false],
  ]);

  // Reload: still signed in
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Your tasks" }).waitFor();
  await taskItem(page, "Write quarterly report").waitFor();
  assert.equal(await storedToken(page), token);

  // Sign out: the API is told, storage is cleared, the old token is dead
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await waitForPath(page, "/login");
  await toast(page, "Signed out").waitFor();
  assert.equal(await storedToken(page), null);
  assert.equal(await page.evaluate(() => localStorage.getItem("auth_user")), null);
  const me = await api("/api/auth/me", { token });
  assert.equal(me.status, 401, "the token used before signing out must be rejected by the API");

  // /tasks sends a signed-out visitor to /login?next=/tasks without painting anything protected
  await page.evaluate(() => sessionStorage.removeItem("__protectedPainted"));
  await page.goto("/tasks");
  await waitForPath(page, "/login?next=/tasks");
  assert.equal(await protectedWasPainted(page), false, "protected content was painted for a signed-out visitor");

  // ... and signing in returns there
  await signIn(page, email, PASSWORD, { path: null });
  await waitForPath(page, "/tasks");
  await taskItem(page, "Buy milk").waitFor();
  await toast(page, "Signed in").waitFor();

  // A signed-in user is sent on from the sign-in and sign-up pages
  await page.goto("/login");
  await waitForPath(page, "/tasks");
  await page.goto("/register?next=/account");
  await waitForPath(page, "/account");

  guard.assertClean();
  await context.close();
});

test("the landing, sign-in and tasks pages fit a phone screen", async ({ newSession }) => {
  const { context, page, guard } = await newSession({ viewport: { width: 375, height: 740 } });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.goto("/");
  await page.getByRole("heading", { level: 1 }).waitFor();
  assert.ok((await overflow()) <= 0, "landing page scrolls sideways on a phone");
  await page.goto("/login");
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  assert.ok((await overflow()) <= 0, "sign-in page scrolls sideways on a phone");
  await page.getByRole("link", { name: "Create one" }).click();
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  await page.getByLabel("Email").fill(uniqueEmail("phone"));
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByLabel("Confirm password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign up" }).click();
  await waitForPath(page, "/tasks");
  await createTask(page, "A task with a rather long title that has to wrap nicely on a small phone screen", "x");
  assert.ok((await overflow()) <= 0, "tasks page scrolls sideways on a phone");
  guard.assertClean();
  await context.close();
});
