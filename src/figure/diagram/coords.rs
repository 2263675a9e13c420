//! Positions across the flow for the items of a [`Grid`]: packed in their rank's order,
//! then pulled towards their neighbours a few times, boxes first (priority method), so
//! chains of boxes stay straight and long or labelled side edges bend around them.

use super::layered::{Grid, Item, Links};
use super::place::{LABEL_OFFSET, Request};

/// A point or size as (across, along) the flow.
pub(super) type P = (f64, f64);

/// Across size and gap of a dummy item (the room an arrow needs between neighbours).
const DUMMY: (f64, f64) = (2.0, 4.0);
/// Gap around a label item.
const LABEL_GAP: f64 = 4.0;

/// (across, along) size and across gap of each item.
pub(super) fn sizes(req: &Request<'_>, grid: &Grid) -> (Vec<P>, Vec<f64>) {
    let flip = |(w, h): P| if req.top_to_bottom { (w, h) } else { (h, w) };
    let node_gap = if req.top_to_bottom {
        req.gap.0
    } else {
        req.gap.1
    };
    grid.items
        .iter()
        .map(|item| match *item {
            Item::Node(i) => (flip(req.node_sizes[i]), node_gap),
            Item::Dummy(_) => ((DUMMY.0, 0.0), DUMMY.1),
            Item::Label(e) => {
                let (a, l) = flip(req.edges[e].2.unwrap_or_default());
                ((a + LABEL_OFFSET, l), LABEL_GAP)
            }
        })
        .unzip()
}

/// Place `row` in order, as close to `wish` as the separations allow, boxes first: each
/// item in turn (boxes, then labels, then dummies) goes as near its wish as the items
/// already placed leave room for, counting the room every item between them needs (the
/// priority method), so chains of boxes stay straight and long edges bend around them.
fn pack(row: &[usize], wish: &[f64], grid: &Grid, size: &[P], gap: &[f64], pos: &mut [f64]) {
    let sep = |a: usize, b: usize| (size[a].0 + size[b].0) / 2.0 + gap[a] + gap[b];
    let mut prefix = vec![0.0; row.len()];
    for k in 1..row.len() {
        prefix[k] = prefix[k - 1] + sep(row[k - 1], row[k]);
    }
    let mut placed: Vec<Option<f64>> = vec![None; row.len()];
    // Boxes among themselves: the mean of packing from the left and from the right (both
    // feasible, so the mean is too), leaving room for the items between them.
    let boxes: Vec<usize> = (0..row.len())
        .filter(|&k| matches!(grid.items[row[k]], Item::Node(_)))
        .collect();
    let mut left = vec![0.0; boxes.len()];
    let mut right = vec![0.0; boxes.len()];
    for (m, &k) in boxes.iter().enumerate() {
        left[m] = match m {
            0 => wish[k],
            _ => wish[k].max(left[m - 1] + prefix[k] - prefix[boxes[m - 1]]),
        };
    }
    for (m, &k) in boxes.iter().enumerate().rev() {
        right[m] = match boxes.get(m + 1) {
            None => wish[k],
            Some(&j) => wish[k].min(right[m + 1] - (prefix[j] - prefix[k])),
        };
    }
    for (m, &k) in boxes.iter().enumerate() {
        placed[k] = Some((left[m] + right[m]) / 2.0);
    }
    // Labels next, left to right, between whatever is placed on either side.
    let labels: Vec<usize> = (0..row.len())
        .filter(|&k| matches!(grid.items[row[k]], Item::Label(_)))
        .collect();
    for k in labels {
        let lo = (0..k)
            .rev()
            .find_map(|j| placed[j].map(|p| p + prefix[k] - prefix[j]))
            .unwrap_or(f64::NEG_INFINITY);
        let hi = (k + 1..row.len())
            .find_map(|j| placed[j].map(|p| p - (prefix[j] - prefix[k])))
            .unwrap_or(f64::INFINITY);
        placed[k] = Some(wish[k].clamp(lo, hi.max(lo)));
    }
    // Dummies last, left to right: everything on their left is placed by then, and on their
    // right only boxes and labels are, so the nearest of those bounds them (found in one
    // pass from the right, keeping the row linear however many dummies it holds).
    let mut hi = vec![f64::INFINITY; row.len()];
    let mut next: Option<(usize, f64)> = None;
    for k in (0..row.len()).rev() {
        if let Some((j, p)) = next {
            hi[k] = p - (prefix[j] - prefix[k]);
        }
        if let Some(p) = placed[k] {
            next = Some((k, p));
        }
    }
    for k in 0..row.len() {
        if placed[k].is_some() {
            continue;
        }
        let lo = match k.checked_sub(1).and_then(|j| placed[j]) {
            Some(p) => p + prefix[k] - prefix[k - 1],
            None => f64::NEG_INFINITY,
        };
        placed[k] = Some(wish[k].clamp(lo, hi[k].max(lo)));
    }
    for (k, &i) in row.iter().enumerate() {
        pos[i] = placed[k].unwrap_or(prefix[k]);
    }
}

