//! The autograd engine against PyTorch's graphs and closed-form derivatives.
//!
//! PyTorch is not installed here, so the expected graphs are written by hand from its source
//! (PyTorch 2.x, `main` as of 2025):
//! - `torch/csrc/autograd/python_variable_methods.cpp` binds `__radd__` to `add` and
//!   `__rmul__` to `mul`, so `2 + x` and `2 * x` record the same node as `x + 2`, `x * 2`;
//! - `torch/csrc/utils/python_arg_parser.cpp` lets Python numbers bind to `Tensor`
//!   parameters only for `add`, `sub`, `mul`, `div` (and a few others, not `pow`, not
//!   `rsub`), as a wrapped number that does not require grad: `x * 2` is `mul.Tensor` with
//!   `next_functions ((AccumulateGrad, 0), (None, 0))`;
//! - `torch/_tensor.py`: `__rsub__` calls `_C._VariableFunctions.rsub(self, other)`
//!   (`rsub.Scalar`), `__rdiv__ = __rtruediv__` returns `self.reciprocal() * other`, and
//!   `__rpow__` returns `torch.pow(other, self)` (`pow.Scalar`); `__pos__` is `positive`,
//!   which returns `self`;
//! - `tools/autograd/load_derivatives.py` names a node `<Op>Backward<k>` with `k` counting
//!   the overloads of that op in `tools/autograd/derivatives.yaml` in file order:
//!   `sub.Tensor`, `sub.Scalar` → `SubBackward0/1`; `rsub.Tensor`, `rsub.Scalar` →
//!   `RsubBackward0/1`; `pow.Tensor_Scalar`, `pow.Tensor_Tensor`, `pow.Scalar` →
//!   `PowBackward0/1/2`.

use gradbook::compute::autograd::{self, GraphResult};

