//! Browser test of code blocks (tests/browser/code.mjs): the fixture book
//! `tests/fixtures/mdbook/code/book` in headless Chromium over file://: hidden lines start
//! hidden and the toggle shows them, from the keyboard; the copy button copies the whole code;
//! highlighting follows the theme switch; with `copyable = false` no block has a copy button.
//!
//! Needs what tests/browser.rs needs (`scripts/test-deps.sh`). Without it this test fails.

use assert_cmd::Command;
use std::path::Path;
use std::process::Command as Process;

fn repo() -> &'static Path {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let playwright = repo.join("tests/browser/node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file() && Path::new("/usr/bin/chromium").is_file(),
        "run `scripts/test-deps.sh` to install Chromium and the browser test's node modules"
    );
    repo
}

/// Build `book` and run code.mjs on the site with `mode` arguments; its report.
fn check_in_chromium(book: &Path, mode: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    let output = Process::new("node")
        .arg(repo().join("tests/browser/code.mjs"))
        .arg(&site)
        .args(mode)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    assert!(output.status.success(), "{report}\n{errors}");
    report
}

#[test]
fn copy_button_and_hidden_lines_work_in_chromium() {
    let report = check_in_chromium(&repo().join("tests/fixtures/mdbook/code/book"), &[]);
    assert!(report.contains("code blocks: 13"), "{report}");
}

/// mdBook's `[output.html.playground] copyable = false` takes the copy buttons away.
#[test]
fn copyable_false_leaves_code_blocks_without_copy_buttons() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    let fixture = repo().join("tests/fixtures/mdbook/code/book");
    std::fs::create_dir_all(book.join("src")).unwrap();
    for entry in std::fs::read_dir(fixture.join("src")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), book.join("src").join(entry.file_name())).unwrap();
    }
    let toml = std::fs::read_to_string(fixture.join("book.toml")).unwrap();
    std::fs::write(
        book.join("book.toml"),
        format!("{toml}\n[output.html.playground]\ncopyable = false\n"),
    )
    .unwrap();
    let report = check_in_chromium(&book, &["--not-copyable"]);
    assert!(report.contains("copy buttons: 0"), "{report}");
}
