//! Computation benchmark (`cargo bench --bench compute`, run by hand): the Q1 sweep in ns per
//! evaluated parameter set, the optimizer study (its α and β1 sweeps of up to 20,000 steps
//! each), and the default book built cold (no results cache) and warm (after a prose edit,
//! results from the cache), each a median. `GRADBOOK_BENCH_RUNS` sets the samples (default 9).

use gradbook::compute::{Kind, Outcome, run};
use gradbook::site::build::build;
use gradbook::site::cache::DIR_NAME;
use std::path::Path;
use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("GRADBOOK_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let threads = rayon::current_num_threads();
    println!("{runs} samples each, {threads} threads");

    let networks = read(&manifest.join("content/networks.toml"));
    let mut evaluations = 0;
    let q1 = sample(runs, || {
        let start = Instant::now();
        let outcome = run(Kind::Network, &networks).expect("the Q1 study runs");
        let elapsed = start.elapsed();
        if let Outcome::Network(r) = outcome {
            evaluations = r.evaluations;
        }
        elapsed
    });
    println!(
        "Q1 study (sweep and search: {evaluations} parameter sets)   median {:>8.1} ms   {:.1} ns per evaluation",
        ms(q1),
        q1.as_nanos() as f64 / evaluations.max(1) as f64
    );

    let bump = read(&manifest.join("content/bump.toml"));
    let q2 = sample(runs, || {
        let start = Instant::now();
        run(Kind::Optimizer, &bump).expect("the Q2 study runs");
        start.elapsed()
    });
    println!(
        "Q2 study (optimizer runs and sweeps)   median {:>8.1} ms",
        ms(q2)
    );

    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path().join("book");
    copy_book(manifest, &root);
    let dest = tmp.path().join("site");
    let cold = sample(runs.min(5), || {
        let cache = root.join(DIR_NAME);
        if cache.exists() {
            std::fs::remove_dir_all(&cache).expect("removing the bench's own cache");
        }
        let start = Instant::now();
        build(&root, Some(&dest)).expect("the book builds");
        start.elapsed()
    });
    println!(
        "default book, cold build (no cache)   median {:>8.1} ms",
        ms(cold)
    );

    let chapter = root.join("content/intro.md");
    let text = read(&chapter);
    let mut n = 0;
    let warm = sample(runs, || {
        n += 1;
        std::fs::write(&chapter, format!("{text}\nEdit {n}.\n")).expect("editing a chapter");
        let start = Instant::now();
        build(&root, Some(&dest)).expect("the book builds");
        start.elapsed()
    });
    println!(
        "default book, build after a prose edit (cached results)   median {:>8.1} ms",
        ms(warm)
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The median of `runs` timings.
fn sample(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1)).map(|_| f()).collect();
    times.sort();
    times[times.len() / 2]
}

/// Copy `book.toml` and `content/` of the book at `from` to `to`.
fn copy_book(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.join("content")).expect("mkdir");
    std::fs::copy(from.join("book.toml"), to.join("book.toml")).expect("book.toml");
    for entry in std::fs::read_dir(from.join("content")).expect("content/") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, to.join("content").join(name)).expect("copy");
        }
    }
}
