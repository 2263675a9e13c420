// mdBook's `[output.html.redirect]` in Chromium over file://: a redirect page sends the reader
// on (with its fragment mapped), and a page the book still has follows its fragment map only
// for a mapped fragment. Usage: node redirect.mjs SITE_DIR
// Prints "FROM -> TO" per case; one line per problem on stderr and exit 1 if there is any.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const site = process.argv[2];
const executablePath = process.env.GRADBOOK_CHROMIUM || "/usr/bin/chromium";
const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
// The file URL of site path `p`, with its #fragment (kept out of the path).
const url = (p) => {
    const [file, fragment] = p.split("#");
    return pathToFileURL(path.join(site, file)).href + (fragment === undefined ? "" : "#" + fragment);
};
// [page opened, the page (and fragment) the reader must end on]
const cases = [
    ["chapter.html#renamed", "chapter.html#new-name"],
    ["chapter.html#moved-away", "sub/page.html#here"],
    ["chapter.html#not-mapped", "chapter.html#not-mapped"],
    ["old/place.html#gone", "sub/page.html#here"],
    ["old/place.html", "sub/page.html"],
];
const problems = [];
try {
    for (const [from, to] of cases) {
        // A fresh page each time: a change of fragment alone would not reload the document.
        const page = await browser.newPage();
        await page.goto(url(from), { waitUntil: "load" });
        const want = url(to);
        await page.waitForURL(want, { timeout: 5000 }).catch(() => {});
        // A page that must stay put: give a wrong redirect the time to happen.
        if (from === to) await page.waitForTimeout(300);
        const landed = page.url();
        console.log(`${from} -> ${path.relative(site, decodeURI(new URL(landed).pathname))}${new URL(landed).hash}`);
        if (landed !== want) problems.push(`${from}: landed on ${landed}, expected ${want}`);
        await page.close();
    }
} finally {
    await browser.close();
}
for (const p of problems) console.error(p);
process.exit(problems.length ? 1 : 0);
