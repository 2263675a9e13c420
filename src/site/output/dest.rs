//! Where a site may go: the destination resolved lexically and on disk, checked against the
//! book's own files, the file-system root and the home folder.

use crate::config::Config;
use crate::site::book::Book;
use anyhow::{Context, Result};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The paths a site folder must never be, contain or (for folders) lie inside.
#[derive(Debug, Clone)]
pub struct Protected {
    /// The book's root folder, as given and on disk (a site may lie inside it, never be or
    /// contain it).
    roots: Vec<PathBuf>,
    /// Folders the book reads, with how messages name them.
    folders: Vec<(PathBuf, String)>,
    /// Files the book reads.
    files: Vec<PathBuf>,
}

impl Protected {
    /// What `book.toml` alone says the book reads: the root, `book.toml`, the `src` folder,
    /// `templates/` and the extra CSS and JS files.
    pub fn of_config(root: &Path, config: &Config) -> Result<Protected> {
        let root = absolute(root)?;
        let src = root.join(&config.book.src);
        let mut files = vec![root.join("book.toml"), src.join("SUMMARY.md")];
        let html = &config.output.html;
        for extra in html.additional_css.iter().chain(&html.additional_js) {
            files.push(root.join(extra));
        }
        Ok(Protected {
            folders: vec![
                (
                    src,
                    format!("the book's source folder `{}`", config.book.src.display()),
                ),
                (
                    root.join("templates"),
                    "the book's `templates/` folder".into(),
                ),
            ],
            files,
            roots: vec![root],
        })
    }

    /// Everything a loaded book reads: [`Protected::of_config`] plus every chapter and
    /// computation file (a chapter may live outside the `src` folder).
    pub fn of_book(book: &Book) -> Result<Protected> {
        let mut protected = Protected::of_config(&book.root, &book.config)?;
        let cwd = std::env::current_dir().context("reading the current folder")?;
        let files = book.chapters.iter().map(|c| &c.file);
        for file in files.chain(book.computations.iter().map(|c| &c.file)) {
            protected.files.push(cwd.join(file));
        }
        Ok(protected)
    }

    /// Why a site may not live at the absolute, normalised path `dest`, if it may not.
    fn conflict(&self, dest: &Path) -> Option<String> {
        if dest.parent().is_none() {
            return Some("it is the root of the file system".into());
        }
        if let Some(root) = self.roots.iter().find(|r| r.starts_with(dest)) {
            return Some(format!(
                "it is or contains the book itself ({})",
                root.display()
            ));
        }
        if let Some(home) = home_folder()
            && home.starts_with(dest)
        {
            return Some(format!(
                "it is or contains your home folder {}",
                home.display()
            ));
        }
        for (folder, name) in &self.folders {
            let inside = !self.roots.contains(folder) && dest.starts_with(folder);
            if inside || folder.starts_with(dest) {
                return Some(format!(
                    "it {} {name} ({})",
                    relation(dest, folder),
                    folder.display()
                ));
            }
        }
        for file in &self.files {
            if file.starts_with(dest) || dest.starts_with(file) {
                return Some(format!(
                    "it {} {}, a file the book reads",
                    relation(dest, file),
                    file.display()
                ));
            }
        }
        None
    }

    /// Every protected path in both its lexical and its on-disk form.
    fn both_forms(&self) -> Protected {
        let mut resolver = Resolver::default();
        let mut twice = |p: &PathBuf| [normalize(p), resolver.on_disk(p)];
        Protected {
            roots: self.roots.iter().flat_map(&mut twice).collect(),
            folders: self
                .folders
                .iter()
                .flat_map(|(f, n)| twice(f).map(|p| (p, n.clone())))
                .collect(),
            files: self.files.iter().flat_map(&mut twice).collect(),
        }
    }
}

/// `is`, `contains` or `lies inside`, for messages.
fn relation(dest: &Path, protected: &Path) -> &'static str {
    if dest == protected {
        "is"
    } else if protected.starts_with(dest) {
        "contains"
    } else {
        "lies inside"
    }
}

/// A checked site destination.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The path as the user wrote it, joined to the book root (for messages).
    pub shown: PathBuf,
    /// Where the site really goes: absolute, with `..` resolved and symlinked parents followed.
    pub path: PathBuf,
}

