// The console's live tail in Debian's headless Chromium: log in, open /tail,
// print READY once the event stream is open, then wait for the first record
// to appear and print, as one JSON line, when (ms since the epoch) and what,
// with every console error and request that left the console's origin.
//   node console_tail.js BASE_URL USER PASSWORD SCREENSHOT
const puppeteer = require("puppeteer-core");

async function main() {
  const [base, user, password, screenshot] = process.argv.slice(2);
  const origin = new URL(base).origin;
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const result = { consoleErrors: [], pageErrors: [], foreignRequests: [] };
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 700 });
    page.on("console", (m) => { if (m.type() === "error") result.consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => result.pageErrors.push(String(e)));
    page.on("request", (r) => { if (new URL(r.url()).origin !== origin) result.foreignRequests.push(r.url()); });
    await page.goto(base + "/login", { waitUntil: "load" });
    await page.type("input[name=user]", user);
    await page.type("input[name=password]", password);
    await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form.login button")]);
    await page.goto(base + "/tail", { waitUntil: "load" });
    await page.waitForFunction(() => document.getElementById("tail-state").textContent.startsWith("Following"),
                               { timeout: 10000 });
    console.log("READY");
    await page.waitForSelector("#tail li", { timeout: 10000 });
    result.appearedAt = Date.now();
    result.first = await page.evaluate(() => {
      const li = document.querySelector("#tail li");
      return { text: li.textContent, eventId: li.dataset.eventId, href: li.querySelector("a").getAttribute("href") };
    });
    await page.screenshot({ path: screenshot, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.error(e); process.exit(1); });
