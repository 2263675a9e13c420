//! The reverse pass: gradients of one output with respect to every node and tensor.

use super::tape::{NodeId, Tape, Var};

/// The result of [`Tape::backward`]: the gradient flowing into every node reachable from
/// the output, and through it every tensor's gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// Gradient into each node (by creation index); `None` when the node is not reached.
    nodes: Vec<Option<f64>>,
    /// Gradient of each tensor (by tensor index); `None` when no path leads to the output.
    tensors: Vec<Option<f64>>,
    /// The node the pass started from (`None` if the output does not require grad).
    root: Option<NodeId>,
}

impl Gradients {
    /// Run the reverse pass from `out` on `tape`.
    ///
    /// Nodes are created in topological order, so visiting them newest first sees every
    /// node after all its consumers: its incoming gradient is complete when it is visited.
    pub(crate) fn compute(tape: &Tape, out: Var) -> Gradients {
        let mut nodes: Vec<Option<f64>> = vec![None; tape.node_count()];
        let root = tape.grad_edge(out);
        if let Some(root) = root {
            nodes[root.index()] = Some(1.0);
            for index in (0..=root.index()).rev() {
                let Some(grad) = nodes[index] else { continue };
                let node = tape.node(NodeId(index));
                let output = tape.value(node.output);
                for (i, next) in node.next.iter().enumerate() {
                    if let Some(next) = next {
                        let part = grad * node.op.local_derivative(i, &node.inputs, output);
                        let slot = &mut nodes[next.index()];
                        *slot = Some(slot.unwrap_or(0.0) + part);
                    }
                }
            }
        }
        let tensors = (0..tape.tensor_count())
            .map(|t| tape.grad_edge(Var(t)).and_then(|n| nodes[n.index()]))
            .collect();
        Gradients {
            nodes,
            tensors,
            root,
        }
    }

    /// d out / d `var`; `0.0` when no path leads from `var` to the output (PyTorch would
    /// leave `.grad` as `None`; use [`Gradients::get`] to tell the cases apart).
    pub fn of(&self, var: Var) -> f64 {
        self.get(var).unwrap_or(0.0)
    }

    /// d out / d `var`, or `None` when no path leads from `var` to the output.
    pub fn get(&self, var: Var) -> Option<f64> {
        self.tensors.get(var.0).copied().flatten()
    }

    /// The gradient flowing into node `id`, or `None` when the node is not reached.
    pub fn node(&self, id: NodeId) -> Option<f64> {
        self.nodes.get(id.index()).copied().flatten()
    }

    /// The node the reverse pass started from (the output's `grad_fn`).
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_tensor_sums_both_paths() {
        // y = x·x + x ⇒ dy/dx = 2x + 1.
        let mut tape = Tape::new();
        let x = tape.leaf("x", 3.0);
        let sq = tape.mul(x, x);
        let y = tape.add(sq, x);
        let g = tape.backward(y);
        assert_eq!(g.of(x), 7.0);
        assert_eq!(g.of(sq), 1.0);
        assert_eq!(g.node(NodeId(0)), Some(7.0));
    }

    #[test]
    fn unreached_leaf_has_no_gradient() {
        let mut tape = Tape::new();
        let x = tape.leaf("x", 1.0);
        let unused = tape.leaf("u", 1.0);
        let y = tape.sin(x);
        let g = tape.backward(y);
        assert_eq!(g.get(unused), None);
        assert_eq!(g.of(unused), 0.0);
        assert_eq!(g.of(x), 1.0_f64.cos());
    }

    #[test]
    fn constant_output_has_no_root() {
        let mut tape = Tape::new();
        let c = tape.constant(2.0);
        let y = tape.mul_scalar(c, 3.0);
        assert!(!tape.requires_grad(y));
        let g = tape.backward(y);
        assert_eq!(g.root(), None);
        assert_eq!(tape.value(y), 6.0);
    }
}
