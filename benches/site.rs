//! Side-by-side benchmark of issue #14's site rows (`cargo bench --bench site [-- ROW…]`, or
//! `scripts/bench.sh`): cold builds of generated books of 500, 1,000 and 10,000 chapters and of
//! the default book, the time from a saved prose edit to the reloaded page in `serve`, a
//! 500-chapter book with search off (CPU and peak memory), and the search index (bytes, query
//! time). Each row prints medians for gradbook and, where it is installed, for the peer (mdBook),
//! and their ratio. Run by hand, not by CI.
//!
//! Rows are named; `cargo bench --bench site -- serve` runs the rows whose name contains
//! `serve`. To add a row, add a function returning [`Row`]s to [`ROWS`]. Environment:
//! `GRADBOOK_BENCH_RUNS` (samples per measurement, default 5), `GRADBOOK_BENCH_BIN` (the
//! gradbook binary measured, default this build's: compare two builds with one bench binary),
//! `MDBOOK` (the peer's binary, default `mdbook` on the PATH), `GRADBOOK_BENCH_MDBOOK_GUIDE` (a checkout of mdBook's
//! repository, for the `mdbook-books` row: its `guide/` is built in a copy of the checkout,
//! since the guide includes files from the repository; its `[preprocessor.guide-helper]`,
//! which compiles a crate, is left out for both tools). Peak memory and CPU time come from the
//! resource usage `wait4` reports for each run.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// One line of the table: a workload, our figure, the peer's (if measured) and the unit.
struct Row {
    workload: String,
    ours: f64,
    peer: Option<f64>,
    unit: &'static str,
    note: String,
}

/// A group of rows: measures and returns them.
type Rows = fn(&Bench) -> Vec<Row>;

/// The named groups of rows.
const ROWS: &[(&str, Rows)] = &[
    ("book-500", |b| book_rows(b, 500)),
    ("book-1000", |b| book_rows(b, 1_000)),
    ("book-10000", |b| book_rows(b, 10_000)),
    ("default-book", default_book_rows),
    ("serve-default", |b| serve_rows(b, None)),
    ("serve-500", |b| serve_rows(b, Some(500))),
    ("search-off-500", search_off_rows),
    ("search-index-500", search_index_rows),
    ("mdbook-books", mdbook_book_rows),
];

/// What every row needs.
struct Bench {
    gradbook: PathBuf,
    mdbook: Option<PathBuf>,
    runs: usize,
    tmp: tempfile::TempDir,
}

fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let mdbook = std::env::var_os("MDBOOK")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("mdbook"));
    let mdbook = Command::new(&mdbook)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            println!("peer: {}", String::from_utf8_lossy(&o.stdout).trim());
            mdbook
        });
    if mdbook.is_none() {
        println!("peer: mdBook not installed (scripts/bench.sh installs it); peer columns empty");
    }
    let bench = Bench {
        gradbook: std::env::var_os("GRADBOOK_BENCH_BIN").map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_gradbook")),
            PathBuf::from,
        ),
        mdbook,
        runs: std::env::var("GRADBOOK_BENCH_RUNS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(5),
        tmp: tempfile::tempdir().expect("a temporary folder"),
    };
    println!("| workload | gradbook | peer | ratio | notes |\n|---|---|---|---|---|");
    for (name, rows) in ROWS {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        for row in rows(&bench) {
            let fmt = |v: f64| format!("{v:.2} {}", row.unit);
            let (peer, ratio) = match row.peer {
                Some(p) => (fmt(p), format!("{:.2}×", row.ours / p)),
                None => ("—".into(), "—".into()),
            };
            println!(
                "| {} | {} | {peer} | {ratio} | {} |",
                row.workload,
                fmt(row.ours),
                row.note
            );
        }
    }
}

/// Wall time, CPU time and peak memory of one run of a command.
#[derive(Clone, Copy)]
struct Usage {
    wall: f64,
    cpu: f64,
    rss_mib: f64,
}

