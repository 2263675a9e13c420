//! `gradbook graph FILE.py`: one script's backward graph as SVG, DOT or JSON.

use crate::cli::GraphFormat;
use crate::compute::autograd;
use crate::figure::backward_graph;
use crate::site::book::read_text;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Run `gradbook graph`: read the script, build its backward graph, print or write it.
pub fn run(file: &Path, format: GraphFormat, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let source = read_text(file)?;
    let result =
        autograd::run(&source).map_err(|e| anyhow::Error::new(e.in_file(file, &source)))?;
    let text = match format {
        GraphFormat::Json => {
            let mut json = serde_json::to_string_pretty(&result.design_json())?;
            json.push('\n');
            json
        }
        GraphFormat::Dot => backward_graph::dot(&result),
        GraphFormat::Svg => {
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("graph");
            let prefix = format!("{stem}-");
            let mut svg = backward_graph::draw(&result, backward_graph::KINDS[0], &prefix)
                .unwrap_or_default();
            svg.push('\n');
            svg
        }
    };
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
