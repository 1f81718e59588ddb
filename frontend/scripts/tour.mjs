// A tour of `OIDC_LOCAL=1 make run` in Chromium, as a new user would take it: register, confirm the address,
// add a passkey, sign in with it, sign in with an emailed code in a second browser, link the test OpenID provider
// and sign in with it in a third, read the recent activity, download the data, delete the account. Every step
// waits for what the page must show and the tour stops at the first that does not; a screenshot of each page
// goes to TOUR_SHOTS (docs/screenshots/make-run-round3).
//
//   OIDC_LOCAL=1 make run            # in one terminal
//   cd frontend && node scripts/tour.mjs
//
// TOUR_WEB (http://localhost:3000: passkeys need a host name, not 127.0.0.1), TOUR_MAIL (../data/mail, where
// make run's API writes mail without SMTP_URL), CHROMIUM_PATH (/usr/bin/chromium).
import { chromium } from "@playwright/test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { askNoAutofill, virtualAuthenticator, withoutAutofillWhenAsked } from "../e2e/virtual-authenticator.mjs";

const WEB = process.env.TOUR_WEB ?? "http://localhost:3000";
const MAIL = process.env.TOUR_MAIL ?? path.resolve("../data/mail");
const SHOTS = process.env.TOUR_SHOTS ?? path.resolve("../docs/screenshots/make-run-round3");
const PASSWORD = "Tour-password-2026!";
const email = `tour-${Date.now().toString(36)}@example.com`;
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);
const shot = (page, name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

function newestMailTo(to, after) {
  const files = readdirSync(MAIL).filter((f) => f.endsWith(".eml")).map((f) => path.join(MAIL, f))
    .filter((f) => statSync(f).mtimeMs > after);
  for (const f of files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)) {
    const t = readFileSync(f, "utf8").replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    if (t.includes(`To: ${to}`)) return t;
  }
  return null;
}
async function waitMail(to, after) {
  for (let i = 0; i < 300; i++) {
    const t = newestMailTo(to, after);
    if (t) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to}`);
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium" });
const one = await browser.newContext({ baseURL: WEB, viewport: { width: 1280, height: 800 } });
const page = await one.newPage();
// A browser without passkey autofill for the button when asked (the virtual authenticator would answer autofill at once).
await withoutAutofillWhenAsked(page);
await virtualAuthenticator(page);

log("1. register", email);
const registered = Date.now() - 1000;
await page.goto("/register");
await page.getByLabel("Name").fill("Tour Taker");
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
await page.getByLabel("Confirm password").fill(PASSWORD);
await page.getByRole("button", { name: "Sign up" }).click();
await page.waitForURL(/\/tasks/);
await page.getByLabel("Title").fill("Try every way in");
await page.getByRole("button", { name: "Add task" }).click();
await page.getByText("Try every way in").first().waitFor();
await shot(page, "01-tasks-after-register");
// Confirm the address with the mailed link (an emailed code for a never-confirmed address would be its owner's
// first proof and take the account back from whoever registered it: password, sessions and passkeys gone).
const verification = await waitMail(email, registered);
const link = new RegExp(`${WEB.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/verify-email\\?token=[A-Za-z0-9_-]+`).exec(verification)[0];
await page.goto(link);
await page.getByText(/confirmed/i).first().waitFor();
await shot(page, "01b-email-confirmed");

log("2. add a passkey on /account");
await page.goto("/account");
const pk = page.getByTestId("passkeys");
await pk.getByRole("button", { name: "Add a passkey" }).click();
await pk.getByLabel("Current password").fill(PASSWORD);
await pk.getByRole("button", { name: "Continue" }).click();
await pk.getByText(/Added .* · never used/).waitFor();
await pk.scrollIntoViewIfNeeded();
await shot(page, "02-account-passkey-added");

log("3. sign out, sign in with the passkey (button)");
await askNoAutofill(page, true); // before /login loads, or autofill wins
await page.getByRole("button", { name: "Sign out", exact: true }).click();
await page.waitForURL(/\/login/);
await page.goto("/login");
await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
await shot(page, "03-login-with-passkey-button");
await page.getByRole("button", { name: "Sign in with a passkey" }).click();
await page.waitForURL(/\/tasks/);
await shot(page, "04-signed-in-with-passkey");

log("4. a second browser signs in with an emailed code");
const two = await browser.newContext({ baseURL: WEB, viewport: { width: 1280, height: 800 }, userAgent:
  "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" });
const p2 = await two.newPage();
await p2.goto("/login");
await p2.getByLabel("Email", { exact: true }).fill(email);
await p2.getByRole("button", { name: "Email me a code" }).click();
await p2.getByRole("heading", { name: "Sign in with an emailed code" }).waitFor();
await shot(p2, "05a-email-me-a-code");
const asked = Date.now() - 1000;
await p2.getByRole("button", { name: "Email me a code" }).click();
await p2.getByRole("heading", { name: "Check your email" }).waitFor();
await shot(p2, "05-check-your-email");
const mail = await waitMail(email, asked);
const code = /\b(\d{6})\b/.exec(mail.split(/\r?\n\r?\n/).slice(1).join("\n"))[1];
log("   code from", MAIL, code);
await p2.getByLabel("Code", { exact: true }).fill(code);
await p2.waitForURL(/\/tasks/);
await shot(p2, "06-signed-in-with-emailed-code");

log("5. link the test OpenID provider on /account, then sign in with it in a third browser");
await page.goto("/account");
const lp = page.getByTestId("linked-providers");
await lp.getByRole("button", { name: /^Link / }).click();
await page.getByLabel("Login or email").waitFor();
await shot(page, "07-provider-login-page");
await page.getByLabel("Login or email").fill("alice");
await page.getByLabel("Password").fill("alice-pass");
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(/\/account/);
await lp.getByTestId("linked-identity").first().waitFor();
await lp.scrollIntoViewIfNeeded();
await shot(page, "08-account-provider-linked");
const three = await browser.newContext({ baseURL: WEB, viewport: { width: 1280, height: 800 } });
const p3 = await three.newPage();
await p3.goto("/login");
await shot(p3, "09-login-all-ways-in");
await p3.getByRole("link", { name: /^Continue with / }).click();
await p3.getByLabel("Login or email").fill("alice");
await p3.getByLabel("Password").fill("alice-pass");
await p3.getByRole("button", { name: "Sign in" }).click();
await p3.waitForURL(/\/tasks/);
await p3.getByText("Try every way in").first().waitFor();
await shot(p3, "10-signed-in-with-provider");

log("6. recent activity, download my data");
await page.goto("/account");
const act = page.getByTestId("activity");
await act.getByRole("button", { name: "Show recent activity" }).click();
await page.getByRole("region", { name: "Sign-ins and changes" }).getByTestId("activity-event").first().waitFor();
await act.scrollIntoViewIfNeeded();
await shot(page, "11-recent-activity");
const events = await page.getByRole("region", { name: "Sign-ins and changes" }).getByTestId("activity-event").allInnerTexts();
log("   events:", events.map((e) => e.replace(/\s+/g, " ").slice(0, 90)));
const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download my data" }).click()]);
const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
log("   export keys:", Object.keys(exported), "tasks:", exported.tasks?.length);

log("7. delete the account");
await page.getByRole("button", { name: "Delete my account" }).click();
const panel = page.getByRole("region", { name: "Delete your account?" });
await panel.getByLabel("Current password").fill(PASSWORD);
await panel.scrollIntoViewIfNeeded();
await shot(page, "12-delete-confirm");
await panel.getByRole("button", { name: "Delete my account" }).click();
await page.waitForURL(/\/(login|$)/);
await shot(page, "13-after-delete");
await page.goto("/login");
await page.getByLabel("Email", { exact: true }).fill(email);
await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
await page.getByRole("button", { name: "Sign in", exact: true }).click();
await page.getByText("Invalid email or password").first().waitFor();
await shot(page, "14-deleted-cannot-sign-in");
log("tour: every step passed");
await browser.close();
