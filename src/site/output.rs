//! Every write and every delete of a site: the destination checks ([`Destination`]), the site
//! marker (`.gradbook-site`, in every site gradbook writes; only a folder carrying it, or an
//! empty one, is ever replaced or deleted) and the staging folders (the new site is written
//! next to the destination and then swapped in, so a failed build leaves the previous site
//! untouched, and the leftovers of interrupted builds are removed by the next build or clean).
//!
//! `build` streams pages into the staging folder as they are rendered ([`write_streaming`]), so a
//! site is never held in memory whole; `serve` serves from memory and writes nothing to disk.

pub mod dest;
pub mod marker;
pub mod reuse;
pub mod staging;

pub use dest::{Destination, Protected};
pub use marker::{MARKER, MARKER_TEXT};

use anyhow::{Context, Result};
use marker::Found;
use staging::Stage;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
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

/// Where the files of a site go as they are made: memory ([`SiteFiles`]) or a staging folder.
pub trait Sink {
    /// Add (or replace) the file at site path `path`.
    fn put(&mut self, path: &str, contents: &[u8]) -> Result<()>;
    /// Add `contents` at the end of the file already put at site path `path` (a page written
    /// in pieces as they are made).
    fn append(&mut self, path: &str, contents: &[u8]) -> Result<()>;
    /// Whether a file was already put at site path `path`.
    fn contains(&self, path: &str) -> bool;
}

impl Sink for SiteFiles {
    fn put(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        self.add(path, contents);
        Ok(())
    }

    fn append(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        self.files
            .get_mut(path)
            .with_context(|| format!("internal: appending to {path}, which was never put"))?
            .extend_from_slice(contents);
        Ok(())
    }

    fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

/// A staging folder being filled: every path is checked to stay inside it before the write;
/// files identical to the previous site's are hard-linked from it ([`reuse`]).
struct Staged<'a> {
    root: &'a Path,
    previous: Option<reuse::Previous>,
    /// Paths hard-linked from the previous site: never written through (that would change the
    /// previous site too), but replaced by a file of their own first.
    linked: HashSet<String>,
}

impl Staged<'_> {
    /// Give `path`, if it was linked to the previous site, a file of its own.
    fn unlink_previous(&mut self, path: &str, target: &Path) -> Result<()> {
        if self.linked.remove(path) {
            let bytes =
                std::fs::read(target).with_context(|| format!("reading {}", target.display()))?;
            std::fs::remove_file(target)
                .and_then(|()| std::fs::write(target, bytes))
                .with_context(|| format!("writing {}", target.display()))?;
        }
        Ok(())
    }
}

impl Sink for Staged<'_> {
    fn put(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        let target = prepare(self.root, path)?;
        if self.linked.remove(path) {
            std::fs::remove_file(&target)
                .with_context(|| format!("replacing {}", target.display()))?;
        }
        if let Some(previous) = &mut self.previous
            && !target.exists()
            && previous.link_if_same(path, contents, &target)
        {
            self.linked.insert(path.to_string());
            return Ok(());
        }
        std::fs::write(&target, contents).with_context(|| format!("writing {}", target.display()))
    }

    fn append(&mut self, path: &str, contents: &[u8]) -> Result<()> {
        if !stays_inside(path) {
            anyhow::bail!("refusing to write `{path}`: a site file must stay inside the site");
        }
        let target = self.root.join(path);
        self.unlink_previous(path, &target)?;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&target)
            .and_then(|mut file| file.write_all(contents))
            .with_context(|| format!("writing {}", target.display()))
    }

    fn contains(&self, path: &str) -> bool {
        self.root.join(path).is_file()
    }
}

/// Refuse a destination that holds something gradbook may not replace: only nothing, an empty
/// folder or a gradbook site (a folder carrying the marker) may be.
pub fn ensure_replaceable(dest: &Destination) -> Result<()> {
    replaceable(dest).map(|_| ())
}

/// What is at `dest`, when gradbook may replace it.
fn replaceable(dest: &Destination) -> Result<Found> {
    match marker::inspect(&dest.path)? {
        Found::Other(why) => anyhow::bail!(
            "refusing to write the site into {}: {why}; gradbook only replaces an empty folder or a site it wrote (a site built before the marker existed must be deleted by hand once). Move it away or choose another folder",
            dest.shown.display()
        ),
        found => Ok(found),
    }
}

/// Write `site` to `dest` atomically (as far as the file system allows): remove the staging
/// folders interrupted builds left, write the marker and the site into `.<name>.tmp-<pid>`,
/// move the old site aside (after checking again that it is one), move the new one in, delete
/// the old one.
pub fn write_atomically(site: &SiteFiles, dest: &Destination) -> Result<()> {
    write_streaming(dest, |sink| {
        for (path, contents) in &site.files {
            sink.put(path, contents)?;
        }
        Ok(())
    })
}

