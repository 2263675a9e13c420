//! Node-and-edge diagrams: a [`Diagram`] → layout-rs → SVG through our own render backend.
//!
//! Both the backward graphs (Q3) and the network drawings (Q1) are turned into a
//! [`Diagram`] first; this module owns layout, sizing from text, theme classes, tooltips,
//! accessible names, id prefixes and escaping.
//!
//! The SVG follows the site's theme: boxes carry `gb-node gb-node-<class>`, arrows
//! `gb-edge <classes>`, and a `<style>` scoped to the figure's root id colours them with the
//! site's `--gb-fig-*` variables (light-theme fallbacks). Known node classes: `leaf`
//! (`--gb-fig-leaf`), `op` (`--gb-fig-op`), `output` (`--gb-fig-out`), `param` (as `leaf`),
//! `accent` (accent outline); any other class gets the plain background. Edge classes:
//! `skip` is dashed, `path-0` … `path-7` take `--gb-fig-c0` … `--gb-fig-c7`.

mod layered;
mod place;

use crate::format::fixed;
use place::{Placement, Rect, Request};
use std::fmt::Write;

/// Which way the diagram flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Inputs at the top, output at the bottom (torchviz style).
    TopToBottom,
    /// Inputs on the left, output on the right (network drawings).
    LeftToRight,
}

/// A box in a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Text lines shown in the box, first line emphasised.
    pub lines: Vec<String>,
    /// Style class (for example `leaf`, `op`, `output`, `param`); becomes a CSS class.
    pub class: String,
    /// Tooltip (`<title>`).
    pub tooltip: String,
}

/// An arrow between two nodes (indices into [`Diagram::nodes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// Style classes (for example `skip`, `path-0`); become CSS classes.
    pub class: String,
    /// Optional text drawn near the middle of the edge.
    pub label: Option<String>,
}

/// A diagram ready to be laid out and drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    /// Accessible name of the figure.
    pub title: String,
    /// Flow direction.
    pub direction: Direction,
    /// The boxes.
    pub nodes: Vec<Node>,
    /// The arrows.
    pub edges: Vec<Edge>,
}

/// Font size (px) of a box's first line; the other lines and edge labels use [`BODY`].
const HEAD: f64 = 13.0;
/// Font size (px) of body lines and edge labels.
const BODY: f64 = 12.0;
/// Distance between baselines, in font sizes.
const LEADING: f64 = 1.35;
/// Advance of one character of the monospace font, in font sizes (0.6 em for the common
/// monospace faces; the figure's style asks for one of them so the estimate holds).
const ADVANCE: f64 = 0.6;
/// Inner padding of a box (x, y).
const PAD: (f64, f64) = (10.0, 6.0);
/// Margin around the drawing.
const MARGIN: f64 = 8.0;

/// Lay out and draw `diagram` as SVG; every id starts with `id_prefix`.
///
/// `id_prefix` is reduced to `[A-Za-z0-9_-]` (other characters become `-`) so that it is a
/// valid id and CSS selector. The root `<svg>` has id `<prefix>fig`, `role="img"`, an
/// `aria-labelledby` title, a `viewBox`, `width="100%"` and a `max-width` of its natural
/// size, so it scales down on narrow pages and never up.
pub fn render(diagram: &Diagram, id_prefix: &str) -> String {
    let prefix = sanitize(id_prefix);
    let node_sizes: Vec<(f64, f64)> = diagram.nodes.iter().map(|n| box_size(&n.lines)).collect();
    let edges: Vec<place::EdgeSpec> = diagram
        .edges
        .iter()
        .map(|e| (e.from, e.to, e.label.as_deref().map(label_size)))
        .collect();
    let request = Request {
        top_to_bottom: diagram.direction == Direction::TopToBottom,
        node_sizes: &node_sizes,
        edges: &edges,
        gap: (14.0, 28.0),
    };
    let placement = place::place_or_fallback(&request);
    write_svg(diagram, &placement, &prefix)
}

/// Width of `text` in px at font size `size` (wide characters count double).
fn text_width(text: &str, size: f64) -> f64 {
    let cells: usize = text.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum();
    cells as f64 * ADVANCE * size
}

/// East Asian wide characters and emoji take two monospace cells.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

/// The box size that fits `lines` with padding.
fn box_size(lines: &[String]) -> (f64, f64) {
    let width = lines
        .iter()
        .enumerate()
        .map(|(i, l)| text_width(l, if i == 0 { HEAD } else { BODY }))
        .fold(0.0, f64::max);
    let height = lines.len().max(1) as f64 * BODY * LEADING + (HEAD - BODY);
    (width + 2.0 * PAD.0, height + 2.0 * PAD.1)
}

/// The box an edge label needs.
fn label_size(text: &str) -> (f64, f64) {
    (text_width(text, BODY) + 6.0, BODY * LEADING + 4.0)
}

