// Firefox half of test_packet_firefox.py: open the packet from file:// in firefox-esr (WebDriver BiDi,
// no geckodriver), apply rubric items on two pages by key, and report what every page then shows, as JSON.
//
//     node scores_across_pages.mjs FIREFOX PACKET_DIR QUESTION_COLUMN
import { pathToFileURL } from "node:url";
import path from "node:path";
import puppeteer from "puppeteer-core";

const [firefox, packet, column] = process.argv.slice(2);
const url = (relative) => pathToFileURL(path.join(packet, relative)).href;
const browser = await puppeteer.launch({ browser: "firefox", executablePath: firefox, headless: true });
try {
  const page = await browser.newPage();
  const unitFocused = () => page.waitForFunction(() => document.activeElement && document.activeElement.closest(".unit"));
  await page.goto(url(`questions/${column}.html`));
  await unitFocused();
  const first = await page.evaluate(() => document.activeElement.closest(".unit").dataset.row);
  await page.keyboard.press("1");
  await page.keyboard.press("3");
  const total = await page.$eval(".unit output.total", (o) => o.textContent);
  await page.goto(url("theory/0001.html"));
  await unitFocused();
  await page.keyboard.press("2");
  await page.goto(url("index.html"));
  const progress = await page.$eval(`[data-progress-col="${column}"]`, (s) => s.textContent);
  const theory = await page.$eval("[data-progress-row][data-part=theory]", (s) => s.textContent);
  await page.goto(url(`questions/${column}.html`));
  await unitFocused();
  const pressed = await page.$$eval(".unit:first-of-type .rubric-item[aria-pressed=true]", (bs) => bs.map((b) => b.dataset.item));
  const mathml = await page.$$eval("math", (ms) => ms.length > 0 && ms[0].getBoundingClientRect().width > 0);
  console.log(JSON.stringify({ first, total, progress, theory, pressed, mathml, userAgent: await browser.version() }));
} finally {
  await browser.close();
}
