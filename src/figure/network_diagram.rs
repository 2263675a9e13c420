//! Drawings of 1-D networks (Q1), drawn through [`super::diagram`]: the chain, the network
//! with short circuits (dashed, labelled `wc = 1`), and the paths from a parameter to the
//! output, each in the colour of its term in the derivation.
//!
//! Kinds: `chain`, `skip` and `paths` draw the study's first variant (and its first compared
//! parameter); `chain/<variant>`, `skip/<variant>`, `paths/<variant>` and
//! `paths/<variant>/<parameter>` pick another.

use super::diagram::{Diagram, Direction, Edge, Engine, Node, render_with, sizing};
use crate::compute::network::StudyResult;
use crate::compute::network::paths::{PALETTE, PathTerm};
use crate::compute::network::result::{NetResult, NodeValue, VariantResult};
use crate::format::{Digits, fixed};
use crate::markup::{escape, sanitize_id};

/// The figure kinds this module draws (each also takes `/<variant>` and, for `paths`,
/// `/<variant>/<parameter>`).
pub const KINDS: &[&str] = &["chain", "skip", "paths"];

/// Room for significant digits of the values in boxes and edge labels; tooltips print the
/// book's digits (see [`Digits`]).
const LABEL_DIGITS: usize = 4;

/// Draw figure `kind` of `result`; `None` if there is no such kind.
pub fn draw(result: &StudyResult, kind: &str, id_prefix: &str) -> Option<String> {
    draw_with(result, kind, id_prefix, Engine::default())
}

/// [`draw`] laid out by `layout`.
pub fn draw_with(
    result: &StudyResult,
    kind: &str,
    id_prefix: &str,
    layout: Engine,
) -> Option<String> {
    draw_with_digits(result, kind, id_prefix, layout, Digits::DEFAULT)
}

/// [`draw_with`] printing numbers at the book's `digits`.
pub fn draw_with_digits(
    result: &StudyResult,
    kind: &str,
    id_prefix: &str,
    layout: Engine,
    digits: Digits,
) -> Option<String> {
    let diagrams = diagrams_with_digits(result, kind, digits)?;
    match diagrams.as_slice() {
        [one] => Some(render_with(one, id_prefix, layout)),
        many => Some(stack(many, &title(result, kind)?, id_prefix, layout)),
    }
}

/// The accessible name of figure `kind`.
fn title(result: &StudyResult, kind: &str) -> Option<String> {
    let (v, param) = pick(result, kind)?;
    let count = v
        .skip
        .paths
        .iter()
        .filter(|p| &p.parameter == param)
        .count();
    Some(format!(
        "{}: the {count} paths from {param} to {}*, one row and one colour each",
        v.title, v.output
    ))
}

/// The variant and parameter a kind names (the first ones by default).
fn pick<'a>(result: &'a StudyResult, kind: &str) -> Option<(&'a VariantResult, &'a String)> {
    let mut parts = kind.split('/').skip(1);
    let variant = match parts.next() {
        Some(name) => result.variants.iter().find(|v| v.name == name)?,
        None => result.variants.first()?,
    };
    let param = match parts.next() {
        Some(p) => result.parameters.iter().find(|q| *q == p)?,
        None => result.parameters.first()?,
    };
    parts.next().is_none().then_some((variant, param))
}

/// The diagrams behind figure `kind` (one, or one per path for `paths`), or `None` for an
/// unknown kind, variant or parameter.
pub fn diagrams(result: &StudyResult, kind: &str) -> Option<Vec<Diagram>> {
    diagrams_with_digits(result, kind, Digits::DEFAULT)
}

