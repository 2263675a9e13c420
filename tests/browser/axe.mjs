// Runs axe-core (the pinned npm package) on every page of a built gradbook site in headless
// Chromium over file://, at 390 and 1280 px wide, in the light and the dark theme, and fails on
// any violation. Prints one line per page × width × theme and, at the end, the number of
// violating elements per axe rule (the counts the accessibility report quotes).
//
// usage: node axe.mjs <site-dir>      (GRADBOOK_CHROMIUM overrides the browser)
// exit status: 0 no violation, 1 some violation, 2 could not run.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const [siteArg] = process.argv.slice(2);
if (!siteArg) {
    console.error("usage: node axe.mjs <site-dir>");
    process.exit(2);
}
const site = path.resolve(siteArg);
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(path.join(site, "index.html"))) {
    console.error(`${site} holds no index.html: build the book first`);
    process.exit(2);
}
const axeSource = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const axeVersion = require("axe-core/package.json").version;

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

const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});

const WIDTHS = [390, 1280];
const THEMES = ["light", "dark"];
const perRule = new Map();
const report = [];
let failed = 0;

for (const rel of htmlFiles(site)) {
    for (const width of WIDTHS) {
        for (const theme of THEMES) {
            const context = await browser.newContext({
                viewport: { width, height: 900 },
                colorScheme: theme,
                reducedMotion: "reduce",
            });
            const page = await context.newPage();
            page.setDefaultTimeout(30000);
            let lines = [];
            try {
                await page.goto(pathToFileURL(path.join(site, rel)).href, { waitUntil: "load" });
                await page.evaluate(() => document.fonts.ready.then(() => true));
                const shown = await page.evaluate(() => document.documentElement.classList.contains("dark") ? "dark" : "light");
                if (shown !== theme) {
                    lines.push(`the page shows the ${shown} theme, not ${theme}`);
                }
                await page.evaluate(axeSource);
                const violations = await page.evaluate(async () => {
                    const result = await window.axe.run(document, { resultTypes: ["violations"] });
                    return result.violations.map((v) => ({
                        id: v.id,
                        impact: v.impact,
                        help: v.help,
                        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
                    }));
                });
                for (const v of violations) {
                    perRule.set(v.id, (perRule.get(v.id) || 0) + v.nodes.length);
                    lines.push(`${v.id} (${v.impact}, ${v.nodes.length}×): ${v.help}`);
                    for (const n of v.nodes.slice(0, 4)) {
                        lines.push(`    ${n.target} — ${(n.summary || "").replace(/\s+/g, " ").slice(0, 200)}`);
                    }
                }
            } catch (err) {
                lines.push(String(err));
            }
            await context.close();
            report.push(`${lines.length === 0 ? "ok  " : "FAIL"} ${rel} ${width}px ${theme}`);
            lines.forEach((l) => report.push(`       ${l}`));
            failed += lines.length > 0 ? 1 : 0;
        }
    }
}
await browser.close();

const rules = [...perRule].sort(([a], [b]) => a.localeCompare(b));
report.push(`axe-core ${axeVersion}: violating elements per rule: ${rules.length === 0 ? "none" : rules.map(([id, n]) => `${id}=${n}`).join(", ")}`);
report.push(`axe check: ${failed} page views with violations`);
console.log(report.join("\n"));
process.exit(failed === 0 ? 0 : 1);