/// Run `program args` in `dir`: wall time, and CPU time (user + system) and peak memory from
/// the resource usage `wait4` reports for it, to the microsecond (GNU time reads the same
/// figures but prints CPU time to 10 ms, too coarse for builds of tens of milliseconds);
/// panics with its error output when it fails.
fn measure(program: &Path, args: &[&str], dir: &Path) -> Usage {
    let log_path = dir.join(".bench-stderr");
    let log = std::fs::File::create(&log_path).expect("the bench's error log");
    let start = Instant::now();
    #[expect(clippy::zombie_processes, reason = "`wait4` below reaps it")]
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data, and `wait4` writes `status` and `usage` for the child
    // spawned above, which nothing else waits for.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{} {args:?} failed: {}",
        program.display(),
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Usage {
        wall,
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux gives the peak resident set in KiB.
        rss_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// A cold `gradbook build` of the book at `root` into `site`: no previous site to reuse files
/// from and no cache (both removed before the clock starts).
fn cold_build(bench: &Bench, root: &Path) -> Usage {
    for leftover in ["site", ".gradbook-cache"] {
        let path = root.join(leftover);
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("removing the bench's own output");
        }
    }
    measure(&bench.gradbook, &["build", ".", "-d", "site"], root)
}

/// The median of each field over `runs` runs.
fn median_usage(runs: usize, mut run: impl FnMut() -> Usage) -> Usage {
    let samples: Vec<Usage> = (0..runs.max(1)).map(|_| run()).collect();
    let med = |f: fn(&Usage) -> f64| median(samples.iter().map(f).collect());
    Usage {
        wall: med(|u| u.wall),
        cpu: med(|u| u.cpu),
        rss_mib: med(|u| u.rss_mib),
    }
}

/// Medians of `ours` and of `peer` (when there is one) over `runs` rounds, the two run one
/// after the other in each round, so that a spell of a slower machine (its speed drifts, and
/// its file system's cost more) weighs on both alike.
fn alternated(
    runs: usize,
    mut ours: impl FnMut() -> Usage,
    mut peer: Option<impl FnMut() -> Usage>,
) -> (Usage, Option<Usage>) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        a.push(ours());
        if let Some(peer) = peer.as_mut() {
            b.push(peer());
        }
    }
    let medians = |samples: Vec<Usage>| {
        let mut samples = samples.into_iter();
        median_usage(samples.len(), || samples.next().expect("a sample per run"))
    };
    let peer = (!b.is_empty()).then(|| medians(b));
    (medians(a), peer)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Total bytes of the files under `dir`.
fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        total += if path.is_dir() {
            tree_bytes(&path)
        } else {
            entry.metadata().map_or(0, |m| m.len())
        };
    }
    total
}

/// Cold builds of a generated book, ours and mdBook's (not at 10,000 chapters: minutes).
fn book_rows(bench: &Bench, chapters: usize) -> Vec<Row> {
    let root = bench.tmp.path().join(format!("book-{chapters}"));
    synthetic::write_book(&root, chapters, true).expect("writing the book");
    let runs = if chapters >= 10_000 { 1 } else { bench.runs };
    let peer = bench.mdbook.as_ref().filter(|_| chapters < 10_000);
    let (ours, peer) = alternated(
        runs,
        || cold_build(bench, &root),
        peer.map(|mdbook| || measure(mdbook, &["build", "-d", "mdbook-site"], &root)),
    );
    let bytes = tree_bytes(&root.join("site"));
    let peer_bytes = peer.map(|_| tree_bytes(&root.join("mdbook-site")));
    let note = format!(
        "{:.0} bytes/chapter{}; {:.3} ms/chapter wall, {:.3} CPU",
        bytes as f64 / chapters as f64,
        peer_bytes.map_or(String::new(), |b| format!(
            " (mdBook {:.0})",
            b as f64 / chapters as f64
        )),
        ours.wall * 1e3 / chapters as f64,
        ours.cpu * 1e3 / chapters as f64
    );
    vec![
        Row {
            workload: format!("{chapters}-chapter book, cold: wall time"),
            ours: ours.wall,
            peer: peer.map(|p| p.wall),
            unit: "s",
            note,
        },
        Row {
            workload: format!("{chapters}-chapter book, cold: CPU time (user + sys)"),
            ours: ours.cpu,
            peer: peer.map(|p| p.cpu),
            unit: "s",
            note: String::new(),
        },
        Row {
            workload: format!("{chapters}-chapter book, cold: peak memory"),
            ours: ours.rss_mib,
            peer: peer.map(|p| p.rss_mib),
            unit: "MiB",
            note: String::new(),
        },
    ]
}

