//! Geometric checks of a placement: what makes a diagram wrong to look at.
//!
//! An arrow through a box that is not one of its ends, boxes on top of each other, a label
//! on a line, a box or another label, two arrows drawn on top of each other. layout-rs's
//! result is used only when this finds nothing (see [`super::place::place_with`]);
//! the layered layout is built so that it never does, and its unit tests check that here.

use super::place::{Placement, Rect, Request, Route};

/// Points sampled per cubic segment; a chord of a segment this finely cut stays well
/// within [`TOLERANCE`] of the curve for the sizes drawn here.
const SAMPLES: usize = 24;

/// How far (px) a line may graze a box or a label before it counts as crossing it.
pub(super) const TOLERANCE: f64 = 1.0;

/// The polyline of a route (its cubic segments sampled).
pub(super) fn polyline(route: &Route) -> Vec<(f64, f64)> {
    let p = &route.points;
    let Some(&first) = p.first() else {
        return Vec::new();
    };
    let mut out = vec![first];
    for k in (1..p.len().saturating_sub(2)).step_by(3) {
        let (a, b, c, d) = (p[k - 1], p[k], p[k + 1], p[k + 2]);
        for i in 1..=SAMPLES {
            let t = i as f64 / SAMPLES as f64;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            out.push((
                w[0] * a.0 + w[1] * b.0 + w[2] * c.0 + w[3] * d.0,
                w[0] * a.1 + w[1] * b.1 + w[2] * c.1 + w[3] * d.1,
            ));
        }
    }
    out
}

/// `r` shrunk by `by` on every side.
fn shrink(r: &Rect, by: f64) -> (f64, f64, f64, f64) {
    (
        r.x - r.w / 2.0 + by,
        r.y - r.h / 2.0 + by,
        r.x + r.w / 2.0 - by,
        r.y + r.h / 2.0 - by,
    )
}

