//! Plots of optimizer studies (Q2) with plotters' SVG backend (no system font lookup).
//!
//! Each plot draws with sentinel colours; [`theme::finish`] turns them into CSS classes
//! coloured by the site's `--gb-fig-*` variables, so the plots follow the light and dark
//! themes. Every number on an axis goes through [`crate::format::num`].

mod curves;
mod landscape;
mod sweep;
pub mod theme;

use crate::compute::optim::StudyResult;

/// The figure kinds this module draws.
pub const KINDS: &[&str] = &[
    "landscape",
    "w-vs-t",
    "mhat-vs-t",
    "hmax-vs-alpha",
    "hmax-vs-beta1",
];

/// Width and height of every plot, in CSS pixels (the SVG scales down on narrow pages).
const SIZE: (u32, u32) = (720, 420);

/// An axis tick label: 3 significant digits, and exactly 0 for rounding noise (a tick at
/// −5.55e-17 on an axis spanning `span`).
fn tick(value: f64, span: f64) -> String {
    crate::format::num(
        if value.abs() <= 1e-9 * span {
            0.0
        } else {
            value
        },
        3,
    )
}

/// Draw figure `kind` of `result`; `None` if there is no such kind (or it has no data).
pub fn draw(result: &StudyResult, kind: &str, id_prefix: &str) -> Option<String> {
    let (svg, title) = match kind {
        "landscape" => (
            landscape::draw(result)?,
            "The loss with the iterates of gradient descent and Adam",
        ),
        "w-vs-t" => (
            curves::w_vs_t(result)?,
            "Iterate w against step t for gradient descent and Adam",
        ),
        "mhat-vs-t" => (
            curves::mhat_vs_t(result)?,
            "Adam's bias-corrected first moment against step t",
        ),
        "hmax-vs-alpha" => (
            sweep::hmax_vs_alpha(result)?,
            "Adam's escape threshold against the step size",
        ),
        "hmax-vs-beta1" => (
            sweep::hmax_vs_beta1(result)?,
            "Adam's escape threshold against beta1",
        ),
        _ => return None,
    };
    theme::finish(&svg, id_prefix, title)
}