/// A copy of the repository's book (book.toml, content/) at `to`; with `plain_toml`, a
/// book.toml mdBook reads (the title and source folder only).
fn copy_default_book(to: &Path, plain_toml: bool) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&repo.join("content"), &to.join("content"));
    if plain_toml {
        std::fs::write(
            to.join("book.toml"),
            "[book]\ntitle = \"Assignment 2\"\nsrc = \"content\"\n",
        )
        .expect("book.toml");
    } else {
        std::fs::copy(repo.join("book.toml"), to.join("book.toml")).expect("book.toml");
    }
}

/// Copy the folder `from` to `to`, leaving out `.git` and `target` folders.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creating a folder");
    for entry in std::fs::read_dir(from).expect("reading a folder").flatten() {
        if entry.file_name() == ".git" || entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copying a file");
        }
    }
}

/// The default book against mdBook on the same Markdown: cold (the results cache deleted
/// before every sample) and warm (a prose edit before every sample, results from the cache;
/// mdBook rebuilds the same edited Markdown).
fn default_book_rows(bench: &Bench) -> Vec<Row> {
    let ours_root = bench.tmp.path().join("default");
    copy_default_book(&ours_root, false);
    let cache = ours_root.join(".gradbook-cache");
    let ours = median_usage(bench.runs, || {
        if cache.exists() {
            std::fs::remove_dir_all(&cache).expect("removing the bench's own results cache");
        }
        measure(&bench.gradbook, &["build", ".", "-d", "site"], &ours_root)
    });
    let mut edit = 0;
    let ours_warm = median_usage(bench.runs, || {
        edit += 1;
        append_line(&ours_root.join("content/intro.md"), edit);
        measure(&bench.gradbook, &["build", ".", "-d", "site"], &ours_root)
    });
    let peer = bench.mdbook.as_ref().map(|mdbook| {
        let root = bench.tmp.path().join("default-mdbook");
        copy_default_book(&root, true);
        let cold = median_usage(bench.runs, || measure(mdbook, &["build"], &root));
        let mut edit = 0;
        let warm = median_usage(bench.runs, || {
            edit += 1;
            append_line(&root.join("content/intro.md"), edit);
            measure(mdbook, &["build"], &root)
        });
        (cold, warm)
    });
    vec![
        Row {
            workload: "default solution book, cold (no results cache): wall".into(),
            ours: ours.wall * 1e3,
            peer: peer.map(|p| p.0.wall * 1e3),
            unit: "ms",
            note: format!(
                "CPU {:.0} ms (mdBook {}), {:.0} MiB",
                ours.cpu * 1e3,
                peer.map_or("—".into(), |p| format!("{:.0} ms", p.0.cpu * 1e3)),
                ours.rss_mib
            ),
        },
        Row {
            workload: "default solution book, build after a prose edit: CPU".into(),
            ours: ours_warm.cpu * 1e3,
            peer: peer.map(|p| p.1.cpu * 1e3),
            unit: "ms",
            note: format!(
                "wall {:.0} ms (mdBook {})",
                ours_warm.wall * 1e3,
                peer.map_or("—".into(), |p| format!("{:.0} ms", p.1.wall * 1e3))
            ),
        },
    ]
}

/// Append a numbered sentence to the Markdown file at `path` (a prose edit).
fn append_line(path: &Path, n: usize) {
    let mut text = std::fs::read_to_string(path).expect("the chapter");
    text.push_str(&format!("\nBench edit {n}.\n"));
    std::fs::write(path, text).expect("editing the chapter");
}

