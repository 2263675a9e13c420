//! `gradbook graph FILE.py`: one script's backward graph as SVG, DOT or JSON (not built yet).

use crate::cli::GraphFormat;
use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook graph`.
#[allow(unused_variables)]
pub fn run(file: &Path, format: GraphFormat, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gradbook graph` is not built yet")
}
