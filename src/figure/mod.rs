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
use crate::format::Digits;

/// The smallest size (CSS pixels) any figure text may render at on a page, at any window
/// width from 360 px up: diagrams scroll rather than shrink past it, plots re-flow.
pub const MIN_TEXT_PX: f64 = 11.0;

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
    draw_with_digits(outcome, kind, id_prefix, layout, Digits::DEFAULT)
}

/// [`draw_with`] printing computed values (tooltips, box and legend labels) at the book's
/// `digits`, as its chapters print them.
pub fn draw_with_digits(
    outcome: &Outcome,
    kind: &str,
    id_prefix: &str,
    layout: diagram::Engine,
    digits: Digits,
) -> Option<String> {
    match outcome {
        Outcome::Autograd(r) => {
            backward_graph::draw_with_digits(r, kind, id_prefix, layout, digits)
        }
        Outcome::Network(r) => {
            network_diagram::draw_with_digits(r, kind, id_prefix, layout, digits)
        }
        Outcome::Optimizer(r) => plot::draw_in(r, kind, id_prefix, &plot::WIDE, digits),
    }
}

/// A re-flowed rendering of a figure for narrow pages: the SVG, and the width (CSS pixels)
/// below which it replaces the full one because the full one's text would fall under
/// [`MIN_TEXT_PX`].
pub struct Narrow {
    /// The narrow SVG; its ids start with the `id_prefix` given to [`draw_narrow`].
    pub svg: String,
    /// Below this shown width the narrow rendering is used.
    pub below: f64,
}

/// The narrow rendering of figure `kind` of `outcome` (plots only: diagrams keep their text
/// size and scroll), with ids starting with `id_prefix` and values at the book's `digits`.
pub fn draw_narrow(
    outcome: &Outcome,
    kind: &str,
    id_prefix: &str,
    digits: Digits,
) -> Option<Narrow> {
    match outcome {
        Outcome::Optimizer(r) => Some(Narrow {
            svg: plot::draw_in(r, kind, id_prefix, &plot::NARROW, digits)?,
            below: plot::WIDE.readable_width(MIN_TEXT_PX),
        }),
        Outcome::Autograd(_) | Outcome::Network(_) => None,
    }
}
