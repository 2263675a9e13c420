//! Browser test of `[output.html.redirect]` (tests/browser/redirect.mjs) on the `site` fixture
//! book over file://: redirect pages forward with their fragment map, and a page the book still
//! has forwards only the fragments its map names, as mdBook's in-page fragment mapper does.
//!
//! Needs what tests/browser.rs needs (`scripts/test-deps.sh`). Without it this test fails.

#[path = "common/browser.rs"]
mod browser;

use std::path::Path;

#[test]
fn redirects_and_fragment_maps_work_in_chromium() {
    browser::require(&["playwright-core/package.json"]);
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdbook/site/book");
    let (_dir, site) = browser::build_site(&book);
    let chapter = std::fs::read_to_string(site.join("chapter.html")).expect("chapter page");
    assert!(
        chapter.contains("data-fragment-map=\"{&quot;#moved-away&quot;"),
        "the chapter carries its fragment map, escaped"
    );
    let report = browser::run_script("redirect.mjs", &[&site]);
    assert!(
        report.contains("chapter.html#renamed -> chapter.html#new-name"),
        "{report}"
    );
    assert!(
        report.contains("chapter.html#not-mapped -> chapter.html#not-mapped"),
        "{report}"
    );
}
