//! Time to run and draw autograd scripts: `content/comp_tree.py`
//! and generated scripts of about 100, 1000 and 3000 backward nodes (drawn by the layered
//! layout): parse, tape, reverse pass, graph, layout, SVG. Run with `cargo bench --bench
//! graph_render`; prints the median of several runs per case.

use gradbook::compute::autograd;
use gradbook::figure::backward_graph;
use std::time::{Duration, Instant};

/// A script whose graph has about `nodes` backward nodes: one leaf per ten nodes, each
/// statement combining the previous result with an earlier tensor (a deterministic
/// pseudo-random pick), so the graph has many paths, not just a chain.
fn script(nodes: usize) -> String {
    let leaves = (nodes / 10).max(2);
    let mut s = String::from("import torch\n");
    for i in 0..leaves {
        s.push_str(&format!(
            "x{i} = torch.tensor([{:?}], requires_grad=True)\n",
            0.1 + (i % 7) as f64 * 0.05
        ));
    }
    let mut names: Vec<String> = (0..leaves).map(|i| format!("x{i}")).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for k in 0..nodes.saturating_sub(leaves) {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pick = &names[(state >> 33) as usize % names.len()];
        let prev = names.last().cloned().unwrap_or_default();
        let expr = match k % 4 {
            0 => format!("{prev} + {pick}"),
            1 => format!("{prev} * {pick}"),
            2 => format!("torch.sin({prev})"),
            _ => format!("{prev} - {pick}"),
        };
        s.push_str(&format!("t{k} = {expr}\n"));
        names.push(format!("t{k}"));
    }
    s
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let cases = [
        (
            "comp_tree.py",
            include_str!("../content/comp_tree.py").to_string(),
            15,
        ),
        ("generated", script(100), 15),
        ("generated", script(1000), 7),
        ("generated", script(3000), 5),
    ];
    for (name, src, runs) in cases {
        let mut compute = Vec::new();
        let mut total = Vec::new();
        let mut count = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let result = match autograd::run(&src) {
                Ok(r) => r,
                Err(e) => panic!("generated script failed: {e}"),
            };
            let computed = start.elapsed();
            let svg = backward_graph::draw(&result, "backward-graph", "bench-").unwrap_or_default();
            total.push(start.elapsed());
            compute.push(computed);
            count = result.nodes.len();
            assert!(svg.len() > 1000);
        }
        println!(
            "{name:<25} {count:>5} nodes: median {:>7.2} ms total ({:.2} ms script + backward + graph), {runs} runs",
            median(total).as_secs_f64() * 1e3,
            median(compute).as_secs_f64() * 1e3
        );
    }
}
