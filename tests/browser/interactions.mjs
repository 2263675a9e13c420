// The interactive checks of check.mjs, each on one page: dark theme (and figure text contrast
// in it), narrow window, remembered sidebar, arrow-key navigation, search, print media.
// Each returns { name, problems }.

/** Reads `rgb(…)`/`rgba(…)` into [r, g, b, a]; null for `none` or anything else. */
function parseColour(text) {
    const m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(text || "");
    return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])] : null;
}

/** WCAG relative luminance of an sRGB colour. */
function luminance([r, g, b]) {
    const lin = (c) => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function contrast(a, b) {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
}

/** Reload `page` until the reloaded page's storage holds `key` = `value`, for at most 10 s;
 *  whether it did. Chromium commits a page's localStorage to its storage service
 *  asynchronously, so on a loaded machine a reload soon after the write can read the store
 *  before the write lands: that is the browser's timing, not the page's, and a reader never
 *  reloads within milliseconds. What the page makes of a stored value is checked after. */
async function reloadWithStored(page, key, value) {
    const deadline = Date.now() + 10000;
    do {
        await page.waitForTimeout(300);
        await page.reload({ waitUntil: "load" });
        if (await page.evaluate(([k, v]) => localStorage.getItem(k) === v, [key, value])) {
            return true;
        }
    } while (Date.now() < deadline);
    return false;
}

async function darkTheme({ open, checkPage, fullShot, shotPath, feature }) {
    const { context, page, problems } = await open(feature, { colorScheme: "dark" });
    try {
        const state = await page.evaluate(() => ({
            classes: document.documentElement.className,
            expected: document.documentElement.dataset.preferredDarkTheme,
            background: getComputedStyle(document.body).backgroundColor,
            texts: [...document.querySelectorAll("figure.gb-figure svg text")]
                .filter((t) => (t.textContent || "").trim())
                .map((t) => ({
                    figure: t.closest("figure").id,
                    text: t.textContent.trim().slice(0, 30),
                    fill: getComputedStyle(t).fill,
                })),
        }));
        if (!state.classes.split(" ").includes(state.expected)) {
            problems.push(`system prefers dark: expected class "${state.expected}" on <html>, got "${state.classes}"`);
        }
        const bg = parseColour(state.background);
        if (state.expected === "dark" && !(bg && luminance(bg) < 0.1)) {
            problems.push(`dark theme but the page background is ${state.background}`);
        }
        for (const t of state.texts) {
            const fill = parseColour(t.fill);
            if (bg && fill && fill[3] > 0 && contrast(fill, bg) < 1.5) {
                problems.push(`figure ${t.figure}: text "${t.text}" (${t.fill}) is unreadable on ${state.background}`);
            }
        }
        await checkPage(page, problems);
        await fullShot(page, shotPath(feature, "-dark"));
        const other = state.expected === "dark" ? "light" : "dark";
        await page.click("#theme-toggle");
        // On a busy machine the click's handler can run late: wait until it has stored the
        // choice (or give up after 10 s and let the check below report it), then reload
        // until the stored choice reaches the reloaded page.
        await page
            .waitForFunction((t) => localStorage.getItem("gradbook-theme") === t, other, { timeout: 10000 })
            .catch(() => {});
        const after = (await reloadWithStored(page, "gradbook-theme", other))
            ? await page.evaluate(() => document.documentElement.className)
            : "(the choice was never stored)";
        if (!after.split(" ").includes(other)) {
            problems.push(`the theme chosen with the toggle (${other}) was not remembered: "${after}"`);
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: `${feature} in the dark theme (system preference) and the theme toggle`, problems };
}

async function narrowWindow({ open, checkPage, fullShot, shotPath, feature }) {
    const { context, page, problems } = await open(feature, { viewport: { width: 400, height: 800 } });
    const sidebarBox = () => page.evaluate(() => {
        const r = document.getElementById("sidebar").getBoundingClientRect();
        return { left: r.left, right: r.right, hidden: document.documentElement.classList.contains("sidebar-hidden") };
    });
    try {
        await checkPage(page, problems);
        const closed = await sidebarBox();
        if (!closed.hidden || closed.right > 0) {
            problems.push(`the sidebar should start closed in a narrow window: ${JSON.stringify(closed)}`);
        }
        await fullShot(page, shotPath(feature, "-narrow"));
        await page.click("#sidebar-toggle");
        await page.waitForTimeout(300);
        const opened = await sidebarBox();
        if (opened.hidden || opened.left < -1 || opened.right <= 0) {
            problems.push(`the sidebar toggle did not open the sidebar: ${JSON.stringify(opened)}`);
        }
        await page.mouse.click(390, 400);
        if (!(await sidebarBox()).hidden) {
            problems.push("a click beside the open sidebar did not close it");
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: `${feature} in a 400px window and the sidebar toggle`, problems };
}

async function sidebarRemembered({ open, feature }) {
    const { context, page, problems } = await open(feature);
    try {
        const hidden = () => page.evaluate(() => document.documentElement.classList.contains("sidebar-hidden"));
        if (await hidden()) {
            problems.push("the sidebar starts hidden in a wide window");
        }
        await page.click("#sidebar-toggle");
        // As for the theme: on a busy machine the click's handler can run late, so wait until
        // it has stored the state (or give up after 10 s and let the check below report it).
        await page
            .waitForFunction(() => localStorage.getItem("gradbook-sidebar") === "hidden", null, { timeout: 10000 })
            .catch(() => {});
        if (!(await reloadWithStored(page, "gradbook-sidebar", "hidden"))) {
            problems.push("closing the sidebar was never stored");
        } else if (!(await hidden())) {
            problems.push("closing the sidebar was not remembered");
        }
        const active = await page.$("#sidebar a.active");
        if (!active) {
            problems.push("the sidebar does not mark the current chapter");
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: `${feature}: sidebar state remembered, current chapter marked`, problems };
}

async function arrowKeys({ open, pages }) {
    const start = pages.find((p) => !["index.html", "print.html", "404.html"].includes(p)) || "index.html";
    const { context, page, problems } = await open(start);
    try {
        const next = await page.$eval('a[rel="next"]', (a) => a.href).catch(() => null);
        if (next) {
            // Chromium asks for the favicon after the load event: each page is left only once
            // its requests are done, or leaving it would abort that request.
            await page.waitForLoadState("networkidle");
            await Promise.all([page.waitForURL(next), page.keyboard.press("ArrowRight")]);
            await page.waitForLoadState("networkidle");
            const prev = await page.$eval('a[rel="prev"]', (a) => a.href);
            await Promise.all([page.waitForURL(prev), page.keyboard.press("ArrowLeft")]);
            await page.waitForLoadState("networkidle");
        } else {
            problems.push(`${start} has no next chapter to go to`);
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: `${start}: ArrowRight and ArrowLeft go to the next and previous chapter`, problems };
}

async function searchBox({ open, feature }) {
    const { context, page, problems } = await open(feature);
    try {
        if (!(await page.$("#search-toggle"))) {
            await context.close();
            return { name: `${feature}: search (disabled in book.toml)`, problems };
        }
        const term = await page.evaluate(() => {
            const docs = window.gradbookSearchIndex.docs;
            const words = docs.map((d) => d.title.split(/[^\p{L}\p{N}]+/u).find((w) => w.length >= 4)).filter(Boolean);
            return words[words.length - 1] || "the";
        });
        await page.keyboard.press("s");
        if (!(await page.isVisible("#searchbar")) || !(await page.evaluate(() => document.activeElement.id === "searchbar"))) {
            problems.push("pressing s did not open and focus the search box");
        }
        await page.keyboard.type(term.slice(0, -1).toLowerCase());
        const hits = await page.locator("#searchresults li").count();
        if (hits === 0) {
            problems.push(`searching for "${term.slice(0, -1)}" (a prefix of a heading) found nothing`);
        } else {
            await page.keyboard.press("ArrowDown");
            const focused = await page.evaluate(() => document.activeElement.closest("#searchresults") !== null);
            if (!focused) {
                problems.push("ArrowDown did not move to the first result");
            }
            if ((await page.locator("#searchresults mark").count()) === 0) {
                problems.push("the results do not highlight the term");
            }
        }
        await page.keyboard.press("Escape");
        if (await page.isVisible("#searchbar")) {
            problems.push("Escape did not close the search box");
        }
        await page.keyboard.press("/");
        if (!(await page.isVisible("#searchbar"))) {
            problems.push("pressing / did not open the search box");
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: `${feature}: search with s, /, the arrow keys and Escape`, problems };
}

async function printMedia({ open, pages }) {
    if (!pages.includes("print.html")) {
        return null;
    }
    const { context, page, problems } = await open("print.html");
    try {
        await page.emulateMedia({ media: "print" });
        const state = await page.evaluate(() => {
            const sections = [...document.querySelectorAll("section.print-chapter")];
            return {
                chapters: sections.length,
                breaks: sections.slice(1).map((s) => getComputedStyle(s).breakBefore),
                sidebar: getComputedStyle(document.getElementById("sidebar")).display,
                menu: getComputedStyle(document.getElementById("menu-bar")).display,
                printCalled: Boolean(window.__gradbookPrintCalled),
            };
        });
        if (state.chapters === 0) {
            problems.push("print.html holds no section.print-chapter");
        }
        if (state.breaks.some((b) => b !== "page")) {
            problems.push(`chapters do not start on a new page: ${state.breaks.join(", ")}`);
        }
        if (state.sidebar !== "none" || state.menu !== "none") {
            problems.push(`sidebar (${state.sidebar}) and menu bar (${state.menu}) should not print`);
        }
        if (state.printCalled) {
            problems.push("print.html called window.print() by itself");
        }
    } catch (err) {
        problems.push(String(err));
    }
    await context.close();
    return { name: "print.html in print media: every chapter, page breaks, no chrome", problems };
}

/** Runs every interactive check; `env` gives open, checkPage, fullShot, shotPath, pages and the feature page. */
export async function interactions(env) {
    const results = [];
    for (const check of [darkTheme, narrowWindow, sidebarRemembered, arrowKeys, searchBox, printMedia]) {
        const result = await check(env);
        if (result) {
            results.push(result);
        }
    }
    return results;
}
