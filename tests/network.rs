//! Q1 network studies: gradients against hand formulas, finite differences and forward-mode
//! dual numbers; path sums against the autograd tape; sweep determinism; counterexamples;
//! the certified bound; invalid study files; figures.

use gradbook::compute::network::model::Network;
use gradbook::compute::network::validate::{self, Pair};
use gradbook::compute::network::{self, StudyResult, paths, spec, tape_eval};
use gradbook::diag::SpanError;
use gradbook::figure::network_diagram;
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/network")
        .join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The book's study with a smaller sweep (tests run in debug builds).
fn book_study(samples: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/networks.toml");
    let text = read(&path);
    let line = text
        .lines()
        .find(|l| l.starts_with("samples = "))
        .expect("samples line");
    text.replace(line, &format!("samples = {samples}"))
}

fn pairs(source: &str) -> Vec<Pair> {
    validate::pairs(&spec::parse(source).unwrap()).unwrap()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Relative difference, 0 when both vanish.
fn rel(a: f64, b: f64) -> f64 {
    let s = a.abs().max(b.abs());
    if s == 0.0 { 0.0 } else { (a - b).abs() / s }
}

/// The five-layer chain written out by hand: (y, dy/dw1) with
/// dy/dw1 = x · Π σ'(z_k) · w2 w3 w4 w5.
fn chain_by_hand(x: f64, w: [f64; 5], b: [f64; 5]) -> (f64, f64) {
    let mut h = x;
    let mut grad = x;
    for k in 0..5 {
        let z = w[k] * h + b[k];
        h = sigmoid(z);
        let ds = h * (1.0 - h);
        grad *= ds * if k + 1 < 5 { w[k + 1] } else { 1.0 };
    }
    (h, grad)
}

/// The default skip network factorised by hand:
/// dy*/dw1 = x σ'(z1) · σ'(z3*)(1 + w3 w2 σ'(z2)) · σ'(z5*)(1 + w5 w4 σ'(z4*)).
fn skip_by_hand(x: f64, w: [f64; 5], b: [f64; 5]) -> f64 {
    let ds = |z: f64| sigmoid(z) * (1.0 - sigmoid(z));
    let z1 = w[0] * x + b[0];
    let h1 = sigmoid(z1);
    let z2 = w[1] * h1 + b[1];
    let h2 = sigmoid(z2);
    let z3 = w[2] * h2 + b[2] + h1;
    let h3 = sigmoid(z3);
    let z4 = w[3] * h3 + b[3];
    let h4 = sigmoid(z4);
    let z5 = w[4] * h4 + b[4] + h3;
    x * ds(z1) * ds(z3) * (1.0 + w[2] * w[1] * ds(z2)) * ds(z5) * (1.0 + w[4] * w[3] * ds(z4))
}

/// Values in the subscripted reading's parameter order (x, w1, …, w5, b1, …, b5).
fn values_for(net: &Network, x: f64, w: [f64; 5], b: [f64; 5]) -> Vec<f64> {
    net.params
        .iter()
        .map(|p| match p.name.as_str() {
            "x" => x,
            n if n.starts_with('w') => w[n[1..].parse::<usize>().unwrap() - 1],
            n => b[n[1..].parse::<usize>().unwrap() - 1],
        })
        .collect()
}

#[test]
fn chain_gradient_matches_hand_formula_and_finite_differences() {
    let all = pairs(&book_study(10));
    let pair = &all[0];
    let w1 = pair.chain.param("w1").unwrap();
    let cases = [
        (1.0, [0.5; 5], [0.1; 5]),
        (
            -1.3,
            [2.0, -1.5, 0.7, 3.0, -0.4],
            [0.3, -2.0, 1.0, 0.0, 0.5],
        ),
        (
            0.4,
            [0.1, 4.0, 4.0, -3.0, 2.5],
            [-1.0, 1.0, -2.0, 0.7, -0.2],
        ),
    ];
    for (x, w, b) in cases {
        let values = values_for(&pair.chain, x, w, b);
        let (y, tape) = tape_eval::gradients(&pair.chain, &values);
        let (y_hand, g_hand) = chain_by_hand(x, w, b);
        assert!(rel(y, y_hand) <= 1e-15, "y {y} vs {y_hand}");
        // Same products in a different order: a few ulps.
        assert!(
            rel(tape[w1], g_hand) <= 1e-12,
            "tape {} vs hand {g_hand}",
            tape[w1]
        );
        // Central differences: truncation ~ h² |y'''| ≈ 1e-10 and rounding ~ ε/h ≈ 1e-11,
        // relative to gradients ≥ 1e-4 here: 1e-5 is a safe bound.
        let h = 1e-5;
        let (yp, _) = chain_by_hand(x, [w[0] + h, w[1], w[2], w[3], w[4]], b);
        let (ym, _) = chain_by_hand(x, [w[0] - h, w[1], w[2], w[3], w[4]], b);
        let fd = (yp - ym) / (2.0 * h);
        assert!(
            (fd - tape[w1]).abs() <= 1e-5 * tape[w1].abs().max(1e-4),
            "fd {fd} vs {}",
            tape[w1]
        );
    }
}

#[test]
fn skip_gradient_matches_the_factorised_path_sum() {
    let all = pairs(&book_study(10));
    let pair = &all[0];
    let w1 = pair.skip.param("w1").unwrap();
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0
    };
    for _ in 0..50 {
        let (x, w, b) = (
            next(),
            [next(), next(), next(), next(), next()],
            [next(), next(), next(), next(), next()],
        );
        let values = values_for(&pair.skip, x, w, b);
        let (_, tape) = tape_eval::gradients(&pair.skip, &values);
        let hand = skip_by_hand(x, w, b);
        assert!(
            (tape[w1] - hand).abs() <= 1e-12 * hand.abs().max(1e-12),
            "tape {} vs hand {hand}",
            tape[w1]
        );
    }
}

