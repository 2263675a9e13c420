//! Computation benchmark (`cargo bench --bench compute`, run by hand): the Q1 sweep in ns per
//! evaluated parameter set, the optimizer study (its α and β1 sweeps of up to 20,000 steps
//! each), and the default book built cold (no results cache) and warm (after a prose edit,
//! results from the cache), each a median of wall time and of CPU time (user + system time of
//! the whole process from `getrusage(RUSAGE_SELF)`, threads that already exited included; the
//! figure to compare on a loaded machine). Rayon's workers spin briefly before they sleep,
//! and that idle spinning counts as CPU time too.
//! The first row times the Q1 sweep's random generator alone: 10^7 `next_u64` from
//! `compute::chacha::ChaCha8` and from `rand_chacha::ChaCha8Rng`, the same stream, in ns per u64.
//! `GRADBOOK_BENCH_RUNS` sets the samples (default 9); `GRADBOOK_BENCH_ONLY=q1` runs the Q1
//! row alone (for profiling it), `GRADBOOK_BENCH_ONLY=chacha` the generator row alone,
//! `GRADBOOK_BENCH_ONLY=cold` the cold build alone.

use gradbook::compute::chacha::ChaCha8;
use gradbook::compute::{Kind, Outcome, run};
use gradbook::site::build::build;
use gradbook::site::cache::DIR_NAME;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// Wall and CPU time of one sample.
#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Duration,
}

/// CPU time (user + system) used so far by this process: every thread, rayon's workers and
/// threads that already exited included.
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` only writes the `rusage` it is given.
    let usage = unsafe {
        let mut usage = std::mem::zeroed::<libc::rusage>();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// Time `f` (wall and CPU).
fn timed(f: impl FnOnce()) -> Timing {
    let (cpu, wall) = (cpu_time(), Instant::now());
    f();
    Timing {
        wall: wall.elapsed(),
        cpu: cpu_time() - cpu,
    }
}

fn main() {
    let runs: usize = std::env::var("GRADBOOK_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(9);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let threads = rayon::current_num_threads();
    println!("{runs} samples each, {threads} threads");
    let only = std::env::var("GRADBOOK_BENCH_ONLY").unwrap_or_default();

    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path().join("book");
    copy_book(manifest, &root);
    let dest = tmp.path().join("site");
    let cold = || {
        sample(runs.min(5), || {
            let cache = root.join(DIR_NAME);
            if cache.exists() {
                std::fs::remove_dir_all(&cache).expect("removing the bench's own cache");
            }
            timed(|| {
                build(&root, Some(&dest)).expect("the book builds");
            })
        })
    };
    if only == "cold" {
        println!("default book, cold build (no cache)   {}", show(cold()));
        return;
    }

    if only != "q1" {
        generators(runs);
        if only == "chacha" {
            return;
        }
    }

    let networks = read(&manifest.join("content/networks.toml"));
    let mut evaluations = 0;
    let q1 = sample(runs, || {
        timed(|| {
            if let Outcome::Network(r) = run(Kind::Network, &networks).expect("the Q1 study runs") {
                evaluations = r.evaluations;
            }
        })
    });
    let per = |d: Duration| d.as_nanos() as f64 / evaluations.max(1) as f64;
    println!(
        "Q1 study (sweep and search: {evaluations} parameter sets)   {}   {:.1} ns per evaluation (CPU {:.1} ns)",
        show(q1),
        per(q1.wall),
        per(q1.cpu)
    );
    if only == "q1" {
        return;
    }

    let bump = read(&manifest.join("content/bump.toml"));
    let q2 = sample(runs, || {
        timed(|| {
            run(Kind::Optimizer, &bump).expect("the Q2 study runs");
        })
    });
    println!(
        "Q2 study (optimizer runs and sweeps; target ≤ 40 ms wall, ≤ 70 ms CPU)   {}",
        show(q2)
    );

    println!("default book, cold build (no cache)   {}", show(cold()));

    let chapter = root.join("content/intro.md");
    let text = read(&chapter);
    let mut n = 0;
    let warm = sample(runs, || {
        n += 1;
        std::fs::write(&chapter, format!("{text}\nEdit {n}.\n")).expect("editing a chapter");
        timed(|| {
            build(&root, Some(&dest)).expect("the book builds");
        })
    });
    println!(
        "default book, build after a prose edit (cached results)   {}",
        show(warm)
    );
}

/// 10^7 `next_u64` from ours and from rand_chacha, samples alternating, in ns per u64.
fn generators(runs: usize) {
    const N: u32 = 10_000_000;
    fn draw(mut rng: impl RngCore) -> Timing {
        timed(|| {
            let mut acc = 0u64;
            for _ in 0..N {
                acc ^= rng.next_u64();
            }
            black_box(acc);
        })
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        ours.push(draw(ChaCha8::seed_from_u64(black_box(1))));
        theirs.push(draw(ChaCha8Rng::seed_from_u64(black_box(1))));
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let per = |t: Timing| t.wall.as_nanos() as f64 / f64::from(N);
    println!(
        "ChaCha8, 10^7 next_u64: ours {:.3} ns per u64 ({}), rand_chacha {:.3} ns ({}), ratio {:.2}",
        per(ours),
        show(ours),
        per(theirs),
        show(theirs),
        per(ours) / per(theirs)
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The medians of wall and of CPU time over `runs` samples.
fn sample(runs: usize, mut f: impl FnMut() -> Timing) -> Timing {
    median((0..runs.max(1)).map(|_| f()).collect())
}

/// The medians of wall and of CPU time of `times`.
fn median(times: Vec<Timing>) -> Timing {
    let median = |key: fn(&Timing) -> Duration| {
        let mut v: Vec<Duration> = times.iter().map(key).collect();
        v.sort();
        v[v.len() / 2]
    };
    Timing {
        wall: median(|t| t.wall),
        cpu: median(|t| t.cpu),
    }
}

/// "median wall … ms, CPU … ms".
fn show(t: Timing) -> String {
    format!(
        "median wall {:>8.1} ms, CPU {:>8.1} ms",
        ms(t.wall),
        ms(t.cpu)
    )
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
