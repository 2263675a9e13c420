//! `gradbook clean` (being built).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook clean`.
#[allow(unused_variables)]
pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook clean` is not built yet")
}