/// y and dy/dθ by forward-mode dual numbers, from the structure in the result JSON: an
/// evaluation that shares no code with the study.
fn dual(v: &Value, values: &Value, with_skips: bool, param: &str) -> (f64, f64) {
    let get = |name: &str| values[name].as_f64().unwrap();
    let seed = |name: &str| if name == param { 1.0 } else { 0.0 };
    let input = v["input"].as_str().unwrap();
    let mut h: std::collections::HashMap<String, (f64, f64)> = Default::default();
    h.insert(input.to_string(), (get(input), seed(input)));
    let nodes: Vec<&str> = v["chain"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    while h.len() < nodes.len() {
        for &n in &nodes {
            if h.contains_key(n) {
                continue;
            }
            let edges: Vec<&Value> = v["edges"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["to"] == n)
                .collect();
            let skips: Vec<&Value> = v["skips"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| with_skips && s["to"] == n)
                .collect();
            let sources: Vec<&str> = edges
                .iter()
                .chain(&skips)
                .map(|e| e["from"].as_str().unwrap())
                .collect();
            if !sources.iter().all(|s| h.contains_key(*s)) {
                continue;
            }
            let (mut z, mut dz) = (0.0, 0.0);
            for e in &edges {
                let (hv, hd) = h[e["from"].as_str().unwrap()];
                let wname = e["weight"].as_str().unwrap();
                z += get(wname) * hv;
                dz += get(wname) * hd + seed(wname) * hv;
            }
            if let Some(bn) = v["biases"][n].as_str() {
                z += get(bn);
                dz += seed(bn);
            }
            let (mut post, mut dpost) = (0.0, 0.0);
            for s in &skips {
                let (hv, hd) = h[s["from"].as_str().unwrap()];
                let wc = s["wc"].as_f64().unwrap();
                if s["enters"] == "post-activation" {
                    post += wc * hv;
                    dpost += wc * hd;
                } else {
                    z += wc * hv;
                    dz += wc * hd;
                }
            }
            let s = sigmoid(z);
            h.insert(n.to_string(), (s + post, s * (1.0 - s) * dz + dpost));
        }
    }
    h[v["output"].as_str().unwrap()]
}

fn small_study() -> (StudyResult, Value) {
    let r = network::run(&read(&fixture("small.toml"))).unwrap();
    let json = serde_json::to_value(&r).unwrap();
    (r, json)
}

#[test]
fn worked_examples_agree_with_dual_numbers() {
    let (_, json) = small_study();
    for (name, v) in json["variants"].as_object().unwrap() {
        for p in ["w1", "b1"] {
            let (_, chain) = dual(v, &v["values"], false, p);
            let (_, skip) = dual(v, &v["values"], true, p);
            let c = v["chain"][format!("dy_d{p}")].as_f64().unwrap();
            let s = v["skip"][format!("dy_d{p}")].as_f64().unwrap();
            assert!(
                rel(chain, c) <= 1e-12 && rel(skip, s) <= 1e-12,
                "{name} {p}: {chain} {c} {skip} {s}"
            );
        }
    }
}

#[test]
fn counterexamples_really_violate_the_inequality() {
    let (r, json) = small_study();
    let mut seen = 0;
    for (name, v) in json["variants"].as_object().unwrap() {
        for ce in v["counterexamples"].as_array().unwrap() {
            let p = ce["parameter"].as_str().unwrap();
            let (_, chain) = dual(v, &ce["values"], false, p);
            let (_, skip) = dual(v, &ce["values"], true, p);
            assert!(
                chain.abs() > skip.abs(),
                "{name} {p} {}: |{chain}| ≤ |{skip}|",
                ce["kind"]
            );
            assert!(
                rel(chain, ce["chain"].as_f64().unwrap()) <= 1e-9,
                "{name} {p}: chain {chain} vs {}",
                ce["chain"]
            );
            assert_eq!(ce["verified"], true);
            seen += 1;
        }
    }
    assert!(seen > 0, "the sweep should find counterexamples");
    assert!(
        r.claims()
            .iter()
            .filter(|c| c.statement.contains("counterexample"))
            .all(|c| c.holds)
    );
}

#[test]
fn the_sweep_is_deterministic_for_a_fixed_seed() {
    let text = read(&fixture("small.toml"));
    let a = serde_json::to_string(&network::run(&text).unwrap()).unwrap();
    let b = serde_json::to_string(&network::run(&text).unwrap()).unwrap();
    assert_eq!(a, b);
    let other =
        serde_json::to_string(&network::run(&text.replace("seed = 7", "seed = 8")).unwrap())
            .unwrap();
    assert_ne!(a, other, "a different seed should draw different samples");
}

#[test]
fn every_claim_of_the_book_study_holds() {
    let r = network::run(&book_study(1500)).unwrap();
    let failed: Vec<String> = r
        .claims()
        .into_iter()
        .filter(|c| !c.holds)
        .map(|c| format!("{}: {}", c.statement, c.detail))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    // Non-negative weights alone are not enough in the default reading.
    assert!(
        r.summary
            .iter()
            .filter(|s| s.variant == "default")
            .all(|s| s.nonnegative_counterexample)
    );
}

/// The certified bound for the default reading by hand: S = (1 + 4/W²)² (two short circuits
/// each replacing two sigmoid layers, σ' ≤ 1/4) against exp(−Σδ) with δ3 ≤ 1, δ4 ≤ W/4,
/// δ5 ≤ W²/16 + 1 (|h| < 1, σ is 1/4-Lipschitz, ln σ' is 1-Lipschitz).
#[test]
fn certified_bound_matches_the_hand_derivation() {
    let slack = |w: f64| 2.0 * (1.0 + 4.0 / (w * w)).ln() - (2.0 + w / 4.0 + w * w / 16.0);
    let (mut lo, mut hi) = (0.1, 10.0);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if slack(mid) >= 0.0 {
            lo = mid
        } else {
            hi = mid
        }
    }
    let r = network::run(&book_study(10)).unwrap();
    let bound = r.variants[0].compare[0].bound.clone().unwrap();
    assert!(
        bound.w_max <= lo && bound.w_max >= lo * 0.99,
        "{} vs {lo}",
        bound.w_max
    );
    assert!(!bound.needs_input_bound);
}

