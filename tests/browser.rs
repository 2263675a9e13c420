//! Browser test: builds the repository's own book and opens every page in headless Chromium
//! (tests/browser/check.mjs) over file://: no console or page errors, no failed or outside
//! requests, every `<math>` laid out, the dark theme, a narrow window, keyboard and search.
//! Screenshots of every page go to target/screenshots/.
//!
//! The fit test (tests/browser/fit.mjs) opens every page at 360, 390, 768, 1280 and 1680 px
//! in both themes: no sideways page scroll, no hidden figure edge without a scroll cue and
//! keyboard focus, no figure text under 11 px; its screenshots go to target/screenshots-fit/.
//!
//! Needs /usr/bin/chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules:
//! `scripts/test-deps.sh` installs them. Without them this test fails; it never skips.

#[path = "common/browser.rs"]
mod browser;

use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Build the repository's own book into a fresh temporary folder; returns (folder, site).
fn build_default_book() -> (tempfile::TempDir, std::path::PathBuf) {
    browser::require(&["playwright-core/package.json"]);
    browser::build_site(repo())
}

/// Run `tests/browser/<script>` on `site` with screenshots into `target/<shots>/` (emptied
/// first: stale screenshots of pages that no longer exist would mislead whoever looks at
/// them); panics with its report unless it succeeds and names `index.html`.
fn run_check(script: &str, site: &Path, shots: &str) {
    let shots = repo().join("target").join(shots);
    let _ = std::fs::remove_dir_all(&shots);
    let report = browser::run_script(script, &[site, &shots]);
    assert!(
        report.contains("index.html"),
        "the report names no page:\n{report}"
    );
}

#[test]
fn every_page_works_in_chromium() {
    let (_dir, site) = build_default_book();
    run_check("check.mjs", &site, "screenshots");
}

#[test]
fn every_page_fits_every_window() {
    let (_dir, site) = build_default_book();
    run_check("fit.mjs", &site, "screenshots-fit");
}
