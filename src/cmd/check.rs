//! `gradbook check` (not built yet).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook check`.
#[allow(unused_variables)]
pub fn run(book_dir: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook check` is not built yet")
}