/// A server started for a bench, stopped when dropped.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Start `program args` and wait until `port` answers.
fn start_server(program: &Path, args: &[String], dir: &Path, port: u16) -> Server {
    let child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let server = Server { child };
    let deadline = Instant::now() + Duration::from_secs(120);
    while get(port, "/").is_none() {
        assert!(Instant::now() < deadline, "the server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

/// The body of `GET path`, if the server answered 200.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.starts_with("HTTP/1.1 200").then_some(text)
}

/// The `reload` events of gradbook's event stream, as their data.
fn reload_events(port: u16) -> Receiver<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    write!(
        stream,
        "GET /__gradbook/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .expect("asking for events");
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut event = String::new();
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let line = line.trim_end_matches('\r');
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_string();
            } else if let Some(data) = line.strip_prefix("data: ")
                && event == "reload"
                && tx.send(data.to_string()).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// Edit `chapter` (append a sentence) and time until `page` serves it: (to the reload event if
/// `events`, to the page served with the sentence), in ms.
fn edit_latency(
    port: u16,
    chapter: &Path,
    page: &str,
    events: Option<&Receiver<String>>,
    i: usize,
) -> (Option<f64>, f64) {
    let original = std::fs::read_to_string(chapter).expect("the chapter");
    let marker = format!("Bench edit {i} at {:?}.", Instant::now());
    while events.is_some_and(|rx| rx.try_recv().is_ok()) {}
    let start = Instant::now();
    std::fs::write(chapter, format!("{original}\n{marker}\n")).expect("writing");
    let reload = events.map(|rx| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let data = rx.recv_timeout(left).expect("a reload event");
            if data.contains(page) {
                break start.elapsed().as_secs_f64() * 1e3;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if get(port, &format!("/{page}")).is_some_and(|t| t.contains(&marker)) {
            break;
        }
        assert!(Instant::now() < deadline, "the edit never showed");
        std::thread::sleep(Duration::from_millis(1));
    }
    let loaded = start.elapsed().as_secs_f64() * 1e3;
    std::fs::write(chapter, original).expect("restoring");
    // Let the restore settle before the next sample.
    std::thread::sleep(Duration::from_millis(400));
    (reload, loaded)
}

/// Saved prose edit → reloaded page in `serve`: the default book, or a generated one (with
/// mdBook's `serve` on the same book as the peer).
fn serve_rows(bench: &Bench, chapters: Option<usize>) -> Vec<Row> {
    let name = chapters.map_or("default".to_string(), |c| c.to_string());
    let root = bench.tmp.path().join(format!("serve-{name}"));
    let (chapter, page) = match chapters {
        Some(n) => {
            synthetic::write_book(&root, n, true).expect("writing the book");
            let path = synthetic::chapter_path(n / 2);
            (
                root.join("content").join(&path),
                path.replace(".md", ".html"),
            )
        }
        None => {
            copy_default_book(&root, false);
            (root.join("content/q2-bump.md"), "q2-bump.html".to_string())
        }
    };
    let runs = bench.runs.max(5);
    let port = free_port();
    let server = start_server(
        &bench.gradbook,
        &["serve".into(), ".".into(), "-p".into(), port.to_string()],
        &root,
        port,
    );
    let events = reload_events(port);
    std::thread::sleep(Duration::from_millis(300));
    let samples: Vec<(Option<f64>, f64)> = (0..runs)
        .map(|i| edit_latency(port, &chapter, &page, Some(&events), i))
        .collect();
    drop(server);
    let reload = median(samples.iter().filter_map(|s| s.0).collect());
    let loaded = median(samples.iter().map(|s| s.1).collect());
    let peer = bench
        .mdbook
        .as_ref()
        .filter(|_| chapters.is_some())
        .map(|mdbook| {
            let port = free_port();
            let _server = start_server(
                mdbook,
                &[
                    "serve".into(),
                    "-p".into(),
                    port.to_string(),
                    "-n".into(),
                    "127.0.0.1".into(),
                ],
                &root,
                port,
            );
            std::thread::sleep(Duration::from_millis(500));
            median(
                (0..runs)
                    .map(|i| edit_latency(port, &chapter, &page, None, i).1)
                    .collect(),
            )
        });
    vec![
        Row {
            workload: format!("prose edit → reload event (`serve`, {name} book)"),
            ours: reload,
            peer: None,
            unit: "ms",
            note: format!("{runs} edits"),
        },
        Row {
            workload: format!("prose edit → page served with the edit (`serve`, {name} book)"),
            ours: loaded,
            peer,
            unit: "ms",
            note: "polling GET every 1 ms".into(),
        },
    ]
}

/// A 500-chapter book with search off: CPU time and peak memory, ours and mdBook's.
fn search_off_rows(bench: &Bench) -> Vec<Row> {
    let root = bench.tmp.path().join("search-off");
    synthetic::write_book(&root, 500, false).expect("writing the book");
    let peer_build = |mdbook: &PathBuf| measure(mdbook, &["build", "-d", "mdbook-site"], &root);
    let (ours, peer) = alternated(
        bench.runs,
        || cold_build(bench, &root),
        bench.mdbook.as_ref().map(|m| move || peer_build(m)),
    );
    let again = median_usage(bench.runs, || {
        measure(&bench.gradbook, &["build", ".", "-d", "site"], &root)
    });
    vec![
        Row {
            workload: "500-chapter book, search off, cold (no cache, no previous site): CPU".into(),
            ours: ours.cpu,
            peer: peer.map(|p| p.cpu),
            unit: "s",
            note: format!("wall {:.2} s", ours.wall),
        },
        Row {
            workload: "500-chapter book, search off, cold: peak memory".into(),
            ours: ours.rss_mib,
            peer: peer.map(|p| p.rss_mib),
            unit: "MiB",
            note: String::new(),
        },
        Row {
            workload: "the same, built again unchanged (highlight cache, site reused): CPU".into(),
            ours: again.cpu,
            peer: peer.map(|p| p.cpu),
            unit: "s",
            note: format!("wall {:.2} s, {:.2} MiB", again.wall, again.rss_mib),
        },
    ]
}

/// The search index of a 500-chapter book: bytes, and the median time of a query in Node (our
/// `js/search.js`; mdBook's elasticlunr with the options of its `searcher.js`).
fn search_index_rows(bench: &Bench) -> Vec<Row> {
    let root = bench.tmp.path().join("search-500");
    synthetic::write_book(&root, 500, true).expect("writing the book");
    measure(&bench.gradbook, &["build", ".", "-d", "site"], &root);
    let ours = root.join("site/searchindex.js");
    let peer_index = bench.mdbook.as_ref().and_then(|mdbook| {
        measure(mdbook, &["build", "-d", "mdbook-site"], &root);
        find_file(&root.join("mdbook-site"), "searchindex")
    });
    let size = |p: &Path| std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1_048_576.0);
    let mut rows = vec![Row {
        workload: "search index, 500 chapters".into(),
        ours: size(&ours),
        peer: peer_index.as_deref().map(size),
        unit: "MiB",
        note: String::new(),
    }];
    let engine = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/js/search.js");
    let queries = r#"["gradient","descent step","topic250","momentum adam","the","thr","0.5"]"#;
    let ours_ms = node_time(
        &format!(
            r#"global.window = {{}}; global.document = {{ documentElement: {{ dataset: {{}} }}, getElementById: () => null }};
const fs = require("fs"); eval(fs.readFileSync({:?}, "utf8")); eval(fs.readFileSync({:?}, "utf8"));
const run = (q) => window.gradbookSearch.search(q).hits.length;"#,
            ours.display().to_string(),
            engine.display().to_string()
        ),
        queries,
    );
    let peer_ms = peer_index.as_ref().and_then(|index| {
        let elasticlunr = find_file(&root.join("mdbook-site"), "elasticlunr")?;
        node_time(&format!(
            r#"global.window = {{ search: {{}} }}; const fs = require("fs");
eval(fs.readFileSync({:?}, "utf8")); const elasticlunr = window.elasticlunr || global.elasticlunr || module.exports;
eval(fs.readFileSync({:?}, "utf8"));
const idx = elasticlunr.Index.load(window.search.index);
const options = {{ bool: "AND", expand: true, fields: {{ title: {{ boost: 1 }}, body: {{ boost: 1 }}, breadcrumbs: {{ boost: 0 }} }} }};
const run = (q) => idx.search(q, options).length;"#,
            elasticlunr.display().to_string(),
            index.display().to_string()
        ), queries)
    });
    if let Some(ms) = ours_ms {
        rows.push(Row {
            workload: "search query, 500 chapters (Node, median of 7 queries)".into(),
            ours: ms,
            peer: peer_ms,
            unit: "ms",
            note: "per query; the index is loaded before timing".into(),
        });
    }
    rows
}

/// The first file under `dir` whose name starts with `prefix` and ends in `.js`.
fn find_file(dir: &Path, prefix: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if let Some(found) = find_file(&path, prefix) {
                return Some(found);
            }
        } else if name.starts_with(prefix) && name.ends_with(".js") {
            return Some(path);
        }
    }
    None
}

