//! Accessibility test: builds the repository's own book and runs axe-core (pinned in
//! tests/browser/package.json) on every page at 390 and 1280 px in the light and dark themes
//! (tests/browser/axe.mjs); any violation fails the test.
//!
//! Needs /usr/bin/chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules:
//! `scripts/test-deps.sh` installs them. Without them this test fails; it never skips.

#[path = "common/browser.rs"]
mod browser;

use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_page_passes_axe_in_both_themes_and_widths() {
    browser::require(&["playwright-core/package.json", "axe-core/axe.min.js"]);
    let (_dir, site) = browser::build_site(repo());
    let report = browser::run_script("axe.mjs", &[&site]);
    // 7 pages (index, intro, three chapters, print, 404) × 2 widths × 2 themes.
    let views = report.lines().filter(|l| l.starts_with("ok   ")).count();
    assert!(
        views >= 28,
        "only {views} page views were checked:\n{report}"
    );
    assert!(
        report.contains("violating elements per rule: none"),
        "{report}"
    );
}
