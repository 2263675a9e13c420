//! gradbook's tensor scripts against what real PyTorch computed for the same scripts.
//!
//! Every `tests/fixtures/pytorch/tensor/NAME.py` has `NAME.torch.json`, written by
//! `tests/pytorch/torch_tensor.py` with PyTorch 2.15 (re-record all with
//! `PYTHON=… tests/pytorch/record_tensor.sh`; CI needs no torch). Both graphs of the last
//! `backward()` are put in one canonical order — breadth first from the output's node along
//! next_functions — and compared node by node: class name, next_functions, the variable a
//! node belongs to, its shape, every element of its value and gradient, every leaf's
//! `.grad` after the last statement, the order the engine runs the nodes, and every list the
//! script filled (losses and parameters per training step). Float64 scripts agree to 1e-12
//! relative to the largest element of each tensor; float32 scripts to 1e-6.

use gradbook::compute::autograd;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pytorch/tensor");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    files.sort();
    files
}

/// Every number in a (nested) JSON value, row-major; `null` gives nothing.
fn flat(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        Value::Array(xs) => xs.iter().for_each(|x| flat(x, out)),
        Value::Bool(b) => out.push(f64::from(u8::from(*b))),
        _ => {}
    }
}

/// Equal element by element within `tol` relative to the larger tensor's largest element.
fn close(mine: &Value, theirs: &Value, tol: f64) -> Result<(), String> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flat(mine, &mut a);
    flat(theirs, &mut b);
    if a.len() != b.len() {
        return Err(format!("{} elements vs PyTorch {}", a.len(), b.len()));
    }
    let scale = a
        .iter()
        .chain(&b)
        .fold(0.0f64, |m, x| m.max(x.abs()))
        .max(f64::MIN_POSITIVE);
    for (k, (x, y)) in a.iter().zip(&b).enumerate() {
        if (x - y).abs() > tol * scale {
            return Err(format!("element {k}: {x} vs PyTorch {y}"));
        }
    }
    Ok(())
}

/// A node in canonical order: its JSON and its next_functions as (input, canonical index).
type Canon = (Value, Vec<(u64, usize)>);

/// gradbook's nodes in canonical order, and the canonical index of every node id.
fn canonical(json: &Value) -> (Vec<Canon>, BTreeMap<u64, usize>) {
    let nodes: BTreeMap<u64, &Value> = json["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_u64().unwrap(), n))
        .collect();
    let mut edges: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for e in json["edges"].as_array().unwrap() {
        edges
            .entry(e["from"].as_u64().unwrap())
            .or_default()
            .push((e["input"].as_u64().unwrap(), e["to"].as_u64().unwrap()));
    }
    let root = json["root"].as_u64().unwrap();
    let mut index = BTreeMap::from([(root, 0usize)]);
    let mut queue = VecDeque::from([root]);
    let mut order = Vec::new();
    while let Some(id) = queue.pop_front() {
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
        order.push((nodes[&id].clone(), next));
    }
    (order, index)
}

fn compare(script: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(script).unwrap();
    let record = script.with_extension("torch.json");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(&record).map_err(|e| e.to_string())?)
            .unwrap();
    let tol = if source.contains("float32") {
        1e-6
    } else {
        1e-12
    };
    let result = autograd::run(&source).map_err(|e| e.to_string())?;
    let json = result.design_json();
    let (mine, index) = canonical(&json);
    let torch = expected["nodes"].as_array().unwrap();
    if mine.len() != torch.len() {
        return Err(format!(
            "node count {} vs PyTorch {}",
            mine.len(),
            torch.len()
        ));
    }
    for (i, ((m, next), t)) in mine.iter().zip(torch).enumerate() {
        let name = t["name"].as_str().unwrap();
        if m["name"] != t["name"] {
            return Err(format!("node {i}: {} vs PyTorch {name}", m["name"]));
        }
        let tnext: Vec<(u64, usize)> = t["next"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap() as usize))
            .collect();
        if *next != tnext {
            return Err(format!(
                "node {i} ({name}): next_functions {next:?} vs PyTorch {tnext:?}"
            ));
        }
        let Some(var) = t["var"].as_str() else {
            continue;
        };
        if m["var"].as_str() != Some(var) {
            return Err(format!("node {i} ({name}): variable {} vs {var}", m["var"]));
        }
        if m["shape"] != t["shape"] {
            return Err(format!(
                "node {i} ({var}): shape {} vs PyTorch {}",
                m["shape"], t["shape"]
            ));
        }
        close(&m["value"], &t["value"], tol).map_err(|e| format!("node {i} ({var}) value: {e}"))?;
        // A leaf's gradient is its `.grad` after the last statement (gradbook's `grads`);
        // other nodes carry the gradient of the last backward().
        let mine_grad = if name == "AccumulateGrad" {
            &json["grads"][var]
        } else {
            &m["grad"]
        };
        if t["grad"].is_null() != mine_grad.is_null() {
            return Err(format!(
                "node {i} ({var}): grad {mine_grad} vs PyTorch {}",
                t["grad"]
            ));
        }
        close(mine_grad, &t["grad"], tol).map_err(|e| format!("node {i} ({var}) grad: {e}"))?;
    }
    close(&json["output"], &expected["output"], tol).map_err(|e| format!("output: {e}"))?;
    for (leaf, g) in expected["grads"].as_object().unwrap() {
        close(&json["grads"][leaf], g, tol).map_err(|e| format!("{leaf}.grad: {e}"))?;
    }
    let ran: Vec<u64> = result
        .backward_order
        .iter()
        .map(|&id| index[&(id as u64)] as u64)
        .collect();
    let torch_ran: Vec<u64> = expected["execution_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    if ran != torch_ran {
        return Err(format!("engine order {ran:?} vs PyTorch {torch_ran:?}"));
    }
    for (name, list) in expected["records"].as_object().unwrap() {
        let mine = result
            .records
            .get(name)
            .ok_or_else(|| format!("list `{name}` not recorded"))?;
        let mine = Value::Array(mine.clone());
        let theirs = list.as_array().unwrap();
        if mine.as_array().map(Vec::len) != Some(theirs.len()) {
            return Err(format!("list `{name}`: length differs"));
        }
        for (k, (a, b)) in mine.as_array().unwrap().iter().zip(theirs).enumerate() {
            close(a, b, tol).map_err(|e| format!("{name}[{k}]: {e}"))?;
        }
    }
    Ok(())
}

#[test]
fn tensor_scripts_match_pytorch() {
    let files = fixtures();
    assert!(files.len() >= 40, "only {} parity scripts", files.len());
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            compare(f)
                .err()
                .map(|e| format!("{}: {e}", f.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scripts differ from PyTorch (re-record with tests/pytorch/record_tensor.sh if a script changed on purpose):\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
