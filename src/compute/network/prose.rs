//! What the Q1 chapter says about one variant, generated from its graph and worked example:
//! the written-out equations of both networks, which nodes differ, how the slopes moved, and
//! whether the variant has the structure the chapter's hand derivation covers.

use super::model::{Activation, Enters, Evaluation, Incoming, Network};
use super::paths::{PathTerm, skip_symbol, starred, tex_name, tex_pre};
use crate::format::num;
use serde::{Deserialize, Serialize};

/// The chapter-facing description of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prose {
    /// The chain's equations as `aligned` rows, one per non-input node.
    pub chain_equations: String,
    /// The equations of `y*` for every node whose value differs from the chain's (starred).
    pub skip_equations: String,
    /// LaTeX names of the non-input nodes that are the same in both networks.
    pub unchanged: Vec<String>,
    /// LaTeX of the pre-activations that differ between the networks.
    pub changed: Vec<String>,
    /// The weights on the paths to the output, in LaTeX (`w_{2}, w_{3}, …`).
    pub path_weights: String,
    /// The short circuits' fixed weights in LaTeX: `w_{c} = 1` when they are equal, else
    /// `w_{c,1} = 2,\ w_{c,2} = 1` (see [`skip_symbol`]).
    pub wc: String,
    /// Whether every short circuit's weight is at least 0 (Theorem 1 and the non-negative
    /// counterexample need it).
    pub wc_nonnegative: bool,
    /// Whether the variant is the case the chapter derives by hand: sigmoid, the chain
    /// x → h1 → … → h4 → y with weights w1…w5 and biases b1…b5, and short circuits h1 → h3 and
    /// h3 → y with w_c = 1 added to the target's pre-activation.
    pub hand_derivation: bool,
    /// Slopes at every node whose pre-activation differs, at the worked example.
    pub slopes: Vec<Slope>,
    /// Whether σ′ is smaller in `y*` at every node of [`Prose::slopes`] (false when none).
    pub slopes_all_lower: bool,
    /// Whether σ′ is at least as large in `y*` at every node of [`Prose::slopes`].
    pub slopes_none_lower: bool,
    /// ρ in LaTeX: the long path's σ′ factors in `y*` over the chain's.
    pub rho_latex: String,
}

/// σ′ at one node in both networks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slope {
    /// Node name.
    pub node: String,
    /// LaTeX of its pre-activation (`z_{3}`).
    pub pre: String,
    /// Pre-activation in the chain.
    pub z: f64,
    /// Pre-activation with short circuits.
    pub z_star: f64,
    /// σ′(z).
    pub dsigma: f64,
    /// σ′(z*).
    pub dsigma_star: f64,
    /// Whether σ′(z*) < σ′(z).
    pub lower: bool,
    /// Whether |z*| > |z| (further from 0, where σ′ is largest for both activations).
    pub farther: bool,
}

/// Describe the variant `chain` / `skip` evaluated at the worked example.
pub fn describe(chain: &Network, skip: &Network, ce: &Evaluation, se: &Evaluation) -> Prose {
    let stars = starred(skip);
    let moved = pre_differs(skip, &stars);
    let slopes: Vec<Slope> = skip
        .order
        .iter()
        .filter(|&&k| moved[k])
        .map(|&k| Slope {
            node: skip.nodes[k].clone(),
            pre: tex_pre(&skip.nodes[k]),
            z: ce.z[k],
            z_star: se.z[k],
            dsigma: ce.dsigma[k],
            dsigma_star: se.dsigma[k],
            lower: se.dsigma[k] < ce.dsigma[k],
            farther: se.z[k].abs() > ce.z[k].abs(),
        })
        .collect();
    let sig = |k: usize, s: &str| format!("\\sigma'({}{s})", tex_pre(&skip.nodes[k]));
    let moved_nodes: Vec<usize> = skip.order.iter().copied().filter(|&k| moved[k]).collect();
    let product = |s: &str| -> String {
        let f: Vec<String> = moved_nodes.iter().map(|&k| sig(k, s)).collect();
        if f.is_empty() {
            "1".into()
        } else {
            f.join("\\,")
        }
    };
    // One `w_c = 1` when every short circuit has the same weight, else each its own.
    let mut wcs: Vec<String> = skip
        .skips()
        .iter()
        .map(|s| format!("{} = {}", skip_symbol(skip, s.0, s.1), num(s.2, 6)))
        .collect();
    wcs.dedup();
    Prose {
        chain_equations: equations(chain, &vec![false; chain.nodes.len()], |_| true),
        skip_equations: equations(skip, &stars, |k| stars[k]),
        unchanged: skip
            .order
            .iter()
            .filter(|&&k| !stars[k])
            .map(|&k| tex_name(&skip.nodes[k]))
            .collect(),
        changed: moved_nodes
            .iter()
            .map(|&k| tex_pre(&skip.nodes[k]))
            .collect(),
        path_weights: skip
            .path_weights()
            .iter()
            .map(|&w| tex_name(&skip.params[w].name))
            .collect::<Vec<_>>()
            .join(", "),
        wc: wcs.join(",\\ "),
        wc_nonnegative: skip.skip_weights_nonnegative(),
        hand_derivation: is_hand_case(chain, skip),
        slopes_all_lower: !slopes.is_empty() && slopes.iter().all(|s| s.lower),
        slopes_none_lower: slopes.iter().all(|s| !s.lower),
        slopes,
        rho_latex: format!("\\frac{{{}}}{{{}}}", product("^{*}"), product("")),
    }
}

