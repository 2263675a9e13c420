//! Arrows for a [`Grid`]: items placed across the flow by [`super::coords`], ranks stacked
//! along it with an empty band between consecutive ranks, and every arrow routed so that it
//! cannot cross a box.
//!
//! An arrow leaves its source from its own port on the far side, runs straight to the end of
//! the source's rank, crosses each band as a cubic whose control points stay inside the band,
//! runs straight through the slot of its dummy or label item in each rank it crosses, and
//! enters its target through its own port. Bands hold no boxes and slots are reserved in
//! their rank, so no arrow passes through a box; distinct ports keep parallel arrows apart.
//! Lanes (edges beyond the dummy budget) run straight beside everything else.

use super::coords::{P, across, sizes};
use super::layered::{Flow, Grid, Item};
use super::place::{LABEL_OFFSET, Placement, Rect, Request, Route};

/// Most space between two ports on one side of a box.
const PORT_GAP: f64 = 10.0;
/// Space between lanes, and between the drawing and the first lane.
const LANE_GAP: f64 = 8.0;

struct Frame<'a> {
    req: &'a Request<'a>,
    grid: &'a Grid,
    /// (across, along) size of every item.
    size: Vec<P>,
    /// Across position of every item's centre.
    pos: Vec<f64>,
    /// Start and end of every rank along the flow.
    span: Vec<P>,
}

impl Frame<'_> {
    /// Where an arrow passes an item: a dummy's centre, a label slot's near side.
    fn passage(&self, i: usize) -> f64 {
        match self.grid.items[i] {
            Item::Label(_) if self.req.top_to_bottom => self.pos[i] - self.size[i].0 / 2.0,
            Item::Label(_) => self.pos[i] + self.size[i].0 / 2.0,
            _ => self.pos[i],
        }
    }

    fn centre_along(&self, i: usize) -> f64 {
        let s = self.span[self.grid.rank[i]];
        (s.0 + s.1) / 2.0
    }

    fn xy(&self, p: P) -> (f64, f64) {
        if self.req.top_to_bottom {
            p
        } else {
            (p.1, p.0)
        }
    }
}

/// Ports on one side of each node: the across offset of every arrow, ordered by `key`.
fn ports(keys: Vec<Vec<(f64, usize)>>, frame: &Frame<'_>) -> Vec<Vec<(usize, f64)>> {
    keys.into_iter()
        .enumerate()
        .map(|(node, mut list)| {
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let m = list.len() as f64;
            let step = PORT_GAP.min(frame.size[node].0 / (m + 1.0));
            list.iter()
                .enumerate()
                .map(|(k, &(_, route))| {
                    (route, frame.pos[node] + (k as f64 - (m - 1.0) / 2.0) * step)
                })
                .collect()
        })
        .collect()
}

/// A path being built as cubic triples.
struct Path(Vec<P>);

impl Path {
    fn last(&self) -> P {
        self.0.last().copied().unwrap_or_default()
    }

