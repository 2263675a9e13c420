//! Browser test of the authoring features (tests/browser/authoring.mjs) on the authoring
//! fixture: references navigate within a page, across pages and on the print page; a
//! collapsed solution opens by click and by keyboard.
//!
//! Needs Chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules
//! (`scripts/test-deps.sh` installs them). Without them this test fails; it never skips.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn chromium() -> PathBuf {
    std::env::var_os("GRADBOOK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

#[test]
fn references_navigate_and_collapsed_solutions_open_by_click_and_keyboard() {
    let setup = "run `scripts/test-deps.sh` to install Chromium, Node.js and the browser test's node modules";
    assert!(
        chromium().is_file(),
        "no Chromium at {}: {setup}",
        chromium().display()
    );
    assert!(
        repo()
            .join("tests/browser/node_modules/playwright-core/package.json")
            .is_file(),
        "playwright-core is missing: {setup}"
    );
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(repo().join("tests/fixtures/authoring"))
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    let output = Process::new("node")
        .arg(repo().join("tests/browser/authoring.mjs"))
        .arg(&site)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    assert!(
        output.status.success(),
        "the browser check failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.matches("ok  ").count() >= 9, "{report}");
}
