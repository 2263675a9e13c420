//! Browser test of the authoring features (tests/browser/authoring.mjs) on the authoring
//! fixture: references navigate within a page, across pages and on the print page; a
//! collapsed solution opens by click and by keyboard.
//!
//! Needs Chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules
//! (`scripts/test-deps.sh` installs them). Without them this test fails; it never skips.

#[path = "common/browser.rs"]
mod browser;

use std::path::Path;

#[test]
fn references_navigate_and_collapsed_solutions_open_by_click_and_keyboard() {
    browser::require(&["playwright-core/package.json"]);
    let (_dir, site) = browser::build_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/authoring"),
    );
    let report = browser::run_script("authoring.mjs", &[&site]);
    assert!(report.matches("ok  ").count() >= 9, "{report}");
}
