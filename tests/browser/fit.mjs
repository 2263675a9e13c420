// The fit check: every page of a built gradbook site at 360, 390, 768, 1280 and 1680 px wide,
// in the light and the dark theme, over file:// in headless Chromium:
// - the page never scrolls sideways (and the elements that stick out are named if it does);
// - no figure's right edge is hidden unless it sits in a scroll region that shows it scrolls
//   (shadow at the hidden edge and a visible hint) and takes keyboard focus with a name;
// - any other box that scrolls sideways (table, display math, code) shows a shadow cue;
// - no text of any figure renders under 11 px: each <text>'s computed font size times the
//   scale of its screen transform (getScreenCTM), cross-checked with its box height.
// Screenshots of every page at 390 and 1680 px in both themes, and of every figure, go to the
// screenshot folder.
//
// usage: node fit.mjs <site-dir> <screenshot-dir>      (GRADBOOK_CHROMIUM overrides the browser)
// exit status: 0 all checks passed, 1 some check failed, 2 could not run.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const WIDTHS = [360, 390, 768, 1280, 1680];
const THEMES = ["light", "dark"];
const SHOT_WIDTHS = [390, 1680];
const MIN_TEXT_PX = 11;

const [siteArg, shotsArg] = process.argv.slice(2);
if (!siteArg || !shotsArg) {
    console.error("usage: node fit.mjs <site-dir> <screenshot-dir>");
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

/** The site's pages (top-level .html files), sorted. */
const pages = fs.readdirSync(site).filter((f) => f.endsWith(".html")).sort();

const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

/** Measures one loaded page; runs in the browser. */
function measure(minText) {
    const width = window.innerWidth;
    const problems = [];
    const describe = (el) => {
        const id = el.id || el.closest("[id]")?.id || "";
        return `<${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? ` class="${el.className}"` : ""}>${id ? ` in #${id}` : ""}`;
    };
    const scrolls = (el) => {
        const o = getComputedStyle(el).overflowX;
        return (o === "auto" || o === "scroll") && el.scrollWidth > el.clientWidth + 1;
    };
    const shows = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
    const shadowed = (el) => /gradient/.test(getComputedStyle(el).backgroundImage);

    // 1. The page itself never scrolls sideways.
    const overflow = document.documentElement.scrollWidth - width;
    if (overflow > 1) {
        const culprits = [...document.querySelectorAll("#content *")]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .filter((el) => !el.parentElement.closest("#content *") || el.parentElement.getBoundingClientRect().right <= width + 1)
            .slice(0, 5)
            .map(describe);
        problems.push(`the page is ${overflow}px wider than the window (${culprits.join(", ") || "no content element sticks out"})`);
    }

    // 2. A figure whose right edge is hidden sits in a scroll region that says so.
    const figures = [...document.querySelectorAll("figure.gb-figure")].filter(shows);
    let scrolling = 0;
    for (const figure of figures) {
        for (const svg of [...figure.querySelectorAll(":scope svg")].filter((s) => !s.parentElement.closest("svg")).filter(shows)) {
            const r = svg.getBoundingClientRect();
            let right = width;
            let scroller = null;
            for (let a = svg.parentElement; a && a !== document.body; a = a.parentElement) {
                if (getComputedStyle(a).overflowX !== "visible") {
                    right = Math.min(right, a.getBoundingClientRect().right);
                    scroller = scroller || (scrolls(a) ? a : null);
                }
            }
            if (r.right <= right + 1) {
                continue;
            }
            scrolling += 1;
            const where = `figure #${figure.id}: ${Math.round(r.right - right)}px of it hidden at the right`;
            if (!scroller) {
                problems.push(`${where}, and nothing scrolls it`);
                continue;
            }
            const named = scroller.getAttribute("aria-label") ||
                (scroller.getAttribute("aria-labelledby") || "").split(/\s+/)
                    .map((id) => document.getElementById(id)?.textContent || "").join("").trim();
            if (scroller.tabIndex < 0 || !scroller.getAttribute("role") || !named) {
                problems.push(`${where}: its scroll region is not a named, focusable region (tabindex=${scroller.tabIndex}, role=${scroller.getAttribute("role")}, name="${named}")`);
            }
            const hint = (scroller.getAttribute("aria-describedby") || "").split(/\s+/)
                .map((id) => document.getElementById(id)).find((h) => h && shows(h) && h.textContent.trim());
            if (!hint || !shadowed(scroller)) {
                problems.push(`${where}: no visible cue that it scrolls (hint shown: ${Boolean(hint)}, edge shadow: ${shadowed(scroller)})`);
            }
        }
    }

    // 3. Any other box that scrolls sideways shows a cue.
    for (const el of [...document.querySelectorAll("#content *")].filter(scrolls)) {
        if (!el.closest("figure.gb-figure") && !shadowed(el)) {
            problems.push(`${describe(el)} scrolls sideways (${el.scrollWidth - el.clientWidth}px hidden) with no visible cue`);
        }
    }

    // 4. Rendered size of every figure text.
    let smallest = Infinity;
    let texts = 0;
    for (const t of document.querySelectorAll("figure.gb-figure svg text, figure.gb-figure svg tspan")) {
        if (!(t.textContent || "").trim() || !shows(t)) {
            continue;
        }
        const m = t.getScreenCTM();
        if (!m) {
            continue;
        }
        const scale = Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
        const px = parseFloat(getComputedStyle(t).fontSize) * scale;
        // Independent check: the glyph box of one line is at least as tall as the font size
        // (ascent + descent ≥ 1 em in the fonts used).
        const box = t.getBoundingClientRect().height;
        texts += 1;
        smallest = Math.min(smallest, px);
        if (px < minText - 1e-3) {
            problems.push(`figure #${t.closest("figure").id}: text "${t.textContent.trim().slice(0, 30)}" renders at ${px.toFixed(4)}px (box ${box.toFixed(1)}px high)`);
        }
        if (t.tagName === "text" && !t.querySelector("tspan") && box + 0.5 < px * 0.9) {
            problems.push(`figure #${t.closest("figure").id}: text "${t.textContent.trim().slice(0, 30)}" box ${box.toFixed(1)}px is lower than its ${px.toFixed(2)}px font`);
        }
    }
    return { problems, figures: figures.length, scrolling, texts, smallest };
}

const report = [];
let failed = 0;
let checks = 0;
fs.mkdirSync(shots, { recursive: true });

for (const theme of THEMES) {
    for (const width of WIDTHS) {
        const context = await browser.newContext({
            viewport: { width, height: 900 },
            colorScheme: theme,
            reducedMotion: "reduce",
        });
        // The theme toggle's remembered choice wins over the system preference: pin it.
        await context.addInitScript((t) => {
            try {
                localStorage.setItem("gradbook-theme", t);
            } catch (e) { /* file:// storage may be off; the colour scheme then decides */ }
        }, theme);
        const page = await context.newPage();
        page.setDefaultTimeout(20000);
        for (const rel of pages) {
            checks += 1;
            let result;
            try {
                await page.goto(pathToFileURL(path.join(site, rel)).href, { waitUntil: "load" });
                await page.evaluate(() => document.fonts.ready.then(() => true));
                const dark = await page.evaluate(() => document.documentElement.classList.contains("dark"));
                result = await page.evaluate(measure, MIN_TEXT_PX);
                if (dark !== (theme === "dark")) {
                    result.problems.push(`expected the ${theme} theme`);
                }
                if (SHOT_WIDTHS.includes(width)) {
                    const base = path.join(shots, `${rel.replace(/\.html$/, "")}-${width}-${theme}`);
                    const height = await page.evaluate(() => document.documentElement.scrollHeight);
                    await page.setViewportSize({ width, height: Math.min(Math.max(height, 900), 16000) });
                    await page.screenshot({ path: `${base}.png` });
                    const figures = await page.$$("figure.gb-figure");
                    for (const [i, f] of figures.entries()) {
                        await f.screenshot({ path: `${base}-figure${i + 1}.png` });
                    }
                    await page.setViewportSize({ width, height: 900 });
                }
            } catch (err) {
                result = { problems: [String(err)], figures: 0, scrolling: 0, texts: 0, smallest: Infinity };
            }
            const smallest = Number.isFinite(result.smallest) ? result.smallest.toFixed(2) : "-";
            const status = result.problems.length === 0 ? "ok  " : "FAIL";
            report.push(`${status} ${rel} ${width}px ${theme}: figures=${result.figures} scrolling=${result.scrolling} texts=${result.texts} smallest=${smallest}px`);
            new Set(result.problems).forEach((p) => report.push(`       ${p}`));
            failed += result.problems.length > 0 ? 1 : 0;
        }
        await context.close();
    }
}

await browser.close();
report.push(`fit check: ${checks - failed} of ${checks} page views passed (${pages.length} pages × ${WIDTHS.length} widths × ${THEMES.length} themes); screenshots in ${shots}`);
console.log(report.join("\n"));
process.exit(failed === 0 ? 0 : 1);
