//! `gradbook build` (being built).

use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook build`.
#[allow(unused_variables)]
pub fn run(dir: &Path, dest: Option<&Path>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook build` is not built yet")
}
