// Measures the math glitches that src/site/math_fix.rs works around, in headless Chromium with
// the site's own math font, on every page of a built site:
// - a sized delimiter (`\Bigr)`, `<mo minsize>`) is drawn at least 90 % of its minsize tall,
//   also when it is the base of a script (`\Bigr)^2`);
// - the prime of an italic f (`f'`) starts at least 0.12 em right of the f's box;
// - what follows a subscripted nabla (`\nabla_\theta f`) starts at least 0.2 em right of it.
// Prints one line per page with the number of each kind measured, and every failure.
//
// usage: node math.mjs <site-dir>      (GRADBOOK_CHROMIUM overrides the browser)
// exit status: 0 all passed, 1 some glitch measured, 2 could not run.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const [siteArg] = process.argv.slice(2);
if (!siteArg) {
    console.error("usage: node math.mjs <site-dir>");
    process.exit(2);
}
const site = path.resolve(siteArg);
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
const pages = fs.readdirSync(site).filter((f) => f.endsWith(".html") && f !== "print.html").sort();

const browser = await chromium.launch({ executablePath, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const context = await browser.newContext({ viewport: { width: 1680, height: 1000 } });
const report = [];
let failures = 0;
const totals = { sized: 0, primes: 0, nablas: 0 };
for (const rel of pages) {
    const page = await context.newPage();
    await page.goto(pathToFileURL(path.join(site, rel)).href, { waitUntil: "load" });
    await page.evaluate(() => document.fonts.ready.then(() => true));
    const found = await page.evaluate(() => {
        const problems = [];
        const em = (el) => parseFloat(getComputedStyle(el).fontSize);
        const box = (el) => el.getBoundingClientRect();
        const where = (el) => (el.closest("math").getAttribute("alttext") || "").slice(0, 60);
        const visible = (el) => box(el).width > 0;
        const sized = [...document.querySelectorAll("math mo[minsize]")].filter(visible);
        for (const mo of sized) {
            const want = parseFloat(mo.getAttribute("minsize")) * em(mo);
            const got = box(mo).height;
            if (got < 0.9 * want) {
                problems.push(`sized delimiter ${mo.textContent} is ${got.toFixed(1)}px tall, minsize ${want.toFixed(1)}px: ${where(mo)}`);
            }
        }
        const primes = [...document.querySelectorAll("math msup")].filter(
            (m) => visible(m) && m.firstElementChild?.textContent === "f" && m.lastElementChild?.textContent.trim() === "′"
        );
        for (const m of primes) {
            const f = box(m.firstElementChild);
            const prime = box(m.lastElementChild.querySelector("mo") || m.lastElementChild);
            const gap = (prime.left - f.right) / em(m);
            if (gap < 0.12) {
                problems.push(`the prime of f starts ${gap.toFixed(3)} em after the f: ${where(m)}`);
            }
        }
        const nablas = [...document.querySelectorAll("math msub")].filter(
            (m) => visible(m) && m.firstElementChild?.textContent === "∇" && m.nextElementSibling
        );
        for (const m of nablas) {
            const next = m.nextElementSibling.tagName === "mspace" ? m.nextElementSibling.nextElementSibling : m.nextElementSibling;
            const gap = next ? (box(next).left - box(m).right) / em(m) : 1;
            if (gap < 0.2) {
                problems.push(`after ∇ with a subscript the next item starts ${gap.toFixed(3)} em away: ${where(m)}`);
            }
        }
        return { problems, sized: sized.length, primes: primes.length, nablas: nablas.length };
    });
    await page.close();
    totals.sized += found.sized;
    totals.primes += found.primes;
    totals.nablas += found.nablas;
    report.push(`${found.problems.length === 0 ? "ok  " : "FAIL"} ${rel}  sized=${found.sized} primes=${found.primes} nablas=${found.nablas}`);
    found.problems.forEach((p) => report.push(`       ${p}`));
    failures += found.problems.length;
}
await browser.close();
report.push(`math check: ${failures} glitches; measured ${totals.sized} sized delimiters, ${totals.primes} primes of f, ${totals.nablas} subscripted nablas`);
console.log(report.join("\n"));
process.exit(failures === 0 ? 0 : 1);