/// Across positions: packed, then pulled towards the neighbours' mean a few times.
pub(super) fn across(grid: &Grid, size: &[P], gap: &[f64]) -> Vec<f64> {
    // A box listens little to the dummies of long edges, and to labels when a box joins it
    // directly on that side, so chains of boxes stay straight and long or labelled side
    // edges bend around them; other items follow their neighbours fully.
    let is_node = |i: usize| matches!(grid.items[i], Item::Node(_));
    let mut boxed = vec![[false; 2]; grid.items.len()];
    for (_, chain) in &grid.chains {
        for w in chain.windows(2) {
            boxed[w[0]][1] |= is_node(w[1]);
            boxed[w[1]][0] |= is_node(w[0]);
        }
    }
    let weight = |i: usize, j: usize, side: usize| match (grid.items[i], grid.items[j]) {
        (Item::Node(_), Item::Dummy(_)) => 0.1,
        (Item::Node(_), Item::Label(_)) if boxed[i][side] => 0.1,
        _ => 1.0,
    };
    let steps = grid.chains.iter().flat_map(|(_, chain)| {
        chain.windows(2).flat_map(|w| {
            [
                (w[0], (w[1], weight(w[0], w[1], 1))),
                (w[1], (w[0], weight(w[1], w[0], 0))),
            ]
        })
    });
    let nb: Links<(usize, f64)> = Links::new(grid.items.len(), steps);
    // The weight of each item's neighbours together (nonzero unless it has none).
    let total: Vec<f64> = (0..grid.items.len())
        .map(|i| nb[i].iter().map(|&(_, w)| w).sum())
        .collect();
    let mut pos = vec![0.0; grid.items.len()];
    for row in &grid.rows {
        pack(row, &vec![0.0; row.len()], grid, size, gap, &mut pos);
    }
    let rounds = if grid.items.len() <= 2000 { 16 } else { 4 };
    for round in 0..rounds {
        let depth = grid.rows.len();
        for step in 0..depth {
            let r = if round % 2 == 0 {
                step
            } else {
                depth - 1 - step
            };
            let row = &grid.rows[r];
            let wish: Vec<f64> = row
                .iter()
                .map(|&i| {
                    if total[i] > 0.0 {
                        nb[i].iter().map(|&(j, w)| w * pos[j]).sum::<f64>() / total[i]
                    } else {
                        pos[i]
                    }
                })
                .collect();
            // Barycentres of an ordered row may be out of order; keep the order.
            let mut sorted = wish.clone();
            for k in 1..sorted.len() {
                sorted[k] = sorted[k].max(sorted[k - 1]);
            }
            pack(row, &sorted, grid, size, gap, &mut pos);
        }
    }
    pos
}
