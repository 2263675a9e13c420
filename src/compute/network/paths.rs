//! Gradients as path sums: every path from a parameter to the output in the network's
//! petgraph graph, each with its product of local derivatives (LaTeX and value).

use super::model::{Enters, Evaluation, Incoming, Network};
use petgraph::algo::all_simple_paths;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

/// Fallback colours of the categorical palette `--gb-fig-c0` … `--gb-fig-c7` (light theme),
/// the same as the diagrams' so a term and its path match without the site's CSS.
pub const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b",
];

/// The CSS colour of path `k`: the site's palette variable with a light-theme fallback.
pub fn css_color(k: usize) -> String {
    format!("var(--gb-fig-c{}, {})", k % 8, PALETTE[k % 8])
}

/// At most this many paths are enumerated per parameter (a densely short-circuited network
/// has exponentially many); beyond it the path sum is incomplete and the study's path-sum
/// claim fails instead of the build hanging.
pub const MAX_PATHS: usize = 10_000;

/// One local derivative along a path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// The factor in LaTeX (for example `w_{2}` or `\sigma'(z_{3}^{*})`).
    pub latex: String,
    /// Its value.
    pub value: f64,
}

/// One path from a parameter to the output and its product of local derivatives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathTerm {
    /// The parameter the path starts at.
    pub parameter: String,
    /// The network nodes on the path, from the node the parameter enters to the output.
    pub nodes: Vec<String>,
    /// How many short circuits the path uses.
    pub skips: usize,
    /// The local derivatives, in order.
    pub factors: Vec<Factor>,
    /// The product in LaTeX.
    pub latex: String,
    /// The product's value.
    pub value: f64,
    /// Index of the path's colour (`--gb-fig-c<k>`).
    pub color: usize,
    /// The path's CSS colour, for the derivation and the figure.
    pub css_color: String,
}

/// LaTeX for an identifier: trailing digits become a subscript (`w12` → `w_{12}`).
pub fn tex_name(name: &str) -> String {
    let split = name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (base, digits) = name.split_at(split);
    let base = if base.chars().count() > 1 {
        format!("\\mathrm{{{}}}", base.replace('_', "\\_"))
    } else {
        base.to_string()
    };
    if digits.is_empty() {
        base
    } else {
        format!("{base}_{{{digits}}}")
    }
}

/// The LaTeX symbol of the short circuit `from → to` of `net`: `w_{c}` when every short
/// circuit has the same weight, otherwise `w_{c,i}` for the `i`-th (from 1, in
/// [`Network::skips`] order), so that different weights are never written alike.
pub fn skip_symbol(net: &Network, from: usize, to: usize) -> String {
    let skips = net.skips();
    if skips.iter().all(|s| s.2 == skips[0].2) {
        return "w_{c}".into();
    }
    let i = skips
        .iter()
        .position(|s| (s.0, s.1) == (from, to))
        .unwrap_or(0);
    format!("w_{{c,{}}}", i + 1)
}

/// LaTeX for the pre-activation of node `name` (`h3` → `z_{3}`, `y` → `z_{y}`).
pub fn tex_pre(name: &str) -> String {
    let digits = name.trim_start_matches(|c: char| !c.is_ascii_digit());
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("z_{{{digits}}}")
    } else {
        format!("z_{{{}}}", tex_name(name))
    }
}

fn star(tex: String, starred: bool) -> String {
    if starred { format!("{tex}^{{*}}") } else { tex }
}

/// Which nodes of `net` differ from the chain: the targets of short circuits and everything
/// after them. Their symbols get a star.
pub fn starred(net: &Network) -> Vec<bool> {
    let mut out = vec![false; net.nodes.len()];
    for &k in &net.order {
        out[k] = net.incoming[k].iter().any(|inc| match *inc {
            Incoming::Skip { .. } => true,
            Incoming::Edge { from, .. } => out[from],
        });
    }
    out
}

/// Every path from parameter `param` to the output of `net`, chain-like paths first, with
/// local derivatives evaluated at `eval` (the network's own forward pass).
pub fn enumerate(net: &Network, eval: &Evaluation, values: &[f64], param: usize) -> Vec<PathTerm> {
    let stars = starred(net);
    let mut g: DiGraph<Option<usize>, ()> = DiGraph::new();
    let ids: Vec<NodeIndex> = (0..net.nodes.len()).map(|k| g.add_node(Some(k))).collect();
    let theta = g.add_node(None);
    for (to, list) in net.incoming.iter().enumerate() {
        let mut enters = net.bias[to] == Some(param);
        for inc in list {
            g.add_edge(ids[incoming_from(inc)], ids[to], ());
            enters |= matches!(*inc, Incoming::Edge { weight, .. } if weight == param);
        }
        if enters {
            g.add_edge(theta, ids[to], ());
        }
    }
    let raw: Vec<Vec<NodeIndex>> =
        all_simple_paths::<Vec<_>, _, std::hash::RandomState>(&g, theta, ids[net.output], 0, None)
            .take(MAX_PATHS)
            .collect();
    let mut terms: Vec<PathTerm> = raw
        .iter()
        .map(|path| term(net, eval, values, param, &stars, &g, path))
        .collect();
    terms.sort_by(|a, b| (a.skips, &a.nodes).cmp(&(b.skips, &b.nodes)));
    for (k, t) in terms.iter_mut().enumerate() {
        t.color = k;
        t.css_color = css_color(k);
    }
    terms
}

