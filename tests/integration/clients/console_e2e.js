// Drives the dynaudit console in Debian's headless Chromium (puppeteer-core):
// log in, search by principal and table, open a record, look at the search
// page on a narrow window, log out. Prints one JSON line: what it saw, every
// console or page error, every request that left the console's origin, and
// elements wider than the page; a screenshot of each page goes to OUTDIR.
//   node console_e2e.js BASE_URL USER PASSWORD PRINCIPAL TABLE OUTDIR
const puppeteer = require("puppeteer-core");
const path = require("path");

async function main() {
  const [base, user, password, principal, table, outdir] = process.argv.slice(2);
  const origin = new URL(base).origin;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const result = { consoleErrors: [], pageErrors: [], foreignRequests: [], failedRequests: [], tooWide: {} };
  const shot = (page, name) => page.screenshot({ path: path.join(outdir, "console-" + name + ".png"), fullPage: true });
  const wide = (page) => page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll("body *"))
      .filter((el) => el.getBoundingClientRect().right > limit + 1)
      .map((el) => el.tagName).slice(0, 10);
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on("console", (m) => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => result.pageErrors.push(String(e)));
    page.on("requestfailed", (r) => result.failedRequests.push(r.url()));
    await page.setRequestInterception(true);
    page.on("request", (r) => {
      if (new URL(r.url()).origin !== origin) { result.foreignRequests.push(r.url()); r.abort(); } else { r.continue(); }
    });

    await page.goto(base + "/search", { waitUntil: "load" });
    result.firstUrl = page.url();  // not logged in yet: the login page
    await shot(page, "login");
    // Keyboard only: the fields are labelled and in order.
    await page.focus("input[name=user]");
    await page.keyboard.type(user);
    await page.keyboard.press("Tab");
    await page.keyboard.type(password);
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.keyboard.press("Enter")]);
    result.afterLoginUrl = page.url();

    await page.type("input[name=principal]", principal);
    await page.type("input[name=table]", table);
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form.search button[type=submit]")]);
    result.searchUrl = page.url();
    result.rows = await page.evaluate(() =>
      Array.from(document.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.cells).map((td) => td.textContent)));
    result.labels = await page.evaluate(() =>
      Array.from(document.querySelectorAll("input:not([type=hidden]), select")).filter((el) => !el.closest("label")).length);
    result.tooWide.search = await wide(page);
    await shot(page, "search");

    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("tbody tr a")]);
    result.recordUrl = page.url();
    result.record = await page.evaluate(() => {
      const out = {};
      const dts = document.querySelectorAll("dt");
      dts.forEach((dt) => { out[dt.textContent] = dt.nextElementSibling.textContent; });
      return out;
    });
    result.tooWide.record = await wide(page);
    await shot(page, "record");

    await page.setViewport({ width: 420, height: 900 });
    await page.goto(result.searchUrl, { waitUntil: "load" });
    result.tooWide.narrow = await wide(page);
    await shot(page, "search-420");
    await page.setViewport({ width: 1280, height: 900 });

    await page.goto(base + "/discovery", { waitUntil: "load" });
    result.discovery = await page.evaluate(() =>
      Array.from(document.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.cells).map((td) => td.textContent)));
    result.tooWide.discovery = await wide(page);
    await shot(page, "discovery");

    await page.goto(base + "/overview", { waitUntil: "load" });
    result.overview = await page.evaluate(() => ({
      cards: Array.from(document.querySelectorAll(".card")).map((c) => c.textContent),
      sections: Array.from(document.querySelectorAll("h2")).map((h) => h.textContent),
      bars: document.querySelectorAll("svg.chart rect").length,
      denies: Array.from(document.querySelectorAll("ul.events li")).map((li) => li.textContent),
    }));
    result.tooWide.overview = await wide(page);
    await shot(page, "overview");

    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("header form button")]);
    result.afterLogoutUrl = page.url();
    await page.goto(base + "/search", { waitUntil: "load" });
    result.afterLogoutSearchUrl = page.url();
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
