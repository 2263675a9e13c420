// Opens every page of a built gradbook site in headless Chromium over file:// and checks it:
// no console error, page error or failed request; no request leaving file://; every <math>
// laid out with a non-zero box in the shipped math font; unique ids; no horizontal overflow;
// working local links. Then exercises one page in the dark theme, in a narrow window, with
// the keyboard and the search box, and print.html in print media. One full-page screenshot per
// page (plus the dark and narrow variants) goes to the screenshot folder.
//
// usage: node check.mjs <site-dir> <screenshot-dir>      (GRADBOOK_CHROMIUM overrides the browser)
// exit status: 0 all checks passed, 1 some check failed, 2 could not run.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { interactions } from "./interactions.mjs";

const [siteArg, shotsArg] = process.argv.slice(2);
if (!siteArg || !shotsArg) {
    console.error("usage: node check.mjs <site-dir> <screenshot-dir>");
    process.exit(2);
}
const site = path.resolve(siteArg);
const shots = path.resolve(shotsArg);
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(path.join(site, "index.html"))) {
    console.error(`${site} holds no index.html: build the book first`);
    process.exit(2);
}
if (!fs.existsSync(executablePath)) {
    console.error(`no Chromium at ${executablePath}: run scripts/test-deps.sh`);
    process.exit(2);
}

/** Every .html file under `dir`, as sorted paths relative to it with forward slashes. */
function htmlFiles(dir, prefix = "") {
    const found = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix + entry.name;
        if (entry.isDirectory()) {
            found.push(...htmlFiles(path.join(dir, entry.name), rel + "/"));
        } else if (entry.name.endsWith(".html")) {
            found.push(rel);
        }
    }
    return found.sort();
}

const LOCAL = /^(file|data|blob|about):/;

const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
    ],
});

