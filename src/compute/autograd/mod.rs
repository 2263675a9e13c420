//! The autograd engine: a script in the PyTorch dialect → PyTorch's backward graph.
//!
//! [`tape`] records [`tensor::Tensor`]s of any shape and the backward nodes PyTorch would
//! record (class names, `next_functions` order); [`backward`] runs the reverse pass; [`ops`]
//! names the operations and holds the scalar rules, [`kernels`] their tensor forms, and
//! `composite` the node sequences of `matmul` and `linear`; [`optim`] is `torch.optim`. The
//! script side: `lex` and `script` parse, `interp` runs the statements on a tape (`numeric`
//! does the Python-number parts), and [`graph`] turns the result into a petgraph graph and
//! the serialisable [`GraphResult`] (`derive` writes its chain-rule LaTeX).

pub mod backward;
mod composite;
mod derive;
pub mod graph;
mod interp;
pub mod kernels;
mod lex;
mod numeric;
pub mod ops;
pub mod optim;
pub mod reconstruct;
mod schedule;
mod script;
pub mod tape;
pub mod tensor;

pub use graph::{GraphEdge, GraphNode, GraphResult};

use crate::diag::SpanError;

/// Parse and run a script in the `comp_tree.py` dialect; the backward graph of its output.
pub fn run(source: &str) -> Result<GraphResult, SpanError> {
    graph::build(&interp::run(source)?, source)
}