    /// A straight run along the flow to `to` (same across position); a run continuing the
    /// previous straight run extends it, so a long straight arrow is one segment.
    fn line(&mut self, to: P) {
        let a = self.last();
        if (a.0 - to.0).abs() + (a.1 - to.1).abs() <= 1e-9 {
            return;
        }
        let n = self.0.len();
        let from = if n >= 4 && self.0[n - 4..].iter().all(|p| p.0 == a.0) && to.0 == a.0 {
            self.0.truncate(n - 3);
            self.0[n - 4]
        } else {
            a
        };
        let third = |t: f64| (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
        self.0.extend([third(1.0 / 3.0), third(2.0 / 3.0), to]);
    }

    /// Across a band to `to`: an S-curve whose controls stay inside the band, or a straight
    /// run when `to` lies straight ahead.
    fn band(&mut self, to: P) {
        let a = self.last();
        if a.0 == to.0 {
            self.line(to);
            return;
        }
        let mid = (a.1 + to.1) / 2.0;
        self.0.extend([(a.0, mid), (to.0, mid), to]);
    }
}

/// Lanes beside the drawing for `flows`: the across position of each flow's lane (lanes of
/// unlabelled flows are reused once the previous flow has ended).
fn lanes(flows: &[Flow], frame: &Frame<'_>, base: f64) -> Vec<f64> {
    let rank = |n: usize| frame.grid.rank[n];
    let mut order: Vec<usize> = (0..flows.len()).collect();
    order.sort_by_key(|&k| rank(flows[k].from));
    let mut free = std::collections::BinaryHeap::new();
    let mut at = vec![0.0; flows.len()];
    let mut next = base;
    for k in order {
        let f = flows[k];
        let label = frame.req.edges[f.edge].2;
        match free.peek() {
            Some(&std::cmp::Reverse((end, x))) if label.is_none() && end <= rank(f.from) => {
                free.pop();
                at[k] = f64::from_bits(x);
            }
            _ => {
                at[k] = next;
                next += LANE_GAP;
                if let Some(size) = label {
                    let across = if frame.req.top_to_bottom {
                        size.0
                    } else {
                        size.1
                    };
                    next += LABEL_OFFSET + across;
                }
            }
        }
        if label.is_none() {
            free.push(std::cmp::Reverse((rank(f.to), at[k].to_bits())));
        }
    }
    at
}

/// Place and route the items of `grid`.
pub(super) fn place(req: &Request<'_>, grid: &Grid) -> Placement {
    let (size, gap) = sizes(req, grid);
    let pos = across(grid, &size, &gap);
    let band = 2.0
        * if req.top_to_bottom {
            req.gap.1
        } else {
            req.gap.0
        };
    let mut span = Vec::with_capacity(grid.rows.len());
    let mut at = 0.0;
    for row in &grid.rows {
        let thick = row.iter().map(|&i| size[i].1).fold(0.0, f64::max);
        span.push((at, at + thick));
        at += thick + band;
    }
    let frame = Frame {
        req,
        grid,
        size,
        pos,
        span,
    };
    let far = (0..grid.items.len())
        .map(|i| frame.pos[i] + frame.size[i].0 / 2.0)
        .fold(0.0, f64::max);
    let lane_at = lanes(&grid.lanes, &frame, far + LANE_GAP);
    // Every arrow as (flow, the across positions it passes between its ends).
    let mut arrows: Vec<(Flow, Vec<(usize, f64)>)> = grid
        .chains
        .iter()
        .map(|(f, chain)| {
            let middle = chain[1..chain.len() - 1].iter();
            (
                *f,
                middle
                    .map(|&i| (frame.grid.rank[i], frame.passage(i)))
                    .collect(),
            )
        })
        .collect();
    for (f, &lane) in grid.lanes.iter().zip(&lane_at) {
        let (r0, r1) = (grid.rank[f.from], grid.rank[f.to]);
        arrows.push((
            *f,
            vec![(r0 + 1, lane), (r1.saturating_sub(1).max(r0 + 1), lane)],
        ));
    }
    let n = req.node_sizes.len();
    let mut out_keys = vec![Vec::new(); n];
    for (k, (f, via)) in arrows.iter().enumerate() {
        let next = via.first().map_or(frame.pos[f.to], |v| v.1);
        out_keys[f.from].push((next, k));
    }
    let outs = ports(out_keys, &frame);
    let mut out_port = vec![0.0; arrows.len()];
    for list in &outs {
        for &(k, a) in list {
            out_port[k] = a;
        }
    }
    let mut in_keys = vec![Vec::new(); n];
    for (k, (f, via)) in arrows.iter().enumerate() {
        in_keys[f.to].push((via.last().map_or(out_port[k], |v| v.1), k));
    }
    let mut in_port = vec![0.0; arrows.len()];
    for list in &ports(in_keys, &frame) {
        for &(k, a) in list {
            in_port[k] = a;
        }
    }
    let mut routes = Vec::with_capacity(arrows.len());
    for (k, (f, via)) in arrows.iter().enumerate() {
        let (s, t) = (f.from, f.to);
        let mut path = Path(vec![(
            out_port[k],
            frame.centre_along(s) + frame.size[s].1 / 2.0,
        )]);
        path.line((out_port[k], frame.span[grid.rank[s]].1));
        let mut previous = None;
        for &(r, a) in via {
            if previous == Some(a) {
                // A lane: straight on to the end of its last rank.
                path.line((a, frame.span[r].1));
                continue;
            }
            path.band((a, frame.span[r].0));
            path.line((a, frame.span[r].1));
            previous = Some(a);
        }
        path.band((in_port[k], frame.span[grid.rank[t]].0));
        path.line((in_port[k], frame.centre_along(t) - frame.size[t].1 / 2.0));
        routes.push(Route {
            edge: f.edge,
            points: path.0.iter().map(|&p| frame.xy(p)).collect(),
            reversed: f.reversed,
        });
    }
    Placement {
        nodes: (0..n)
            .map(|i| rect(&frame, frame.pos[i], frame.centre_along(i), frame.size[i]))
            .collect(),
        routes,
        labels: labels(&frame, &arrows),
    }
}

/// A box from its (across, along) centre and size.
fn rect(frame: &Frame<'_>, a: f64, l: f64, size: P) -> Rect {
    let (x, y) = frame.xy((a, l));
    let (w, h) = frame.xy(size);
    Rect { x, y, w, h }
}

/// Label boxes beside their arrows: in the label item's slot, or beside a lane in its
/// thickest rank.
fn labels(frame: &Frame<'_>, arrows: &[(Flow, Vec<(usize, f64)>)]) -> Vec<Option<Rect>> {
    let req = frame.req;
    let mut out = vec![None; req.edges.len()];
    let flip = |(w, h): P| if req.top_to_bottom { (w, h) } else { (h, w) };
    let beside = |line: f64, across: f64| {
        if req.top_to_bottom {
            line + LABEL_OFFSET + across / 2.0
        } else {
            line - LABEL_OFFSET - across / 2.0
        }
    };
    for (i, item) in frame.grid.items.iter().enumerate() {
        if let Item::Label(e) = *item
            && let Some(size) = req.edges[e].2
        {
            let s = flip(size);
            let a = beside(frame.passage(i), s.0);
            out[e] = Some(rect(frame, a, frame.centre_along(i), s));
        }
    }
    for (f, via) in &arrows[frame.grid.chains.len()..] {
        if let (Some(size), [(r0, lane), (r1, _)]) = (req.edges[f.edge].2, via.as_slice()) {
            let thickest = (*r0..=*r1)
                .max_by(|&a, &b| {
                    let t = |r: usize| frame.span[r].1 - frame.span[r].0;
                    t(a).total_cmp(&t(b))
                })
                .unwrap_or(*r0);
            let s = flip(size);
            let l = (frame.span[thickest].0 + frame.span[thickest].1) / 2.0;
            // Lanes lie beyond everything else: the label goes on the far side of its lane.
            out[f.edge] = Some(rect(frame, *lane + LABEL_OFFSET + s.0 / 2.0, l, s));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::check::problems;
    use super::super::layered::layered;
    use super::*;

    /// Random graphs (cycles, self-loops, parallel and labelled edges, both directions)
    /// come out of the layered layout with nothing for the checker to find.
    #[test]
    fn layered_placements_are_clean_by_construction() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        for case in 0..60 {
            let n = 2 + next(14);
            let sizes: Vec<P> = (0..n)
                .map(|_| (20.0 + next(120) as f64, 16.0 + next(60) as f64))
                .collect();
            let edges: Vec<_> = (0..next(3 * n))
                .map(|_| {
                    let label = (next(3) == 0).then(|| (10.0 + next(50) as f64, 18.0));
                    (next(n), next(n), label)
                })
                .collect();
            let req = Request {
                top_to_bottom: case % 2 == 0,
                node_sizes: &sizes,
                edges: &edges,
                gap: (10.0, 16.0),
            };
            let found = problems(&req, &layered(&req));
            assert!(found.is_empty(), "case {case}: {found:?}\n{edges:?}");
        }
    }

    /// Edges past the dummy budget run in lanes, labelled or not, still clean.
    #[test]
    fn lanes_are_clean() {
        use super::super::layered::grid;
        for top_to_bottom in [true, false] {
            let n = 120;
            let sizes = vec![(40.0, 20.0); n];
            let mut edges: Vec<_> = (1..n).map(|i| (i - 1, i, None)).collect();
            for i in (10..n).step_by(3) {
                edges.push((0, i, None));
                edges.push((1, i, (i % 2 == 0).then_some((24.0, 16.0))));
            }
            let req = Request {
                top_to_bottom,
                node_sizes: &sizes,
                edges: &edges,
                gap: (10.0, 16.0),
            };
            // A budget of 500 dummies leaves the longest edges to lanes.
            let g = grid(&req, 500);
            assert!(!g.lanes.is_empty());
            let found = problems(&req, &place(&req, &g));
            assert!(found.is_empty(), "{found:?}");
        }
    }
}
