//! `gradbook init` (being built).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook init`.
#[allow(unused_variables)]
pub fn run(dir: &Path) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook init` is not built yet")
}
