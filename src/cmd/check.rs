//! `gradbook check [BOOK_DIR]`: every computation, every claim, every internal link.

use crate::site::check::check;
use std::path::Path;
use std::process::ExitCode;

/// Check the book; print what was checked, or every failure, and exit 1 when anything failed.
pub fn run(book_dir: &Path) -> anyhow::Result<ExitCode> {
    let report = check(book_dir)?;
    if report.passed() {
        println!(
            "Check passed: {} computations, {} claims, {} internal links and anchors.",
            report.computations, report.claims, report.links
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("Check failed: {} problem(s).", report.problems.len());
    for problem in &report.problems {
        eprintln!("{problem}");
    }
    Ok(ExitCode::from(1))
}