/// How far the tape may be from an exact σ': it computes σ' = y(1 − y) like PyTorch, and
/// `1 − y` loses digits when y is near 1, a relative error of about ε / σ(−|z|) per node;
/// the path sum uses σ(z)σ(−z), which does not. Four ε per node covers rounding y and the
/// products.
fn tape_tolerance(eval: &gradbook::compute::network::model::Evaluation) -> f64 {
    let eps = f64::EPSILON;
    1e-12
        + eval
            .z
            .iter()
            .filter(|z| z.is_finite())
            .map(|z| 4.0 * eps / sigmoid(-z.abs()))
            .sum::<f64>()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Σ over paths of the products of local derivatives equals the tape's gradient (and the
    /// study's own reverse pass, which uses the same σ' values, to 1e-12).
    #[test]
    fn path_sum_equals_autograd_for_every_variant(raw in proptest::collection::vec(-3.0f64..3.0, 11)) {
        for pair in pairs(&book_study(10)) {
            for net in [&pair.chain, &pair.skip] {
                let values: Vec<f64> = raw.iter().take(net.params.len()).copied().collect();
                let eval = net.evaluate(&values);
                let (_, tape) = tape_eval::gradients(net, &values);
                let tol = tape_tolerance(&eval);
                for name in ["w1", "b1"] {
                    let p = net.param(name).unwrap();
                    let terms = paths::enumerate(net, &eval, &values, p);
                    let sum: f64 = terms.iter().map(|t| t.value).sum();
                    let scale: f64 = terms.iter().map(|t| t.value.abs()).sum::<f64>().max(1e-300);
                    prop_assert!((sum - eval.grads[p]).abs() <= 1e-12 * scale,
                        "{} {name}: path sum {sum} vs reverse pass {}", pair.name, eval.grads[p]);
                    prop_assert!((sum - tape[p]).abs() <= tol * scale,
                        "{} {name}: path sum {sum} vs tape {} (tolerance {tol})", pair.name, tape[p]);
                }
            }
        }
    }
}

