//! Math rendering test: builds the repository's own book and measures, in headless Chromium
//! (tests/browser/math.mjs), the layout glitches of math-core's MathML that
//! `src/site/math_fix.rs` works around: sized delimiters as script bases (`\Bigr)^2`), the
//! prime of `f'` and the subscript of `\nabla_\theta f`. Bounding boxes, not screenshots.
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

/// The count `N` of `N <what>…` in the report's last line (`… measured 12 sized delimiters,
/// 5 primes of f, 2 subscripted nablas`).
fn measured(report: &str, what: &str) -> usize {
    let last = report.lines().last().unwrap_or("");
    let counts = last.split_once("measured ").map_or("", |(_, c)| c);
    counts
        .split(", ")
        .filter_map(|part| part.split_once(' '))
        .find(|(_, rest)| rest.starts_with(what))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn math_glitches_are_repaired_in_chromium() {
    assert!(
        chromium().is_file(),
        "no Chromium at {}: {SETUP}",
        chromium().display()
    );
    let playwright = repo().join("tests/browser/node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "{} is missing: {SETUP}",
        playwright.display()
    );
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
        .arg(repo().join("tests/browser/math.mjs"))
        .arg(&site)
        .output()
        .unwrap_or_else(|e| panic!("node does not run ({e}): {SETUP}"));
    let report = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    assert!(
        output.status.success(),
        "math glitches measured ({}):\n{report}\n{errors}",
        output.status
    );
    // The book has each glitch's trigger, so the measurements are not vacuous.
    assert!(measured(&report, "sized") >= 10, "{report}");
    assert!(measured(&report, "primes") >= 4, "{report}");
    assert!(measured(&report, "subscripted") >= 1, "{report}");
}
