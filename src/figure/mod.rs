//! Figures: results → SVG strings. A figure never computes and never touches the disk.
//!
//! Every figure gets an id prefix from its caller so that several figures inlined in one
//! page never share an id.

pub mod backward_graph;
pub mod diagram;
pub mod export;
pub mod network_diagram;
pub mod plot;
pub mod theme;

use crate::compute::Outcome;

/// The figure kinds a computation's outcome can draw.
pub fn kinds(outcome: &Outcome) -> &'static [&'static str] {
    match outcome {
        Outcome::Autograd(_) => backward_graph::KINDS,
        Outcome::Network(_) => network_diagram::KINDS,
        Outcome::Optimizer(_) => plot::KINDS,
    }
}

/// Draw figure `kind` of `outcome` as SVG whose ids all start with `id_prefix`.
///
/// Returns `None` when the outcome has no figure of that kind (see [`kinds`]).
pub fn draw(outcome: &Outcome, kind: &str, id_prefix: &str) -> Option<String> {
    draw_with(outcome, kind, id_prefix, diagram::Engine::default())
}

/// [`draw`] with diagrams laid out by `layout` (plots have no layout to choose).
pub fn draw_with(
    outcome: &Outcome,
    kind: &str,
    id_prefix: &str,
    layout: diagram::Engine,
) -> Option<String> {
    match outcome {
        Outcome::Autograd(r) => backward_graph::draw_with(r, kind, id_prefix, layout),
        Outcome::Network(r) => network_diagram::draw_with(r, kind, id_prefix, layout),
        Outcome::Optimizer(r) => plot::draw(r, kind, id_prefix),
    }
}
