//! `gradbook clean [BOOK_DIR]`: remove the built site, with the checks `build` uses.

use crate::config::Config;
use crate::site::book::{Book, display_path};
use crate::site::output::{self, Destination, Protected};
use std::path::Path;
use std::process::ExitCode;

/// Remove the site folder named by `build.build-dir` (only if gradbook wrote it) and the
/// staging folders interrupted builds left next to it.
pub fn run(book_dir: &Path) -> anyhow::Result<ExitCode> {
    let config = Config::load(book_dir)?;
    // A book that does not load (a broken chapter) can still be cleaned; its chapter list is
    // then unknown, but the site must carry the marker to be deleted anyway.
    let protected = match Book::load(book_dir) {
        Ok(book) => Protected::of_book(&book)?,
        Err(_) => Protected::of_config(book_dir, &config)?,
    };
    let dest = Destination::check(
        book_dir,
        &config.build.build_dir,
        "build-dir in book.toml",
        &protected,
    )?;
    let cleaned = output::clean(&dest)?;
    let shown = display_path(&dest.shown);
    for folder in &cleaned.stale {
        println!(
            "Removed {} (left by an interrupted build)",
            folder.display()
        );
    }
    if cleaned.removed_site {
        println!("Removed {}", shown.display());
    } else {
        println!("Nothing to clean: {} does not exist", shown.display());
    }
    Ok(ExitCode::SUCCESS)
}