#[test]
fn paths_of_the_default_reading() {
    let r = network::run(&book_study(10)).unwrap();
    let v = &r.variants[0];
    let w1: Vec<_> = v
        .skip
        .paths
        .iter()
        .filter(|p| p.parameter == "w1")
        .collect();
    let routes: Vec<String> = w1.iter().map(|p| p.nodes.join(">")).collect();
    assert_eq!(
        routes,
        ["h1>h2>h3>h4>y", "h1>h2>h3>y", "h1>h3>h4>y", "h1>h3>y"]
    );
    assert_eq!(
        v.chain.paths.iter().filter(|p| p.parameter == "w1").count(),
        1
    );
    insta::assert_snapshot!(v.skip.derivation["w1"].as_str().unwrap());
}

/// The error for a broken study, located in its file.
fn diagnose(path: &Path) -> (SpanError, String) {
    let text = read(path);
    let err = network::run(&text).expect_err("the study should be rejected");
    let shown = err.in_file(path, &text).to_string();
    (err, shown)
}

#[test]
fn invalid_studies_give_clear_errors() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixture("invalid")).unwrap() {
        let path = entry.unwrap().path();
        let text = read(&path);
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap();
        let at = text
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix("# at: "))
            .unwrap();
        let (err, shown) = diagnose(&path);
        assert!(
            err.message.contains(expect),
            "{}: {}",
            path.display(),
            err.message
        );
        let line = text[..err.span.start].matches('\n').count() + 1;
        let source_line = text.lines().nth(line - 1).unwrap_or("");
        assert!(
            line > 2 && source_line.contains(at),
            "{}: line {line} `{source_line}`",
            path.display()
        );
        assert!(
            shown.starts_with(&format!("{}:{line}:", path.display())),
            "{shown}"
        );
        count += 1;
    }
    assert!(count >= 8);
}

