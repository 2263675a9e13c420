//! Rebuild benchmark (`cargo bench --bench rebuild`): time from a file change to the rebuilt
//! page, for a prose edit of one chapter and for an edit of the autograd script, on a temporary
//! copy of the default book, with cold builds measured in the same run for comparison.
//!
//! Each sample writes the file, then runs what `serve` runs before it tells open pages: the
//! first phase of an update (`Session::update_pages`; the book-wide files follow after the
//! page is live and are timed separately). The watcher's settling time
//! (`serve::watch::SETTLE`) comes on top in `serve`; `benches/site.rs` measures `serve` end to
//! end. Set `GRADBOOK_BENCH_BOOK` to bench another book; `GRADBOOK_BENCH_RUNS` changes the
//! number of samples (default 31).

use gradbook::site::book::Book;
use gradbook::site::build::{RenderOptions, build};
use gradbook::site::incremental::Session;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let source = std::env::var_os("GRADBOOK_BENCH_BOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let runs: usize = std::env::var("GRADBOOK_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(31);
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path().join("book");
    copy_book(&source, &root);
    let book = Book::load(&root).unwrap_or_else(|e| panic!("the book does not load: {e:#}"));
    println!(
        "book: {} ({} chapters, {} computations), {runs} samples each",
        source.display(),
        book.chapters.len(),
        book.computations.len()
    );

    let cold_memory = sample(5.min(runs), |_| {
        forget_results(&root);
        let start = Instant::now();
        let mut session = Session::new(&root, RenderOptions::default());
        session
            .update()
            .unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
        start.elapsed()
    });
    report(
        "cold build in memory (Session::update, no results cache)",
        &cold_memory,
    );
    let dest = tmp.path().join("site");
    let cold_disk = sample(5.min(runs), |_| {
        forget_results(&root);
        let start = Instant::now();
        build(&root, Some(&dest)).unwrap_or_else(|e| panic!("the book does not build: {e:#}"));
        start.elapsed()
    });
    report(
        "cold `gradbook build` (written to disk, no results cache)",
        &cold_disk,
    );

    let mut session = Session::new(
        &root,
        RenderOptions {
            live_reload_script: Some("<script></script>".into()),
            ..RenderOptions::default()
        },
    );
    session.update().unwrap_or_else(|e| panic!("{e:#}"));

    let chapter = book
        .chapters
        .iter()
        .max_by_key(|c| c.source.len())
        .expect("a chapter");
    let chapter_file = chapter.file.clone();
    let original = std::fs::read_to_string(&chapter_file).expect("the chapter");
    let mut shared = Vec::new();
    let prose = sample(runs, |i| {
        let marker = format!("Benchmark edit number {i}.");
        std::fs::write(&chapter_file, format!("{original}\n{marker}\n"))
            .expect("writing the chapter");
        let start = Instant::now();
        rebuild(&mut session);
        let elapsed = start.elapsed();
        let page = session
            .site()
            .files
            .get(&chapter.out_path())
            .expect("the chapter's page");
        assert!(
            String::from_utf8_lossy(page).contains(&marker),
            "the page was rebuilt"
        );
        let after = Instant::now();
        session.update_shared().unwrap_or_else(|e| panic!("{e:#}"));
        shared.push(after.elapsed());
        elapsed
    });
    report(
        &format!("prose edit of {} → rebuilt page", chapter.path),
        &prose,
    );
    shared.sort();
    report(
        "then the book-wide files (print page, search index)",
        &shared,
    );

    if let Some(script) = book
        .computations
        .iter()
        .find(|c| c.file.extension().is_some_and(|e| e == "py"))
    {
        let users: Vec<_> = book
            .chapters
            .iter()
            .filter(|c| c.source.contains(&script.stem))
            .collect();
        let edits = sample(runs, |i| {
            std::fs::write(&script.file, with_first_leaf(&script.source, i))
                .expect("writing the script");
            let start = Instant::now();
            rebuild(&mut session);
            let elapsed = start.elapsed();
            for c in &users {
                assert!(session.site().files.contains_key(&c.out_path()));
            }
            session.update_shared().unwrap_or_else(|e| panic!("{e:#}"));
            elapsed
        });
        report(
            &format!(
                "script edit of {} (first leaf's value) → rebuilt pages",
                script.stem
            ),
            &edits,
        );
    }

    // For comparison: a study file edit that leaves its result alone (a comment) costs one
    // recomputation of that study and nothing else.
    for study in book
        .computations
        .iter()
        .filter(|c| c.file.extension().is_some_and(|e| e == "toml"))
    {
        let times = sample(runs.min(5), |i| {
            std::fs::write(&study.file, format!("{}\n# edit {i}\n", study.source))
                .expect("writing the study");
            let start = Instant::now();
            let report = session.update().unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(report.recomputed, std::slice::from_ref(&study.stem));
            start.elapsed()
        });
        report(
            &format!("study edit of {} (a comment: recompute only)", study.stem),
            &times,
        );
    }
}

/// Delete the book's results cache (`<book>/.gradbook-cache`, created by the bench's own
/// builds of its temporary copy), so the next build recomputes everything: a cold build.
fn forget_results(root: &Path) {
    let cache = root.join(gradbook::site::cache::DIR_NAME);
    if cache.exists() {
        std::fs::remove_dir_all(&cache).expect("removing the bench's own results cache");
    }
}

/// The first phase of an incremental update: what `serve` does before the page is live.
fn rebuild(session: &mut Session) {
    let report = session.update_pages().unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!report.changed.is_empty(), "something changed");
}

/// The script with its first `torch.tensor([v]` leaf set to a value that differs every sample.
fn with_first_leaf(source: &str, i: usize) -> String {
    let open = "torch.tensor([";
    let Some(start) = source.find(open).map(|p| p + open.len()) else {
        return format!("{source}\n");
    };
    let end = source[start..].find(']').map_or(start, |e| start + e);
    format!(
        "{}{:?}{}",
        &source[..start],
        1.0 + i as f64 / 8.0,
        &source[end..]
    )
}

fn sample(n: usize, mut f: impl FnMut(usize) -> Duration) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..n.max(1)).map(&mut f).collect();
    times.sort();
    times
}

fn report(what: &str, sorted: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}: median {:.2} ms (min {:.2}, max {:.2}, n = {})",
        ms(sorted[sorted.len() / 2]),
        ms(sorted[0]),
        ms(sorted[sorted.len() - 1]),
        sorted.len()
    );
}

/// Copy `book.toml`, the `src` folder and `templates/` (if any) of the book at `from`.
fn copy_book(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating the copy");
    std::fs::copy(from.join("book.toml"), to.join("book.toml")).expect("book.toml");
    let src = gradbook::config::Config::load(from)
        .map(|c| c.book.src)
        .unwrap_or_else(|_| "content".into());
    copy_tree(&from.join(&src), &to.join(&src));
    if from.join("templates").is_dir() {
        copy_tree(&from.join("templates"), &to.join("templates"));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a folder");
    for entry in std::fs::read_dir(from).expect("reading a folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copying a file");
        }
    }
}
