//! `gradbook results` (not built yet).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook results`.
#[allow(unused_variables)]
pub fn run(book_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook results` is not built yet")
}
