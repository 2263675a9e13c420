//! Plots of optimizer studies (Q2) with plotters' SVG backend (no system font lookup).
//!
//! Each plot draws with sentinel colours; [`theme::finish`] turns them into CSS classes
//! coloured by the site's `--gb-fig-*` variables, so the plots follow the light and dark
//! themes. Every number on an axis goes through [`crate::format::num`].

mod curves;
mod landscape;
mod layout;
mod legend;
mod marker;
mod sweep;
pub mod theme;

use crate::compute::optim::StudyResult;
use layout::{Obstacles, Rect, Side};
use marker::Area;
use plotters::coord::CoordTranslate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use theme::{Role, font};

/// The figure kinds this module draws.
pub const KINDS: &[&str] = &[
    "landscape",
    "w-vs-t",
    "mhat-vs-t",
    "hmax-vs-alpha",
    "hmax-vs-beta1",
];

/// Width and height of every plot, in CSS pixels: the width of the content column, so text
/// keeps its size there (the SVG scales down on narrow pages).
const SIZE: (u32, u32) = (750, 440);

/// Tick labels, in CSS pixels.
const TICK_PX: f64 = 13.0;
/// Point labels and legend entries, in CSS pixels.
const LABEL_PX: f64 = 13.0;
/// Axis descriptions, in CSS pixels.
const DESC_PX: f64 = 14.0;
/// Space for the x axis's ticks and description, and for the y axis's.
const LABEL_AREAS: (u32, u32) = (48, 66);

/// The plotting area of a chart, in drawing pixels.
fn plot_rect<CT: CoordTranslate>(area: &DrawingArea<SVGBackend, CT>) -> Rect {
    let (x, y) = area.get_pixel_range();
    Rect {
        x0: f64::from(x.start),
        y0: f64::from(y.start),
        x1: f64::from(x.end),
        y1: f64::from(y.end),
    }
}

/// Label the marker at `p` (half-size `gap`) with `text` on the first free side of `sides`
/// inside `bounds`, and block the label's box; a label with no free place is left out.
fn label(
    area: &Area,
    obstacles: &mut Obstacles,
    bounds: &Rect,
    (text, p, gap): (&str, (i32, i32), i32),
    sides: &[Side],
    role: Role,
) -> Option<()> {
    if let Some(at) = layout::place(obstacles, bounds, text, LABEL_PX, p, gap, sides) {
        let style = font(LABEL_PX, role).pos(plotters::style::text_anchor::Pos::new(at.h, at.v));
        area.draw(&Text::new(text.to_string(), at.at, style)).ok()?;
        obstacles.rect(at.rect);
    }
    Some(())
}

/// A plotters chart on our SVG backend over the coordinates `X` × `Y`.
type Chart<'a, 'b, X, Y> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<<X as AsRangedCoord>::CoordDescType, <Y as AsRangedCoord>::CoordDescType>,
>;

/// A chart on `area` with the margins and label areas every plot shares.
fn build_chart<'a, 'b, X, Y>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    x: X,
    y: Y,
) -> Option<Chart<'a, 'b, X, Y>>
where
    X: AsRangedCoord,
    Y: AsRangedCoord,
{
    ChartBuilder::on(area)
        .margin(14)
        .x_label_area_size(LABEL_AREAS.0)
        .y_label_area_size(LABEL_AREAS.1)
        .build_cartesian_2d(x, y)
        .ok()
}

/// The themed axes, grid, tick labels and axis descriptions every plot shares; ticks are
/// formatted for the spans `x_span` and `y_span` of the axes.
fn draw_axes<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    (x_desc, y_desc): (&str, &str),
    (x_span, y_span): (f64, f64),
) -> Option<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_style(theme::color(Role::Fg))
        .bold_line_style(theme::color(Role::Grid))
        .light_line_style(TRANSPARENT)
        .label_style(font(TICK_PX, Role::Fg))
        .axis_desc_style(font(DESC_PX, Role::Fg))
        .x_label_formatter(&|x| tick(*x, x_span))
        .y_label_formatter(&|y| tick(*y, y_span))
        .draw()
        .ok()
}

/// An axis tick label: 3 significant digits, and exactly 0 for rounding noise (a tick at
/// −5.55e-17 on an axis spanning `span`).
fn tick(value: f64, span: f64) -> String {
    crate::format::display(
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