/// The median time in ms of `run(q)` over `queries` (each run 20 times) after `setup`, in Node.
fn node_time(setup: &str, queries: &str) -> Option<f64> {
    let script = format!(
        r#"{setup}
const times = [];
for (const q of {queries}) {{
  run(q);
  const t = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) run(q);
  times.push(Number(process.hrtime.bigint() - t) / 20e6);
}}
times.sort((a, b) => a - b);
console.log(times[times.length >> 1]);"#
    );
    let output = Command::new("node").arg("-e").arg(script).output().ok()?;
    if !output.status.success() {
        eprintln!("node: {}", String::from_utf8_lossy(&output.stderr));
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// Real mdBook books built by both tools from the same folder (issue #12): the repository's
/// fixture of mdBook's page features and, when `GRADBOOK_BENCH_MDBOOK_GUIDE` names it,
/// mdBook's own guide. CPU time and peak memory, medians.
fn mdbook_book_rows(bench: &Bench) -> Vec<Row> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    // (name, folder to copy, the book inside the copy)
    let mut books = vec![(
        "mdBook fixture (tests/fixtures/mdbook/site)".to_string(),
        repo.join("tests/fixtures/mdbook/site/book"),
        PathBuf::new(),
    )];
    if let Some(checkout) = std::env::var_os("GRADBOOK_BENCH_MDBOOK_GUIDE") {
        books.push((
            "mdBook's guide".to_string(),
            PathBuf::from(checkout),
            PathBuf::from("guide"),
        ));
    }
    let mut rows = Vec::new();
    for (i, (name, source, inside)) in books.into_iter().enumerate() {
        let copy = bench.tmp.path().join(format!("mdbook-book-{i}"));
        copy_tree(&source, &copy);
        let root = copy.join(inside);
        let toml = root.join("book.toml");
        if let Ok(text) = std::fs::read_to_string(&toml) {
            std::fs::write(&toml, without_table(&text, "[preprocessor.guide-helper]"))
                .expect("book.toml");
        }
        let ours = median_usage(bench.runs, || {
            measure(&bench.gradbook, &["build", ".", "-d", "gb-site"], &root)
        });
        let peer = bench.mdbook.as_ref().map(|mdbook| {
            median_usage(bench.runs, || {
                measure(mdbook, &["build", "-d", "mdbook-site"], &root)
            })
        });
        rows.push(Row {
            workload: format!("{name}: CPU time"),
            ours: ours.cpu * 1e3,
            peer: peer.map(|p| p.cpu * 1e3),
            unit: "ms",
            note: format!(
                "wall {:.0} ms (mdBook {})",
                ours.wall * 1e3,
                peer.map_or("—".into(), |p| format!("{:.0} ms", p.wall * 1e3))
            ),
        });
        rows.push(Row {
            workload: format!("{name}: peak memory"),
            ours: ours.rss_mib,
            peer: peer.map(|p| p.rss_mib),
            unit: "MiB",
            note: String::new(),
        });
    }
    rows
}

/// `toml` without the table whose header line is `header` (up to the next table).
fn without_table(toml: &str, header: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in toml.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            skipping = trimmed == header;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
