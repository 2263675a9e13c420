// Measures the math glitches that src/site/math_fix.rs works around, in headless Chromium with
// the site's own math font, on every page of a built site:
// - a sized delimiter (`\Bigr)`, `<mo minsize>`) is drawn at least 90 % of its minsize tall,
//   also when it is the base of a script (`\Bigr)^2`);
// - a prime (`f'`, `\sigma'`) stands beside its letter like a prime, not above it like an
//   accent: its box reaches below the top of the letter's box (by at least 0.02 em), and it
//   starts right of the letter's box, for an italic f at least 0.09 em right (TeX's italic
//   correction, clearing the f's overhang);
// - what follows a subscripted nabla (`\nabla_\theta f`) starts at least 0.2 em right of it;
// - a brace (`\underbrace`, `\overbrace`) is drawn across the whole width of its base, in a
//   strip that no box of the base (its fractions, say) reaches into, and its label lies beyond
//   the strip. The drawing is measured in a screenshot of the strip: ink in at least 97 % of
//   its pixel columns, and the tip (the ink farthest from the base) within 6 % of the middle.
//   No brace is left to Chromium's own stretching (`<mo>⏟</mo>`), which paints it misplaced.
// Prints one line per page with the number of each kind measured, and every failure.
//
// usage: node math.mjs <site-dir>      (GRADBOOK_CHROMIUM overrides the browser)
// exit status: 0 all passed, 1 some glitch measured, 2 could not run.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import zlib from "node:zlib";
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
const totals = { sized: 0, primes: 0, nablas: 0, braces: 0 };

// The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are):
// { width, height, at(x, y) → [r, g, b] }.
function decodePng(buf) {
    let pos = 8;
    let width = 0;
    let height = 0;
    let channels = 0;
    const data = [];
    while (pos < buf.length) {
        const len = buf.readUInt32BE(pos);
        const type = buf.toString("latin1", pos + 4, pos + 8);
        const body = buf.subarray(pos + 8, pos + 8 + len);
        if (type === "IHDR") {
            width = body.readUInt32BE(0);
            height = body.readUInt32BE(4);
            if (body[8] !== 8 || body[12] !== 0 || ![2, 6].includes(body[9])) {
                throw new Error("unsupported PNG");
            }
            channels = body[9] === 6 ? 4 : 3;
        } else if (type === "IDAT") {
            data.push(body);
        }
        pos += 12 + len;
    }
    const raw = zlib.inflateSync(Buffer.concat(data));
    const stride = width * channels;
    const px = Buffer.alloc(stride * height);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        for (let x = 0; x < stride; x++) {
            const cur = raw[y * (stride + 1) + 1 + x];
            const a = x >= channels ? px[y * stride + x - channels] : 0;
            const b = y > 0 ? px[(y - 1) * stride + x] : 0;
            const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
            const p = a + b - c;
            const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
            const pred = [0, a, b, (a + b) >> 1, paeth][filter];
            px[y * stride + x] = (cur + pred) & 255;
        }
    }
    return { width, height, at: (x, y) => [...px.subarray(y * stride + x * channels, y * stride + x * channels + 3)] };
}

