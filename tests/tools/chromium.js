// Headless Chromium (Debian's package) through playwright-core, as the browser tests start it.
// Environment: HB_TEST_PLAYWRIGHT (a node_modules folder holding playwright-core), HB_TEST_CHROMIUM (the browser).
"use strict";
const path = require("path");
const { chromium } = require(path.join(process.env.HB_TEST_PLAYWRIGHT, "playwright-core"));

const STEP_TIMEOUT = 30000;

async function launch() {
  return chromium.launch({
    executablePath: process.env.HB_TEST_CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    timeout: STEP_TIMEOUT,
  });
}

module.exports = { launch, STEP_TIMEOUT };