/// The graph as text: each node in id order with its `next_functions` (`@input`).
fn describe(r: &GraphResult) -> String {
    r.nodes
        .iter()
        .map(|n| {
            let next: Vec<String> = r
                .edges
                .iter()
                .filter(|e| e.from == n.id)
                .map(|e| format!("{}@{}", r.nodes[e.to].name, e.input))
                .collect();
            let var = n.var.as_deref().unwrap_or("_");
            if next.is_empty() {
                format!("{}({var})", n.name)
            } else {
                format!("{}({var}) -> {}", n.name, next.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

const X: f64 = 0.7;
const Y: f64 = 1.3;

fn run(body: &str) -> GraphResult {
    let src = format!(
        "import torch\nx = torch.tensor([{X:?}], requires_grad=True)\nw = torch.tensor([{Y:?}], requires_grad=True)\n{body}\n"
    );
    match autograd::run(&src) {
        Ok(r) => r,
        Err(e) => panic!("{body}: {e}"),
    }
}

/// Relative closeness at 1e-12: every case is a handful of correctly rounded f64 operations,
/// so the engine and the closed form differ by a few ulps at most.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-300)
}

/// (script body, graph, value, d/dx, d/dw or NaN when w is unused)
fn cases() -> Vec<(&'static str, &'static str, f64, f64, f64)> {
    let nan = f64::NAN;
    let s = |v: f64| 1.0 / (1.0 + (-v).exp());
    vec![
        (
            "y = x * 2",
            "MulBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X * 2.0,
            2.0,
            nan,
        ),
        (
            "y = 2 * x",
            "MulBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            2.0 * X,
            2.0,
            nan,
        ),
        (
            "y = x + 2",
            "AddBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X + 2.0,
            1.0,
            nan,
        ),
        (
            "y = 2 + x",
            "AddBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            2.0 + X,
            1.0,
            nan,
        ),
        (
            "y = x - 1",
            "SubBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X - 1.0,
            1.0,
            nan,
        ),
        (
            "y = 3 - x",
            "RsubBackward1(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            3.0 - X,
            -1.0,
            nan,
        ),
        (
            "y = x / 2",
            "DivBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X / 2.0,
            0.5,
            nan,
        ),
        (
            "y = 1 / x",
            "MulBackward0(y) -> ReciprocalBackward0@0; ReciprocalBackward0(_) -> AccumulateGrad@0; AccumulateGrad(x)",
            1.0 / X,
            -1.0 / (X * X),
            nan,
        ),
        (
            "y = x ** 2",
            "PowBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X * X,
            2.0 * X,
            nan,
        ),
        (
            "y = 2 ** x",
            "PowBackward2(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            2f64.powf(X),
            2f64.powf(X) * 2f64.ln(),
            nan,
        ),
        (
            "y = x ** w",
            "PowBackward1(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x); AccumulateGrad(w)",
            X.powf(Y),
            Y * X.powf(Y - 1.0),
            X.powf(Y) * X.ln(),
        ),
        (
            "y = -x",
            "NegBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            -X,
            -1.0,
            nan,
        ),
        (
            "y = +x * 1.5",
            "MulBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X * 1.5,
            1.5,
            nan,
        ),
        (
            "y = x + w",
            "AddBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x); AccumulateGrad(w)",
            X + Y,
            1.0,
            1.0,
        ),
        (
            "y = x - w",
            "SubBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x); AccumulateGrad(w)",
            X - Y,
            1.0,
            -1.0,
        ),
        (
            "y = x * w",
            "MulBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x); AccumulateGrad(w)",
            X * Y,
            Y,
            X,
        ),
        (
            "y = x / w",
            "DivBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x); AccumulateGrad(w)",
            X / Y,
            1.0 / Y,
            -X / (Y * Y),
        ),
        (
            "y = x * x",
            "MulBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x)",
            X * X,
            2.0 * X,
            nan,
        ),
        (
            "y = torch.sin(x)",
            "SinBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X.sin(),
            X.cos(),
            nan,
        ),
        (
            "y = x.cos()",
            "CosBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X.cos(),
            -X.sin(),
            nan,
        ),
        (
            "y = torch.exp(x)",
            "ExpBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X.exp(),
            X.exp(),
            nan,
        ),
        (
            "y = x.log()",
            "LogBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X.ln(),
            1.0 / X,
            nan,
        ),
        (
            "y = torch.tanh(x)",
            "TanhBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X.tanh(),
            1.0 - X.tanh().powi(2),
            nan,
        ),
        (
            "y = x.sigmoid()",
            "SigmoidBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            s(X),
            s(X) * (1.0 - s(X)),
            nan,
        ),
        (
            "y = torch.relu(x)",
            "ReluBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            X,
            1.0,
            nan,
        ),
        (
            "y = torch.relu(-x)",
            "ReluBackward0(y) -> NegBackward0@0; NegBackward0(_) -> AccumulateGrad@0; AccumulateGrad(x)",
            0.0,
            0.0,
            nan,
        ),
        // A constant tensor is a tensor operand, so `c - x` is sub.Tensor, not rsub.
        (
            "c = torch.tensor([3.0])\ny = c - x",
            "SubBackward0(y) -> AccumulateGrad@1; AccumulateGrad(x)",
            3.0 - X,
            -1.0,
            nan,
        ),
        (
            "c = torch.tensor([2.0])\ny = c ** x",
            "PowBackward1(y) -> AccumulateGrad@1; AccumulateGrad(x)",
            2f64.powf(X),
            2f64.powf(X) * 2f64.ln(),
            nan,
        ),
        // Python evaluates `2 * 3` first: one node; `x * 2 * 3` is two.
        (
            "y = 2 * 3 * x",
            "MulBackward0(y) -> AccumulateGrad@0; AccumulateGrad(x)",
            6.0 * X,
            6.0,
            nan,
        ),
        (
            "y = x * 2 * 3",
            "MulBackward0(y) -> MulBackward0@0; MulBackward0(_) -> AccumulateGrad@0; AccumulateGrad(x)",
            X * 2.0 * 3.0,
            6.0,
            nan,
        ),
    ]
}

#[test]
fn every_operation_and_number_operand_case() {
    for (body, graph, value, dx, dw) in cases() {
        let r = run(body);
        assert_eq!(describe(&r), graph, "{body}");
        assert!(
            close(r.output.item(), value),
            "{body}: value {} vs {value}",
            r.output.item()
        );
        let gx = r
            .grads
            .get("x")
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
        assert!(
            close(gx, dx) || (gx == 0.0 && dx == 0.0),
            "{body}: dx {gx} vs {dx}"
        );
        match r.grads.get("w").and_then(|v| v.as_f64()) {
            Some(gw) => assert!(close(gw, dw), "{body}: dw {gw} vs {dw}"),
            None => assert!(dw.is_nan(), "{body}: w should reach the output"),
        }
    }
}

#[test]
fn unused_leaf_has_no_grad_and_no_node() {
    let r = run("y = x * 3");
    assert_eq!(r.unused, vec!["w".to_string()]);
    assert!(r.nodes.iter().all(|n| n.var.as_deref() != Some("w")));
}

#[test]
fn backward_names_the_output() {
    let r = run("y = x * 2\nz = y * w\ny.backward()");
    assert_eq!(r.output_var, "y");
    assert!(close(r.output.item(), 2.0 * X));
}

/// The reconstructed `comp_tree.py`, node by node, as PyTorch builds it (same derivation as
/// the per-operation cases), with values and gradients from the hand-expanded formulas.
#[test]
fn comp_tree_matches_pytorch() {
    let src = include_str!("../content/comp_tree.py");
    let r = autograd::run(src).unwrap_or_else(|e| panic!("{e}"));
    let mut counts: Vec<(String, usize)> =
        r.counts.iter().map(|c| (c.name.clone(), c.count)).collect();
    counts.sort();
    let expect = [
        ("AccumulateGrad", 7),
        ("AddBackward0", 4),
        ("MulBackward0", 6),
        ("PowBackward1", 1),
        ("SinBackward0", 1),
        ("SubBackward0", 1),
    ];
    assert_eq!(
        counts,
        expect
            .iter()
            .map(|(n, c)| (n.to_string(), *c))
            .collect::<Vec<_>>()
    );
    // y = k^l + l·m + m·f·sin g with k = (a + ab)d, l = d − e, m = e + ab·c (the search's
    // winner; PyTorch's graph itself is compared in tests/pytorch_parity.rs).
    let (a, b, c, d, e, f, g) = (1.5f64, 0.5f64, 2.0f64, 0.8f64, 1.2f64, 0.6f64, 1.1f64);
    let h = a * b;
    let i = a + h;
    let j = h * c;
    let k = i * d;
    let l = d - e;
    let m = e + j;
    let y = k.powf(l) + l * m + m * f * g.sin();
    assert!(close(r.output.item(), y));
    let yk = l * k.powf(l - 1.0);
    let yl = k.powf(l) * k.ln() + m;
    let ym = l + f * g.sin();
    let yi = yk * d;
    let yh = yi + ym * c;
    let expect = [
        ("a", yi + yh * b),
        ("b", yh * a),
        ("c", ym * h),
        ("d", yk * i + yl),
        ("e", ym - yl),
        ("f", m * g.sin()),
        ("g", m * f * g.cos()),
    ];
    for (name, want) in expect {
        let got = r
            .grads
            .get(name)
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN);
        assert!(close(got, want), "{name}: {got} vs {want}");
    }
}

#[test]
fn derivations_end_in_the_gradient() {
    let r =
        autograd::run(include_str!("../content/comp_tree.py")).unwrap_or_else(|e| panic!("{e}"));
    for n in &r.nodes {
        let tail = format!(
            "= {}\\end{{aligned}}",
            gradbook::format::num(n.grad.item(), 6)
        );
        assert!(n.derivation.ends_with(&tail), "{}: {}", n.id, n.derivation);
    }
    let a = &r.nodes[r.leaves[0]];
    // a feeds h = a * b and i = a + h: both terms, each with its local derivative.
    assert!(a.derivation.starts_with("\\begin{aligned}\\bar{a} &= "));
    assert!(a.derivation.contains("\\bar{h}\\,b"), "{}", a.derivation);
    assert!(a.derivation.contains("\\bar{i}"), "{}", a.derivation);
}

/// Every derivation of scripts with awkward names converts to MathML (what the chapter does).
#[test]
fn derivations_are_valid_latex_for_any_names() {
    let src = "import torch\n_ = torch.tensor([0.3], requires_grad=True)\nx_ = torch.tensor([1.2], requires_grad=True)\n\
__a_b = _ * x_ + 2 ** _\nlong_name_1 = torch.relu(__a_b) / (1 + x_ * x_)\nÂ = 1\n";
    let src = src.replace(
        "Â = 1\n",
        "out = torch.sigmoid(long_name_1) - torch.log(x_) + torch.tanh(-_) ** 2 - 3 / x_\n",
    );
    let r = autograd::run(&src).unwrap_or_else(|e| panic!("{e}"));
    for n in &r.nodes {
        if let Err(e) = gradbook::site::markdown::latex_to_mathml(&n.derivation, true) {
            panic!("{}: {}\n{}", n.id, e.message, n.derivation);
        }
    }
}

/// `out = q` is Python aliasing: `out` is the same tensor with the same `grad_fn`, so the graph,
/// values and gradients are those of `q` (PyTorch records nothing for an assignment), and the
/// nodes keep the tensor's first name. An alias of a leaf is the same leaf (one
/// `AccumulateGrad`, whose `.grad` sums both uses).
#[test]
fn an_alias_is_the_same_tensor() {
    let direct = run("q = x * w + x\nq.backward()");
    let aliased = run("q = x * w + x\nout = q\nout.backward()");
    assert_eq!(describe(&aliased), describe(&direct));
    assert_eq!(aliased.grads, direct.grads);
    assert_eq!(aliased.output, direct.output);
    assert_eq!(aliased.output_var, "out");
    let leaf = run("b = x\ny = b * x\ny.backward()");
    assert_eq!(
        describe(&leaf),
        "MulBackward0(y) -> AccumulateGrad@0, AccumulateGrad@1; AccumulateGrad(x)"
    );
    let dx = leaf.grads["x"].as_f64().unwrap_or(f64::NAN);
    assert!(close(dx, 2.0 * X), "dy/dx = {dx}");
}
