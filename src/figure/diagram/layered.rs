//! A layered (Sugiyama-style) layout that never draws an arrow through a box: the default
//! engine, and the fallback whenever layout-rs's result fails [`super::check`] or the graph
//! is too large for layout-rs.
//!
//! Ranks by longest path to the output (cycles broken by reversing DFS back edges; inputs
//! sit just above their first consumer), one dummy item per rank crossed by a long edge and one
//! label item in the middle of a labelled edge (labelled edges span at least two ranks),
//! barycentre sweeps that keep the order with the fewest crossings. [`super::route`] then
//! places the items and routes every arrow through its own slots, so arrows only ever run
//! through the empty bands between ranks or through room reserved for them. Every long edge
//! gets its dummies while the total stays within [`MAX_DUMMIES`] (it does on every graph
//! Graphviz `dot` lays out in reasonable time); past that, the longest edges run in lanes
//! beside the drawing instead, so time stays near-linear in the size of the graph.

use super::place::{Placement, Request};

/// What occupies a slot in a rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Item {
    /// A diagram node.
    Node(usize),
    /// A long edge passing through the rank (edge index).
    Dummy(usize),
    /// A labelled edge passing through the rank with its label beside it (edge index).
    Label(usize),
}

/// An edge after cycle breaking: drawn from `from` down to `to`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    /// Index of the edge in the request.
    pub edge: usize,
    /// Upper node (after reversal).
    pub from: usize,
    /// Lower node.
    pub to: usize,
    /// Whether the diagram's edge points the other way (it closed a cycle).
    pub reversed: bool,
}

/// The ranked, ordered items of a diagram.
#[derive(Debug)]
pub(super) struct Grid {
    /// Every item (nodes first, in index order).
    pub items: Vec<Item>,
    /// Rank of each item.
    pub rank: Vec<usize>,
    /// Items of each rank, in order across the flow.
    pub rows: Vec<Vec<usize>>,
    /// Per routed edge: its flow and its items from source to target.
    pub chains: Vec<(Flow, Vec<usize>)>,
    /// Edges too long for the dummy budget, routed in lanes beside the drawing.
    pub lanes: Vec<Flow>,
}

/// The neighbours of every item on one side, in one array: item `i`'s are
/// `to[start[i]..start[i + 1]]`, in the order the links were given, so reading them costs
/// one memory access less than a list per item (the sweeps of large graphs wait on memory).
pub(super) struct Links<T = usize> {
    start: Vec<usize>,
    to: Vec<T>,
}

impl<T: Copy + Default> Links<T> {
    /// Links of `items` items from (item, neighbour) pairs.
    pub(super) fn new(items: usize, pairs: impl Iterator<Item = (usize, T)> + Clone) -> Self {
        let mut start = vec![0; items + 1];
        for (a, _) in pairs.clone() {
            start[a + 1] += 1;
        }
        for i in 0..items {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut to = vec![T::default(); start[items]];
        for (a, b) in pairs {
            to[fill[a]] = b;
            fill[a] += 1;
        }
        Links { start, to }
    }

    /// Number of links.
    pub(super) fn count(&self) -> usize {
        self.to.len()
    }
}

impl<T> std::ops::Index<usize> for Links<T> {
    type Output = [T];