impl Destination {
    /// Check `requested` (relative paths are taken from the book root `root`; `origin` says
    /// where it came from, e.g. `-d` or `build-dir in book.toml`) against `protected`, in both
    /// its lexical and its on-disk resolution.
    pub fn check(
        root: &Path,
        requested: &Path,
        origin: &str,
        protected: &Protected,
    ) -> Result<Destination> {
        let shown = root.join(requested);
        let refuse = |why: String| {
            anyhow::anyhow!(
                "refusing to use {} ({origin} = \"{}\") as the site folder: {why}",
                shown.display(),
                requested.display()
            )
        };
        if requested.as_os_str().is_empty() {
            return Err(refuse("it is empty; name a folder such as `book`".into()));
        }
        let joined = absolute(&shown)?;
        let lexical = normalize(&joined);
        let physical = on_disk(&joined);
        let protected = protected.both_forms();
        for dest in [&lexical, &physical] {
            if let Some(why) = protected.conflict(dest) {
                return Err(refuse(why));
            }
        }
        Ok(Destination {
            shown,
            path: physical,
        })
    }
}

/// `path` made absolute against the current folder (nothing is resolved).
fn absolute(path: &Path) -> Result<PathBuf> {
    let cwd = std::env::current_dir().context("reading the current folder")?;
    Ok(cwd.join(path))
}

/// `path` with `.` dropped and each `..` removing the component before it, without looking at
/// the disk (`..` never climbs above the root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where the absolute path `path` leads on disk: each existing prefix is canonicalised (so a
/// symlinked folder is followed before a later `..` applies), the rest is taken lexically as
/// `create_dir_all` would create it.
pub fn on_disk(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => {
                out.push(other);
                if out.symlink_metadata().is_ok()
                    && let Ok(real) = std::fs::canonicalize(&out)
                {
                    out = real;
                }
            }
        }
    }
    out
}

/// [`on_disk`] for many paths, each folder resolved once: a book's chapters share a few
/// folders, and resolving every one of their paths component by component cost a `realpath`
/// per component per chapter.
#[derive(Default)]
struct Resolver {
    folders: HashMap<PathBuf, PathBuf>,
}

impl Resolver {
    /// Where the absolute path `path` leads on disk, as [`on_disk`] says.
    fn on_disk(&mut self, path: &Path) -> PathBuf {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return on_disk(path);
        };
        let out = self
            .folders
            .entry(parent.to_path_buf())
            .or_insert_with(|| on_disk(parent))
            .join(name);
        match out.symlink_metadata() {
            // Its folder exists, so it is resolved already: only a link needs resolving.
            Ok(meta) if !meta.file_type().is_symlink() => out,
            Ok(_) => std::fs::canonicalize(&out).unwrap_or(out),
            Err(_) => out,
        }
    }
}