/// [`diagrams`] printing numbers at the book's `digits`.
pub fn diagrams_with_digits(
    result: &StudyResult,
    kind: &str,
    digits: Digits,
) -> Option<Vec<Diagram>> {
    let (variant, param) = pick(result, kind)?;
    let network = |net, with_skips, highlight| network(variant, net, with_skips, highlight, digits);
    match kind.split('/').next()? {
        "chain" => Some(vec![network(&variant.chain, false, None)]),
        "skip" => Some(vec![network(&variant.skip, true, None)]),
        "paths" => {
            let paths: Vec<&PathTerm> = variant
                .skip
                .paths
                .iter()
                .filter(|p| &p.parameter == param)
                .collect();
            Some(
                paths
                    .iter()
                    .map(|p| network(&variant.skip, true, Some((param, p))))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// Stack rendered diagrams vertically in one SVG, each row labelled in its path's colour.
fn stack(diagrams: &[Diagram], title: &str, id_prefix: &str, layout: Engine) -> String {
    let prefix = sanitize_id(id_prefix);
    let root = format!("{prefix}fig");
    let gutter = 64.0;
    let (mut y, mut width, mut rows) = (0.0_f64, 0.0_f64, String::new());
    for (k, d) in diagrams.iter().enumerate() {
        let svg = render_with(d, &format!("{prefix}p{k}-"), layout);
        let Some((w, h)) = view_size(&svg) else {
            continue;
        };
        let placed = svg.replacen(
            &sizing(w, h),
            &format!(
                "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
                fixed(gutter, 1),
                fixed(y, 1),
                fixed(w, 1),
                fixed(h, 1)
            ),
            1,
        );
        rows.push_str(&format!(
            "<text class=\"gb-row c{}\" x=\"4\" y=\"{}\">path {}</text>{placed}",
            k % 8,
            fixed(y + h / 2.0, 1),
            k + 1
        ));
        y += h + 6.0;
        width = width.max(w);
    }
    let total = gutter + width;
    let mut css = format!(
        "#{root} .gb-row{{font:600 13px ui-monospace,Menlo,Consolas,monospace;dominant-baseline:central}}"
    );
    for (k, fallback) in PALETTE.iter().enumerate() {
        css.push_str(&format!(
            "#{root} .gb-row.c{k}{{fill:var(--gb-fig-c{k},{fallback})}}"
        ));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{root}\" class=\"gb-figure gb-diagram gb-scroll\" \
role=\"img\" aria-labelledby=\"{prefix}title\" viewBox=\"0 0 {} {}\" {}>\
<title id=\"{prefix}title\">{}</title><style>{css}</style>{rows}</svg>",
        fixed(total, 1),
        fixed((y - 6.0).max(0.0), 1),
        sizing(total, (y - 6.0).max(0.0)),
        escape(title)
    )
}

/// Width and height from the root `viewBox` of a rendered diagram.
fn view_size(svg: &str) -> Option<(f64, f64)> {
    let start = svg.find("viewBox=\"")? + 9;
    let end = start + svg[start..].find('"')?;
    let numbers: Vec<f64> = svg[start..end]
        .split(' ')
        .filter_map(|t| t.parse().ok())
        .collect();
    match numbers.as_slice() {
        [_, _, w, h] => Some((*w, *h)),
        _ => None,
    }
}

/// The formula of node `name` in `net`: `σ(w2·h1 + b2 + wc·h1)` and so on, every source
/// starred where its value differs from the chain's (`σ(w4·h3* + b4)` in `y*`).
fn formula(
    v: &VariantResult,
    net: &NetResult,
    name: &str,
    with_skips: bool,
    digits: Digits,
) -> String {
    let source = |from: &str| {
        let starred = net.nodes.iter().any(|n| n.name == from && n.starred);
        star(from, starred)
    };
    let mut pre: Vec<String> = v
        .edges
        .iter()
        .filter(|e| e.to == name)
        .map(|e| format!("{}·{}", e.weight, source(&e.from)))
        .collect();
    if let Some(b) = v.biases.get(name).and_then(|b| b.as_str()) {
        pre.push(b.to_string());
    }
    let mut post = Vec::new();
    if with_skips {
        for s in v.skips.iter().filter(|s| s.to == name) {
            let term = format!("{}·{}", wc_text(s.wc, digits), source(&s.from));
            if s.enters == "post-activation" {
                post.push(term)
            } else {
                pre.push(term)
            }
        }
    }
    let mut text = format!("σ({})", pre.join(" + "));
    for p in post {
        text = format!("{text} + {p}");
    }
    text
}

/// A short circuit's weight in a formula: `wc` when it is 1, else its value.
fn wc_text(wc: f64, digits: Digits) -> String {
    if wc == 1.0 {
        "wc".into()
    } else {
        digits.fit(wc, LABEL_DIGITS)
    }
}

fn star(name: &str, starred: bool) -> String {
    if starred {
        format!("{name}*")
    } else {
        name.to_string()
    }
}

fn network(
    v: &VariantResult,
    net: &NetResult,
    with_skips: bool,
    highlight: Option<(&String, &PathTerm)>,
    digits: Digits,
) -> Diagram {
    let names: Vec<&str> = net.nodes.iter().map(|n| n.name.as_str()).collect();
    let index = |name: &str| names.iter().position(|n| *n == name);
    let compact = highlight.is_some();
    let mut nodes: Vec<Node> = net
        .nodes
        .iter()
        .map(|n| node(v, net, n, (with_skips, compact), digits))
        .collect();
    // With a path highlighted, its steps are coloured and unlabelled; the rest stay plain.
    let on_path = |from: &str, to: &str| {
        highlight.is_some_and(|(_, p)| p.nodes.windows(2).any(|w| w[0] == from && w[1] == to))
    };
    let colour = highlight.map_or(String::new(), |(_, p)| format!("path-{}", p.color));
    let mut edges = Vec::new();
    for e in &v.edges {
        if let (Some(a), Some(b)) = (index(&e.from), index(&e.to)) {
            let class = if on_path(&e.from, &e.to) {
                colour.clone()
            } else {
                String::new()
            };
            let label = (!compact).then(|| e.weight.clone());
            edges.push(Edge {
                from: a,
                to: b,
                class,
                label,
            });
        }
    }
    if with_skips {
        for s in &v.skips {
            if let (Some(a), Some(b)) = (index(&s.from), index(&s.to)) {
                let after = if s.enters == "post-activation" {
                    " after σ"
                } else {
                    ""
                };
                let class = if on_path(&s.from, &s.to) {
                    format!("skip {colour}")
                } else {
                    "skip".into()
                };
                let label = Some(format!("wc = {}{after}", digits.fit(s.wc, LABEL_DIGITS)));
                edges.push(Edge {
                    from: a,
                    to: b,
                    class,
                    label,
                });
            }
        }
    }
    let title = match highlight {
        Some((param, p)) => {
            let theta = nodes.len();
            nodes.push(Node {
                lines: vec![param.clone()],
                class: "param".into(),
                tooltip: format!("parameter {param}"),
            });
            if let Some(first) = p.nodes.first().and_then(|n| index(n)) {
                edges.push(Edge {
                    from: theta,
                    to: first,
                    class: colour.clone(),
                    label: None,
                });
            }
            format!("path {}: {}", p.color + 1, p.nodes.join(" → "))
        }
        None if with_skips => format!("{}: the network y* with short circuits (dashed)", v.title),
        None => format!("{}: the chain network y", v.reading_title),
    };
    Diagram {
        title,
        direction: Direction::LeftToRight,
        nodes,
        edges,
    }
}

/// A node box: name (starred where it differs from the chain), formula and value; just the
/// name when `compact`.
fn node(
    v: &VariantResult,
    net: &NetResult,
    n: &NodeValue,
    (with_skips, compact): (bool, bool),
    digits: Digits,
) -> Node {
    let label = star(&n.name, n.starred);
    let class = if n.name == v.input {
        "leaf"
    } else if n.name == v.output {
        "output"
    } else {
        "op"
    };
    if n.name == v.input {
        let lines = if compact {
            vec![label.clone()]
        } else {
            vec![
                label.clone(),
                format!("= {}", digits.fit(n.h, LABEL_DIGITS)),
            ]
        };
        return Node {
            lines,
            class: class.into(),
            tooltip: format!("input {label} = {}", digits.show(n.h)),
        };
    }
    let f = formula(v, net, &n.name, with_skips, digits);
    let sigma = n.dsigma.map_or(String::new(), |d| {
        let z = if n.starred { "z*" } else { "z" };
        format!(", σ′({z}) = {}", digits.show(d))
    });
    let lines = if compact {
        vec![label.clone()]
    } else {
        vec![
            label.clone(),
            f.clone(),
            format!("= {}", digits.fit(n.h, LABEL_DIGITS)),
        ]
    };
    Node {
        lines,
        class: class.into(),
        tooltip: format!("{label} = {f} = {}{sigma}", digits.show(n.h)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_size_reads_the_root_view_box() {
        let svg = "<svg id=\"a\" viewBox=\"0 0 120.5 40\" width=\"100%\"><svg viewBox=\"0 0 1 1\"/></svg>";
        assert_eq!(view_size(svg), Some((120.5, 40.0)));
        assert_eq!(view_size("<svg/>"), None);
    }

    #[test]
    fn wc_of_one_is_named() {
        assert_eq!(wc_text(1.0, Digits::DEFAULT), "wc");
        assert_eq!(wc_text(0.5, Digits::DEFAULT), "0.5");
        assert_eq!(wc_text(0.123456, Digits::DEFAULT), "0.1235");
        assert_eq!(wc_text(0.123456, Digits(2)), "0.12");
        assert_eq!(star("h3", true), "h3*");
    }
}
