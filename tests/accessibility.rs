//! Accessibility test: builds the repository's own book and runs axe-core (pinned in
//! tests/browser/package.json) on every page at 390 and 1280 px in the light and dark themes
//! (tests/browser/axe.mjs); any violation fails the test.
//!
//! Needs /usr/bin/chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules:
//! `scripts/test-deps.sh` installs them. Without them this test fails; it never skips.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

const SETUP: &str =
    "run `scripts/test-deps.sh` to install Chromium and the browser test's node modules";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    std::env::var_os("GRADBOOK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

#[test]
fn every_page_passes_axe_in_both_themes_and_widths() {
    assert!(
        chromium().is_file(),
        "no Chromium at {}: {SETUP}",
        chromium().display()
    );
    let axe = repo().join("tests/browser/node_modules/axe-core/axe.min.js");
    assert!(axe.is_file(), "{} is missing: {SETUP}", axe.display());
    let dir = tempfile::tempdir().expect("a temporary directory");
    let site = dir.path().join("site");
    Command::cargo_bin("gradbook")
        .expect("the gradbook binary")
        .arg("build")
        .arg(repo())
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    let output = Process::new("node")
        .arg(repo().join("tests/browser/axe.mjs"))
        .arg(&site)
        .output()
        .unwrap_or_else(|e| panic!("node does not run ({e}): {SETUP}"));
    let report = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    assert!(
        output.status.success(),
        "axe-core found violations ({}):\n{report}\n{errors}",
        output.status
    );
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
