//! One file per command; each is a thin wrapper around the library.

pub mod build;
pub mod check;
pub mod clean;
pub mod graph;
pub mod init;
pub mod mdbook;
pub mod pdf;
pub mod results;
pub mod serve;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Run the command `cli` asks for; `Err` is a user error (exit code 1).
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Build {
            book_dir,
            dest,
            edition,
        } => build::run(&book_dir, dest.as_deref(), edition.as_deref()),
        Command::Pdf {
            book_dir,
            output,
            edition,
        } => pdf::run(&book_dir, output.as_deref(), edition.as_deref()),
        Command::Serve {
            book_dir,
            port,
            host,
            open,
        } => serve::run(&book_dir, port, &host, open),
        Command::Check { book_dir } => check::run(&book_dir),
        Command::Results { book_dir, json } => results::run(&book_dir, json),
        Command::Graph {
            file,
            format,
            output,
            theme,
            scale,
            dpi,
            force,
        } => graph::run(&graph::GraphArgs {
            file,
            format,
            output,
            theme,
            scale: scale
                .or(dpi.map(|d| d / crate::cli::CSS_DPI))
                .unwrap_or(crate::figure::export::DEFAULT_SCALE),
            force,
        }),
        Command::Init { dir } => init::run(&dir),
        Command::Clean { book_dir } => clean::run(&book_dir),
        Command::Mdbook { query } => mdbook::run(query),
    }
}
