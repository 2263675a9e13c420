//! Writing a placed diagram as SVG: the scoped theme style, arrow markers, boxes with
//! tooltips and text lines, arrows with their labels.

use super::place::{Placement, Rect, Route};
use super::{BODY, Diagram, HEAD, LEADING, MARGIN, Node};
use crate::format::fixed;
use crate::markup::{escape, sanitize_id};
use std::fmt::Write;

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
        .map(sanitize_id)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Length (px) of an arrowhead, whatever the stroke width.
pub(super) const ARROW: f64 = 8.0;

fn f(x: f64) -> String {
    fixed(x, 1)
}

/// Append `x` as [`f`] writes it, without a string of its own (arrow paths of large graphs
/// hold millions of numbers): as whole tenths, which round exactly as the formatter rounds
/// whenever `x`·10 lies clear of a tie and within the exact integers; the formatter writes
/// the rest.
fn push_f(s: &mut String, x: f64) {
    let tenths = x * 10.0;
    let nearest = tenths.round();
    if nearest.abs() < 1e15 && (tenths - nearest).abs() < 0.49 {
        let n = nearest as i64;
        if n < 0 {
            s.push('-');
        }
        let n = n.unsigned_abs();
        s.push_str(itoa::Buffer::new().format(n / 10));
        s.push('.');
        s.push(char::from(b'0' + (n % 10) as u8));
        return;
    }
    let at = s.len();
    let _ = write!(s, "{x:.1}");
    if &s[at..] == "-0.0" {
        s.remove(at);
    }
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

pub(super) fn write_svg(diagram: &Diagram, placement: &Placement, p: &str) -> String {
    let root = format!("{p}fig");
    let (x0, y0, w, h) = bounds(placement);
    // Room for every path number (about 7 bytes each) and every box, so the text is not
    // copied over and over as it grows.
    let numbers: usize = placement.routes.iter().map(|r| 2 * r.points.len()).sum();
    let mut s = String::with_capacity(4096 + 7 * numbers + 400 * placement.nodes.len());
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{root}\" class=\"gb-figure gb-diagram gb-scroll\" \
role=\"img\" aria-labelledby=\"{p}title\" viewBox=\"{} {} {} {}\" {}>\
<title id=\"{p}title\">{}</title><style>{}</style><defs>",
        f(x0),
        f(y0),
        f(w),
        f(h),
        super::sizing(w, h),
        escape(&diagram.title),
        style(&root, p)
    );
    // Sized in user space, so a thick coloured arrow gets the same head as a thin one.
    let markers = std::iter::once(String::new()).chain((0..8).map(|k| k.to_string()));
    for key in markers {
        let _ = write!(
            s,
            "<marker id=\"{p}arrow{key}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
markerUnits=\"userSpaceOnUse\" markerWidth=\"{ARROW}\" markerHeight=\"{ARROW}\" \
orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\"/></marker>"
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

fn write_edge(s: &mut String, diagram: &Diagram, placement: &Placement, route: &Route, p: &str) {
    let Some(edge) = diagram.edges.get(route.edge) else {
        return;
    };
    let pts = &route.points;
    if pts.len() < 4 {
        return;
    }
    let key = palette_index(&edge.class).map_or(String::new(), |k| k.to_string());
    let marker = if route.reversed {
        "marker-start"
    } else {
        "marker-end"
    };
    let _ = write!(
        s,
        "<g class=\"{}\" id=\"{p}e{}\"><path d=\"M",
        format!("gb-edge {}", class_list(&edge.class)).trim_end(),
        route.edge
    );
    push_f(s, pts[0].0);
    s.push(' ');
    push_f(s, pts[0].1);
    for triple in pts[1..].chunks(3) {
        if let [a, b, c] = triple {
            s.push('C');
            for (k, &v) in [a.0, a.1, b.0, b.1, c.0, c.1].iter().enumerate() {
                if k > 0 {
                    s.push(' ');
                }
                push_f(s, v);
            }
        }
    }
    let _ = write!(s, "\" {marker}=\"url(#{p}arrow{key})\"/>");
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
        sanitize_id(&node.class),
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

    #[test]
    fn path_numbers_are_written_as_fixed_writes_them() {
        let mut values = vec![
            0.0,
            -0.0,
            -0.04,
            -0.05,
            -0.06,
            0.05,
            0.25,
            -0.25,
            1e6,
            -123.45,
            // Past the integers the fast path takes, and at its edge.
            99_999_999_999_999.95,
            1e14 + 0.05,
            1e15,
            -1e17,
            1e300,
            f64::MAX,
        ];
        // Ties and near-ties of the tenths (halves of a tenth, and a hair either side).
        for k in -400..400 {
            let x = f64::from(k) / 20.0;
            values.extend([x, x.next_up(), x.next_down(), x * 1024.0 + 0.05]);
        }
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push((state % 2_000_001) as f64 / 1000.0 - 1000.0);
        }
        for x in values {
            let mut s = String::from("M");
            push_f(&mut s, x);
            assert_eq!(s, format!("M{}", f(x)), "{x}");
        }
    }
}
