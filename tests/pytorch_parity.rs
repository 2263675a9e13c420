//! gradbook's backward graphs against the graphs real PyTorch built for the same scripts.
//!
//! `tests/fixtures/pytorch/*.torch.json` were written by `tests/pytorch/torch_graph.py` with
//! PyTorch 2.15 in float64 (the version is in each file). Both graphs are put in one canonical
//! order — breadth first from the output's backward node, along next_functions — and compared
//! node by node: class name, next_functions (input index and target), the variable a node
//! belongs to, its forward value and the gradient through it, and every leaf's `.grad`. The
//! order in which gradbook says the reverse pass runs the nodes (`backward_order`, which the
//! Q3 chapter prints its derivations in) is compared with the order PyTorch's engine ran them
//! (`execution_order`, recorded with a pre-hook on every node).

use assert_cmd::Command;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

/// Relative tolerance: both sides compute in f64 with the same formulas, so only the
/// summation order of gradient contributions can differ (a few ulps).
const RELATIVE: f64 = 1e-12;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One backward node in canonical order.
#[derive(Debug)]
struct Canon {
    name: String,
    next: Vec<(u64, usize)>,
    var: Option<String>,
    value: Option<f64>,
    grad: Option<f64>,
}

/// gradbook's `graph --format json` in canonical order.
fn ours(script: &Path) -> (Vec<Canon>, Value, BTreeMap<u64, usize>) {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .args(["graph", "--format", "json"])
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes: BTreeMap<u64, &Value> = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_u64().unwrap(), n))
        .collect();
    let mut edges: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for e in json["edges"].as_array().unwrap() {
        let (from, to, input) = (
            e["from"].as_u64().unwrap(),
            e["to"].as_u64().unwrap(),
            e["input"].as_u64().unwrap(),
        );
        edges.entry(from).or_default().push((input, to));
    }
    let root = json["root"].as_u64().unwrap();
    let mut index = BTreeMap::from([(root, 0usize)]);
    let mut queue = VecDeque::from([root]);
    let mut order = Vec::new();
    while let Some(id) = queue.pop_front() {
        let node = nodes[&id];
        let mut next = Vec::new();
        let mut outgoing = edges.get(&id).cloned().unwrap_or_default();
        outgoing.sort();
        for (input, to) in outgoing {
            let len = index.len();
            let at = *index.entry(to).or_insert_with(|| {
                queue.push_back(to);
                len
            });
            next.push((input, at));
        }
        order.push(Canon {
            name: node["name"].as_str().unwrap().to_string(),
            next,
            var: node["var"].as_str().map(String::from),
            value: node["value"].as_f64(),
            grad: node["grad"].as_f64(),
        });
    }
    (order, json, index)
}

fn theirs(expected: &Value) -> Vec<Canon> {
    expected["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| Canon {
            name: n["name"].as_str().unwrap().to_string(),
            next: n["next"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap() as usize))
                .collect(),
            var: n["var"].as_str().map(String::from),
            value: n["value"].as_f64(),
            grad: n["grad"].as_f64(),
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= RELATIVE * a.abs().max(b.abs()).max(f64::MIN_POSITIVE)
}

fn compare(script: PathBuf, expected: PathBuf) {
    // If a script was edited on purpose, regenerate its record:
    // `python tests/pytorch/torch_graph.py SCRIPT.py > tests/fixtures/pytorch/NAME.torch.json`.
    let label = format!("{} (see tests/pytorch/torch_graph.py)", script.display());
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&expected).unwrap()).unwrap();
    let torch = theirs(&expected);
    let (mine, json, index) = ours(&script);
    assert_eq!(
        mine.len(),
        torch.len(),
        "{label}: node count ({} vs PyTorch {})",
        mine.len(),
        torch.len()
    );
    for (i, (m, t)) in mine.iter().zip(&torch).enumerate() {
        assert_eq!(m.name, t.name, "{label}: node {i} class");
        assert_eq!(
            m.next, t.next,
            "{label}: node {i} ({}) next_functions",
            m.name
        );
        // PyTorch knows a node's variable when a script tensor owns it (not for the
        // ReciprocalBackward0 inside `1 / x`, which has no tensor of its own).
        if let Some(var) = &t.var {
            assert_eq!(
                m.var.as_ref(),
                Some(var),
                "{label}: node {i} ({}) variable",
                m.name
            );
            let (mv, tv) = (m.value.unwrap(), t.value.unwrap());
            assert!(
                close(mv, tv),
                "{label}: node {i} ({var}) value {mv} vs PyTorch {tv}"
            );
            let (mg, tg) = (m.grad.unwrap(), t.grad.unwrap());
            assert!(
                close(mg, tg),
                "{label}: node {i} ({var}) grad {mg} vs PyTorch {tg}"
            );
        }
    }
    let (mo, to) = (
        json["output"].as_f64().unwrap(),
        expected["output"].as_f64().unwrap(),
    );
    assert!(close(mo, to), "{label}: output {mo} vs PyTorch {to}");
    let source = std::fs::read_to_string(&script).unwrap();
    let result = gradbook::compute::autograd::run(&source).unwrap();
    let ran: Vec<usize> = result
        .backward_order
        .iter()
        .map(|&id| index[&(id as u64)])
        .collect();
    let torch_ran: Vec<usize> = expected["execution_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(
        ran, torch_ran,
        "{label}: the order the engine runs the nodes"
    );
    let grads = expected["grads"].as_object().unwrap();
    assert_eq!(
        json["grads"].as_object().unwrap().len(),
        grads.len(),
        "{label}: leaves with a gradient"
    );
    for (leaf, g) in grads {
        let (mine, theirs) = (json["grads"][leaf].as_f64().unwrap(), g.as_f64().unwrap());
        assert!(
            close(mine, theirs),
            "{label}: {leaf}.grad {mine} vs PyTorch {theirs}"
        );
    }
}

#[test]
fn comp_tree_matches_pytorch() {
    compare(
        repo().join("content/comp_tree.py"),
        repo().join("tests/fixtures/pytorch/comp_tree.torch.json"),
    );
}

#[test]
fn number_operands_match_pytorch() {
    let dir = repo().join("tests/fixtures/pytorch");
    compare(
        dir.join("number_operands.py"),
        dir.join("number_operands.torch.json"),
    );
}

#[test]
fn unary_functions_match_pytorch() {
    let dir = repo().join("tests/fixtures/pytorch");
    compare(dir.join("unary.py"), dir.join("unary.torch.json"));
}

#[test]
fn reused_tensors_and_constants_match_pytorch() {
    let dir = repo().join("tests/fixtures/pytorch");
    compare(dir.join("reuse.py"), dir.join("reuse.torch.json"));
}
