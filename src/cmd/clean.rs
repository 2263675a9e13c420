//! `gradbook clean [BOOK_DIR]`: remove the built site.

use crate::config::Config;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Remove the site folder named by `build.build-dir`.
pub fn run(book_dir: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(book_dir)?;
    let dest = book_dir.join(&config.build.build_dir);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).with_context(|| format!("removing {}", dest.display()))?;
        println!("Removed {}", dest.display());
    } else {
        println!("Nothing to clean: {} does not exist", dest.display());
    }
    Ok(ExitCode::SUCCESS)
}
