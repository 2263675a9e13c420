// Code blocks in Chromium over file://: hidden lines start hidden, the toggle shows and hides
// them from the keyboard, the copy button copies the whole code (hidden lines included) and
// says so, and highlighting follows the theme switch. Usage: node code.mjs SITE_DIR
// With `--not-copyable` (a site built with `[output.html.playground] copyable = false`) it checks
// instead that no block has a copy button while the hidden-lines toggle still works.
// Prints one line per problem on stderr and exits 1 if there is any.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const site = process.argv[2];
const copyable = process.argv[3] !== "--not-copyable";
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const problems = [];
class Done extends Error {}
try {
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const page = await context.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console error: ${m.text()}`);
    });
    await page.goto(pathToFileURL(path.join(site, "code.html")).href, { waitUntil: "load" });

    const blocks = await page.evaluate(() => document.querySelectorAll("main pre > code").length);
    const buttons = await page.evaluate(() => document.querySelectorAll("main pre > .code-buttons .clip-button").length);
    if (blocks === 0 || buttons !== (copyable ? blocks : 0)) {
        problems.push(`${blocks} code blocks but ${buttons} copy buttons (copyable: ${copyable})`);
    }

    const pre = page.locator("main pre.playground").first();
    const hiddenShown = () => pre.evaluate((p) =>
        [...p.querySelectorAll(".boring")].filter((b) => b.getClientRects().length > 0).length);
    const boring = await pre.evaluate((p) => p.querySelectorAll(".boring").length);
    if (boring === 0) problems.push("the first Rust block has no hidden lines");
    if ((await hiddenShown()) !== 0) problems.push("hidden lines are visible before the toggle");

    // Keyboard: Tab from the start of the page reaches the toggle; Enter shows the lines.
    const toggle = pre.locator(".boring-toggle");
    let reached = false;
    await page.focus("body");
    for (let i = 0; i < 60 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await toggle.evaluate((t) => document.activeElement === t);
    }
    if (!reached) problems.push("Tab never reaches the show-hidden-lines button");
    await page.keyboard.press("Enter");
    if ((await hiddenShown()) !== boring) problems.push("Enter on the toggle did not show the hidden lines");
    if ((await toggle.getAttribute("aria-pressed")) !== "true") problems.push("the toggle is not aria-pressed after showing");
    await page.keyboard.press("Space");
    if ((await hiddenShown()) !== 0) problems.push("a second press did not hide the lines again");

    if (!copyable) {
        console.log(`code blocks: ${blocks}, copy buttons: ${buttons}, hidden lines: ${boring}`);
        throw new Done();
    }
    // Copy: the whole code, hidden lines included, from the keyboard too.
    const clip = pre.locator(".clip-button");
    await clip.focus();
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector(".code-status").textContent !== "", null, { timeout: 5000 })
        .catch(() => problems.push("the copy button reported nothing"));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const full = await pre.evaluate((p) => p.querySelector("code").textContent);
    if (copied !== full) problems.push(`copied ${JSON.stringify(copied)}, expected ${JSON.stringify(full)}`);
    if (!copied.includes("use std::collections::HashMap;") || !copied.includes("fn main() {")) {
        problems.push(`the copied text lacks the hidden lines: ${JSON.stringify(copied)}`);
    }
    const status = await page.evaluate(() => document.querySelector(".code-status").textContent);
    if (status !== "Copied to clipboard") problems.push(`status says ${JSON.stringify(status)}`);

    // Highlighting follows the theme switch.
    const keyword = () => page.evaluate(() => getComputedStyle(document.querySelector("main .hl-keyword")).color);
    const light = await keyword();
    await page.click("#theme-toggle");
    const dark = await keyword();
    if (light === dark) problems.push(`keywords are ${light} in both themes`);
    console.log(`code blocks: ${blocks}, hidden lines: ${boring}, keyword ${light} / ${dark}`);
} catch (e) {
    if (!(e instanceof Done)) throw e;
} finally {
    await browser.close();
}
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
