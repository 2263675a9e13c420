//! Static files, as mdBook copies them: every file under the book's `src` folder that is not
//! Markdown goes to the same path in the site (images, downloads, the computation scripts).
//!
//! Hidden files and folders (`.git`, `.env`, …) are skipped, and so is a build folder inside
//! `src`; a symbolic link leading out of the book is an error naming it, and a folder reached
//! twice through links is copied once. Files gradbook generates win over a static file of the
//! same path.

use crate::site::book::inside_book;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every static file of the book: (site path with `/` separators, file on disk), sorted.
pub fn list(root: &Path, src: &Path, build_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let skip = build_dir.canonicalize().ok();
    walk(
        root,
        src,
        "",
        skip.as_deref(),
        &mut HashSet::new(),
        &mut found,
    )?;
    found.sort();
    Ok(found)
}

fn walk(
    root: &Path,
    dir: &Path,
    prefix: &str,
    skip: Option<&Path>,
    visited: &mut HashSet<PathBuf>,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<()> {
    let real = inside_book(root, dir)?;
    if Some(real.as_path()) == skip || !visited.insert(real) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let site_path = format!("{prefix}{name}");
        if path.is_dir() {
            walk(root, &path, &format!("{site_path}/"), skip, visited, out)?;
        } else if path.extension().is_none_or(|e| e != "md") {
            inside_book(root, &path)?;
            if path.is_file() {
                out.push((site_path, path));
            }
        }
    }
    Ok(())
}

/// Read every static file of the book into the site, under files already there, except the
/// files in `withheld` (canonical paths).
pub fn add(
    root: &Path,
    src: &Path,
    build_dir: &Path,
    withheld: &[PathBuf],
    site: &mut dyn crate::site::output::Sink,
) -> Result<()> {
    for (site_path, file) in list(root, src, build_dir)? {
        let held = file.canonicalize().is_ok_and(|f| withheld.contains(&f));
        if held || site.contains(&site_path) {
            continue;
        }
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        site.put(&site_path, &bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_markdown_files_are_listed_except_hidden_and_build_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let src = root.join("src");
        for file in [
            "src/SUMMARY.md",
            "src/images/x.svg",
            "src/data/run.py",
            "src/.secret",
            "src/.git/config",
            "src/book/old.html",
        ] {
            std::fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            std::fs::write(root.join(file), "x").unwrap();
        }
        let found: Vec<String> = list(root, &src, &src.join("book"))
            .unwrap()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(found, ["data/run.py", "images/x.svg"]);
    }

    #[test]
    fn links_out_of_the_book_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("book");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(dir.path().join("secret.png"), "SECRET").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.png"), root.join("src/leak.png"))
            .unwrap();
        let err = list(&root, &root.join("src"), &root.join("book"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("leak.png"), "{err}");
        assert!(err.contains("outside the book folder"), "{err}");
    }
}
