//! Our layered layout against Graphviz `dot` on a fixed set of graphs: the book's diagrams
//! (Q3's backward graph, every Q1 network drawing), deep backward graphs of 100, 300, 1000
//! and 10,000 nodes and wide ones of 100, 200 and 10,000 nodes. For each: edge crossings and
//! total edge length of both drawings, measured by one counter on both SVGs
//! (`tests/layout_measure`), and the time of each, medians of several runs, with the ratios
//! ours / dot. Times are CPU times, so other work on the machine counts on neither side:
//! ours is the CPU time of this thread for layout and SVG (Linux
//! `/proc/thread-self/schedstat`; the wall time is printed beside it), dot's the user +
//! system time of `dot -Tsvg` on the same graph with our box sizes and spacing. A timed run
//! of ours repeats the drawing for at least 50 ms and counts the time per drawing.
//!
//! Run by hand: `cargo bench --bench layout_vs_dot` (needs Graphviz: `scripts/test-deps.sh`).
//! `LAYOUT_BENCH_DOT_TIMEOUT=<seconds>` bounds each dot run (default 120: dot takes about a
//! minute on deep 300); a dot run past it prints `—`. dot runs once on graphs of 250 nodes or
//! more. `LAYOUT_BENCH_ONLY=<substring>` runs only the matching graphs.

#[path = "../tests/layout_measure/mod.rs"]
mod layout_measure;

use layout_measure::{Case, crossings, dots, length, ours};
use std::time::{Duration, Instant};

/// User + system CPU time of one `dot -Tsvg` run on `input` (bash's `time`), or `None` past
/// the timeout.
fn dot_cpu(input: &std::path::Path, timeout: u64) -> Option<Duration> {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "TIMEFORMAT='%3U %3S'; time timeout {timeout} dot -Tsvg -o /dev/null '{}'",
            input.display()
        ))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stderr);
    let last = text.lines().last()?;
    let secs: f64 = last
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .sum();
    Some(Duration::from_secs_f64(secs))
}

/// Least wall time of one timed run of ours (a run repeats the drawing until then).
const BATCH: Duration = Duration::from_millis(50);

/// CPU time this thread has run (Linux: `/proc/thread-self/schedstat`, in nanoseconds).
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let timeout: u64 = std::env::var("LAYOUT_BENCH_DOT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(120);
    let only = std::env::var("LAYOUT_BENCH_ONLY").unwrap_or_default();
    let mut cases: Vec<Case> = layout_measure::book();
    for n in [100, 300, 1000, 10_000] {
        cases.push(Case {
            name: format!("deep {n}"),
            diagram: layout_measure::script_diagram(&layout_measure::deep_script(n)),
        });
    }
    for n in [100, 200, 10_000] {
        cases.push(Case {
            name: format!("wide {n}"),
            diagram: layout_measure::script_diagram(&layout_measure::wide_script(n)),
        });
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    println!(
        "{:<26} {:>6} | {:>9} {:>11} {:>9} {:>9} | {:>9} {:>11} {:>9} | {:>7} {:>7} {:>7}",
        "graph",
        "nodes",
        "ours ×",
        "ours length",
        "ours ms",
        "wall ms",
        "dot ×",
        "dot length",
        "dot ms",
        "× ratio",
        "len r.",
        "time r."
    );
    for case in cases.iter().filter(|c| c.name.contains(&only)) {
        let nodes = case.diagram.nodes.len();
        let runs = if nodes >= 5000 { 3 } else { 9 };
        let (mut times, mut walls) = (Vec::new(), Vec::new());
        let mut svg = String::new();
        for _ in 0..runs {
            // Small graphs draw many times per run: the CPU clock read this way only moves
            // at scheduler ticks.
            let (start, cpu) = (Instant::now(), thread_cpu());
            let mut reps = 0;
            while reps == 0 || start.elapsed() < BATCH {
                svg = layout_measure::render(&case.diagram);
                reps += 1;
            }
            times.push(thread_cpu().saturating_sub(cpu) / reps);
            walls.push(start.elapsed() / reps);
        }
        let drawn = ours(&svg);
        let (ours_x, ours_len, ours_ms) = (crossings(&drawn), length(&drawn), ms(median(times)));
        let wall = ms(median(walls));
        let input = dir.path().join("graph.dot");
        std::fs::write(&input, gradbook::figure::diagram::sized_dot(&case.diagram))
            .expect("writing the dot input");
        let dot_runs = if nodes >= 250 { 1 } else { runs };
        let dot_times: Option<Vec<Duration>> =
            (0..dot_runs).map(|_| dot_cpu(&input, timeout)).collect();
        let dot_svg = dot_times
            .as_ref()
            .and_then(|_| layout_measure::dot_svg(&case.diagram, Duration::from_secs(timeout)));
        match (dot_times, dot_svg) {
            (Some(t), Some(dsvg)) => {
                let drawn = dots(&dsvg);
                let (x, len, t) = (crossings(&drawn), length(&drawn), ms(median(t)));
                let ratio = |a: f64, b: f64| {
                    if b > 0.0 {
                        format!("{:.2}", a / b)
                    } else if a == 0.0 {
                        "=".into()
                    } else {
                        "∞".into()
                    }
                };
                println!(
                    "{:<26} {nodes:>6} | {ours_x:>9} {ours_len:>11.0} {ours_ms:>9.2} {wall:>9.2} | {x:>9} {len:>11.0} {t:>9.2} | {:>7} {:>7} {:>7}",
                    case.name,
                    ratio(ours_x as f64, x as f64),
                    ratio(ours_len, len),
                    ratio(ours_ms, t)
                );
            }
            _ => println!(
                "{:<26} {nodes:>6} | {ours_x:>9} {ours_len:>11.0} {ours_ms:>9.2} {wall:>9.2} | {:>9} {:>11} {:>9} |",
                case.name,
                "—",
                "—",
                format!("> {timeout} s")
            ),
        }
    }
}