// Measure one brace strip (`strip`: a rectangle in page coordinates, `over`: the base lies
// below it) in a full-page screenshot; returns problems.
async function braceInk(page, strip, over, where) {
    const clip = { x: Math.floor(strip.left), y: Math.floor(strip.top), width: Math.ceil(strip.right) - Math.floor(strip.left), height: Math.ceil(strip.bottom) - Math.floor(strip.top) };
    const png = decodePng(await page.screenshot({ clip, fullPage: true }));
    const bg = png.at(0, 0).reduce((s, v) => s + v, 0);
    const inked = (x, y) => Math.abs(png.at(x, y).reduce((s, v) => s + v, 0) - bg) > 150;
    let columns = 0;
    let tip = { depth: -1, x: 0 };
    for (let x = 0; x < png.width; x++) {
        let deepest = -1;
        for (let y = 0; y < png.height; y++) {
            if (inked(x, y)) {
                deepest = Math.max(deepest, over ? png.height - 1 - y : y);
            }
        }
        if (deepest >= 0) columns += 1;
        if (deepest > tip.depth) tip = { depth: deepest, x };
    }
    const problems = [];
    if (columns < 0.97 * png.width) {
        problems.push(`the brace inks ${columns} of ${png.width} pixel columns under its base: ${where}`);
    }
    const off = Math.abs(tip.x + 0.5 - png.width / 2) / png.width;
    if (off > 0.06) {
        problems.push(`the brace's tip is ${(100 * off).toFixed(1)} % of its width from the middle: ${where}`);
    }
    return problems;
}

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
        // A prime's letter: the element before it, or the base when it is a superscript.
        const primes = [];
        for (const mo of document.querySelectorAll("math mo")) {
            if (!visible(mo) || !["′", "″", "‴"].includes(mo.textContent.trim())) continue;
            let script = mo;
            // Climb out of rows that hold nothing else but spaces.
            const alone = (el) => [...el.parentElement.children].every((c) => c === el || c.tagName === "mspace");
            while (script.parentElement.tagName === "mrow" && alone(script)) script = script.parentElement;
            const sup = script.parentElement.tagName === "msup" && script.parentElement.lastElementChild === script;
            const base = sup ? script.parentElement.firstElementChild : mo.previousElementSibling;
            if (base && /^\p{L}$/u.test(base.textContent.trim())) primes.push({ mo, base });
        }
        for (const { mo, base } of primes) {
            const [p, b] = [box(mo), box(base)];
            const letter = base.textContent.trim();
            const gap = (p.left - b.right) / em(mo);
            const want = letter === "f" ? 0.09 : 0;
            if (gap < want) {
                problems.push(`the prime of ${letter} starts ${gap.toFixed(3)} em after it (want ${want}): ${where(mo)}`);
            }
            const reach = (p.bottom - b.top) / em(mo);
            if (reach < 0.02) {
                problems.push(`the prime of ${letter} floats ${(-reach).toFixed(3)} em above it, like an accent: ${where(mo)}`);
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
        for (const mo of document.querySelectorAll("math mo")) {
            if (["⏟", "⏞"].includes(mo.textContent.trim()) && visible(mo)) {
                problems.push(`a brace is left to Chromium's stretching: ${where(mo)}`);
            }
        }
        const strips = [];
        for (const row of [...document.querySelectorAll("math .gb-underbrace, math .gb-overbrace")].filter(visible)) {
            const over = row.classList.contains("gb-overbrace");
            const r = box(row);
            const pad = parseFloat(getComputedStyle(row)[over ? "paddingTop" : "paddingBottom"]);
            // The strip the brace is drawn in, between the base's content box and the row's edge.
            const strip = over ? { left: r.left, right: r.right, top: r.top, bottom: r.top + pad } : { left: r.left, right: r.right, top: r.bottom - pad, bottom: r.bottom };
            if (pad < 0.3 * em(row)) {
                problems.push(`a brace has a strip ${pad.toFixed(1)}px high: ${where(row)}`);
            }
            for (const inner of row.querySelectorAll("*")) {
                const b = box(inner);
                const into = over ? strip.bottom - b.top : b.bottom - strip.top;
                if (b.width > 0 && into > 0.5) {
                    problems.push(`<${inner.tagName}> of a brace's base reaches ${into.toFixed(1)}px into the brace: ${where(row)}`);
                }
            }
            // The label: the other child of the munder/mover whose base is this row.
            const parent = row.parentElement;
            const label = parent.firstElementChild === row && ["munder", "mover"].includes(parent.tagName) ? parent.lastElementChild : null;
            if (label) {
                const b = box(label);
                const gap = over ? strip.top - b.bottom : b.top - strip.bottom;
                if (gap < 0) {
                    problems.push(`a brace's label overlaps the brace by ${(-gap).toFixed(1)}px: ${where(row)}`);
                }
            }
            // In page coordinates, for a full-page screenshot.
            const [dx, dy] = [window.scrollX, window.scrollY];
            strips.push({ strip: { left: strip.left + dx, right: strip.right + dx, top: strip.top + dy, bottom: strip.bottom + dy }, over, where: where(row) });
        }
        return { problems, strips, sized: sized.length, primes: primes.length, nablas: nablas.length };
    });
    for (const { strip, over, where } of found.strips) {
        found.problems.push(...(await braceInk(page, strip, over, where)));
    }
    await page.close();
    totals.sized += found.sized;
    totals.primes += found.primes;
    totals.nablas += found.nablas;
    totals.braces += found.strips.length;
    report.push(`${found.problems.length === 0 ? "ok  " : "FAIL"} ${rel}  sized=${found.sized} primes=${found.primes} nablas=${found.nablas} braces=${found.strips.length}`);
    found.problems.forEach((p) => report.push(`       ${p}`));
    failures += found.problems.length;
}
await browser.close();
report.push(`math check: ${failures} glitches; measured ${totals.sized} sized delimiters, ${totals.primes} primes, ${totals.nablas} subscripted nablas, ${totals.braces} braces`);
console.log(report.join("\n"));
process.exit(failures === 0 ? 0 : 1);
