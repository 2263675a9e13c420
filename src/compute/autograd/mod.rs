//! The autograd engine: a script in the `comp_tree.py` dialect → PyTorch's backward graph.
//!
//! [`tape`] records one-element f64 tensors and the backward nodes PyTorch would record
//! (class names, `next_functions` order); [`backward`] runs the reverse pass; [`ops`] holds
//! the forward rules and local derivatives.

pub mod backward;
pub mod ops;
pub mod tape;

use crate::diag::SpanError;
use serde::Serialize;

/// A backward graph with every node's value and gradient (stub until the engine lands).
#[derive(Debug, Clone, Serialize)]
pub struct GraphResult {}

/// Parse and run a script.
pub fn run(_source: &str) -> Result<GraphResult, SpanError> {
    Err(SpanError::new(0..0, "the autograd engine is not built yet"))
}