/// Nodes whose pre-activation differs from the chain's: a short circuit enters it, or one of
/// its chain inputs differs.
fn pre_differs(net: &Network, stars: &[bool]) -> Vec<bool> {
    let mut out = vec![false; net.nodes.len()];
    for &k in &net.order {
        out[k] = net.incoming[k].iter().any(|inc| match *inc {
            Incoming::Skip { enters, .. } => enters == Enters::PreActivation,
            Incoming::Edge { from, .. } => stars[from],
        });
    }
    out
}

/// `aligned` rows `h_{k} &= \sigma(w_{k}\,h_{k-1} + b_{k})` for the nodes `show` selects.
fn equations(net: &Network, stars: &[bool], show: impl Fn(usize) -> bool) -> String {
    let name = |k: usize| {
        let t = tex_name(&net.nodes[k]);
        if stars[k] { format!("{t}^{{*}}") } else { t }
    };
    let rows: Vec<String> = net
        .order
        .iter()
        .filter(|&&k| show(k))
        .map(|&k| {
            let mut pre = Vec::new();
            let mut post = Vec::new();
            for inc in &net.incoming[k] {
                match *inc {
                    Incoming::Edge { from, weight } => pre.push(format!(
                        "{}\\,{}",
                        tex_name(&net.params[weight].name),
                        name(from)
                    )),
                    Incoming::Skip { from, enters, .. } => {
                        let term = format!("{}\\,{}", skip_symbol(net, from, k), name(from));
                        match enters {
                            Enters::PreActivation => pre.push(term),
                            Enters::PostActivation => post.push(term),
                        }
                    }
                }
            }
            if let Some(b) = net.bias[k] {
                // The bias goes after the chain edges and before short circuits, as in the
                // assignment's `σ(w3·h2 + b3 + wc·h1)`.
                let at = net.incoming[k]
                    .iter()
                    .filter(|inc| matches!(inc, Incoming::Edge { .. }))
                    .count();
                pre.insert(at.min(pre.len()), tex_name(&net.params[b].name));
            }
            let inner = if pre.is_empty() {
                "0".into()
            } else {
                pre.join(" + ")
            };
            let tail: String = post.iter().map(|t| format!(" + {t}")).collect();
            format!("{} &= \\sigma({inner}){tail}", name(k))
        })
        .collect();
    format!(
        "\\begin{{aligned}} {} \\end{{aligned}}",
        rows.join(" \\\\ ")
    )
}