/// Write the site that `produce` puts into its sink to `dest`, with the same guarantees as
/// [`write_atomically`]: files go into the staging folder as they come (nothing is kept in
/// memory), and the staging folder replaces `dest` only when `produce` succeeded; otherwise it
/// is removed and the previous site is left untouched.
pub fn write_streaming<T>(
    dest: &Destination,
    produce: impl FnOnce(&mut dyn Sink) -> Result<T>,
) -> Result<T> {
    let target = &dest.path;
    let parent = target
        .parent()
        .context("the site folder has no parent folder")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    // Checked again now that the parent exists: a symlink put in its way since is refused.
    let real =
        std::fs::canonicalize(parent).with_context(|| format!("resolving {}", parent.display()))?;
    if real != parent {
        anyhow::bail!(
            "refusing to write the site into {}: {} now leads to {}",
            dest.shown.display(),
            parent.display(),
            real.display()
        );
    }
    staging::remove_stale(target)?;
    let previous = (replaceable(dest)? == Found::Site).then(|| reuse::Previous::new(target));
    let staging = staging::path(target, Stage::Tmp);
    std::fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
    let result = marker::mark(&staging)
        .and_then(|()| {
            produce(&mut Staged {
                root: &staging,
                previous,
                linked: HashSet::new(),
            })
        })
        .and_then(|value| swap(&staging, dest).map(|()| value));
    if result.is_err() {
        let _ = marker::remove_site(&staging);
    }
    result
}

/// Whether a site path is a plain relative path that stays inside the site.
fn stays_inside(path: &str) -> bool {
    path != MARKER
        && !path.contains(['\\', ':', '\0'])
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

/// The path of site file `path` under the staging folder `root`, its folder created.
fn prepare(root: &Path, path: &str) -> Result<PathBuf> {
    if !stays_inside(path) {
        anyhow::bail!("refusing to write `{path}`: a site file must stay inside the site");
    }
    let target: PathBuf = root.join(path);
    if let Some(dir) = target.parent()
        && dir != root
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(target)
}

fn swap(staging: &Path, dest: &Destination) -> Result<()> {
    let target = &dest.path;
    match replaceable(dest)? {
        // `replaceable` has refused anything else already.
        Found::Absent | Found::Other(_) => {}
        Found::Empty => std::fs::remove_dir(target)
            .with_context(|| format!("replacing {}", target.display()))?,
        Found::Site => {
            let old = staging::path(target, Stage::Old);
            std::fs::rename(target, &old)
                .with_context(|| format!("moving the old site {} aside", target.display()))?;
            // Whatever was renamed is deleted below: it must still be the site checked above.
            if marker::inspect(&old)? != Found::Site {
                let _ = std::fs::rename(&old, target);
                anyhow::bail!(
                    "{} changed during the build; not replacing it",
                    target.display()
                );
            }
            if let Err(err) = std::fs::rename(staging, target) {
                let _ = std::fs::rename(&old, target);
                return Err(err)
                    .with_context(|| format!("moving the new site into {}", target.display()));
            }
            return marker::remove_site(&old);
        }
    }
    std::fs::rename(staging, target)
        .with_context(|| format!("moving the new site into {}", target.display()))
}

/// What `clean` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// Whether a site was there and is now gone.
    pub removed_site: bool,
    /// Staging folders of interrupted builds that were removed.
    pub stale: Vec<PathBuf>,
}