#[test]
fn figures_are_themed_prefixed_and_mark_short_circuits() {
    let (r, _) = small_study();
    for kind in ["chain", "skip", "paths", "paths/literal/b1", "skip/post"] {
        let svg = network_diagram::draw(&r, kind, "q1-").unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert!(root.attribute("viewBox").is_some() && root.attribute("aria-labelledby").is_some());
        assert_eq!(root.attribute("width"), Some("100%"));
        for node in doc.descendants().filter_map(|n| n.attribute("id")) {
            assert!(node.starts_with("q1-"), "{kind}: id {node}");
        }
    }
    let skip = network_diagram::diagrams(&r, "skip").unwrap();
    let dashed: Vec<_> = skip[0].edges.iter().filter(|e| e.class == "skip").collect();
    assert_eq!(dashed.len(), 2);
    assert!(dashed.iter().all(|e| e.label.as_deref() == Some("wc = 1")));
    let paths = network_diagram::diagrams(&r, "paths").unwrap();
    assert_eq!(paths.len(), 4);
    for (k, d) in paths.iter().enumerate() {
        assert!(
            d.edges
                .iter()
                .any(|e| e.class.split(' ').any(|c| c == format!("path-{k}")))
        );
    }
    assert!(network_diagram::draw(&r, "nope", "q1-").is_none());
    assert!(network_diagram::draw(&r, "chain/nope", "q1-").is_none());
    insta::assert_debug_snapshot!(network_diagram::diagrams(&r, "chain").unwrap());
}

#[test]
fn tanh_networks_agree_with_finite_differences() {
    let text =
        read(&fixture("tiny.toml")).replace("activation = \"sigmoid\"", "activation = \"tanh\"");
    let pair = &pairs(&text)[0];
    let values = pair.values.clone();
    for net in [&pair.chain, &pair.skip] {
        let (_, tape) = tape_eval::gradients(net, &values);
        for name in ["w1", "b1"] {
            let p = net.param(name).unwrap();
            let y = |d: f64| {
                let mut v = values.clone();
                v[p] += d;
                net.output_value(&net.evaluate(&v))
            };
            // Central differences: O(h²) truncation and ε/h rounding, both below 1e-9 here.
            let h = 1e-5;
            let fd = (y(h) - y(-h)) / (2.0 * h);
            assert!(
                (fd - tape[p]).abs() <= 1e-8,
                "{name}: fd {fd} vs tape {}",
                tape[p]
            );
        }
    }
    let r = network::run(&text).unwrap();
    assert_eq!(r.variants[0].activation, "tanh");
    assert!(
        r.claims()
            .iter()
            .all(|c| c.holds || c.statement.contains("worked example")),
        "{:#?}",
        r.claims()
    );
}

#[test]
fn edge_cases_never_panic() {
    let base = read(&fixture("tiny.toml"));
    let cases = [
        base.replace("samples = 100", "samples = 1"),
        base.replace(
            "samples = 100",
            "samples = 3\n\n[search]\nstarts = 0\nsteps = 0\nstep = 0.5",
        ),
        base.replace("to = \"y\" }]", "to = \"y\", wc = -1.0 }]"),
        base.replace("to = \"y\" }]", "to = \"y\", wc = 0.0 }]"),
        base.replace(
            "to = \"y\" }]",
            "to = \"y\", enters = \"post-activation\" }]",
        ),
        base.replace("x = 1.0", "x = 1e300")
            .replace("w1 = 0.5", "w1 = 1e300"),
        base.replace("skips = [{ from = \"h1\", to = \"y\" }]", "skips = []"),
        base.replace("activation = \"sigmoid\"", "activation = \"tanh\"")
            .replace("{ low = -1.0, high = 1.0 }", "{ low = -1e6, high = 1e6 }"),
    ];
    for (i, text) in cases.iter().enumerate() {
        let r = network::run(text).unwrap_or_else(|e| panic!("case {i}: {e}"));
        let _ = r.claims();
        for kind in network_diagram::KINDS {
            assert!(
                network_diagram::draw(&r, kind, "e-").is_some(),
                "case {i} {kind}"
            );
        }
    }
    for junk in [
        "",
        "kind = \"network\"",
        "[[reading]]\nname = 1",
        "kind = \"network\"\n[compare]\nparameters = []",
    ] {
        assert!(network::run(junk).is_err());
    }
}

