//! A fast layered layout for diagrams too large for layout-rs, and the fallback should
//! layout-rs fail.
//!
//! layout-rs routes every edge through one dummy node per rank it crosses and optimises
//! crossings over all of them, which grows much faster than the graph (a 100-node script
//! with long edges takes over a second). This layout is linear-ish: ranks by longest path
//! (Kahn's order), a few barycentre sweeps to order each rank, boxes packed around their
//! barycentres, and each arrow a single Bézier curve. Edges may pass behind boxes; for
//! graphs this size that is the price of drawing at all.

use super::place::{Placement, Rect, Request, Route};

/// Ranks by longest path from the sources; nodes on a cycle (never in our graphs) go last.
pub(super) fn ranks(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        out[a].push(b);
        indegree[b] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut seen = vec![false; n];
    while let Some(a) = queue.pop_front() {
        seen[a] = true;
        for &b in &out[a] {
            rank[b] = rank[b].max(rank[a] + 1);
            indegree[b] -= 1;
            if indegree[b] == 0 {
                queue.push_back(b);
            }
        }
    }
    let last = rank.iter().max().map_or(0, |m| m + 1);
    for (i, r) in rank.iter_mut().enumerate() {
        if !seen[i] {
            *r = last;
        }
    }
    rank
}

/// Lay out `req` in ranks.
pub(super) fn layered(req: &Request<'_>) -> Placement {
    let n = req.node_sizes.len();
    let valid: Vec<(usize, usize)> = req
        .edges
        .iter()
        .map(|e| (e.0, e.1))
        .filter(|&(a, b)| a < n && b < n && a != b)
        .collect();
    let rank = ranks(n, &valid);
    let depth = rank.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for i in 0..n {
        rows[rank[i]].push(i);
    }
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &valid {
        neighbours[a].push(b);
        neighbours[b].push(a);
    }
    // (along, across) axes: rows stack along the flow, boxes sit side by side across it.
    let across = |i: usize| {
        if req.top_to_bottom {
            req.node_sizes[i].0
        } else {
            req.node_sizes[i].1
        }
    };
    let along = |i: usize| {
        if req.top_to_bottom {
            req.node_sizes[i].1
        } else {
            req.node_sizes[i].0
        }
    };
    let (gap_across, gap_along) = if req.top_to_bottom {
        (req.gap.0, req.gap.1)
    } else {
        (req.gap.1, req.gap.0)
    };
    let mut pos = vec![0.0f64; n];
    for row in &rows {
        pack(row, &mut pos, &across, gap_across, None);
    }
    for sweep in 0..4 {
        let order: Vec<usize> = if sweep % 2 == 0 {
            (0..depth).collect()
        } else {
            (0..depth).rev().collect()
        };
        for r in order {
            let wish: Vec<f64> = rows[r]
                .iter()
                .map(|&i| {
                    let ns = &neighbours[i];
                    if ns.is_empty() {
                        pos[i]
                    } else {
                        ns.iter().map(|&j| pos[j]).sum::<f64>() / ns.len() as f64
                    }
                })
                .collect();
            let mut pairs: Vec<(f64, usize)> =
                wish.iter().copied().zip(rows[r].iter().copied()).collect();
            pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
            rows[r] = pairs.iter().map(|p| p.1).collect();
            let wishes: Vec<f64> = pairs.iter().map(|p| p.0).collect();
            pack(&rows[r], &mut pos, &across, gap_across, Some(&wishes));
        }
    }
    let min = pos
        .iter()
        .enumerate()
        .map(|(i, p)| p - across(i) / 2.0)
        .fold(f64::INFINITY, f64::min);
    let mut nodes = vec![
        Rect {
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0
        };
        n
    ];
    let mut offset = 0.0;
    for row in &rows {
        let thick = row.iter().map(|&i| along(i)).fold(0.0, f64::max);
        for &i in row {
            let (w, h) = req.node_sizes[i];
            let (a, c) = (offset + thick / 2.0, pos[i] - min);
            nodes[i] = if req.top_to_bottom {
                Rect { x: c, y: a, w, h }
            } else {
                Rect { x: a, y: c, w, h }
            };
        }
        offset += thick + 2.0 * gap_along;
    }
    routes(req, nodes)
}