/// Delete the site at `dest` (only if it carries the marker, or is an empty folder) and the
/// staging folders interrupted builds left next to it.
pub fn clean(dest: &Destination) -> Result<Cleaned> {
    let stale = staging::remove_stale(&dest.path)?;
    let removed_site = match marker::inspect(&dest.path)? {
        Found::Absent => false,
        Found::Empty | Found::Site => {
            marker::remove_site(&dest.path)?;
            true
        }
        Found::Other(why) => anyhow::bail!(
            "refusing to delete {}: {why}; `gradbook clean` only deletes a site gradbook wrote",
            dest.shown.display()
        ),
    };
    Ok(Cleaned {
        removed_site,
        stale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination at `path`, whose parent exists (as `Destination::check` resolves it).
    fn destination(path: &Path) -> Destination {
        let parent = std::fs::canonicalize(path.parent().unwrap()).unwrap();
        Destination {
            shown: path.to_path_buf(),
            path: parent.join(path.file_name().unwrap()),
        }
    }

    #[test]
    fn files_reused_from_the_previous_site_are_never_written_through() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = destination(&tmp.path().join("book"));
        write_streaming(&dest, |sink| {
            for (path, text) in [("a.html", "A"), ("b.html", "B"), ("part/c.html", "C")] {
                sink.put(path, text.as_bytes())?;
            }
            Ok(())
        })
        .unwrap();
        // A build that links all three (same bytes), then appends to one, puts another again and
        // fails: the previous site must be exactly as it was.
        let failed: Result<()> = write_streaming(&dest, |sink| {
            sink.put("a.html", b"A")?;
            sink.put("b.html", b"B")?;
            sink.put("part/c.html", b"C")?;
            sink.append("a.html", b" more")?;
            sink.put("b.html", b"changed")?;
            anyhow::bail!("the build failed")
        });
        assert!(failed.is_err());
        let read = |p: &str| std::fs::read_to_string(dest.path.join(p)).unwrap();
        assert_eq!((read("a.html"), read("b.html")), ("A".into(), "B".into()));
        // A build that succeeds: the new site has its own bytes, the reused file is intact.
        write_streaming(&dest, |sink| {
            sink.put("a.html", b"A")?;
            sink.append("a.html", b" more")?;
            sink.put("b.html", b"B")?;
            sink.put("b.html", b"changed")?;
            sink.put("part/c.html", b"C")
        })
        .unwrap();
        assert_eq!(
            (read("a.html"), read("b.html"), read("part/c.html")),
            ("A more".into(), "changed".into(), "C".into())
        );
        let links = std::fs::symlink_metadata(dest.path.join("part/c.html")).unwrap();
        assert_eq!(std::os::unix::fs::MetadataExt::nlink(&links), 1);
    }

    fn site(index: &str) -> SiteFiles {
        let mut site = SiteFiles::default();
        site.add("index.html", index);
        site.add("css/a.css", "x");
        site
    }

    #[test]
    fn replaces_a_previous_site_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let dest = destination(&dir.path().join("book"));
        write_atomically(&site("first"), &dest).unwrap();
        std::fs::create_dir_all(dest.path.join("stale")).unwrap();
        write_atomically(&site("second"), &dest).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.path.join("index.html")).unwrap(),
            "second"
        );
        assert_eq!(
            std::fs::read_to_string(dest.path.join(MARKER)).unwrap(),
            MARKER_TEXT
        );
        assert!(!dest.path.join("stale").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn an_empty_folder_is_replaced_a_foreign_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let empty = destination(&dir.path().join("empty"));
        std::fs::create_dir(&empty.path).unwrap();
        write_atomically(&site("x"), &empty).unwrap();
        assert!(empty.path.join(MARKER).is_file());

        let mine = destination(&dir.path().join("mine"));
        std::fs::create_dir(&mine.path).unwrap();
        std::fs::write(mine.path.join("thesis.tex"), "precious").unwrap();
        let err = write_atomically(&site("x"), &mine).unwrap_err().to_string();
        assert!(err.contains("refusing") && err.contains(MARKER), "{err}");
        assert_eq!(
            std::fs::read_to_string(mine.path.join("thesis.tex")).unwrap(),
            "precious"
        );
        assert_eq!(std::fs::read_dir(&mine.path).unwrap().count(), 1);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no staging left"
        );
    }

    #[test]
    fn site_paths_must_stay_inside() {
        for ok in ["index.html", "a/b.html", "fonts/x.otf"] {
            assert!(stays_inside(ok), "{ok}");
        }
        for bad in [
            "../x.html",
            "a/../../x",
            "/etc/x",
            "a//b",
            "./a",
            "c:\\x",
            "a\\..\\b",
            MARKER,
            "",
        ] {
            assert!(!stays_inside(bad), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let dest = destination(&dir.path().join("site"));
        let mut evil = site("x");
        evil.add("../escaped.html", "x");
        assert!(write_atomically(&evil, &dest).is_err());
        assert!(!dir.path().join("escaped.html").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn a_parent_swapped_for_a_symlink_after_the_check_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("elsewhere")).unwrap();
        // Checked while `out` did not exist; a symlink took its place before the write.
        let dest = Destination {
            shown: root.join("out/site"),
            path: root.join("out/site"),
        };
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("out")).unwrap();
        let err = write_atomically(&site("x"), &dest).unwrap_err().to_string();
        assert!(err.contains("now leads to"), "{err}");
        assert_eq!(
            std::fs::read_dir(root.join("elsewhere")).unwrap().count(),
            0
        );
    }

    #[test]
    fn clean_deletes_only_a_site() {
        let dir = tempfile::tempdir().unwrap();
        let dest = destination(&dir.path().join("book"));
        assert!(!clean(&dest).unwrap().removed_site);
        write_atomically(&site("x"), &dest).unwrap();
        assert!(clean(&dest).unwrap().removed_site);
        assert!(!dest.path.exists());
        std::fs::create_dir(&dest.path).unwrap();
        std::fs::write(dest.path.join("notes.txt"), "keep").unwrap();
        let err = clean(&dest).unwrap_err().to_string();
        assert!(err.contains("refusing to delete"), "{err}");
        assert!(dest.path.join("notes.txt").is_file());
    }
}
