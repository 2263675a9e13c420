//! The order in which PyTorch's autograd engine runs the backward nodes of one graph.
//!
//! On the CPU, `backward()` runs the graph on the calling thread from a ready queue: a node
//! is ready once every node that sends it a gradient has run (its dependency count, one per
//! incoming edge, reaches zero), and the ready node with the highest sequence number runs
//! next. A node's sequence number is its creation order, so among ready nodes the newest
//! runs first, and `AccumulateGrad` nodes carry the largest possible number, so a leaf's
//! gradient is accumulated as soon as the last node that uses the leaf has run. Two leaves
//! freed by the same node run in `next_functions` order. `tests/pytorch_parity.rs` checks
//! this order against the one real PyTorch records with a pre-hook on every node.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One node of the graph for scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Task {
    /// Creation index of the node (PyTorch's `sequence_nr` order).
    pub created: usize,
    /// Whether the node is an `AccumulateGrad` (highest priority).
    pub leaf: bool,
}

/// Ids in the order the engine runs them, starting at `root`; `edges` are (consumer, input)
/// pairs in `next_functions` order, one per entry (a tensor used twice gives two).
pub(crate) fn engine_order(tasks: &[Task], edges: &[(usize, usize)], root: usize) -> Vec<usize> {
    let mut pending = vec![0usize; tasks.len()];
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); tasks.len()];
    for &(from, to) in edges {
        pending[to] += 1;
        next[from].push(to);
    }
    // Max-heap on (priority, earlier push first).
    let key = |id: usize| {
        if tasks[id].leaf {
            usize::MAX
        } else {
            tasks[id].created
        }
    };
    let mut pushed = 0usize;
    let mut ready = BinaryHeap::from([(key(root), Reverse(pushed), root)]);
    let mut order = Vec::with_capacity(tasks.len());
    while let Some((_, _, id)) = ready.pop() {
        order.push(id);
        for &to in &next[id] {
            pending[to] -= 1;
            if pending[to] == 0 {
                pushed += 1;
                ready.push((key(to), Reverse(pushed), to));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_run_as_soon_as_their_last_consumer_has() {
        // y = (a * b) + c, created a, b, c (leaves), then m = a * b (3), then y (4).
        // Ids: 0 = y, 1 = m, 2 = c, 3 = a, 4 = b.
        let tasks = [
            Task {
                created: 4,
                leaf: false,
            },
            Task {
                created: 3,
                leaf: false,
            },
            Task {
                created: 2,
                leaf: true,
            },
            Task {
                created: 0,
                leaf: true,
            },
            Task {
                created: 1,
                leaf: true,
            },
        ];
        let edges = [(0, 1), (0, 2), (1, 3), (1, 4)];
        // c is ready with m after y runs and, as a leaf, runs first.
        assert_eq!(engine_order(&tasks, &edges, 0), vec![0, 2, 1, 3, 4]);
    }

    #[test]
    fn a_node_waits_for_every_consumer_and_newer_nodes_go_first() {
        // x leaf (id 3); u = x * 2 (created 1, id 2); v = x * 3 (created 2, id 1);
        // y = v + u (created 3, id 0): v is newer than u so it runs first; x waits for both.
        let tasks = [
            Task {
                created: 3,
                leaf: false,
            },
            Task {
                created: 2,
                leaf: false,
            },
            Task {
                created: 1,
                leaf: false,
            },
            Task {
                created: 0,
                leaf: true,
            },
        ];
        let edges = [(0, 1), (0, 2), (1, 3), (2, 3)];
        assert_eq!(engine_order(&tasks, &edges, 0), vec![0, 1, 2, 3]);
        // Built the other way round (u newer), u goes first.
        let tasks = [tasks[0], tasks[2], tasks[1], tasks[3]];
        assert_eq!(engine_order(&tasks, &edges, 0), vec![0, 2, 1, 3]);
    }
}