/// The user's home folder, if the environment names one.
fn home_folder() -> Option<PathBuf> {
    std::env::home_dir()
        .filter(|h| h.is_absolute())
        .map(|h| on_disk(&h))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protected(root: &Path) -> Protected {
        Protected {
            roots: vec![root.to_path_buf()],
            folders: vec![
                (root.join("content"), "src".into()),
                (root.join("templates"), "templates".into()),
            ],
            files: vec![root.join("book.toml"), root.join("theme/extra.css")],
        }
    }

    #[test]
    fn normalizes_without_the_disk() {
        assert_eq!(
            normalize(Path::new("/b/x/../content")),
            Path::new("/b/content")
        );
        assert_eq!(
            normalize(Path::new("/b/./x/./y/../../z")),
            Path::new("/b/z")
        );
        assert_eq!(normalize(Path::new("/b/x/../../b")), Path::new("/b"));
        assert_eq!(normalize(Path::new("/../../etc")), Path::new("/etc"));
        assert_eq!(normalize(Path::new("/b/book/")), Path::new("/b/book"));
    }

    #[test]
    fn containment_both_ways() {
        let p = protected(Path::new("/w/b"));
        for (dest, word) in [
            ("/w/b/content", "is"),
            ("/w/b/content/sub", "lies inside"),
            ("/w/b/templates/x", "lies inside"),
            ("/w/b/book.toml", "is"),
            ("/w/b/theme", "contains"),
            ("/w/b/theme/extra.css/x", "lies inside"),
            ("/w/b", "contains the book"),
            ("/w", "contains the book"),
            ("/", "root of the file system"),
        ] {
            let why = p.conflict(Path::new(dest)).unwrap_or_default();
            assert!(why.contains(word), "{dest}: {why:?}");
        }
        for dest in ["/w/b/book", "/w/b/site/deep", "/w/other", "/w/b/contents"] {
            assert_eq!(p.conflict(Path::new(dest)), None, "{dest}");
        }
    }

    #[test]
    fn a_source_folder_that_is_the_root_only_protects_the_root() {
        let mut p = protected(Path::new("/w/b"));
        p.folders[0].0 = PathBuf::from("/w/b");
        p.folders[1].0 = PathBuf::from("/w/b");
        assert_eq!(p.conflict(Path::new("/w/b/book")), None);
        assert!(p.conflict(Path::new("/w/b")).is_some());
    }

    #[test]
    fn home_and_its_parents_are_refused() {
        let p = protected(Path::new("/w/b"));
        let Some(home) = home_folder() else { return };
        if home.starts_with("/w") {
            return;
        }
        let mut dest = home.as_path();
        while let Some(parent) = dest.parent() {
            let why = p.conflict(dest).unwrap_or_default();
            assert!(why.contains("home folder"), "{}: {why}", dest.display());
            dest = parent;
        }
        assert_eq!(
            p.conflict(Path::new("/")).as_deref(),
            Some("it is the root of the file system")
        );
    }

    #[cfg(unix)]
    #[test]
    fn dot_dot_after_a_symlinked_folder_follows_the_link() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir_all(root.join("book/content")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere/deep")).unwrap();
        std::os::unix::fs::symlink(root.join("elsewhere/deep"), root.join("book/link")).unwrap();
        // Lexically `link/../site` is `book/site`; on disk it is `elsewhere/site`.
        assert_eq!(
            normalize(&root.join("book/link/../site")),
            root.join("book/site")
        );
        assert_eq!(
            on_disk(&root.join("book/link/../site")),
            root.join("elsewhere/site")
        );
        // A symlink that points into the book is caught on disk.
        std::os::unix::fs::symlink(root.join("book/content"), root.join("out")).unwrap();
        let p = protected(&root.join("book"));
        let err = Destination::check(&root.join("book"), &root.join("out"), "-d", &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("content"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn the_resolver_finds_what_on_disk_finds() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir_all(root.join("book/content/part")).unwrap();
        std::fs::create_dir_all(root.join("elsewhere/deep")).unwrap();
        std::fs::write(root.join("book/content/part/a.md"), "").unwrap();
        std::fs::write(root.join("elsewhere/deep/b.md"), "").unwrap();
        let link = |to: &str, at: &str| {
            std::os::unix::fs::symlink(root.join(to), root.join(at)).unwrap();
        };
        link("elsewhere/deep", "book/link");
        link("elsewhere/deep/b.md", "book/content/b.md");
        link("book/content", "book/content/part/up");
        let mut resolver = Resolver::default();
        for path in [
            "book/content/part/a.md",
            "book/content/part/missing.md",
            "book/content/b.md",
            "book/link/b.md",
            "book/link/../site",
            "book/link/..",
            "book/content/part/up/part/a.md",
            "book/content/part/up/b.md",
            "book/content/./part/../b.md",
            "missing/deeper/c.md",
            "book",
        ] {
            let path = root.join(path);
            for _ in 0..2 {
                assert_eq!(
                    resolver.on_disk(&path),
                    on_disk(&path),
                    "{}",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn a_chapter_outside_the_source_folder_is_protected() {
        let mut p = protected(Path::new("/w/b"));
        p.files.push(PathBuf::from("/w/b/content/../notes/ch.md"));
        let err = Destination::check(Path::new("/w/b"), Path::new("notes"), "-d", &p)
            .unwrap_err()
            .to_string();
        assert!(err.contains("contains /w/b/notes/ch.md"), "{err}");
    }

    #[test]
    fn checks_name_the_path_and_the_reason() {
        let p = protected(Path::new("/w/b"));
        let root = Path::new("/w/b");
        for (requested, why) in [
            ("x/../content", "is src"),
            ("book/../content", "is src"),
            ("x/../../b", "contains the book"),
            (".", "contains the book"),
            ("..", "contains the book"),
            ("", "is empty"),
        ] {
            let err = Destination::check(root, Path::new(requested), "-d", &p)
                .unwrap_err()
                .to_string();
            assert!(err.contains("refusing"), "{err}");
            assert!(err.contains(why), "{requested}: {err}");
            assert!(err.contains(&format!("-d = \"{requested}\"")), "{err}");
        }
        let ok = Destination::check(root, Path::new("x/../book"), "-d", &p).unwrap();
        assert_eq!(ok.path, Path::new("/w/b/book"));
    }
}
