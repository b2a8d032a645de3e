// Open the audit's HTML page in Debian's Chromium (Playwright), with every request but the page's
// own refused, take a screenshot, and report what a person would check, as JSON on stdout.
// Usage: node check_page.mjs PAGE.html SCREENSHOT.png
import { chromium } from "playwright-core";

const [page_path, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, offline: true });
const page = await context.newPage();
const requests = [];
await page.route("**/*", (route) => {
  const url = route.request().url();
  requests.push(url);
  return url.startsWith("file://") ? route.continue() : route.abort();
});
await page.goto("file://" + page_path, { waitUntil: "load" });
const report = await page.evaluate(() => {
  const nodes = [...document.querySelectorAll("g.node")].map((g) => {
    const box = g.querySelector(".box").getBoundingClientRect();
    const label = g.querySelector("text.label");
    const text = label.getBoundingClientRect();
    return {
      key: g.dataset.key,
      verdict: g.dataset.verdict,
      label: label.textContent,
      fill: getComputedStyle(g.querySelector(".box")).fill,
      box: { left: box.left + scrollX, top: box.top + scrollY, right: box.right + scrollX, bottom: box.bottom + scrollY },
      text: { width: text.width, height: text.height },
      region: g.closest("section").querySelector("h2").textContent,
    };
  });
  return {
    nodes,
    edges: [...document.querySelectorAll("line.edge")].map((l) => ({ kind: l.classList.contains("both") ? "both" : "one-way", arrow: l.getAttribute("marker-end") })),
    bodyText: document.body.innerText,
    scripts: document.querySelectorAll("script").length,
  };
});
await page.screenshot({ path: screenshot, fullPage: true });
await browser.close();
console.log(JSON.stringify({ ...report, requests }));
