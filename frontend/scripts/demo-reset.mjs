// The issue-12 walkthrough against `make run` (API :8000, web :3000): register by API, then in the browser
// "Forgot password?", the link read from the `make run` log (where the README says), a new password, sign in.
// With `make run > run.log` going: cd frontend && node scripts/demo-reset.mjs ../run.log ../docs/screenshots
import { readFileSync } from "node:fs";
import { chromium } from "@playwright/test";

const [log, out] = process.argv.slice(2);
const email = `demo-${Date.now()}@example.com`;
const first = "first demo passphrase 1";
const second = "second demo passphrase 2";
const r = await fetch("http://127.0.0.1:8000/api/auth/register", {
  method: "POST", headers: { "content-type": "application/json" },
  body: JSON.stringify({ email, password: first, full_name: "Demo User" }),
});
if (r.status !== 201) throw new Error(`register ${r.status} ${await r.text()}`);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium" });
const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
const shot = (name) => page.screenshot({ path: `${out}/make-run-${name}.png` });
await page.goto("http://localhost:3000/login");
await page.getByRole("link", { name: "Forgot password?" }).waitFor();
await shot("1-sign-in-with-forgot-link");
await page.getByRole("link", { name: "Forgot password?" }).click();
await page.waitForURL("**/forgot-password");
await page.getByLabel("Email").fill(email);
await page.getByRole("button", { name: "Send me a link" }).click();
await page.getByRole("status").getByText(email).waitFor();
await shot("2-forgot-password-sent");
let link;
for (let i = 0; i < 100 && !link; i++) {
  const line = readFileSync(log, "utf8").split("\n").reverse()
    .find((l) => l.includes("/reset-password?token=") && l.includes(email));
  link = line && /http:\/\/\S+\/reset-password\?token=[\w-]+/.exec(line)?.[0];
  if (!link) await new Promise((res) => setTimeout(res, 100));
}
if (!link) throw new Error("no reset link in the make run log");
console.log("link from the make run log:", link.replace(/token=.*/, "token=…"));
await page.goto(link);
await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
await page.getByLabel("New password", { exact: true }).fill(second);
await page.getByLabel("Confirm new password").fill(second);
await shot("3-reset-password");
await page.getByRole("button", { name: "Set new password" }).click();
await page.getByRole("heading", { name: "Password changed" }).waitFor();
await shot("4-password-changed");
await page.getByRole("link", { name: "Sign in" }).first().click();
await page.waitForURL("**/login**");
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password").fill(second);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL("**/tasks");
await page.waitForTimeout(500);
await shot("5-signed-in-with-new-password");
const old = await fetch("http://127.0.0.1:8000/api/auth/login", {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: first }),
});
console.log("old password now:", old.status, "; signed in with the new one at", page.url());
await browser.close();
