//! The autograd engine: a script in the `comp_tree.py` dialect → PyTorch's backward graph.
//!
//! [`tape`] records one-element f64 tensors and the backward nodes PyTorch would record
//! (class names, `next_functions` order); [`backward`] runs the reverse pass; [`ops`] holds
//! the forward rules and local derivatives. The script side: `lex` and `script` parse,
//! `interp` runs the statements on a tape (`numeric` does the Python-number parts), and
//! [`graph`] turns the result into a petgraph graph and the serialisable [`GraphResult`]
//! (`derive` writes its chain-rule LaTeX).

pub mod backward;
mod derive;
pub mod graph;
mod interp;
mod lex;
mod numeric;
pub mod ops;
pub mod optim;
pub mod reconstruct;
mod schedule;
mod script;
pub mod tape;

pub use graph::{GraphEdge, GraphNode, GraphResult};

use crate::diag::SpanError;

/// Parse and run a script in the `comp_tree.py` dialect; the backward graph of its output.
pub fn run(source: &str) -> Result<GraphResult, SpanError> {
    graph::build(&interp::run(source)?, source)
}
