// Drives the HarborBridge dashboard in headless Chromium (Debian's package) with playwright-core, the way an on-call
// person would, and writes what it saw as one JSON object to SCREENSHOT_DIR/observed.json. The C# test (DashboardBrowserTests) decides
// whether that is right; this script only acts and observes.
//   node dashboard-browser.js BASE_URL TOKEN DIGEST SCREENSHOT_DIR
// Environment: HB_TEST_PLAYWRIGHT (a node_modules folder holding playwright-core), HB_TEST_CHROMIUM (the browser).
"use strict";
const path = require("path");
const { launch, writeObserved, STEP_TIMEOUT } = require("./chromium");

const [baseUrl, token, digest, shots] = process.argv.slice(2);

async function main() {
  const seen = { steps: [] };
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT);
    const requests = [];
    page.on("request", (r) => requests.push(r.url()));
    const shot = async (name) => page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });

    // 1. The login form; a wrong token is refused with a message.
    await page.goto(baseUrl + "/");
    await page.waitForSelector("#login-form", { state: "visible" });
    await page.fill("#token", "not-the-token");
    await page.click("#login-form button[type=submit]");
    await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
    seen.wrongTokenMessage = await page.textContent("#login-error");
    await shot("01-login-refused");

    // 2. The right token: the quarantine board lists the artifact.
    await page.fill("#token", token);
    await page.click("#login-form button[type=submit]");
    const row = `#board tr[data-digest="${digest}"]`;
    await page.waitForSelector(row);
    seen.boardRow = await page.$$eval(row + " td", (cells) => cells.map((c) => c.textContent.trim()));
    seen.tokenInSessionStorage = await page.evaluate(() => sessionStorage.getItem("harborbridge.adminToken"));
    await shot("02-quarantine-board");

    // 3. The artifact page: state, findings with fix versions, decision history, the release form.
    await page.click(row + " a");
    await page.waitForSelector("#state");
    seen.stateBefore = (await page.textContent("#state")).trim();
    seen.findings = await page.$$eval("#findings tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
    seen.decisionRows = await page.$$eval("#decisions tbody tr", (rows) => rows.length);
    seen.releaseDisabledWithoutReason = await page.isDisabled("#release");
    await shot("03-artifact");

    // 3b. The exception request form offers the blocking findings and shows the server's reason when it refuses.
    seen.exceptionFindings = await page.$$eval("#exr-findings option", (options) => options.map((o) => o.value));
    await page.fill("#exr-reason", "Browser test: not reachable");
    await page.fill("#exr-expires", new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10));
    await page.fill("#exr-requester", "dave");
    await page.click("#exr-submit");
    await page.waitForFunction(() => /refused/i.test(document.getElementById("exr-result")?.textContent ?? ""));
    seen.exceptionRefusal = (await page.textContent("#exr-result")).trim();

    // 4. Release with a reason; then the page shows the new state, or the server's refusal.
    await page.fill("#release-reason", "Browser test: the vulnerable package is not reachable in this image");
    await page.click("#release");
    await page.waitForFunction(() => document.getElementById("notice")
      || (document.getElementById("action-result") && /failed/i.test(document.getElementById("action-result").textContent)));
    seen.releaseNotice = await page.evaluate(() => document.getElementById("notice")?.textContent ?? null);
    seen.releaseError = await page.evaluate(() => document.getElementById("action-result")?.className === "error"
      ? document.getElementById("action-result").textContent : null);
    seen.stateAfter = (await page.textContent("#state")).trim();
    await shot("04-after-release");

    // 5. Decisions over time (hourly): one stacked bar segment per verdict present.
    await page.goto(baseUrl + "/#/activity/hour");
    await page.waitForSelector("#chart");
    seen.chartSegments = await page.$$eval("#chart rect[data-verdict]", (rects) => rects.map((r) => r.getAttribute("data-verdict")));
    seen.totals = (await page.textContent("#totals")).trim();
    await shot("05-decisions-over-time");

    seen.externalRequests = requests.filter((u) => !u.startsWith(baseUrl));
  } finally {
    await browser.close();
  }
  return seen;
}

writeObserved(main, shots);
