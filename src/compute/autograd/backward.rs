//! The reverse pass: gradients of one output with respect to every node and tensor.

use super::kernels;
use super::tape::{NodeId, Tape, Var};
use super::tensor::{self, Tensor};

/// The result of [`Tape::backward`]: the gradient flowing into every node reachable from
/// the output, and through it every tensor's gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    /// Gradient into each node (by creation index); `None` when the node is not reached.
    nodes: Vec<Option<Tensor>>,
    /// The node each tensor's gradient flows into (by tensor index).
    edges: Vec<Option<NodeId>>,
    /// The node the pass started from (`None` if the output does not require grad).
    root: Option<NodeId>,
}

impl Gradients {
    /// Run the reverse pass from `out` on `tape`, seeded with ones of `out`'s shape.
    ///
    /// Nodes are created in topological order, so visiting them newest first sees every
    /// node after all its consumers: its incoming gradient is complete when it is visited.
    pub(crate) fn compute(tape: &Tape, out: Var) -> Gradients {
        let mut nodes: Vec<Option<Tensor>> = vec![None; tape.node_count()];
        let root = tape.grad_edge(out);
        if let Some(root) = root {
            let seed = tape.tensor(out);
            nodes[root.index()] = Some(Tensor::full(&seed.shape, 1.0).with_dtype(seed.dtype));
            for index in (0..=root.index()).rev() {
                let Some(grad) = nodes[index].take() else {
                    continue;
                };
                let node = tape.node(NodeId(index));
                let output = tape.tensor(node.output);
                let inputs: Vec<&Tensor> = node.inputs.iter().collect();
                for (i, next) in node.next.iter().enumerate() {
                    if let Some(next) = next {
                        let mut part = kernels::backward(node.op, i, &grad, &inputs, output);
                        part.dtype = inputs[i].dtype;
                        part.round();
                        let slot = &mut nodes[next.index()];
                        *slot = Some(match slot.take() {
                            None => part,
                            Some(acc) => add(&acc, &part),
                        });
                    }
                }
                nodes[index] = Some(grad);
            }
        }
        let edges = (0..tape.tensor_count())
            .map(|t| tape.grad_edge(Var(t)))
            .collect();
        Gradients { nodes, edges, root }
    }

    /// d out / d `var` for a one-element `var`; `0.0` when no path leads from `var` to the
    /// output (PyTorch would leave `.grad` as `None`; use [`Gradients::get`] to tell the
    /// cases apart).
    pub fn of(&self, var: Var) -> f64 {
        self.get(var).unwrap_or(0.0)
    }

    /// d out / d `var` (first element), or `None` when no path leads from `var` to the output.
    pub fn get(&self, var: Var) -> Option<f64> {
        self.tensor(var)
            .map(|t| t.data.first().copied().unwrap_or(f64::NAN))
    }

    /// d out / d `var` as a tensor of `var`'s shape, or `None` when no path leads to the
    /// output.
    pub fn tensor(&self, var: Var) -> Option<&Tensor> {
        let node = self.edges.get(var.0).copied().flatten()?;
        self.nodes.get(node.index())?.as_ref()
    }

    /// The gradient flowing into node `id` (first element), or `None` when not reached.
    pub fn node(&self, id: NodeId) -> Option<f64> {
        self.node_tensor(id)
            .map(|t| t.data.first().copied().unwrap_or(f64::NAN))
    }

    /// The gradient flowing into node `id`, or `None` when the node is not reached.
    pub fn node_tensor(&self, id: NodeId) -> Option<&Tensor> {
        self.nodes.get(id.index()).and_then(Option::as_ref)
    }

    /// The node the reverse pass started from (the output's `grad_fn`).
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }
}

/// The sum of two gradients of one tensor (equal shapes, or broadcastable in degenerate
/// cases).
fn add(a: &Tensor, b: &Tensor) -> Tensor {
    if a.shape == b.shape {
        let data = a.data.iter().zip(&b.data).map(|(x, y)| x + y).collect();
        return Tensor {
            shape: a.shape.clone(),
            data,
            dtype: a.dtype,
        };
    }
    match tensor::broadcast_map(&[a, b], |x| x[0] + x[1]) {
        Ok((shape, data)) => tensor::sum_to(&Tensor::new(shape, data), &a.shape),
        Err(_) => a.clone(),
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