/// Every certified weight bound of the book's study, tried far outside the sweep's ranges:
/// inputs up to |x| = 1e3 (or up to the input bound where the certificate needs one), biases
/// up to ±60, path weights across `[0, W]` (a third of them at the corners 0 and W), and the
/// weight leaving the input free (chosen so that z1 stays where σ′(z1) does not underflow; it
/// is a factor common to both networks). No resolved sample may violate the inequality.
#[test]
fn certified_bounds_hold_far_outside_the_sweep() {
    use rand::{Rng, SeedableRng};
    let text = book_study(10);
    let r = network::run(&text).unwrap();
    let ps = pairs(&text);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
    let mut tried = 0;
    for (pair, v) in ps.iter().zip(&r.variants) {
        let path_weights = pair.skip.path_weights();
        for c in &v.compare {
            let Some(bound) = &c.bound else { continue };
            let p = pair.chain.param(&c.parameter).unwrap();
            let x_max = if bound.needs_input_bound {
                bound.input_bound
            } else {
                1e3
            };
            let mut resolved = 0;
            for _ in 0..4000 {
                let mut values = vec![0.0; pair.skip.params.len()];
                let x = x_max
                    * 10f64.powf(-3.0 * rng.random::<f64>())
                    * if rng.random::<bool>() { 1.0 } else { -1.0 };
                for (k, q) in pair.skip.params.iter().enumerate() {
                    use gradbook::compute::network::model::Role;
                    values[k] = match q.role {
                        Role::Input => x,
                        Role::Bias => rng.random_range(-60.0..60.0),
                        Role::Weight if path_weights.contains(&k) => match rng.random_range(0..6) {
                            0 => 0.0,
                            1 => bound.w_max,
                            _ => rng.random_range(0.0..=bound.w_max),
                        },
                        Role::Weight => 0.0,
                    };
                }
                // The weights leaving the input: z1 = w1·x + b lands in [−30, 30].
                for (k, q) in pair.skip.params.iter().enumerate() {
                    if q.role == gradbook::compute::network::model::Role::Weight
                        && !path_weights.contains(&k)
                    {
                        values[k] = rng.random_range(-30.0..30.0) / x;
                    }
                }
                let a = pair.chain.evaluate(&values).grads[p];
                let b = pair.skip.evaluate(&values).grads[p];
                if a.abs().max(b.abs()) < 1e-250 {
                    continue;
                }
                resolved += 1;
                assert!(
                    a.abs() <= b.abs() * (1.0 + 1e-12),
                    "{} {}: W = {}, |dy| = {a:e} > |dy*| = {b:e} at {values:?}",
                    v.name,
                    c.parameter,
                    bound.w_max
                );
            }
            assert!(
                resolved >= 2000,
                "{} {}: only {resolved} resolved",
                v.name,
                c.parameter
            );
            tried += 1;
        }
    }
    assert!(tried >= 8, "every variant with a bound is tried ({tried})");
}

/// The bound of x → h2, h2 → h4 needs |x| ≤ input-bound: the point x = 5 breaks it,
/// and the summary prints the input range next to the bound.
#[test]
fn a_bound_that_needs_the_input_range_says_so() {
    let text = book_study(10);
    let r = network::run(&text).unwrap();
    let ps = pairs(&text);
    let (i, pair) = ps
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == "x_h2_h4")
        .unwrap();
    let bound = r.variants[i].compare[0].bound.clone().unwrap();
    assert!(bound.needs_input_bound && bound.w_max == 0.388);
    let mut values = vec![0.0; pair.skip.params.len()];
    for (name, v) in [("x", 5.0), ("w1", 0.05)]
        .into_iter()
        .chain(["w2", "w3", "w4", "w5"].map(|w| (w, 0.388)))
    {
        values[pair.chain.param(name).unwrap()] = v;
    }
    let (_, chain) = tape_eval::gradients(&pair.chain, &values);
    let (_, skip) = tape_eval::gradients(&pair.skip, &values);
    let w1 = pair.chain.param("w1").unwrap();
    assert!(rel(chain[w1], 1.040e-4) < 1e-3 && rel(skip[w1], 4.41e-5) < 1e-2);
    let row = r
        .summary
        .iter()
        .find(|s| s.variant == "x_h2_h4" && s.parameter == "w1")
        .unwrap();
    assert_eq!(row.certified, "0.388 for |x| ≤ 2");
    assert_eq!(row.input_bound, Some(2.0));
    let default = r.summary.iter().find(|s| s.variant == "default").unwrap();
    assert_eq!(default.certified, "1.29 for every x");
}

