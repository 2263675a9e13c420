//! Writing the site: every file goes into a fresh folder next to the destination, which then
//! replaces the destination, so a failed build leaves the previous site untouched.

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files of a site by path (`/`-separated, relative to the site root), in sorted order.
#[derive(Debug, Default, Clone)]
pub struct SiteFiles {
    /// Contents by path.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl SiteFiles {
    /// Add (or replace) a file.
    pub fn add(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), contents.into());
    }
}

/// Write `site` to `dest` atomically (as far as the file system allows): build in
/// `dest.tmp-<pid>`, move the old site aside, move the new one in, delete the old one.
pub fn write_atomically(site: &SiteFiles, dest: &Path) -> Result<()> {
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "book".into());
    let staging = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let result = write_tree(site, &staging).and_then(|()| swap(&staging, dest, &old));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_tree(site: &SiteFiles, root: &Path) -> Result<()> {
    for (path, contents) in &site.files {
        let target: PathBuf = root.join(path);
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

fn swap(staging: &Path, dest: &Path, old: &Path) -> Result<()> {
    if dest.exists() {
        if !dest.is_dir() {
            anyhow::bail!(
                "{} exists and is not a folder; not replacing it",
                dest.display()
            );
        }
        std::fs::rename(dest, old)
            .with_context(|| format!("moving the old site {} aside", dest.display()))?;
    }
    if let Err(err) = std::fs::rename(staging, dest) {
        let _ = std::fs::rename(old, dest);
        return Err(err).with_context(|| format!("moving the new site into {}", dest.display()));
    }
    let _ = std::fs::remove_dir_all(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_old_site() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("book");
        std::fs::create_dir_all(dest.join("stale")).unwrap();
        let mut site = SiteFiles::default();
        site.add("index.html", "hi");
        site.add("css/a.css", "x");
        write_atomically(&site, &dest).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("index.html")).unwrap(),
            "hi"
        );
        assert!(!dest.join("stale").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }
}
