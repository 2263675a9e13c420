//! Watching the book (`book.toml`, the `src` folder, `templates/`) with a debounced notify
//! watcher (re-armed when a watched folder is replaced), and the loop that rebuilds on each
//! batch of changes and tells open pages.

use crate::serve::reload::Signal;
use crate::serve::server::Shared;
use crate::site::incremental::Session;
use anyhow::{Context, Result};
use notify::RecursiveMode;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long the file system must be quiet before a rebuild starts (editors write in bursts).
pub const DEBOUNCE: Duration = Duration::from_millis(100);

/// The paths whose changes matter, all canonical.
#[derive(Debug, Clone)]
pub struct Watched {
    /// The book's root folder.
    pub root: PathBuf,
    /// The book's `src` folder.
    pub src: PathBuf,
    /// `templates/` under the root (it may not exist yet).
    pub templates: PathBuf,
}

impl Watched {
    /// Whether a change to `path` can change the site.
    pub fn matters(&self, path: &Path) -> bool {
        path == self.root.join("book.toml")
            || path.starts_with(&self.src)
            || path.starts_with(&self.templates)
            || self.replaces(path, &self.src)
            || self.replaces(path, &self.templates)
    }

    /// Whether a change to `path` (created, moved, removed) can replace the watched `folder`:
    /// `path` is the folder or a folder above it inside the book.
    fn replaces(&self, path: &Path, folder: &Path) -> bool {
        folder.starts_with(path) && path != self.root && path.starts_with(&self.root)
    }

    /// `path` relative to the book root, for messages.
    pub fn show(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The running watcher; dropping it stops watching.
pub type Watcher = Debouncer<notify::RecommendedWatcher, RecommendedCache>;

/// Start watching; each debounced batch of relevant paths is sent to `tx`.
pub fn start(watched: &Watched, tx: Sender<Vec<PathBuf>>) -> Result<Watcher> {
    let filter = watched.clone();
    let mut debouncer =
        new_debouncer(
            DEBOUNCE,
            None,
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    // Reading the book (every rebuild does) raises access events: only
                    // creations, writes and removals count.
                    let mut paths: Vec<PathBuf> = events
                        .iter()
                        .filter(|e| e.kind.is_create() || e.kind.is_modify() || e.kind.is_remove())
                        .flat_map(|e| e.paths.iter())
                        .filter(|p| filter.matters(p))
                        .cloned()
                        .collect();
                    paths.sort();
                    paths.dedup();
                    if !paths.is_empty() {
                        let _ = tx.send(paths);
                    }
                }
                Err(errors) => {
                    for e in errors {
                        eprintln!("warning: watching the book: {e}");
                    }
                }
            },
        )
        .context("starting the file watcher")?;
    debouncer
        .watch(&watched.root, RecursiveMode::NonRecursive)
        .with_context(|| format!("watching {}", watched.root.display()))?;
    debouncer
        .watch(&watched.src, RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", watched.src.display()))?;
    if watched.templates.is_dir() {
        debouncer
            .watch(&watched.templates, RecursiveMode::Recursive)
            .with_context(|| format!("watching {}", watched.templates.display()))?;
    }
    Ok(debouncer)
}

/// Watch the `src` folder and `templates/` afresh when `paths` show one of them (or a folder
/// above it) created, moved or removed: notify drops the watch of a folder that moves away and
/// does not watch the folder that takes its place (`mv content /tmp/c && mv /tmp/c content`),
/// and `templates/` may appear after the start. The rebuild that follows reads every file, so
/// an edit made before the new watch started is not lost.
fn rearm(watcher: &Mutex<Watcher>, watched: &Watched, paths: &[PathBuf]) {
    let Ok(mut w) = watcher.lock() else { return };
    for folder in [&watched.src, &watched.templates] {
        if !paths.iter().any(|p| watched.replaces(p, folder)) {
            continue;
        }
        // The old watch may already be gone; either way a fresh one follows.
        let _ = w.unwatch(folder);
        if folder.is_dir()
            && let Err(e) = w.watch(folder, RecursiveMode::Recursive)
        {
            eprintln!("warning: watching {}: {e}", folder.display());
        }
    }
}

/// Every cause of an error, one per line, as `main` prints them.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = format!("error: {err}");
    for cause in err.chain().skip(1) {
        text.push_str(&format!("\ncaused by: {cause}"));
    }
    text
}

/// Rebuild after each batch of changes until the watcher stops: serve the new site and reload
/// pages when it built, keep the last good site and show the error when it did not.
pub fn rebuild_loop(
    mut session: Session,
    rx: Receiver<Vec<PathBuf>>,
    shared: Arc<Shared>,
    watched: Watched,
    watcher: Arc<Mutex<Watcher>>,
) {
    while let Ok(mut paths) = rx.recv() {
        while let Ok(more) = rx.try_recv() {
            paths.extend(more);
        }
        paths.sort();
        paths.dedup();
        rearm(&watcher, &watched, &paths);
        let shown: Vec<String> = paths.iter().map(|p| watched.show(p)).collect();
        println!("Changed: {}", shown.join(", "));
        match session.update() {
            Ok(report) => {
                let had_error = shared
                    .error
                    .write()
                    .map(|mut e| e.take().is_some())
                    .unwrap_or(false);
                if had_error {
                    shared.signal(Signal::Ok);
                }
                if !report.changed.is_empty() {
                    if let Ok(mut site) = shared.site.write() {
                        *site = Arc::new(session.site().clone());
                    }
                    shared.signal(Signal::Reload(report.changed.clone()));
                }
                println!("Rebuilt in {report}");
            }
            Err(err) => {
                let text = error_text(&err);
                eprintln!("{text}\nStill serving the last good site.");
                if let Ok(mut e) = shared.error.write() {
                    *e = Some(text.clone());
                }
                shared.signal(Signal::Error(text));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_book_files_matter() {
        let w = Watched {
            root: PathBuf::from("/b"),
            src: PathBuf::from("/b/content"),
            templates: PathBuf::from("/b/templates"),
        };
        assert!(w.matters(Path::new("/b/book.toml")));
        assert!(w.matters(Path::new("/b/content/q1.md")));
        assert!(w.matters(Path::new("/b/templates/page.html")));
        assert!(!w.matters(Path::new("/b/book/index.html")));
        assert!(!w.matters(Path::new("/b/.git/index")));
        assert!(!w.matters(Path::new("/b")));
        assert!(!w.matters(Path::new("/")));
        assert_eq!(w.show(Path::new("/b/content/q1.md")), "content/q1.md");
    }

    #[test]
    fn a_folder_above_the_source_folder_can_replace_it() {
        let w = Watched {
            root: PathBuf::from("/b"),
            src: PathBuf::from("/b/docs/content"),
            templates: PathBuf::from("/b/templates"),
        };
        assert!(w.replaces(Path::new("/b/docs"), &w.src));
        assert!(w.replaces(Path::new("/b/docs/content"), &w.src));
        assert!(w.matters(Path::new("/b/docs")));
        assert!(!w.replaces(Path::new("/b/docs/content/a.md"), &w.src));
        assert!(!w.replaces(Path::new("/b"), &w.src));
        assert!(!w.replaces(Path::new("/b/docs"), &w.templates));
    }
}
