//! The site marker: a `.gradbook-site` file in every folder gradbook writes, what a folder on
//! disk is (absent, empty, a gradbook site, something else), and removal that deletes the
//! marker last so a half-removed site is still recognised.

use anyhow::{Context, Result};
use std::path::Path;

/// The marker's file name, at the top of every site gradbook writes.
pub const MARKER: &str = ".gradbook-site";

/// The marker's fixed text (no timestamp: builds are byte-identical).
pub const MARKER_TEXT: &str = "This folder is a site written by gradbook. `gradbook build` replaces it and\n`gradbook clean` deletes it; gradbook never replaces or deletes a folder without this file.\n";

/// What is at a path where a site may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Nothing.
    Absent,
    /// An empty folder.
    Empty,
    /// A folder carrying the marker.
    Site,
    /// Anything else, with why it is not ours to replace.
    Other(String),
}

/// What is at `path` (a symlink is reported as such and never followed).
pub fn inspect(path: &Path) -> Result<Found> {
    let meta = match path.symlink_metadata() {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Absent),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if meta.file_type().is_symlink() {
        return Ok(Found::Other("it is a symbolic link".into()));
    }
    if !meta.is_dir() {
        return Ok(Found::Other("it is a file, not a folder".into()));
    }
    let mut entries =
        std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))?;
    if entries.next().is_none() {
        return Ok(Found::Empty);
    }
    Ok(if marker_text(path).as_deref() == Some(MARKER_TEXT) {
        Found::Site
    } else {
        Found::Other(format!(
            "it is a folder that gradbook did not write (it has no {MARKER} file)"
        ))
    })
}

/// The text of `folder`'s marker, when it is a regular file.
pub fn marker_text(folder: &Path) -> Option<String> {
    let file = folder.join(MARKER);
    let meta = file.symlink_metadata().ok()?;
    if !meta.is_file() || meta.len() > MARKER_TEXT.len() as u64 {
        return None;
    }
    std::fs::read_to_string(file).ok()
}

/// Write the marker into `folder` (the first file of every staging folder).
pub fn mark(folder: &Path) -> Result<()> {
    let file = folder.join(MARKER);
    std::fs::write(&file, MARKER_TEXT).with_context(|| format!("writing {}", file.display()))
}

/// Delete the site folder `folder`: everything but the marker, then the marker, then the
/// folder, so an interrupted removal leaves a folder that still says it is ours.
pub fn remove_site(folder: &Path) -> Result<()> {
    let entries =
        std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", folder.display()))?;
        if entry.file_name() == MARKER {
            continue;
        }
        let path = entry.path();
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {}", path.display()))?;
        let removed = if kind.is_dir() {
            // `remove_dir_all` does not follow symlinks, so nothing outside the site goes.
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.with_context(|| format!("removing {}", path.display()))?;
    }
    let marker = folder.join(MARKER);
    match std::fs::remove_file(&marker) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing {}", marker.display())),
    }
    std::fs::remove_dir(folder).with_context(|| format!("removing {}", folder.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_kinds_of_folder_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        assert_eq!(inspect(&p.join("none")).unwrap(), Found::Absent);
        std::fs::create_dir(p.join("empty")).unwrap();
        assert_eq!(inspect(&p.join("empty")).unwrap(), Found::Empty);
        std::fs::create_dir(p.join("site")).unwrap();
        mark(&p.join("site")).unwrap();
        std::fs::write(p.join("site/index.html"), "x").unwrap();
        assert_eq!(inspect(&p.join("site")).unwrap(), Found::Site);
        std::fs::create_dir(p.join("mine")).unwrap();
        std::fs::write(p.join("mine/notes.txt"), "x").unwrap();
        assert!(matches!(inspect(&p.join("mine")).unwrap(), Found::Other(w) if w.contains(MARKER)));
        std::fs::write(p.join("file"), "x").unwrap();
        assert!(matches!(inspect(&p.join("file")).unwrap(), Found::Other(w) if w.contains("file")));
    }

    #[test]
    fn a_wrong_or_linked_marker_is_not_a_marker() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        std::fs::create_dir(p.join("fake")).unwrap();
        std::fs::write(p.join("fake").join(MARKER), "anything").unwrap();
        assert!(matches!(inspect(&p.join("fake")).unwrap(), Found::Other(_)));
        std::fs::create_dir(p.join("dir-marker")).unwrap();
        std::fs::create_dir(p.join("dir-marker").join(MARKER)).unwrap();
        assert!(matches!(
            inspect(&p.join("dir-marker")).unwrap(),
            Found::Other(_)
        ));
        #[cfg(unix)]
        {
            std::fs::write(p.join("real"), MARKER_TEXT).unwrap();
            std::fs::create_dir(p.join("linked")).unwrap();
            std::os::unix::fs::symlink(p.join("real"), p.join("linked").join(MARKER)).unwrap();
            assert!(matches!(
                inspect(&p.join("linked")).unwrap(),
                Found::Other(_)
            ));
            std::os::unix::fs::symlink(p.join("fake"), p.join("link")).unwrap();
            assert!(
                matches!(inspect(&p.join("link")).unwrap(), Found::Other(w) if w.contains("symbolic"))
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn removal_stays_inside_the_site() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path();
        std::fs::create_dir_all(p.join("outside")).unwrap();
        std::fs::write(p.join("outside/keep.txt"), "keep").unwrap();
        std::fs::create_dir_all(p.join("site/css")).unwrap();
        mark(&p.join("site")).unwrap();
        std::fs::write(p.join("site/css/a.css"), "x").unwrap();
        std::os::unix::fs::symlink(p.join("outside"), p.join("site/link")).unwrap();
        remove_site(&p.join("site")).unwrap();
        assert!(!p.join("site").exists());
        assert_eq!(
            std::fs::read_to_string(p.join("outside/keep.txt")).unwrap(),
            "keep"
        );
    }
}