fn is_hand_case(chain: &Network, skip: &Network) -> bool {
    let names = ["x", "h1", "h2", "h3", "h4", "y"];
    if chain.activation != Activation::Sigmoid || chain.nodes != names {
        return false;
    }
    let idx = |n: &str| names.iter().position(|m| *m == n);
    let chain_ok = (1..names.len()).all(|k| {
        let edge_ok = match chain.incoming[k].as_slice() {
            [Incoming::Edge { from, weight }] => {
                *from == k - 1 && chain.params[*weight].name == format!("w{k}")
            }
            _ => false,
        };
        let bias_ok = chain.bias[k].is_some_and(|b| chain.params[b].name == format!("b{k}"));
        edge_ok && bias_ok
    });
    let mut skips: Vec<(usize, usize, f64, Enters)> = skip.skips();
    skips.sort_by_key(|s| (s.0, s.1));
    let wanted = [("h1", "h3"), ("h3", "y")];
    chain_ok
        && skips.len() == wanted.len()
        && skips.iter().zip(wanted).all(|(s, (a, b))| {
            Some(s.0) == idx(a) && Some(s.1) == idx(b) && s.2 == 1.0 && s.3 == Enters::PreActivation
        })
}

/// The long paths (no short circuit) and the short ones, summed separately.
pub fn split(terms: &[PathTerm]) -> (f64, f64) {
    let long = terms.iter().filter(|t| t.skips == 0).map(|t| t.value).sum();
    let short = terms.iter().filter(|t| t.skips > 0).map(|t| t.value).sum();
    (long, short)
}

