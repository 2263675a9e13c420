//! Staging folders next to a site (`.<name>.tmp-<pid>` for the new site, `.<name>.old-<pid>`
//! for the one it replaces), and the removal of those an interrupted build left behind.

use crate::site::assets;
use crate::site::output::marker::{self, MARKER, MARKER_TEXT};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The two kinds of staging folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The new site being written.
    Tmp,
    /// The previous site, moved aside while the new one moves in.
    Old,
}

impl Stage {
    fn word(self) -> &'static str {
        match self {
            Stage::Tmp => "tmp",
            Stage::Old => "old",
        }
    }
}

/// The staging folder of kind `stage` for the site `dest`, owned by this process.
pub fn path(dest: &Path, stage: Stage) -> PathBuf {
    dest.with_file_name(format!(
        ".{}.{}-{}",
        site_name(dest),
        stage.word(),
        std::process::id()
    ))
}

fn site_name(dest: &Path) -> String {
    dest.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The process id a staging folder name of `dest` carries, if `name` is one.
fn owner(dest: &Path, name: &str) -> Option<u32> {
    let rest = name.strip_prefix(&format!(".{}.", site_name(dest)))?;
    let pid = rest
        .strip_prefix("tmp-")
        .or_else(|| rest.strip_prefix("old-"))?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` is running (another process's staging folder is never touched).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        // This process creates its own folders only after this cleanup: one of that name is
        // left from an earlier process that had the same id.
        return false;
    }
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // EPERM means the process exists but belongs to someone else.
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(rustix::io::Errno::SRCH)
        )
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Whether `folder` is gradbook's staging folder: a real folder that is empty, carries the
/// marker (or the start of it: the process may have died while writing it), or holds nothing
/// but files a gradbook site has (staging folders of versions before the marker).
fn ours(folder: &Path) -> bool {
    let Ok(meta) = folder.symlink_metadata() else {
        return false;
    };
    if !meta.is_dir() {
        return false;
    }
    if let Some(text) = marker::marker_text(folder) {
        return MARKER_TEXT.starts_with(&text);
    }
    only_site_files(folder, folder)
}

/// Every entry under `dir` is a folder or a regular file a gradbook site contains (pages,
/// figures, the search index, built-in assets).
fn only_site_files(root: &Path, dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.into_iter().all(|entry| {
        let Ok(entry) = entry else { return false };
        let Ok(kind) = entry.file_type() else {
            return false;
        };
        let path = entry.path();
        if kind.is_dir() {
            return only_site_files(root, &path);
        }
        let Ok(relative) = path.strip_prefix(root) else {
            return false;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        kind.is_file()
            && (relative.ends_with(".html")
                || relative.ends_with(".svg")
                || relative == "searchindex.js"
                || relative == MARKER
                || assets::STATIC.iter().any(|(p, _)| *p == relative))
    })
}

/// Remove the staging folders of `dest` that interrupted builds left (their process is gone and
/// the folder is recognisably gradbook's); returns what was removed.
pub fn remove_stale(dest: &Path) -> Result<Vec<PathBuf>> {
    let Some(parent) = dest.parent() else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", parent.display())),
    };
    let mut stale: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            owner(dest, &name).is_some_and(|pid| !alive(pid)) && ours(&e.path())
        })
        .map(|e| e.path())
        .collect();
    stale.sort();
    for folder in &stale {
        marker::remove_site(folder).with_context(|| {
            format!(
                "removing {}, left by an interrupted build",
                folder.display()
            )
        })?;
    }
    Ok(stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_names_carry_the_process() {
        let dest = Path::new("/w/site");
        let tmp = path(dest, Stage::Tmp);
        assert_eq!(
            tmp,
            PathBuf::from(format!("/w/.site.tmp-{}", std::process::id()))
        );
        assert_eq!(owner(dest, ".site.tmp-123"), Some(123));
        assert_eq!(owner(dest, ".site.old-9"), Some(9));
        for name in [
            ".site.tmp-",
            ".site.tmp-12x",
            ".other.tmp-1",
            "site.tmp-1",
            ".site.new-1",
        ] {
            assert_eq!(owner(dest, name), None, "{name}");
        }
    }

    /// A process id that is surely not running: a child that has exited and been waited for.
    #[cfg(unix)]
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[cfg(unix)]
    #[test]
    fn only_stale_gradbook_folders_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("site");
        let dead = dead_pid();
        let parent_pid = std::os::unix::process::parent_id();
        let make = |name: String, files: &[(&str, &str)]| {
            let dir = tmp.path().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for (f, text) in files {
                let file = dir.join(f);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, text).unwrap();
            }
            dir
        };
        let marked = make(
            format!(".site.tmp-{dead}"),
            &[(MARKER, MARKER_TEXT), ("notes.txt", "x")],
        );
        let truncated = make(format!(".site.old-{dead}"), &[(MARKER, &MARKER_TEXT[..10])]);
        let legacy = make(
            format!(".site.tmp-{}", dead + 1_000_000),
            &[
                ("index.html", "x"),
                ("css/gradbook.css", "x"),
                ("figures/a.svg", "x"),
            ],
        );
        let running = make(format!(".site.tmp-{parent_pid}"), &[(MARKER, MARKER_TEXT)]);
        let foreign = make(format!(".site.old-{dead}0"), &[("thesis.tex", "x")]);
        let other_site = make(format!(".other.tmp-{dead}"), &[(MARKER, MARKER_TEXT)]);
        let removed = remove_stale(&dest).unwrap();
        assert_eq!(removed.len(), 3, "{removed:?}");
        for gone in [&marked, &truncated, &legacy] {
            assert!(!gone.exists(), "{}", gone.display());
        }
        for kept in [&running, &foreign, &other_site] {
            assert!(kept.exists(), "{}", kept.display());
        }
    }
}