/** Opens `rel` in a fresh context; `problems` collects what the browser reports meanwhile. */
async function open(rel, { viewport = { width: 1280, height: 900 }, colorScheme = "light" } = {}) {
    const context = await browser.newContext({ viewport, colorScheme, reducedMotion: "reduce" });
    const problems = [];
    await context.route((url) => !LOCAL.test(url.href), (route) => {
        problems.push(`request leaves file://: ${route.request().url()}`);
        return route.abort();
    });
    await context.addInitScript(() => {
        window.print = () => {
            window.__gradbookPrintCalled = true;
        };
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on("console", (msg) => {
        if (msg.type() === "error") {
            const at = msg.location();
            problems.push(`console error: ${msg.text()}${at && at.url ? ` (${at.url}:${at.lineNumber})` : ""}`);
        }
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("requestfailed", (req) => problems.push(`failed request: ${req.url()} (${req.failure()?.errorText})`));
    page.on("request", (req) => {
        if (!LOCAL.test(req.url())) {
            problems.push(`request leaves file://: ${req.url()}`);
        }
    });
    await page.goto(pathToFileURL(path.join(site, rel)).href, { waitUntil: "load" });
    await page.evaluate(() => document.fonts.ready.then(() => true));
    return { context, page, problems };
}

/** The checks every page gets; returns counts for the report. */
async function checkPage(page, problems) {
    const facts = await page.evaluate(() => {
        const maths = [...document.querySelectorAll("math")]
            .filter((m) => !m.closest("details:not([open])"))
            .map((m) => {
                const r = m.getBoundingClientRect();
                return { w: r.width, h: r.height, text: (m.textContent || "").trim().slice(0, 50) };
            });
        const mathFont = [...document.fonts].some(
            (f) => f.family.replace(/["']/g, "") === "TeX Gyre Pagella Math" && f.status === "loaded"
        );
        const seen = new Map();
        for (const el of document.querySelectorAll("[id]")) {
            seen.set(el.id, (seen.get(el.id) || 0) + 1);
        }
        const duplicateIds = [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
        const figures = [...document.querySelectorAll("figure.gb-figure")].map((f) => {
            // A plot holds two renderings, one of them hidden at any width: the shown one counts.
            const svg = [...f.querySelectorAll("svg")].find((s) => s.getClientRects().length > 0);
            const r = (svg || f).getBoundingClientRect();
            return { id: f.id, svg: Boolean(svg), w: r.width, h: r.height };
        });
        // A box that scrolls sideways must not also scroll (or clip) up and down: that shows as
        // a stray vertical scrollbar wherever scrollbars are always visible.
        const clipped = [...document.querySelectorAll("#content *")]
            .filter((el) => {
                const style = getComputedStyle(el);
                return style.overflowX !== "visible" && el.scrollHeight > el.clientHeight + 1;
            })
            .map((el) => `<${el.tagName.toLowerCase()}${el.id ? ` id=${el.id}` : ""}> ${el.scrollHeight - el.clientHeight}px`);
        const links = [...document.querySelectorAll("a[href]")].map((a) => a.href);
        const missingAnchors = [...document.querySelectorAll('a[href^="#"]')]
            .map((a) => decodeURIComponent(a.getAttribute("href").slice(1)))
            .filter((id) => id && !document.getElementById(id));
        return {
            title: document.title,
            maths,
            mathFont,
            duplicateIds,
            figures,
            links,
            missingAnchors,
            clipped,
            overflow: document.documentElement.scrollWidth - window.innerWidth,
            searchIndex: !document.getElementById("searchbar") || Boolean(window.gradbookSearchIndex),
        };
    });
    if (!facts.title.trim()) {
        problems.push("the page has no <title>");
    }
    for (const m of facts.maths.filter((m) => !(m.w > 0 && m.h > 0))) {
        problems.push(`<math> with an empty box (${m.w}×${m.h}): ${m.text}`);
    }
    if (facts.maths.length > 0 && !facts.mathFont) {
        problems.push("the page has math but the math font (TeX Gyre Pagella Math) did not load");
    }
    if (facts.duplicateIds.length > 0) {
        problems.push(`duplicate ids: ${facts.duplicateIds.join(", ")}`);
    }
    for (const f of facts.figures) {
        if (!f.svg || !(f.w > 0 && f.h > 0)) {
            problems.push(`figure ${f.id || "(no id)"} has no visible SVG`);
        }
    }
    for (const id of facts.missingAnchors) {
        problems.push(`link to #${id}, which is not on the page`);
    }
    for (const href of facts.links.filter((h) => h.startsWith("file:"))) {
        const file = fileURLToPath(href.replace(/[?#].*$/, ""));
        if (!fs.existsSync(file)) {
            problems.push(`link to a missing file: ${path.relative(site, file)}`);
        }
    }
    for (const box of facts.clipped) {
        problems.push(`content sticks out of a scrolling box vertically: ${box}`);
    }
    if (facts.overflow > 1) {
        problems.push(`the page is ${facts.overflow}px wider than the window`);
    }
    if (!facts.searchIndex) {
        problems.push("searchindex.js did not define window.gradbookSearchIndex");
    }
    return { math: facts.maths.length, figures: facts.figures.length };
}

/**
 * A screenshot of the whole page. The window is made as tall as the page first: Playwright's
 * own full-page capture briefly shrinks the window to 1px wide, which fires the page's media
 * queries (closing the sidebar) and leaves Chromium's stretched MathML braces mis-laid.
 */
async function fullShot(page, file) {
    const viewport = page.viewportSize();
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(height, viewport.height), 16000) });
    await page.screenshot({ path: file, fullPage: height > 16000 });
    await page.setViewportSize(viewport);
}

function shotPath(rel, suffix = "") {
    const file = path.join(shots, rel.replace(/\.html$/, `${suffix}.png`));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return file;
}

const pages = htmlFiles(site);
const report = [];
let failed = 0;
let richest = { rel: "index.html", score: -1 };

for (const rel of pages) {
    const started = Date.now();
    let counts = { math: 0, figures: 0 };
    const { context, page, problems } = await open(rel).catch((err) => ({ problems: [String(err)] }));
    if (page) {
        try {
            counts = await checkPage(page, problems);
            await fullShot(page, shotPath(rel));
        } catch (err) {
            problems.push(String(err));
        }
        await context.close();
    }
    const score = counts.math + 10 * counts.figures;
    if (!["404.html", "print.html"].includes(rel) && score > richest.score) {
        richest = { rel, score };
    }
    const ms = Date.now() - started;
    const status = problems.length === 0 ? "ok  " : "FAIL";
    report.push(`${status} ${rel}  math=${counts.math} figures=${counts.figures} (${ms} ms)`);
    new Set(problems).forEach((p) => report.push(`       ${p}`));
    failed += problems.length > 0 ? 1 : 0;
}

const extra = await interactions({ open, checkPage, fullShot, shotPath, site, pages, feature: richest.rel });
for (const { name, problems } of extra) {
    report.push(`${problems.length === 0 ? "ok  " : "FAIL"} ${name}`);
    new Set(problems).forEach((p) => report.push(`       ${p}`));
    failed += problems.length > 0 ? 1 : 0;
}

await browser.close();
const total = pages.length + extra.length;
report.push(`browser check: ${total - failed} of ${total} checks passed (${pages.length} pages); screenshots in ${shots}`);
console.log(report.join("\n"));
process.exit(failed === 0 ? 0 : 1);