/// Place `row` across the flow: at `wishes` (sorted) when given, else side by side, never
/// closer than `gap` between boxes.
fn pack(
    row: &[usize],
    pos: &mut [f64],
    across: &dyn Fn(usize) -> f64,
    gap: f64,
    wishes: Option<&[f64]>,
) {
    let mut cursor = f64::NEG_INFINITY;
    for (k, &i) in row.iter().enumerate() {
        let half = across(i) / 2.0;
        let want = wishes
            .and_then(|w| w.get(k).copied())
            .unwrap_or(cursor + half);
        let at = if cursor.is_finite() {
            want.max(cursor + half)
        } else {
            want
        };
        pos[i] = if at.is_finite() { at } else { half };
        cursor = pos[i] + half + 2.0 * gap;
    }
}

/// One curve per edge, leaving the source's far side and entering the target's near side.
fn routes(req: &Request<'_>, nodes: Vec<Rect>) -> Placement {
    let n = nodes.len();
    let mut routes = Vec::new();
    let mut labels = vec![None; req.edges.len()];
    for (index, &(a, b, label)) in req.edges.iter().enumerate() {
        if a >= n || b >= n || a == b {
            continue;
        }
        let (p, q) = (nodes[a], nodes[b]);
        let (start, end, c0, c1) = if req.top_to_bottom {
            let (s, e) = ((p.x, p.y + p.h / 2.0), (q.x, q.y - q.h / 2.0));
            let bend = (e.1 - s.1).abs() / 2.0;
            (s, e, (s.0, s.1 + bend), (e.0, e.1 - bend))
        } else {
            let (s, e) = ((p.x + p.w / 2.0, p.y), (q.x - q.w / 2.0, q.y));
            let bend = (e.0 - s.0).abs() / 2.0;
            (s, e, (s.0 + bend, s.1), (e.0 - bend, e.1))
        };
        routes.push(Route {
            edge: index,
            points: vec![start, c0, c1, end],
            reversed: false,
        });
        if let Some((w, h)) = label {
            let t = 0.5;
            let mid = (
                (start.0 + 3.0 * c0.0 + 3.0 * c1.0 + end.0) * t * t * t,
                (start.1 + 3.0 * c0.1 + 3.0 * c1.1 + end.1) * t * t * t,
            );
            labels[index] = Some(Rect {
                x: mid.0,
                y: mid.1,
                w,
                h,
            });
        }
    }
    Placement {
        nodes,
        routes,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_longest_paths() {
        assert_eq!(
            ranks(4, &[(0, 1), (1, 2), (0, 2), (3, 2)]),
            vec![0, 1, 2, 0]
        );
        // A cycle cannot be ranked; its nodes go after everything else instead of looping.
        assert_eq!(ranks(3, &[(0, 1), (1, 0), (2, 0)]), vec![2, 2, 0]);
    }

    #[test]
    fn boxes_in_a_row_do_not_overlap() {
        let sizes = vec![(40.0, 20.0); 6];
        let edges: Vec<_> = (1..6).map(|i| (0, i, None)).collect();
        let p = layered(&Request {
            top_to_bottom: true,
            node_sizes: &sizes,
            edges: &edges,
            gap: (10.0, 20.0),
        });
        let mut xs: Vec<f64> = p.nodes[1..].iter().map(|r| r.x).collect();
        xs.sort_by(f64::total_cmp);
        assert!(xs.windows(2).all(|w| w[1] - w[0] >= 40.0 + 20.0 - 1e-9));
        assert!(p.nodes[1..].iter().all(|r| r.y > p.nodes[0].y));
        assert_eq!(p.routes.len(), 5);
    }
}
