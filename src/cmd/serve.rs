//! `gradbook serve [BOOK_DIR] [-p PORT] [--host HOST] [--open]`: preview with live reload.

use crate::serve::{self, ServeOptions};
use std::path::Path;
use std::process::ExitCode;

/// Serve the book until Ctrl-C.
pub fn run(book_dir: &Path, port: u16, host: &str, open: bool) -> anyhow::Result<ExitCode> {
    serve::run(&ServeOptions {
        book_dir: book_dir.to_path_buf(),
        host: host.to_string(),
        port,
        open,
    })?;
    Ok(ExitCode::SUCCESS)
}