/// Every counterexample is printed at `digits` significant digits, and those printed digits
/// are its values: re-read and re-evaluated they give its gradients, ratio and verdict.
#[test]
fn counterexamples_reproduce_from_their_printed_digits() {
    let r = network::run(&book_study(3000)).unwrap();
    let text = book_study(3000);
    let mut seen = 0;
    for v in &r.variants {
        for ce in &v.counterexamples {
            let printed: std::collections::BTreeMap<String, f64> = ce
                .values
                .iter()
                .map(|(k, x)| {
                    let x = x.as_f64().unwrap();
                    let shown = gradbook::format::num(x, ce.digits);
                    assert_eq!(shown.parse::<f64>().unwrap(), x, "{} {k}", v.name);
                    (k.clone(), shown.parse().unwrap())
                })
                .collect();
            let (chain, skip) =
                network::reevaluate(&text, &v.name, &ce.parameter, &printed).unwrap();
            assert_eq!((chain, skip), (ce.chain, ce.skip), "{} {}", v.name, ce.kind);
            assert!(chain.abs() > skip.abs() && ce.verified);
            assert!(ce.digits >= 4 && ce.digits <= 17);
            seen += 1;
        }
    }
    assert!(seen >= 10, "{seen}");
}

/// The sweep's counts are kept apart from the search's, and b1 is not counted again when it
/// is the same statement as w1.
#[test]
fn sweep_frequencies_are_apart_from_the_search() {
    let r = network::run(&book_study(500)).unwrap();
    let v = &r.variants[0];
    assert_eq!(v.same_as.get("b1").and_then(Value::as_str), Some("w1"));
    assert!(v.sweep_shown.iter().all(|s| s.parameter == "w1"));
    assert!(v.conditions_shown.iter().all(|s| s.parameter == "w1"));
    let literal = r.variants.iter().find(|v| v.name == "literal").unwrap();
    assert!(
        literal.same_as.is_empty(),
        "b1 enters three nodes in the literal reading"
    );
    for row in &v.conditions {
        assert_eq!(row.sweep_samples + row.search_samples, row.samples);
        assert_eq!(row.sweep_violations + row.search_violations, row.violations);
    }
    for s in r.summary.iter().filter(|s| s.variant == "default") {
        let rows: Vec<_> = v
            .sweep
            .iter()
            .filter(|x| x.parameter == s.parameter)
            .collect();
        let samples: usize = rows.iter().map(|x| x.samples).sum();
        let fails: usize = rows.iter().map(|x| x.samples - x.holds).sum();
        assert_eq!((s.samples, s.fails), (samples, fails));
        // The sweep's "no assumption" row counts the same failures (none unresolved here).
        let none = v
            .conditions
            .iter()
            .find(|c| c.parameter == s.parameter && c.condition == "none")
            .unwrap();
        assert_eq!(none.unresolved, 0);
        assert_eq!(none.sweep_violations, s.fails);
        assert_eq!(none.sweep_samples, s.samples);
    }
    assert!(r.summary_shown.iter().all(|s| !s.repeats));
    assert!(
        r.summary_shown
            .iter()
            .any(|s| s.variant == "literal" && s.parameter == "b1")
    );
}

/// In the y* diagram, a node fed by a starred node shows the star in its formula.
#[test]
fn skip_diagram_formulas_star_their_changed_sources() {
    let r = network::run(&book_study(10)).unwrap();
    let skip = network_diagram::diagrams(&r, "skip").unwrap();
    let lines: Vec<&String> = skip[0].nodes.iter().flat_map(|n| &n.lines).collect();
    for want in [
        "σ(w3·h2 + b3 + wc·h1)",
        "σ(w4·h3* + b4)",
        "σ(w5·h4* + b5 + wc·h3*)",
    ] {
        assert!(
            lines.iter().any(|l| *l == want),
            "missing {want} in {lines:?}"
        );
    }
    let chain = network_diagram::diagrams(&r, "chain").unwrap();
    assert!(
        chain[0]
            .nodes
            .iter()
            .flat_map(|n| &n.lines)
            .all(|l| !l.contains('*'))
    );
}