    fn index(&self, i: usize) -> &[T] {
        &self.to[self.start[i]..self.start[i + 1]]
    }
}

/// Dummy items allowed in all (long edges past it, longest first, go to lanes): enough for
/// every edge of a 1,000-node backward graph, bounded so a 10,000-node one draws in well
/// under a second.
const MAX_DUMMIES: usize = 400_000;

/// Edges of `n` nodes oriented so they form a DAG: DFS from every node in index order,
/// edges back to a node on the stack are reversed.
fn break_cycles(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (k, &(a, b)) in edges.iter().enumerate() {
        out[a].push((b, k));
    }
    // 0 unseen, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut reversed = vec![false; edges.len()];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(w, k)) = out[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => reversed[k] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    reversed
}

/// Ranks of a DAG as late as possible (longest path to a sink, so inputs sit just above
/// their consumers instead of all in the first rank), with a minimum length per edge; sinks
/// then move up to just below their lowest input.
fn rank_dag(n: usize, flows: &[(usize, usize, usize)]) -> Vec<usize> {
    let mut outdegree = vec![0usize; n];
    let mut into: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for &(a, b, len) in flows {
        into[b].push((a, len));
        outdegree[a] += 1;
    }
    let sinks: Vec<usize> = (0..n).filter(|&i| outdegree[i] == 0).collect();
    let mut height = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = sinks.iter().copied().collect();
    while let Some(b) = queue.pop_front() {
        for &(a, len) in &into[b] {
            height[a] = height[a].max(height[b] + len);
            outdegree[a] -= 1;
            if outdegree[a] == 0 {
                queue.push_back(a);
            }
        }
    }
    let top = height.iter().copied().max().unwrap_or(0);
    let mut rank: Vec<usize> = height.iter().map(|h| top - h).collect();
    for &s in &sinks {
        if let Some(highest) = into[s].iter().map(|&(a, len)| rank[a] + len).max() {
            rank[s] = highest;
        }
    }
    rank
}

/// Ranks of `n` nodes joined by unit-length `edges` (cycles broken first).
pub(super) fn ranks(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let reversed = break_cycles(n, edges);
    let flows: Vec<_> = edges
        .iter()
        .zip(&reversed)
        .map(|(&(a, b), &r)| if r { (b, a, 1) } else { (a, b, 1) })
        .collect();
    rank_dag(n, &flows)
}

/// Rank, split into items and order the diagram `req`, with at most `max_dummies` dummy
/// items.
pub(super) fn grid(req: &Request<'_>, max_dummies: usize) -> Grid {
    let n = req.node_sizes.len();
    let valid: Vec<(usize, usize, usize, bool)> = req
        .edges
        .iter()
        .enumerate()
        .filter(|(_, e)| e.0 < n && e.1 < n && e.0 != e.1)
        .map(|(k, e)| (k, e.0, e.1, e.2.is_some()))
        .collect();
    let pairs: Vec<(usize, usize)> = valid.iter().map(|v| (v.1, v.2)).collect();
    let reversed = break_cycles(n, &pairs);
    let flows: Vec<Flow> = valid
        .iter()
        .zip(&reversed)
        .map(|(&(edge, a, b, _), &r)| {
            let (from, to) = if r { (b, a) } else { (a, b) };
            Flow {
                edge,
                from,
                to,
                reversed: r,
            }
        })
        .collect();
    let lengths: Vec<(usize, usize, usize)> = flows
        .iter()
        .zip(&valid)
        .map(|(f, v)| (f.from, f.to, if v.3 { 2 } else { 1 }))
        .collect();
    let node_rank = rank_dag(n, &lengths);
    // Shortest edges get dummies first, within the budget; the rest go to lanes.
    let mut by_span: Vec<usize> = (0..flows.len()).collect();
    let span = |k: usize| node_rank[flows[k].to].saturating_sub(node_rank[flows[k].from]);
    by_span.sort_by_key(|&k| span(k));
    let mut budget = max_dummies;
    let mut laned = vec![false; flows.len()];
    for &k in &by_span {
        let need = span(k).saturating_sub(1);
        if need > budget {
            laned[k] = true;
        } else {
            budget -= need;
        }
    }
    let mut items: Vec<Item> = (0..n).map(Item::Node).collect();
    let mut rank = node_rank.clone();
    let mut chains = Vec::new();
    let mut lanes = Vec::new();
    for (k, f) in flows.iter().enumerate() {
        if laned[k] {
            lanes.push(*f);
            continue;
        }
        let (r0, r1) = (node_rank[f.from], node_rank[f.to]);
        let label_at = valid[k].3.then_some((r0 + r1) / 2);
        let mut chain = vec![f.from];
        for r in r0 + 1..r1 {
            chain.push(items.len());
            items.push(if Some(r) == label_at {
                Item::Label(f.edge)
            } else {
                Item::Dummy(f.edge)
            });
            rank.push(r);
        }
        chain.push(f.to);
        chains.push((*f, chain));
    }
    let depth = rank.iter().max().map_or(0, |m| m + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (i, &r) in rank.iter().enumerate() {
        rows[r].push(i);
    }
    let mut grid = Grid {
        items,
        rank,
        rows,
        chains,
        lanes,
    };
    super::order::reduce_crossings(&mut grid);
    grid
}

/// Lay out `req` in ranks.
pub(super) fn layered(req: &Request<'_>) -> Placement {
    super::route::place(req, &grid(req, MAX_DUMMIES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_longest_paths_and_sources_sit_above_their_consumer() {
        // 3 feeds only node 2, so it sits just above it.
        assert_eq!(
            ranks(4, &[(0, 1), (1, 2), (0, 2), (3, 2)]),
            vec![0, 1, 2, 1]
        );
        // A cycle is broken by reversing its back edge.
        assert_eq!(ranks(3, &[(0, 1), (1, 0), (2, 0)]), vec![1, 2, 0]);
        // A second sink moves up below its input instead of down to the last rank.
        assert_eq!(ranks(4, &[(0, 1), (1, 2), (0, 3)]), vec![0, 1, 2, 1]);
    }

    #[test]
    fn long_and_labelled_edges_get_items_in_every_rank_they_cross() {
        let sizes = vec![(40.0, 20.0); 3];
        let edges = vec![(0, 1, None), (1, 2, None), (0, 2, Some((20.0, 10.0)))];
        let g = grid(
            &Request {
                top_to_bottom: true,
                node_sizes: &sizes,
                edges: &edges,
                gap: (10.0, 20.0),
            },
            MAX_DUMMIES,
        );
        // The labelled edge spans two ranks: 0 → 2, so 1 → 2 is drawn as 1 then 2.
        assert_eq!(&g.rank[..3], &[0, 1, 2]);
        let labelled = g.chains.iter().find(|c| c.0.edge == 2).map(|c| c.1.clone());
        assert_eq!(labelled.map(|c| c.len()), Some(3));
        assert!(g.items.contains(&Item::Label(2)));
        assert!(g.lanes.is_empty());
    }
}
