//! A weight bound that proves the inequality: if every path weight lies in `[0, W]` then
//! `|dy/dθ| ≤ |dy*/dθ|` for all biases and inputs (and `|x| ≤ X` when a short circuit leaves
//! the input). `W` is the largest bound the argument below certifies.
//!
//! With non-negative weights every path product has the sign of its entry factor, so
//! `dy*/dθ = Σ_g C*_g · S_g` over the nodes `g` where θ enters, with `C*_g` the chain path
//! from `g` evaluated in the skip network and `S_g ≥ 1` the sum of that group's paths divided
//! by it. Replacing `m` chain edges by a short circuit multiplies a path by
//! `wc / (Π w · Π σ') ≥ wc / (W^m · L^(m−1))` (pre-activation) or `wc / (W^m · L^m)`
//! (post-activation), `L = sup σ'`. And `ln σ'` is κ-Lipschitz, so
//! `C*_g ≥ C_g · exp(−κ Σ_k |z*_k − z_k|)`, where the shifts are bounded node by node from
//! `|h| ≤ 1`. The inequality follows when `min_g S_g · exp(−κ Σ δ_k) ≥ 1`.

use super::model::{Enters, Incoming, Network, Role};
use super::paths::{PathTerm, starred};
use serde::{Deserialize, Serialize};

/// The certified bound for one variant and parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// The largest certified weight bound `W`.
    pub w_max: f64,
    /// Whether the bound also needs `|x| ≤ input_bound` (a short circuit leaves the input).
    pub needs_input_bound: bool,
    /// The input bound used.
    pub input_bound: f64,
}

/// Largest `W` tried; a bound this large is reported as is.
const W_CAP: f64 = 1000.0;

