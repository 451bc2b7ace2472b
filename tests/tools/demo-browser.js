// Follows the README quick start in headless Chromium (Debian's package, driven by playwright-core): opens the dashboard
// address `harborbridge demo` printed (with #token=…) and records what the "All artifacts" page shows, as one JSON object
// in SCREENSHOT_DIR/observed.json, plus a screenshot. The C# test (DemoBrowserTests) decides whether that is right.
//   node demo-browser.js PRINTED_URL SCREENSHOT_DIR
// Environment: HB_TEST_PLAYWRIGHT (a node_modules folder holding playwright-core), HB_TEST_CHROMIUM (the browser).
"use strict";
const path = require("path");
const { launch, writeObserved, STEP_TIMEOUT } = require("./chromium");

const [printedUrl, shots] = process.argv.slice(2);

async function main() {
  const seen = {};
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(printedUrl);
    await page.waitForSelector("#artifacts tbody tr");
    seen.rows = await page.$$eval("#artifacts tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    seen.loginVisible = await page.isVisible("#login-form");
    seen.addressAfter = page.url();
    await page.screenshot({ path: path.join(shots, "demo-all-artifacts.png"), fullPage: true });
  } finally {
    await browser.close();
  }
  return seen;
}

writeObserved(main, shots);
