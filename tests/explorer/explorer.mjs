// Drives headless Chromium (Debian's, not a downloaded one) through rfmgw's API explorer:
// load /docs, list the operations, "Try it out" on POST /api/v1/connection-test, execute,
// read the live response from the DOM, save a screenshot. Prints one JSON object of what it saw
// (tests/e2e/t_explorer.sh asserts on it); exit 1 on a failure of the browser itself.
// Usage: [EXPLORER_API_KEY=key] node explorer.mjs BASE_URL SCREENSHOT.png
import { chromium } from "playwright-core";

const [base, shot] = process.argv.slice(2);
const seen = { operations: [], status: null, body: null, foreign: [], errors: [], title: null };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  timeout: 30000,
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  page.setDefaultTimeout(20000);
  // every request must go to rfmgw itself: no CDN
  page.on("request", (r) => { if (!r.url().startsWith(base) && !r.url().startsWith("data:")) seen.foreign.push(r.url()); });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") seen.errors.push(m.text()); });

  await page.goto(`${base}/docs`, { waitUntil: "load" });
  await page.waitForSelector(".opblock .opblock-summary-path");
  seen.title = await page.locator(".info .title").first().innerText();
  seen.operations = await page.$$eval(".opblock", (els) => els.map((el) => {
    const m = el.querySelector(".opblock-summary-method");
    const p = el.querySelector(".opblock-summary-path");
    return `${m ? m.textContent.trim() : "?"} ${p ? (p.getAttribute("data-path") || p.textContent.trim()) : "?"}`;
  }));

  // EXPLORER_API_KEY: enter it with the Authorize button first (an apiKey scheme)
  if (process.env.EXPLORER_API_KEY) {
    await page.locator(".auth-wrapper button.authorize").click();
    const modal = page.locator(".modal-ux");
    await modal.locator("input").first().fill(process.env.EXPLORER_API_KEY);
    await modal.locator("button.authorize").first().click();
    await modal.locator("button.btn-done").first().click();
    seen.authorized = true;
  }
  const op = page.locator(".opblock-post").filter({
    has: page.locator('.opblock-summary-path[data-path="/api/v1/connection-test"]'),
  }).first();
  await op.locator(".opblock-summary").first().click();
  await op.locator("button.try-out__btn").click();
  const body = op.locator("textarea.body-param__text");
  await body.fill('{"REQUTEXT":"hello from the explorer"}');
  await op.locator("button.execute").click();
  const live = op.locator(".live-responses-table .response");
  await live.locator(".response-col_status").first().waitFor();
  seen.status = (await live.locator(".response-col_status").first().innerText()).trim();
  seen.body = await live.locator(".response-col_description pre, .response-col_description code").first().innerText();
  await page.screenshot({ path: shot, fullPage: true });
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
