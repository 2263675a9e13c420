//! Browser test of code blocks (tests/browser/code.mjs): the fixture book
//! `tests/fixtures/mdbook/code/book` in headless Chromium over file://: hidden lines start
//! hidden and the toggle shows them, from the keyboard; the copy button copies the whole code;
//! highlighting follows the theme switch.
//!
//! Needs what tests/browser.rs needs (`scripts/test-deps.sh`). Without it this test fails.

use assert_cmd::Command;
use std::path::Path;
use std::process::Command as Process;

#[test]
fn copy_button_and_hidden_lines_work_in_chromium() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let playwright = repo.join("tests/browser/node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file() && Path::new("/usr/bin/chromium").is_file(),
        "run `scripts/test-deps.sh` to install Chromium and the browser test's node modules"
    );
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(repo.join("tests/fixtures/mdbook/code/book"))
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    let output = Process::new("node")
        .arg(repo.join("tests/browser/code.mjs"))
        .arg(&site)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    assert!(output.status.success(), "{report}\n{errors}");
    assert!(report.contains("code blocks: 13"), "{report}");
}
