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

/// Everything the node script needs, or a message saying what is missing and how to get it.
fn prerequisites() -> Result<(), String> {
    let browser = chromium();
    if !browser.is_file() {
        return Err(format!("no Chromium at {}: {SETUP}", browser.display()));
    }
    let node = Process::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Err(format!("`node` is not on PATH: {SETUP}"));
    }
    let playwright = repo().join("tests/browser/node_modules/playwright-core/package.json");
    if !playwright.is_file() {
        return Err(format!("{} is missing: {SETUP}", playwright.display()));
    }
    Ok(())
}

/// Build the repository's own book into a fresh temporary folder; returns (folder, site).
fn build_default_book() -> (tempfile::TempDir, PathBuf) {
    if let Err(missing) = prerequisites() {
        panic!("browser test cannot run: {missing}");
    }
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
    (dir, site)
}

/// Run `tests/browser/<script>` on `site` with screenshots into `target/<shots>/` (emptied
/// first: stale screenshots of pages that no longer exist would mislead whoever looks at
/// them); panics with its report unless it succeeds and names `index.html`.
fn run_check(script: &str, site: &Path, shots: &str) {
    let shots = repo().join("target").join(shots);
    let _ = std::fs::remove_dir_all(&shots);
    let output = Process::new("node")
        .arg(repo().join("tests/browser").join(script))
        .arg(site)
        .arg(&shots)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    if !errors.trim().is_empty() {
        eprintln!("{errors}");
    }
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{report}\n{errors}",
        output.status
    );
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
