//! Figures: results → SVG strings. A figure never computes and never touches the disk.
//!
//! Every figure gets an id prefix from its caller so that several figures inlined in one
//! page never share an id.

pub mod diagram;
pub mod plot;

use crate::compute::Outcome;

/// The figure kinds a computation's outcome can draw.
pub fn kinds(outcome: &Outcome) -> &'static [&'static str] {
    match outcome {
        Outcome::Autograd(_) => &[],
        Outcome::Network(_) => &[],
        Outcome::Optimizer(_) => &[],
    }
}

/// Draw figure `kind` of `outcome` as SVG whose ids all start with `id_prefix`.
///
/// Returns `None` when the outcome has no figure of that kind (see [`kinds`]).
pub fn draw(outcome: &Outcome, kind: &str, id_prefix: &str) -> Option<String> {
    let _ = (outcome, kind, id_prefix);
    None
}
