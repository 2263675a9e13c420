//! `gradbook check` end to end: it fails (exit 1, with file:line) on a broken internal link, a
//! missing anchor, a false claim in a chapter, a false claim of a study and a printed parameter
//! set that does not reproduce, and passes on a valid book and on the default book.

mod common;

use assert_cmd::Command;
use common::copy_tree;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(name)
}

/// Run `gradbook check` in `dir` on `book` (relative, so messages name `content/…`): (exit
/// code, stdout, stderr).
fn check(dir: &Path, book: &str) -> (i32, String, String) {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .current_dir(dir)
        .args(["check", book])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn failing(name: &str) -> Vec<String> {
    let (code, stdout, stderr) = check(&fixture(""), name);
    assert_eq!(code, 1, "{name} should fail\n{stdout}{stderr}");
    assert!(stderr.starts_with("Check failed: "), "{stderr}");
    stderr.lines().skip(1).map(str::to_string).collect()
}

#[test]
fn passes_on_a_valid_book() {
    let (code, stdout, stderr) = check(&fixture(""), "good");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("Check passed: 1 computations, 1 claims, "),
        "{stdout}"
    );
}

#[test]
fn broken_link_fails_at_its_line_and_column() {
    let problems = failing("broken-link");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("broken-link/content/intro.md:6:19: broken link `missing.html` on "),
        "{}",
        problems[0]
    );
    assert!(
        problems[0].ends_with("no file `missing.html` in the site"),
        "{}",
        problems[0]
    );
}

#[test]
fn a_link_with_a_typo_gets_the_file_it_meant() {
    let problems = failing("typo-link");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("typo-link/content/intro.md:3:22: broken link `othre.html` on ")
            && problems[0]
                .ends_with("no file `othre.html` in the site: did you mean `other.html`?"),
        "{}",
        problems[0]
    );
}

#[test]
fn missing_anchor_fails_at_its_line_and_column() {
    let problems = failing("missing-anchor");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with(
        "missing-anchor/content/intro.md:6:19: broken link `other.html#no-such-section`"
    ));
    assert!(
        problems[0].ends_with("no anchor `#no-such-section` on `other.html`"),
        "{}",
        problems[0]
    );
}

#[test]
fn false_chapter_claim_fails_at_its_line_and_column() {
    let problems = failing("failed-claim");
    assert_eq!(
        problems,
        vec!["failed-claim/content/intro.md:4:55: claim fails: the output exceeds 100"]
    );
}

#[test]
fn false_study_claim_fails_naming_the_study() {
    let problems = failing("failed-study-claim");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("failed-study-claim/content/bump.toml: claim fails: Gradient descent"),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("gets stuck"), "{}", problems[0]);
}

/// A printed parameter set whose ratio does not follow from its printed values fails the
/// check at the table's line; one that does passes; an unknown parameter name is reported.
#[test]
fn printed_parameter_sets_are_reevaluated() {
    let problems = failing("wrong-param-set");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "wrong-param-set/content/sets.md:9:15: parameter set of `tiny` (variant `v`, d/dw1): the page prints ratio 0.5, but the printed values give "
        ),
        "{}",
        problems[0]
    );
    assert_eq!(
        problems[1],
        "wrong-param-set/content/sets.md:13:15: parameter set of `tiny` (variant `v`, d/dw1): variant `v` has no parameter `w9`"
    );
}

#[test]
fn computation_errors_are_listed_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    copy_tree(&fixture("good"), &book);
    std::fs::write(
        book.join("content/tiny.py"),
        "import torch\na = torch.nosuch([1.0])\n",
    )
    .unwrap();
    let (code, _, stderr) = check(dir.path(), "book");
    assert_eq!(code, 1);
    assert!(stderr.contains("book/content/tiny.py:2:"), "{stderr}");
}

#[test]
fn passes_on_the_default_book() {
    let (code, stdout, stderr) = check(Path::new(env!("CARGO_MANIFEST_DIR")), ".");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("Check passed: "), "{stdout}");
}
