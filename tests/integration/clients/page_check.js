// Opens a local HTML file in Debian's headless Chromium (puppeteer-core) and
// reports, as one JSON line: console errors, page errors, every request that
// is not the file itself (a report must fetch nothing), requests that
// failed, whether any element is wider than the page, and a full-page
// screenshot written to the given path.
//   node page_check.js FILE.html SCREENSHOT.png [WIDTH]
const puppeteer = require("puppeteer-core");

async function main() {
  const [file, screenshot, width] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const result = { consoleErrors: [], pageErrors: [], requests: [], failedRequests: [], tooWide: [] };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: Number(width || 1280), height: 900 });
    page.on("console", (m) => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => result.pageErrors.push(String(e)));
    page.on("requestfailed", (r) => result.failedRequests.push(r.url()));
    await page.setRequestInterception(true);
    const target = "file://" + file;
    page.on("request", (r) => {
      if (r.url() !== target) { result.requests.push(r.url()); r.abort(); } else { r.continue(); }
    });
    await page.goto(target, { waitUntil: "load" });
    result.tooWide = await page.evaluate(() => {
      const limit = document.documentElement.clientWidth;
      const wide = [];
      for (const el of document.querySelectorAll("body *")) {
        const r = el.getBoundingClientRect();
        if (r.right > limit + 1) wide.push(el.tagName + (el.className ? "." + el.className : "") + " " + Math.round(r.right));
      }
      return wide.slice(0, 20);
    });
    result.title = await page.title();
    result.sections = await page.evaluate(() => Array.from(document.querySelectorAll("h2")).map((h) => h.textContent));
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
