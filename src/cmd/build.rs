//! `gradbook build [BOOK_DIR] [-d DEST] [--edition NAME]`: the main job.

use crate::site::build::build_edition;
use std::path::Path;
use std::process::ExitCode;

/// Build the book and print a one-line summary.
pub fn run(
    book_dir: &Path,
    dest: Option<&Path>,
    edition: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let report = build_edition(book_dir, dest, edition)?;
    println!(
        "Built {} pages, {} figures, {} computations ({} from the cache) in {} ms → {}",
        report.pages,
        report.figures,
        report.computations,
        report.cached,
        report.elapsed.as_millis(),
        crate::site::book::display_path(&report.dest).display()
    );
    Ok(ExitCode::SUCCESS)
}