/// Keep `[A-Za-z0-9_-]`, replace the rest with `-`.
fn sanitize(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Escape text for XML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The `path-k` colour index of an edge's classes, if any.
fn palette_index(classes: &str) -> Option<usize> {
    classes
        .split_whitespace()
        .filter_map(|c| c.strip_prefix("path-")?.parse::<usize>().ok())
        .find(|&k| k < 8)
}

/// CSS class tokens reduced to safe characters.
fn class_list(classes: &str) -> String {
    classes
        .split_whitespace()
        .map(sanitize)
        .collect::<Vec<_>>()
        .join(" ")
}

fn f(x: f64) -> String {
    fixed(x, 1)
}

fn bounds(p: &Placement) -> (f64, f64, f64, f64) {
    let mut b = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    let mut grow = |x: f64, y: f64| {
        if x.is_finite() && y.is_finite() {
            b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
    };
    let rects = p.nodes.iter().chain(p.labels.iter().flatten());
    for r in rects {
        grow(r.x - r.w / 2.0, r.y - r.h / 2.0);
        grow(r.x + r.w / 2.0, r.y + r.h / 2.0);
    }
    for route in &p.routes {
        for &(x, y) in &route.points {
            grow(x, y);
        }
    }
    if b.0 > b.2 {
        return (0.0, 0.0, 2.0 * MARGIN, 2.0 * MARGIN);
    }
    (
        b.0 - MARGIN,
        b.1 - MARGIN,
        b.2 - b.0 + 2.0 * MARGIN,
        b.3 - b.1 + 2.0 * MARGIN,
    )
}

fn style(root: &str, p: &str) -> String {
    let mut css = format!(
        "#{root}{{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',monospace}}\
#{root} .gb-node rect{{fill:var(--gb-fig-bg,#fff);stroke:var(--gb-fig-fg,#222);stroke-width:1.2}}\
#{root} .gb-node-leaf rect,#{root} .gb-node-param rect{{fill:var(--gb-fig-leaf,#cfe5ff)}}\
#{root} .gb-node-op rect{{fill:var(--gb-fig-op,#e4e4e4)}}\
#{root} .gb-node-output rect{{fill:var(--gb-fig-out,#bfe8bf)}}\
#{root} .gb-node-accent rect{{stroke:var(--gb-fig-accent,#d9480f);stroke-width:2}}\
#{root} text{{fill:var(--gb-fig-fg,#222);font-size:{BODY}px;text-anchor:middle;dominant-baseline:central}}\
#{root} .gb-head{{font-size:{HEAD}px;font-weight:600}}\
#{root} .gb-edge path{{fill:none;stroke:var(--gb-fig-muted,#666);stroke-width:1.3}}\
#{root} .gb-edge.skip path{{stroke-dasharray:6 4}}\
#{root} .gb-label{{paint-order:stroke;stroke:var(--gb-fig-bg,#fff);stroke-width:3px}}\
#{root} marker path{{fill:var(--gb-fig-muted,#666);stroke:none}}"
    );
    let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#e377c2", "#8c564b",
    ];
    for (k, fallback) in palette.iter().enumerate() {
        let _ = write!(
            css,
            "#{root} .gb-edge.path-{k} path{{stroke:var(--gb-fig-c{k},{fallback});stroke-width:2.2}}\
#{root} #{p}arrow{k} path{{fill:var(--gb-fig-c{k},{fallback})}}"
        );
    }
    css
}

fn write_svg(diagram: &Diagram, placement: &Placement, p: &str) -> String {
    let root = format!("{p}fig");
    let (x0, y0, w, h) = bounds(placement);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{root}\" class=\"gb-figure gb-diagram\" role=\"img\" \
aria-labelledby=\"{p}title\" viewBox=\"{} {} {} {}\" width=\"100%\" style=\"max-width:{}px\">\
<title id=\"{p}title\">{}</title><style>{}</style><defs>",
        f(x0),
        f(y0),
        f(w),
        f(h),
        f(w),
        escape(&diagram.title),
        style(&root, p)
    );
    let markers = std::iter::once(String::new()).chain((0..8).map(|k| k.to_string()));
    for key in markers {
        let _ = write!(
            s,
            "<marker id=\"{p}arrow{key}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker>"
        );
    }
    s.push_str("</defs>");
    for route in &placement.routes {
        write_edge(&mut s, diagram, placement, route, p);
    }
    for (i, (node, r)) in diagram.nodes.iter().zip(&placement.nodes).enumerate() {
        write_node(&mut s, node, r, i, p);
    }
    s.push_str("</svg>");
    s
}

