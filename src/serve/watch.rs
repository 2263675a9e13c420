//! Watching the book (`book.toml`, the `src` folder, `templates/`) with a notify watcher
//! (re-armed when a watched folder is replaced), and the loop that rebuilds on each batch of
//! changes and tells open pages: the edited pages go live first, the book-wide files (print
//! page, search index, table of contents) follow.
//!
//! A batch ends when the file system has been quiet for [`SETTLE`] (editors write a file in a
//! burst of events within a millisecond or two), at most [`SETTLE_MAX`] after its first event.

use crate::serve::reload::Signal;
use crate::serve::server::Shared;
use crate::site::incremental::Session;
use anyhow::{Context, Result};
use notify::{RecursiveMode, Watcher as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the file system must be quiet before a rebuild starts.
pub const SETTLE: Duration = Duration::from_millis(8);

/// The longest a batch waits for quiet (files written continuously still get rebuilt).
pub const SETTLE_MAX: Duration = Duration::from_millis(250);

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
pub type Watcher = notify::RecommendedWatcher;

/// Start watching; every relevant path that is created, written or removed is sent to `tx`.
pub fn start(watched: &Watched, tx: Sender<PathBuf>) -> Result<Watcher> {
    let filter = watched.clone();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        match result {
            // Reading the book (every rebuild does) raises access events: only creations,
            // writes and removals count.
            Ok(event)
                if event.kind.is_create() || event.kind.is_modify() || event.kind.is_remove() =>
            {
                for path in event.paths.into_iter().filter(|p| filter.matters(p)) {
                    let _ = tx.send(path);
                }
            }
            Ok(_) => {}
            Err(e) => eprintln!("warning: watching the book: {e}"),
        }
    })
    .context("starting the file watcher")?;
    watcher
        .watch(&watched.root, RecursiveMode::NonRecursive)
        .with_context(|| format!("watching {}", watched.root.display()))?;
    watcher
        .watch(&watched.src, RecursiveMode::Recursive)
        .with_context(|| format!("watching {}", watched.src.display()))?;
    if watched.templates.is_dir() {
        watcher
            .watch(&watched.templates, RecursiveMode::Recursive)
            .with_context(|| format!("watching {}", watched.templates.display()))?;
    }
    Ok(watcher)
}

/// The next batch of changed paths (sorted, without repeats): `waiting` or the next one, then
/// all that follow until [`SETTLE`] passes without one (or [`SETTLE_MAX`] after the first);
/// `None` when the watcher is gone.
fn next_batch(rx: &Receiver<PathBuf>, waiting: Option<PathBuf>) -> Option<Vec<PathBuf>> {
    let first = match waiting {
        Some(path) => path,
        None => rx.recv().ok()?,
    };
    let deadline = Instant::now() + SETTLE_MAX;
    let mut paths = vec![first];
    loop {
        let wait = SETTLE.min(deadline.saturating_duration_since(Instant::now()));
        match rx.recv_timeout(wait) {
            Ok(path) => paths.push(path),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= deadline {
            break;
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
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

/// Rebuild after each batch of changes until the watcher stops: serve the new pages and tell
/// open pages as soon as they are rendered, then bring the book-wide files up to date; keep the
/// last good site and show the error when the book does not build.
pub fn rebuild_loop(
    mut session: Session,
    rx: Receiver<PathBuf>,
    shared: Arc<Shared>,
    watched: Watched,
    watcher: Arc<Mutex<Watcher>>,
) {
    let mut waiting = None;
    while let Some(paths) = next_batch(&rx, waiting.take()) {
        rearm(&watcher, &watched, &paths);
        let shown: Vec<String> = paths.iter().map(|p| watched.show(p)).collect();
        println!("Changed: {}", shown.join(", "));
        match session.update_pages() {
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
                    shared.publish(session.site(), &report.changed);
                    shared.signal(Signal::Reload(report.changed.clone()));
                }
                println!("Rebuilt in {report}");
            }
            Err(err) => {
                show_error(&shared, &err);
                continue;
            }
        }
        // A newer edit goes first: the book-wide files are redone after its pages.
        if let Ok(path) = rx.try_recv() {
            waiting = Some(path);
            continue;
        }
        match session.update_shared() {
            Ok(update) => {
                if !update.changed.is_empty() {
                    shared.publish(session.site(), &update.changed);
                    shared.signal(Signal::Update(update.changed.clone()));
                }
                println!("Updated in {update}");
            }
            Err(err) => show_error(&shared, &err),
        }
    }
}

/// Report a failed rebuild in the terminal and over open pages.
fn show_error(shared: &Shared, err: &anyhow::Error) {
    let text = error_text(err);
    eprintln!("{text}\nStill serving the last good site.");
    if let Ok(mut e) = shared.error.write() {
        *e = Some(text.clone());
    }
    shared.signal(Signal::Error(text));
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
    fn a_batch_gathers_a_burst_and_ends_when_quiet() {
        let (tx, rx) = std::sync::mpsc::channel();
        for p in ["/b/content/b.md", "/b/content/a.md", "/b/content/b.md"] {
            tx.send(PathBuf::from(p)).unwrap();
        }
        let sender = std::thread::spawn(move || {
            std::thread::sleep(SETTLE * 20);
            tx.send(PathBuf::from("/b/content/later.md")).unwrap();
        });
        let start = Instant::now();
        let batch = next_batch(&rx, None).unwrap();
        assert!(start.elapsed() < SETTLE * 10, "{:?}", start.elapsed());
        assert_eq!(
            batch,
            [
                PathBuf::from("/b/content/a.md"),
                PathBuf::from("/b/content/b.md")
            ]
        );
        assert_eq!(
            next_batch(&rx, None).unwrap(),
            [PathBuf::from("/b/content/later.md")]
        );
        sender.join().unwrap();
        assert_eq!(
            next_batch(&rx, Some(PathBuf::from("/b/book.toml"))).unwrap(),
            [PathBuf::from("/b/book.toml")],
            "a path taken early starts the next batch"
        );
        assert_eq!(next_batch(&rx, None), None, "the watcher is gone");
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
