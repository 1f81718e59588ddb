// The browser journeys (e2e/*.test.mjs) on @playwright/test, driving Debian's Chromium (no browser download).
// Run them with scripts/e2e.sh, which builds and starts the API and the web app and sets the E2E_* variables
// read here; `npx playwright test` alone refuses to start without them (see e2e/helpers.mjs).
import { defineConfig } from "@playwright/test";

const ARTIFACTS = process.env.E2E_ARTIFACTS_DIR || "e2e-artifacts"; // git-ignored

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.test.mjs",
  // One worker: the machine is small and shared, and the journeys share one API process and database.
  workers: 1,
  fullyParallel: false,
  // A failed journey runs once more; the report lists it as "flaky" (never silent), a second failure fails the run.
  retries: Number(process.env.E2E_RETRIES ?? 1),
  forbidOnly: true,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  outputDir: `${ARTIFACTS}/results`,
  reporter: [["list"], ["html", { outputFolder: `${ARTIFACTS}/report`, open: "never" }]],
  use: {
    baseURL: process.env.E2E_WEB_URL,
    browserName: "chromium",
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: CHROMIUM_ARGS,
    },
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    timezoneId: "America/New_York",
    locale: "en-US",
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
});