fn incoming_from(inc: &Incoming) -> usize {
    match *inc {
        Incoming::Edge { from, .. } | Incoming::Skip { from, .. } => from,
    }
}

fn term(
    net: &Network,
    eval: &Evaluation,
    values: &[f64],
    param: usize,
    stars: &[bool],
    g: &DiGraph<Option<usize>, ()>,
    path: &[NodeIndex],
) -> PathTerm {
    let nodes: Vec<usize> = path.iter().filter_map(|&i| g[i]).collect();
    let mut factors = Vec::new();
    let mut skips = 0;
    let h = |k: usize| star(tex_name(&net.nodes[k]), stars[k]);
    let ds = |k: usize| Factor {
        latex: format!("\\sigma'({})", star(tex_pre(&net.nodes[k]), stars[k])),
        value: eval.dsigma[k],
    };
    if let Some(&entry) = nodes.first() {
        // ∂z_entry/∂θ: 1 for a bias, the source value for each edge the weight sits on.
        let mut parts: Vec<Factor> = Vec::new();
        if net.bias[entry] == Some(param) {
            parts.push(Factor {
                latex: "1".into(),
                value: 1.0,
            });
        }
        for inc in &net.incoming[entry] {
            if let Incoming::Edge { from, weight } = *inc
                && weight == param
            {
                parts.push(Factor {
                    latex: h(from),
                    value: eval.h[from],
                });
            }
        }
        if parts.len() == 1 {
            factors.extend(parts);
        } else {
            let latex: Vec<String> = parts.iter().map(|p| p.latex.clone()).collect();
            factors.push(Factor {
                latex: format!("({})", latex.join(" + ")),
                value: parts.iter().map(|p| p.value).sum(),
            });
        }
        factors.push(ds(entry));
    }
    for pair in nodes.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let Some(inc) = net.incoming[b].iter().find(|inc| incoming_from(inc) == a) else {
            continue;
        };
        match *inc {
            Incoming::Edge { weight, .. } => {
                factors.push(Factor {
                    latex: tex_name(&net.params[weight].name),
                    value: values[weight],
                });
                factors.push(ds(b));
            }
            Incoming::Skip { wc, enters, .. } => {
                skips += 1;
                factors.push(Factor {
                    latex: skip_symbol(net, a, b),
                    value: wc,
                });
                if enters == Enters::PreActivation {
                    factors.push(ds(b));
                }
            }
        }
    }
    let shown: Vec<&str> = factors
        .iter()
        .map(|f| f.latex.as_str())
        .filter(|l| *l != "1")
        .collect();
    PathTerm {
        parameter: net.params[param].name.clone(),
        nodes: nodes.iter().map(|&k| net.nodes[k].clone()).collect(),
        skips,
        latex: if shown.is_empty() {
            "1".into()
        } else {
            shown.join("\\,")
        },
        value: factors.iter().map(|f| f.value).product(),
        factors,
        color: 0,
        css_color: String::new(),
    }
}

/// `\frac{\partial y}{\partial w_{1}} = t_1 + t_2 + …` for the paths of one parameter.
pub fn derivation(net: &Network, param: usize, terms: &[PathTerm]) -> String {
    let sum: Vec<&str> = terms.iter().map(|t| t.latex.as_str()).collect();
    format!(
        "{} = {}",
        lhs(net, param),
        if sum.is_empty() {
            "0".to_string()
        } else {
            sum.join(" + ")
        }
    )
}

/// The same sum as an `aligned` block, one path per line (for long sums).
pub fn derivation_lines(net: &Network, param: usize, terms: &[PathTerm]) -> String {
    let lines: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if i == 0 {
                format!("&= {}", t.latex)
            } else {
                format!("&\\quad + {}", t.latex)
            }
        })
        .collect();
    let body = if lines.is_empty() {
        "&= 0".to_string()
    } else {
        lines.join(" \\\\ ")
    };
    format!(
        "\\begin{{aligned}} {} {body} \\end{{aligned}}",
        lhs(net, param)
    )
}

fn lhs(net: &Network, param: usize) -> String {
    let out = star(tex_name(&net.nodes[net.output]), starred(net)[net.output]);
    format!(
        "\\frac{{\\partial {out}}}{{\\partial {}}}",
        tex_name(&net.params[param].name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_subscripts() {
        assert_eq!(tex_name("w12"), "w_{12}");
        assert_eq!(tex_name("w"), "w");
        assert_eq!(tex_name("hid3"), "\\mathrm{hid}_{3}");
        assert_eq!(tex_pre("h3"), "z_{3}");
        assert_eq!(tex_pre("y"), "z_{y}");
    }

    #[test]
    fn palette_cycles() {
        assert_eq!(css_color(0), "var(--gb-fig-c0, #1f77b4)");
        assert_eq!(css_color(9), css_color(1));
    }
}