/// Whether segment `a`–`b` meets the open box `(x0, y0, x1, y1)` (Liang–Barsky clipping).
pub(super) fn segment_hits(a: (f64, f64), b: (f64, f64), r: (f64, f64, f64, f64)) -> bool {
    if r.0 >= r.2 || r.1 >= r.3 {
        return false;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - r.0),
        (dx, r.2 - a.0),
        (-dy, a.1 - r.1),
        (dy, r.3 - a.1),
    ] {
        if p == 0.0 {
            if q <= 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 < t1
}

/// Whether two boxes overlap by more than `TOLERANCE`.
fn overlap(a: &Rect, b: &Rect) -> bool {
    (a.x - b.x).abs() < (a.w + b.w) / 2.0 - TOLERANCE
        && (a.y - b.y).abs() < (a.h + b.h) / 2.0 - TOLERANCE
}

fn hits(line: &[(f64, f64)], r: &Rect) -> bool {
    let b = shrink(r, TOLERANCE);
    line.windows(2).any(|w| segment_hits(w[0], w[1], b))
}

/// Distance from `p` to the polyline `line`.
fn distance(p: (f64, f64), line: &[(f64, f64)]) -> f64 {
    line.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len = dx * dx + dy * dy;
            let t = if len > 0.0 {
                (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
        })
        .fold(f64::INFINITY, f64::min)
}

/// Everything wrong with `placement`, one sentence each (empty when it is clean).
pub(super) fn problems(req: &Request<'_>, placement: &Placement) -> Vec<String> {
    let mut out = Vec::new();
    let nodes = &placement.nodes;
    for (i, a) in nodes.iter().enumerate() {
        for (j, b) in nodes.iter().enumerate().skip(i + 1) {
            if overlap(a, b) {
                out.push(format!("box {i} overlaps box {j}"));
            }
        }
    }
    let lines: Vec<(usize, Vec<(f64, f64)>)> = placement
        .routes
        .iter()
        .map(|r| (r.edge, polyline(r)))
        .collect();
    let ends = |edge: usize| {
        req.edges
            .get(edge)
            .map_or((usize::MAX, usize::MAX), |e| (e.0, e.1))
    };
    for (edge, line) in &lines {
        let (from, to) = ends(*edge);
        for (k, r) in nodes.iter().enumerate() {
            if k != from && k != to && hits(line, r) {
                out.push(format!("edge {edge} ({from}→{to}) crosses box {k}"));
            }
        }
    }
    for (i, (e1, l1)) in lines.iter().enumerate() {
        for (e2, l2) in &lines[i + 1..] {
            let same = {
                let (a, b) = (ends(*e1), ends(*e2));
                a == b || a == (b.1, b.0)
            };
            let probes = [l1.len() / 4, l1.len() / 2, 3 * l1.len() / 4];
            if same && probes.iter().all(|&k| distance(l1[k], l2) < 3.0) {
                out.push(format!(
                    "edges {e1} and {e2} are drawn on top of each other"
                ));
            }
        }
    }
    let labels: Vec<(usize, &Rect)> = placement
        .labels
        .iter()
        .enumerate()
        .filter_map(|(e, r)| r.as_ref().map(|r| (e, r)))
        .collect();
    for (i, &(e, r)) in labels.iter().enumerate() {
        for (k, n) in nodes.iter().enumerate() {
            if overlap(r, n) {
                out.push(format!("label of edge {e} overlaps box {k}"));
            }
        }
        for &(f, s) in &labels[i + 1..] {
            if overlap(r, s) {
                out.push(format!("labels of edges {e} and {f} overlap"));
            }
        }
        for (f, line) in &lines {
            if hits(line, r) {
                out.push(format!("edge {f} runs through the label of edge {e}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn segments_meet_boxes_they_cross_only() {
        let b = (0.0, 0.0, 10.0, 10.0);
        assert!(segment_hits((-5.0, 5.0), (15.0, 5.0), b));
        assert!(segment_hits((5.0, 5.0), (5.0, 6.0), b));
        assert!(!segment_hits((-5.0, -1.0), (15.0, -1.0), b));
        assert!(
            !segment_hits((-5.0, 0.0), (15.0, 0.0), b),
            "grazing the edge"
        );
        assert!(!segment_hits((11.0, -5.0), (20.0, 20.0), b));
        assert!(
            segment_hits((-1.0, 11.0), (11.0, -1.0), b),
            "diagonal through a corner"
        );
    }

    #[test]
    fn a_straight_cubic_samples_onto_its_line() {
        let route = Route {
            edge: 0,
            points: vec![(0.0, 0.0), (1.0, 0.0), (2.0, 0.0), (3.0, 0.0)],
            reversed: false,
        };
        let line = polyline(&route);
        assert_eq!(line.len(), SAMPLES + 1);
        assert!(line.iter().all(|p| p.1 == 0.0));
        assert!((line[SAMPLES].0 - 3.0).abs() < 1e-12);
    }

    #[test]
    fn finds_an_edge_through_a_box_and_a_label_on_its_line() {
        let sizes = [(10.0, 10.0); 3];
        let edges = [(0, 2, Some((8.0, 8.0)))];
        let req = Request {
            top_to_bottom: true,
            node_sizes: &sizes,
            edges: &edges,
            gap: (4.0, 4.0),
        };
        let placement = Placement {
            nodes: vec![
                rect(0.0, 0.0, 10.0, 10.0),
                rect(0.0, 20.0, 10.0, 10.0),
                rect(0.0, 40.0, 10.0, 10.0),
            ],
            routes: vec![Route {
                edge: 0,
                points: vec![(0.0, 5.0), (0.0, 15.0), (0.0, 25.0), (0.0, 35.0)],
                reversed: false,
            }],
            labels: vec![Some(rect(0.0, 30.0, 8.0, 4.0))],
        };
        let found = problems(&req, &placement);
        assert!(
            found.contains(&"edge 0 (0→2) crosses box 1".to_string()),
            "{found:?}"
        );
        assert!(
            found.contains(&"edge 0 runs through the label of edge 0".to_string()),
            "{found:?}"
        );
    }
}
