//! Node-and-edge diagrams: a [`Diagram`] → layout (our layered layout, or layout-rs when a
//! book or figure asks for it: [`Engine`]) → SVG.
//!
//! Both the backward graphs (Q3) and the network drawings (Q1) are turned into a
//! [`Diagram`] first; this module owns layout, sizing from text, theme classes, tooltips,
//! accessible names, id prefixes and escaping. The layered layout (dummy items for long
//! edges, label slots beside their arrows, arrows only in the empty bands between ranks or in
//! reserved slots) draws every diagram unless layout-rs is chosen; layout-rs's drawing is
//! kept only when a geometric check finds no arrow through a box, no label on a line, box or
//! label, and no arrows drawn on top of each other. Wide figures keep their text at 11 px or
//! more and scroll sideways (class `gb-scroll`).
//!
//! The SVG follows the site's theme: boxes carry `gb-node gb-node-<class>`, arrows
//! `gb-edge <classes>`, and a `<style>` scoped to the figure's root id colours them with the
//! site's `--gb-fig-*` variables (light-theme fallbacks). Known node classes: `leaf`
//! (`--gb-fig-leaf`), `op` (`--gb-fig-op`), `output` (`--gb-fig-out`), `param` (as `leaf`),
//! `accent` (accent outline); any other class gets the plain background. Edge classes:
//! `skip` is dashed, `path-0` … `path-7` take `--gb-fig-c0` … `--gb-fig-c7`.

mod check;
mod coords;
mod dot;
mod layered;
mod order;
mod place;
mod route;
mod svg;

use crate::format::fixed;
use crate::markup::sanitize_id;
use place::Request;

pub use dot::sized_dot;
pub use place::Engine;

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
/// Space kept beside every box horizontally and vertically (px); the band between two ranks
/// is twice the gap along the flow.
const GAP: (f64, f64) = (10.0, 16.0);

/// Lay out and draw `diagram` as SVG; every id starts with `id_prefix`.
///
/// `id_prefix` is reduced to `[A-Za-z0-9_-]` (other characters become `-`) so that it is a
/// valid id and CSS selector. The root `<svg>` has id `<prefix>fig`, `role="img"`, an
/// `aria-labelledby` title, a `viewBox`, `width="100%"` and a `max-width` of its natural
/// size, so it scales down on narrow pages and never up.
pub fn render(diagram: &Diagram, id_prefix: &str) -> String {
    render_with(diagram, id_prefix, Engine::Layered)
}

/// [`render`] with the layout `engine`.
pub fn render_with(diagram: &Diagram, id_prefix: &str, engine: Engine) -> String {
    let prefix = sanitize_id(id_prefix);
    svg::write_svg(diagram, &placement(diagram, engine), &prefix)
}

/// The boxes of `diagram` in reading order as [`render`] draws them (layered layout): top
/// to bottom by the centre of each box (centres within half a pixel count as one row), then
/// left to right.
pub fn reading_order(diagram: &Diagram) -> Vec<usize> {
    let placed = placement(diagram, Engine::Layered);
    let along_across = |i: usize| {
        let r = &placed.nodes[i];
        if diagram.direction == Direction::TopToBottom {
            (r.y, r.x)
        } else {
            (r.x, r.y)
        }
    };
    let mut by_row: Vec<usize> = (0..placed.nodes.len()).collect();
    by_row.sort_by(|&a, &b| along_across(a).0.total_cmp(&along_across(b).0));
    let mut rows: Vec<Vec<usize>> = Vec::new();
    for i in by_row {
        match rows.last_mut() {
            Some(row) if (along_across(row[0]).0 - along_across(i).0).abs() < 0.5 => row.push(i),
            _ => rows.push(vec![i]),
        }
    }
    for row in &mut rows {
        row.sort_by(|&a, &b| along_across(a).1.total_cmp(&along_across(b).1));
    }
    rows.concat()
}

/// Where `engine` puts the boxes and arrows of `diagram`.
fn placement(diagram: &Diagram, engine: Engine) -> place::Placement {
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
        gap: GAP,
    };
    place::place_with(&request, engine)
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

/// Smallest size (px) text may be scaled down to before a figure scrolls instead.
const MIN_TEXT: f64 = super::MIN_TEXT_PX;

/// Sizing attributes of a root `<svg>` whose viewBox is `width` × `height`: it fills the
/// column (`width="100%"`), never grows past its natural size, and never shrinks so far that
/// body text drops below [`MIN_TEXT`]. Past that the figure overflows: its class `gb-scroll`
/// lets the page scroll it sideways.
pub(crate) fn sizing(width: f64, height: f64) -> String {
    // From the sizes as written in the viewBox, so the ratio holds for the written values.
    let width = fixed(width, 1).parse().unwrap_or(width);
    let height: f64 = fixed(height, 1).parse().unwrap_or(height);
    // Browsers lay boxes out in 1/64 px: the height that follows from the width can come out
    // up to 1/64 px short, and the SVG then scales by the smaller of the two ratios. The
    // minimum width makes up for that loss at the figure's smallest height.
    let shortest = height * MIN_TEXT / BODY;
    let snap = if shortest > 1.0 {
        1.0 + 1.0 / (64.0 * (shortest - 1.0 / 64.0))
    } else {
        1.0
    };
    format!(
        "width=\"100%\" style=\"max-width:{}px;min-width:{}px\"",
        fixed(width, 1),
        // Rounded up, so the written value still keeps the text at MIN_TEXT.
        fixed(
            ((width * MIN_TEXT / BODY * snap * 10.0).ceil() / 10.0).min(width),
            1
        )
    )
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
        for engine in [Engine::Layered, Engine::LayoutRs] {
            let p = place::place_with(
                &Request {
                    top_to_bottom: true,
                    node_sizes: &sizes,
                    edges: &edges,
                    gap: (14.0, 22.0),
                },
                engine,
            );
            boxes_fit(&p, &sizes);
        }
    }

    fn boxes_fit(p: &place::Placement, sizes: &[(f64, f64)]) {
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
