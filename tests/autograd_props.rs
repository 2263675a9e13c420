//! Property tests of the autograd engine: random scripts from the dialect against central
//! finite differences, graph invariants, and no panic on arbitrary text.

use gradbook::compute::autograd;
use petgraph::algo::is_cyclic_directed;
use proptest::prelude::*;

/// One random statement: a template and the operands it picks.
#[derive(Debug, Clone)]
struct Stmt {
    kind: usize,
    a: usize,
    b: usize,
    c: f64,
}

/// Templates that cover every operation and number-operand form while keeping values
/// bounded (products and powers go through `tanh`), so finite differences stay accurate.
const TEMPLATES: &[&str] = &[
    "{a} + {b}",
    "{a} - {b}",
    "{a} * torch.tanh({b})",
    "{a} / (1 + {b} * {b})",
    "{c} - {a}",
    "{c} / (1.5 + {a} * {a})",
    "torch.sin({a})",
    "{a}.cos() * {c}",
    "torch.tanh({a}) + {c}",
    "torch.sigmoid({a} * torch.tanh({b}))",
    "torch.exp(torch.tanh({a}))",
    "torch.log(1 + {a} * {a})",
    "(1 + {a} * {a}) ** torch.tanh({b})",
    "2 ** torch.tanh({a})",
    "torch.tanh({a}) ** 2",
    "-{a} * {b}.sin()",
    "torch.tanh({a}) ** 3 / 4 - {c}",
    "{c} * {a} + {b} * {c}",
];

fn script(values: &[f64], stmts: &[Stmt]) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut out = String::from("import torch\n");
    for (i, v) in values.iter().enumerate() {
        out.push_str(&format!(
            "x{i} = torch.tensor([{v:?}], requires_grad=True)\n"
        ));
        names.push(format!("x{i}"));
    }
    for (k, s) in stmts.iter().enumerate() {
        let pick = |i: usize| names[i % names.len()].clone();
        let text = TEMPLATES[s.kind % TEMPLATES.len()]
            .replace("{a}", &pick(s.a))
            .replace("{b}", &pick(s.b))
            .replace("{c}", &format!("{:?}", s.c));
        out.push_str(&format!("t{k} = {text}\n"));
        names.push(format!("t{k}"));
    }
    out
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (0..TEMPLATES.len(), 0usize..64, 0usize..64, -2.0f64..2.0).prop_map(|(kind, a, b, c)| Stmt {
        kind,
        a,
        b,
        c: (c * 100.0).round() / 100.0,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn gradients_match_central_differences(
        values in prop::collection::vec(-1.5f64..1.5, 1..4),
        stmts in prop::collection::vec(stmt(), 1..7),
    ) {
        let values: Vec<f64> = values.iter().map(|v| (v * 1000.0).round() / 1000.0).collect();
        let src = script(&values, &stmts);
        let r = autograd::run(&src).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        let out_at = |vals: &[f64]| autograd::run(&script(vals, &stmts)).map(|r| r.output.item());
        for (i, &v) in values.iter().enumerate() {
            // h = 1e-5: truncation h²/6·|f'''| and rounding ε|f|/h are both below 1e-9
            // for these bounded compositions; 1e-6 relative leaves a wide margin.
            let h = 1e-5;
            let mut up = values.clone();
            let mut down = values.clone();
            up[i] = v + h;
            down[i] = v - h;
            let (Ok(fu), Ok(fd)) = (out_at(&up), out_at(&down)) else { continue };
            let numeric = (fu - fd) / (2.0 * h);
            match r.grads.get(&format!("x{i}")).and_then(|g| g.as_f64()) {
                Some(g) => prop_assert!(
                    (g - numeric).abs() <= 1e-6 * (1.0 + g.abs()),
                    "x{i}: exact {g} vs numeric {numeric}\n{src}"
                ),
                None => prop_assert_eq!(numeric, 0.0, "x{} does not reach the output\n{}", i, src),
            }
        }
    }

    #[test]
    fn graph_is_acyclic_with_one_accumulator_per_leaf(
        values in prop::collection::vec(-1.5f64..1.5, 1..4),
        stmts in prop::collection::vec(stmt(), 1..9),
    ) {
        let src = script(&values, &stmts);
        let r = autograd::run(&src).map_err(|e| TestCaseError::fail(format!("{e}\n{src}")))?;
        prop_assert!(!is_cyclic_directed(&r.graph()));
        for i in 0..values.len() {
            let name = format!("x{i}");
            let count = r.nodes.iter().filter(|n| n.name == "AccumulateGrad" && n.var.as_deref() == Some(name.as_str())).count();
            let reached = r.grads.contains_key(&name);
            prop_assert_eq!(count, usize::from(reached), "{}\n{}", name, src);
        }
        // Every derivation is LaTeX the site can turn into MathML.
        for n in &r.nodes {
            prop_assert!(gradbook::site::markdown::latex_to_mathml(&n.derivation, true).is_ok(), "{}", n.derivation);
        }
        // Every node but the root is some node's input; ids are breadth-first.
        for n in &r.nodes[1..] {
            prop_assert!(r.edges.iter().any(|e| e.to == n.id && e.from < n.id));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in "(import torch\n)?[a-z0-9 ()\\[\\]=+*/.,\n_-]{0,80}") {
        let _ = autograd::run(&src);
    }

    #[test]
    fn arbitrary_unicode_never_panics(src in "\\PC{0,60}") {
        let _ = autograd::run(&src);
    }
}