/// ρ (path 1 of `y*` over the chain's gradient `chain`) and S (`skip`, the gradient of `y*`,
/// over path 1), so that the ratio of the gradients is `|ρ·S|`; each `None` where its
/// denominator is 0.
pub fn rho_and_s(long_path: f64, chain: f64, skip: f64) -> (Option<f64>, Option<f64>) {
    (
        Some(long_path / chain).filter(|r| r.is_finite()),
        Some(skip / long_path).filter(|s| s.is_finite()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::network::validate::{Pair, pairs};
    use crate::compute::network::{paths, spec};

    const SETTINGS: &str = include_str!("../../../content/networks.toml");

    fn variants(text: &str) -> Vec<Pair> {
        pairs(&spec::parse(text).unwrap()).unwrap()
    }

    fn describe_pair(p: &Pair) -> Prose {
        describe(
            &p.chain,
            &p.skip,
            &p.chain.evaluate(&p.values),
            &p.skip.evaluate(&p.values),
        )
    }

    fn named<'a>(ps: &'a [Pair], name: &str) -> &'a Pair {
        ps.iter().find(|p| p.name == name).unwrap()
    }

    #[test]
    fn only_the_default_placement_is_the_hand_case() {
        let ps = variants(SETTINGS);
        assert!(describe_pair(named(&ps, "default")).hand_derivation);
        for name in ["literal", "x_h2_h4", "h1_h3_h2_h4", "post"] {
            assert!(!describe_pair(named(&ps, name)).hand_derivation, "{name}");
        }
        let tanh =
            variants(&SETTINGS.replacen("activation = \"sigmoid\"", "activation = \"tanh\"", 1));
        assert!(!describe_pair(&tanh[0]).hand_derivation);
        let wc = variants(&SETTINGS.replacen("to = \"h3\", wc = 1.0", "to = \"h3\", wc = 2.0", 1));
        assert!(!describe_pair(&wc[0]).hand_derivation);
    }

    #[test]
    fn equations_follow_the_graph() {
        let ps = variants(SETTINGS);
        let d = describe_pair(named(&ps, "default"));
        assert_eq!(
            d.skip_equations,
            "\\begin{aligned} h_{3}^{*} &= \\sigma(w_{3}\\,h_{2} + b_{3} + w_{c}\\,h_{1}) \\\\ \
             h_{4}^{*} &= \\sigma(w_{4}\\,h_{3}^{*} + b_{4}) \\\\ \
             y^{*} &= \\sigma(w_{5}\\,h_{4}^{*} + b_{5} + w_{c}\\,h_{3}^{*}) \\end{aligned}"
        );
        assert!(
            d.chain_equations
                .contains("h_{1} &= \\sigma(w_{1}\\,x + b_{1})")
        );
        assert_eq!(d.chain_equations.matches("&=").count(), 5);
        assert_eq!(d.unchanged, ["h_{1}", "h_{2}"]);
        assert_eq!(d.changed, ["z_{3}", "z_{4}", "z_{y}"]);
        assert_eq!(d.path_weights, "w_{2}, w_{3}, w_{4}, w_{5}");
        assert_eq!(d.wc, "w_{c} = 1");
        let post = describe_pair(named(&ps, "post"));
        assert!(
            post.skip_equations
                .contains("h_{3}^{*} &= \\sigma(w_{3}\\,h_{2} + b_{3}) + w_{c}\\,h_{1}")
        );
        // After the activation, z3 itself does not move.
        assert_eq!(post.changed, ["z_{4}", "z_{y}"]);
        let x = describe_pair(named(&ps, "x_h2_h4"));
        assert!(
            x.skip_equations
                .contains("h_{2}^{*} &= \\sigma(w_{2}\\,h_{1} + b_{2} + w_{c}\\,x)")
        );
        assert_eq!(x.unchanged, ["h_{1}"]);
    }

    #[test]
    fn short_circuits_of_different_weights_get_their_own_symbols() {
        let settings = SETTINGS.replacen("to = \"h3\", wc = 1.0", "to = \"h3\", wc = -0.5", 1);
        let d = describe_pair(named(&variants(&settings), "default"));
        assert_eq!(d.wc, "w_{c,1} = -0.5,\\ w_{c,2} = 1");
        assert!(!d.wc_nonnegative);
        assert!(d.skip_equations.contains("b_{3} + w_{c,1}\\,h_{1})"));
        assert!(d.skip_equations.contains("b_{5} + w_{c,2}\\,h_{3}^{*})"));
        assert!(!d.skip_equations.contains("w_{c}\\,"));
        // The path table names them apart too.
        let p = named(&variants(&settings), "default").clone();
        let w1 = p.skip.params.iter().position(|q| q.name == "w1").unwrap();
        let terms =
            super::super::paths::enumerate(&p.skip, &p.skip.evaluate(&p.values), &p.values, w1);
        let symbols: Vec<&str> = terms
            .iter()
            .flat_map(|t| t.factors.iter().map(|f| f.latex.as_str()))
            .filter(|l| l.starts_with("w_{c"))
            .collect();
        assert!(symbols.contains(&"w_{c,1}") && symbols.contains(&"w_{c,2}"));
        assert!(!symbols.contains(&"w_{c}"));
        // Equal weights keep the one symbol.
        let d = describe_pair(named(&variants(SETTINGS), "default"));
        assert_eq!(d.wc, "w_{c} = 1");
        assert!(d.wc_nonnegative);
    }

    #[test]
    fn slopes_match_a_hand_forward_pass() {
        // Default worked example: every weight 0.5, every bias 0.1, x = 1.
        let s = |z: f64| 1.0 / (1.0 + (-z).exp());
        let ds = |z: f64| s(z) * (1.0 - s(z));
        let h1 = s(0.6);
        let h2 = s(0.5 * h1 + 0.1);
        let z3 = 0.5 * h2 + 0.1;
        let z3s = z3 + h1;
        let z4 = 0.5 * s(z3) + 0.1;
        let z4s = 0.5 * s(z3s) + 0.1;
        let zy = 0.5 * s(z4) + 0.1;
        let zys = 0.5 * s(z4s) + 0.1 + s(z3s);
        let ps = variants(SETTINGS);
        let d = describe_pair(named(&ps, "default"));
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1e-300);
        for (slope, (z, zs)) in d.slopes.iter().zip([(z3, z3s), (z4, z4s), (zy, zys)]) {
            assert!(
                close(slope.z, z) && close(slope.z_star, zs),
                "{}",
                slope.node
            );
            // σ′ from the closed form loses a few ulps to 1 − σ; 1e-12 relative still holds.
            assert!(close(slope.dsigma, ds(z)) && close(slope.dsigma_star, ds(zs)));
            assert_eq!(slope.lower, ds(zs) < ds(z));
            assert_eq!(slope.farther, zs.abs() > z.abs());
        }
        assert!(d.slopes_all_lower && !d.slopes_none_lower);
    }

    #[test]
    fn split_separates_paths_with_short_circuits() {
        let ps = variants(SETTINGS);
        let p = named(&ps, "default");
        let eval = p.skip.evaluate(&p.values);
        let w1 = p.skip.param("w1").unwrap();
        let terms = paths::enumerate(&p.skip, &eval, &p.values, w1);
        let (long, short) = split(&terms);
        assert_eq!(long, terms[0].value);
        let total = long + short;
        assert!((total - eval.grads[w1]).abs() <= 1e-12 * eval.grads[w1].abs());
    }
}
