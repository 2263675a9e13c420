//! Defect 12 of the hostile corpus: inputs that used to take quadratic time. Each check runs
//! the same kind of input at two sizes, `n` and `4n`, and asserts the work grows like the
//! input (a quadratic step makes the larger run ~16× slower; linear work stays near 4×, and
//! the bound of 9× leaves room for a busy machine). The fastest of three runs is compared so
//! one stall does not decide.

use gradbook::compute::autograd;
use gradbook::site::markdown;
use std::time::{Duration, Instant};

/// The fastest of three runs of `f`.
fn fastest(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn assert_linear(what: &str, small: Duration, large: Duration) {
    let ratio = large.as_secs_f64() / small.as_secs_f64().max(1e-9);
    assert!(
        ratio < 9.0,
        "{what}: 4× the input took {ratio:.1}× the time ({small:?} → {large:?})"
    );
}

/// A chapter of `n` headings with the same text.
fn same_headings(n: usize) -> String {
    "## Same\n\ntext\n\n".repeat(n)
}

/// A script of `n` lines that each use the leaf `a` again.
fn reused_leaf(n: usize) -> String {
    let mut src =
        String::from("import torch\na = torch.tensor([1.0], requires_grad=True)\nx0 = a * 1.0\n");
    for i in 1..n {
        src.push_str(&format!("x{i} = x{} + a\n", i - 1));
    }
    src.push_str(&format!("x{}.backward()\n", n - 1));
    src
}

/// tests/fixtures/hostile/linear-same-headings: 20,000 identical headings took over 30 s.
#[test]
fn identical_headings_get_ids_in_linear_time() {
    let render = |n: usize| {
        let source = same_headings(n);
        move || {
            let page = markdown::render(&source, &mut |_, _, _| Ok(None))
                .unwrap_or_else(|e| panic!("{}", e.message));
            let last = page.sections.last().map(|s| s.id.clone());
            assert_eq!(last.as_deref(), Some(format!("same-{}", n - 1).as_str()));
        }
    };
    let small = fastest(render(5_000));
    let large = fastest(render(20_000));
    assert_linear("identical headings", small, large);
}

/// tests/fixtures/hostile/linear-reused-leaf: a 100,000-line script reusing one leaf took 111 s.
#[test]
fn a_leaf_used_by_every_line_builds_its_graph_in_linear_time() {
    let run = |n: usize| {
        let source = reused_leaf(n);
        move || {
            let graph = autograd::run(&source).unwrap_or_else(|e| panic!("{e}"));
            // y = a + (n - 1) a: the leaf's gradient counts every use.
            assert_eq!(graph.grads["a"].as_f64(), Some(n as f64));
        }
    };
    let small = fastest(run(10_000));
    let large = fastest(run(40_000));
    assert_linear("reused leaf", small, large);
}