/// The certified bound for parameter `param`, or `None` when the argument does not apply
/// (the entry factors can have different signs, or a path is not a chain path with segments
/// replaced by short circuits).
pub fn bound(skip: &Network, param: usize, paths: &[PathTerm], input_bound: f64) -> Option<Bound> {
    let groups = groups(skip, paths)?;
    if !sign_definite(skip, param) {
        return None;
    }
    let needs_input_bound = skip.skips().iter().any(|s| s.0 == skip.input);
    let slack = |w: f64| -> f64 {
        let s = groups
            .iter()
            .map(|g| g.iter().map(|r| r.lower(w, skip)).sum::<f64>())
            .fold(f64::INFINITY, f64::min);
        s.ln() - skip.activation.log_derivative_lipschitz() * shift_sum(skip, w, input_bound)
    };
    let (mut lo, mut hi) = (1e-9, W_CAP);
    if slack(lo) < 0.0 {
        return None;
    }
    if slack(hi) >= 0.0 {
        lo = hi;
    }
    for _ in 0..200 {
        if hi - lo <= 1e-12 * hi {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if slack(mid) >= 0.0 {
            lo = mid
        } else {
            hi = mid
        }
    }
    Some(Bound {
        w_max: lo,
        needs_input_bound,
        input_bound,
    })
}

/// Whether the argument applies to θ: every path product has the same sign when the weights
/// are non-negative, and the entry factors are the same in both networks. True for a bias
/// (entry factor 1) and for a weight whose sources are all the input (factor x) or all
/// positive (σ > 0) and untouched by short circuits.
pub fn sign_definite(net: &Network, param: usize) -> bool {
    match net.params[param].role {
        Role::Bias => true,
        Role::Input => false,
        Role::Weight => {
            let sources: Vec<usize> = net
                .incoming
                .iter()
                .flatten()
                .filter_map(|inc| match *inc {
                    Incoming::Edge { from, weight } if weight == param => Some(from),
                    _ => None,
                })
                .collect();
            let stars = starred(net);
            sources.iter().all(|&f| f == net.input)
                || (net.activation.positive()
                    && sources.iter().all(|&f| f != net.input && !stars[f]))
        }
    }
}

/// A path's ratio to its group's chain path, as the short circuits it uses: `(m, wc, post)`.
struct Ratio(Vec<(i32, f64, bool)>);

impl Ratio {
    fn lower(&self, w: f64, net: &Network) -> f64 {
        let l = net.activation.max_derivative();
        self.0
            .iter()
            .map(|&(m, wc, post)| wc.max(0.0) / (w.powi(m) * l.powi(m - 1 + i32::from(post))))
            .product()
    }
}

/// Group the paths by entry node and express each as its group's chain path with segments
/// replaced by short circuits.
fn groups(net: &Network, paths: &[PathTerm]) -> Option<Vec<Vec<Ratio>>> {
    let index = |name: &str| net.nodes.iter().position(|n| n == name);
    let mut entries: Vec<&str> = paths
        .iter()
        .filter_map(|p| p.nodes.first().map(String::as_str))
        .collect();
    entries.dedup();
    let mut out = Vec::new();
    for entry in entries {
        let members: Vec<&PathTerm> = paths
            .iter()
            .filter(|p| p.nodes.first().map(String::as_str) == Some(entry))
            .collect();
        let chains: Vec<&&PathTerm> = members.iter().filter(|p| p.skips == 0).collect();
        let [chain] = chains.as_slice() else {
            return None;
        };
        let chain_nodes: Vec<usize> = chain
            .nodes
            .iter()
            .map(|n| index(n))
            .collect::<Option<_>>()?;
        let mut group = Vec::new();
        for p in &members {
            let nodes: Vec<usize> = p.nodes.iter().map(|n| index(n)).collect::<Option<_>>()?;
            let mut used = Vec::new();
            for pair in nodes.windows(2) {
                let inc = net.incoming[pair[1]].iter().find(|inc| {
                    matches!(**inc, Incoming::Skip { from, .. } | Incoming::Edge { from, .. } if from == pair[0])
                })?;
                if let Incoming::Skip { wc, enters, .. } = *inc {
                    let a = chain_nodes.iter().position(|&k| k == pair[0])?;
                    let b = chain_nodes.iter().position(|&k| k == pair[1])?;
                    if b <= a {
                        return None;
                    }
                    used.push(((b - a) as i32, wc, enters == Enters::PostActivation));
                }
            }
            group.push(Ratio(used));
        }
        out.push(group);
    }
    Some(out)
}

/// Upper bound on Σ_k |z*_k − z_k| over the non-input nodes when every path weight is at
/// most `w` in absolute value and `|x| ≤ input_bound`.
fn shift_sum(net: &Network, w: f64, input_bound: f64) -> f64 {
    let n = net.nodes.len();
    let l = net.activation.max_derivative();
    let mut sup_h = vec![net.activation.max_abs(); n];
    sup_h[net.input] = input_bound;
    let mut dh = vec![0.0; n];
    let mut total = 0.0;
    for &k in &net.order {
        let (mut delta, mut post, mut post_sup) = (0.0, 0.0, 0.0);
        for inc in &net.incoming[k] {
            match *inc {
                Incoming::Edge { from, .. } => delta += w * dh[from],
                Incoming::Skip {
                    from,
                    wc,
                    enters: Enters::PreActivation,
                } => delta += wc.abs() * sup_h[from],
                Incoming::Skip {
                    from,
                    wc,
                    enters: Enters::PostActivation,
                } => {
                    post += wc.abs() * sup_h[from];
                    post_sup += wc.abs() * sup_h[from];
                }
            }
        }
        sup_h[k] += post_sup;
        dh[k] = l * delta + post;
        total += delta;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::network::model::{Activation, Param};
    use crate::compute::network::paths::enumerate;

    /// x → h1 → h2 → y, optionally with a pre-activation short circuit h1 → y.
    fn net(skip: bool) -> Network {
        let p = |name: &str, role| Param {
            name: name.into(),
            role,
        };
        let mut incoming = vec![
            vec![],
            vec![Incoming::Edge { from: 0, weight: 1 }],
            vec![Incoming::Edge { from: 1, weight: 2 }],
            vec![Incoming::Edge { from: 2, weight: 3 }],
        ];
        if skip {
            incoming[3].push(Incoming::Skip {
                from: 1,
                wc: 1.0,
                enters: Enters::PreActivation,
            });
        }
        Network {
            activation: Activation::Sigmoid,
            nodes: ["x", "h1", "h2", "y"].map(String::from).to_vec(),
            input: 0,
            output: 3,
            order: vec![1, 2, 3],
            incoming,
            bias: vec![None, Some(4), None, None],
            params: vec![
                p("x", Role::Input),
                p("w1", Role::Weight),
                p("w2", Role::Weight),
                p("w3", Role::Weight),
                p("b1", Role::Bias),
            ],
        }
    }

    #[test]
    fn one_skip_over_two_layers_matches_the_hand_bound() {
        // S = 1 + 4/W², shift at y at most wc·1 = 1 (h2 is unchanged): W² = 4/(e − 1).
        let n = net(true);
        let values = [1.0, 0.5, 0.5, 0.5, 0.1];
        let paths = enumerate(&n, &n.evaluate(&values), &values, 1);
        let b = bound(&n, 1, &paths, 2.0).unwrap();
        let expected = (4.0 / (std::f64::consts::E - 1.0)).sqrt();
        assert!(
            (b.w_max - expected).abs() <= 1e-9 * expected,
            "{} vs {expected}",
            b.w_max
        );
        assert!(!b.needs_input_bound);
    }

    #[test]
    fn no_short_circuit_gives_no_bound_to_prove() {
        // Without extra paths S = 1 and nothing shifts: slack 0 for every W, so the bound is
        // the cap (the two networks are the same).
        let n = net(false);
        let values = [1.0, 0.5, 0.5, 0.5, 0.1];
        let paths = enumerate(&n, &n.evaluate(&values), &values, 4);
        assert_eq!(bound(&n, 4, &paths, 2.0).map(|b| b.w_max), Some(W_CAP));
    }
}