fn write_edge(
    s: &mut String,
    diagram: &Diagram,
    placement: &Placement,
    route: &place::Route,
    p: &str,
) {
    let Some(edge) = diagram.edges.get(route.edge) else {
        return;
    };
    let pts = &route.points;
    if pts.len() < 4 {
        return;
    }
    let mut d = format!(
        "M{} {}C{} {} {} {} {} {}",
        f(pts[0].0),
        f(pts[0].1),
        f(pts[1].0),
        f(pts[1].1),
        f(pts[2].0),
        f(pts[2].1),
        f(pts[3].0),
        f(pts[3].1)
    );
    for pair in pts[4..].chunks(2) {
        if let [a, b] = pair {
            let _ = write!(d, "S{} {} {} {}", f(a.0), f(a.1), f(b.0), f(b.1));
        }
    }
    let key = palette_index(&edge.class).map_or(String::new(), |k| k.to_string());
    let marker = if route.reversed {
        "marker-start"
    } else {
        "marker-end"
    };
    let _ = write!(
        s,
        "<g class=\"{}\" id=\"{p}e{}\"><path d=\"{d}\" {marker}=\"url(#{p}arrow{key})\"/>",
        format!("gb-edge {}", class_list(&edge.class)).trim_end(),
        route.edge
    );
    if let (Some(text), Some(Some(r))) = (&edge.label, placement.labels.get(route.edge)) {
        let _ = write!(
            s,
            "<text class=\"gb-label\" x=\"{}\" y=\"{}\">{}</text>",
            f(r.x),
            f(r.y),
            escape(text)
        );
    }
    s.push_str("</g>");
}

fn write_node(s: &mut String, node: &Node, r: &Rect, index: usize, p: &str) {
    let _ = write!(
        s,
        "<g class=\"gb-node gb-node-{}\" id=\"{p}n{index}\"><title>{}</title>\
<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>",
        sanitize(&node.class),
        escape(&node.tooltip),
        f(r.x - r.w / 2.0),
        f(r.y - r.h / 2.0),
        f(r.w),
        f(r.h)
    );
    let step = BODY * LEADING;
    let top = r.y - (node.lines.len() as f64 * step + (HEAD - BODY)) / 2.0;
    for (i, line) in node.lines.iter().enumerate() {
        let (class, y) = if i == 0 {
            (" class=\"gb-head\"", top + (step + HEAD - BODY) / 2.0)
        } else {
            ("", top + (HEAD - BODY) + step * (i as f64 + 0.5))
        };
        let _ = write!(
            s,
            "<text{class} x=\"{}\" y=\"{}\">{}</text>",
            f(r.x),
            f(y),
            escape(line)
        );
    }
    s.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(lines: &[&str], class: &str) -> Node {
        Node {
            lines: lines.iter().map(|l| l.to_string()).collect(),
            class: class.into(),
            tooltip: lines.join(" "),
        }
    }

    pub(super) fn sample() -> Diagram {
        Diagram {
            title: "a & b".into(),
            direction: Direction::TopToBottom,
            nodes: vec![
                node(&["(1)", "a = 2"], "leaf"),
                node(&["(1)", "b = 3"], "leaf"),
                node(&["MulBackward0", "u = a * b", "value 6"], "output"),
            ],
            edges: vec![
                Edge {
                    from: 0,
                    to: 2,
                    class: "path-1".into(),
                    label: Some("∂u/∂a = 3".into()),
                },
                Edge {
                    from: 1,
                    to: 2,
                    class: "skip".into(),
                    label: None,
                },
            ],
        }
    }

    #[test]
    fn boxes_fit_their_text_and_do_not_overlap() {
        let d = sample();
        let sizes: Vec<_> = d.nodes.iter().map(|n| box_size(&n.lines)).collect();
        let edges: Vec<_> = d
            .edges
            .iter()
            .map(|e| (e.from, e.to, e.label.as_deref().map(label_size)))
            .collect();
        let p = place::place_or_fallback(&Request {
            top_to_bottom: true,
            node_sizes: &sizes,
            edges: &edges,
            gap: (14.0, 22.0),
        });
        for (i, a) in p.nodes.iter().enumerate() {
            assert!(a.w >= sizes[i].0 - 1e-9 && a.h >= sizes[i].1 - 1e-9);
            for b in &p.nodes[i + 1..] {
                let apart = (a.x - b.x).abs() >= (a.w + b.w) / 2.0
                    || (a.y - b.y).abs() >= (a.h + b.h) / 2.0;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
        // Leaves above the node they feed.
        assert!(p.nodes[0].y < p.nodes[2].y);
        assert_eq!(p.routes.len(), 2);
        assert!(p.labels[0].is_some());
    }

    #[test]
    fn svg_is_escaped_and_prefixed() {
        let svg = render(&sample(), "fig one/");
        assert!(svg.contains("id=\"fig-one-fig\""));
        assert!(svg.contains("<title id=\"fig-one-title\">a &amp; b</title>"));
        assert!(svg.contains("gb-edge path-1"));
        assert!(svg.contains("url(#fig-one-arrow1)"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn empty_diagram_still_draws() {
        let d = Diagram {
            title: "empty".into(),
            direction: Direction::LeftToRight,
            nodes: vec![],
            edges: vec![],
        };
        assert!(render(&d, "x").starts_with("<svg"));
    }

    #[test]
    fn bad_edges_are_skipped() {
        let mut d = sample();
        d.edges.push(Edge {
            from: 0,
            to: 99,
            class: String::new(),
            label: None,
        });
        d.edges.push(Edge {
            from: 1,
            to: 1,
            class: String::new(),
            label: Some("loop".into()),
        });
        let svg = render(&d, "p");
        assert_eq!(svg.matches("class=\"gb-edge").count(), 2);
    }
}
