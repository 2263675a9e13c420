//! `gradbook serve` (not built yet).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook serve`.
#[allow(unused_variables)]
pub fn run(book_dir: &Path, port: u16, host: &str, open: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook serve` is not built yet")
}
