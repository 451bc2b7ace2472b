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

// Runs the session; writes what it saw to SHOTS/observed.json, or its error to stderr with exit code 1.
function writeObserved(session, shots) {
  session().then(
    (seen) => { require("fs").writeFileSync(path.join(shots, "observed.json"), JSON.stringify(seen, null, 2)); },
    (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); });
}

module.exports = { launch, writeObserved, STEP_TIMEOUT };
