// Authoring in a real browser (issue #13), on the authoring fixture's site: a cross-reference
// navigates to its target (on the same page, on another page, on the print page); a collapsed
// solution opens by click and by keyboard (Enter and Space on its summary).
//
// usage: node authoring.mjs SITE_DIR — prints one line per check, exits 1 on any failure.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const site = path.resolve(process.argv[2] || "");
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(path.join(site, "index.html"))) {
    console.error(`no site at ${site}`);
    process.exit(2);
}
const url = (rel) => pathToFileURL(path.join(site, rel)).href;
const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const failures = [];
const check = (ok, what) => {
    console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
    if (!ok) failures.push(what);
};
try {
    const page = await browser.newPage();
    // Across pages: steps.html → grads.html#fig-pic, and the target is in view.
    await page.goto(url("steps.html"));
    await page.click("a.gb-xref[href='grads.html#fig-pic']");
    await page.waitForURL(/grads\.html#fig-pic$/);
    const inView = await page.evaluate(() => {
        const r = document.getElementById("fig-pic").getBoundingClientRect();
        return r.top < window.innerHeight && r.bottom > 0;
    });
    check(inView, "a reference to another page opens it at the figure");
    // Within a page.
    await page.goto(url("steps.html"));
    await page.click("a.gb-xref[href='#lem-small']");
    check(page.url().endsWith("#lem-small"), "a reference within the page moves to its target");
    // On the print page: links point at the prefixed ids, which exist.
    await page.goto(url("print.html"));
    const dangling = await page.evaluate(() =>
        [...document.querySelectorAll("a.gb-xref")]
            .map((a) => a.getAttribute("href"))
            .filter((h) => !h.startsWith("#") || !document.getElementById(h.slice(1))),
    );
    check(dangling.length === 0, `every reference on the print page has a target (${dangling.join(", ")})`);

    // A collapsed solution (the fixture's steps.html has one) opens by click…
    await page.goto(url("steps.html"));
    const closed = await page.evaluate(() => !document.querySelector("details.gb-solution").open);
    check(closed, "the collapsed solution starts closed");
    await page.click("details.gb-solution > summary");
    check(await page.evaluate(() => document.querySelector("details.gb-solution").open), "a click opens it");
    // …and by keyboard: focus the summary, Enter closes and opens, Space too.
    await page.focus("details.gb-solution > summary");
    await page.keyboard.press("Enter");
    check(await page.evaluate(() => !document.querySelector("details.gb-solution").open), "Enter closes it");
    await page.keyboard.press("Enter");
    check(await page.evaluate(() => document.querySelector("details.gb-solution").open), "Enter opens it");
    await page.keyboard.press("Space");
    await page.keyboard.press("Space");
    check(await page.evaluate(() => document.querySelector("details.gb-solution").open), "Space toggles it");
    // Tab reaches the summary from the page.
    await page.goto(url("steps.html"));
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
        await page.keyboard.press("Tab");
        reached = await page.evaluate(() => document.activeElement?.matches("details.gb-solution > summary") ?? false);
    }
    check(reached, "Tab reaches the solution's summary");
    if (reached) {
        await page.keyboard.press("Enter");
        check(await page.evaluate(() => document.querySelector("details.gb-solution").open), "Enter after Tab opens it");
    }
} finally {
    await browser.close();
}
process.exit(failures.length ? 1 : 0);
