//! `gradbook mdbook`: gradbook as an mdBook preprocessor.

use crate::cli::MdbookQuery;
use crate::site::mdbook::plugin;
use std::process::ExitCode;

/// Answer `supports RENDERER`, or preprocess the book on standard input.
pub fn run(query: Option<MdbookQuery>) -> anyhow::Result<ExitCode> {
    match query {
        Some(MdbookQuery::Supports { renderer }) => Ok(if plugin::supports(&renderer) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }),
        None => {
            plugin::run(std::io::stdin().lock(), std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
