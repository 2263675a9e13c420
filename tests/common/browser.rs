//! Shared by the browser tests: the prerequisites (Chromium, Node.js, tests/browser's node
//! modules), a book built into a temporary folder, and a script of tests/browser run on it.
//! `scripts/test-deps.sh` installs the prerequisites; without them a test fails, never skips.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

/// What to do when a prerequisite is missing.
pub const SETUP: &str =
    "run `scripts/test-deps.sh` to install Chromium, Node.js and the browser test's node modules";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The Chromium the scripts drive: `GRADBOOK_CHROMIUM`, or Debian's `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("GRADBOOK_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Panics with what is missing and how to get it, unless Chromium, `node` and the pinned
/// node modules (`module`, e.g. `playwright-core/package.json`) are all there.
pub fn require(modules: &[&str]) {
    let browser = chromium();
    assert!(
        browser.is_file(),
        "no Chromium at {}: {SETUP}",
        browser.display()
    );
    let node = Process::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "`node` is not on PATH: {SETUP}"
    );
    for module in modules {
        let file = repo().join("tests/browser/node_modules").join(module);
        assert!(file.is_file(), "{} is missing: {SETUP}", file.display());
    }
}

/// Build `book` into a fresh temporary folder; returns (folder, site).
pub fn build_site(book: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let site = dir.path().join("site");
    Command::cargo_bin("gradbook")
        .expect("the gradbook binary")
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    (dir, site)
}

/// Run `tests/browser/<script>` with `args`; returns its report (stdout), printed, after
/// asserting that it succeeded (the panic message holds the report and stderr).
pub fn run_script(script: &str, args: &[&Path]) -> String {
    let output = Process::new("node")
        .arg(repo().join("tests/browser").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("node does not run ({e}): {SETUP}"));
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    let errors = String::from_utf8_lossy(&output.stderr);
    println!("{report}");
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{report}\n{errors}",
        output.status
    );
    report
}
