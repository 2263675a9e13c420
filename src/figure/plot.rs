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
use crate::format::Digits;
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

/// The canvas, text sizes and ticks of one rendering of a plot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    /// Width and height of the chart, in CSS pixels (a legend below the chart adds to the
    /// height).
    pub size: (u32, u32),
    /// Tick labels, in CSS pixels.
    pub tick_px: f64,
    /// Point labels and legend entries, in CSS pixels.
    pub label_px: f64,
    /// Axis descriptions, in CSS pixels.
    pub desc_px: f64,
    /// Space for the x axis's ticks and description, and for the y axis's.
    pub label_areas: (u32, u32),
    /// How many tick labels the x and y axes aim for.
    pub ticks: (usize, usize),
    /// The legend goes under the chart, across its width, instead of into a corner of the
    /// plotting area.
    pub legend_below: bool,
}

impl Frame {
    /// The smallest text the rendering draws, in CSS pixels at its natural size.
    pub fn smallest_text(&self) -> f64 {
        self.tick_px.min(self.label_px).min(self.desc_px)
    }

    /// The narrowest width (CSS pixels) the rendering can be shown at with no text under
    /// `min_px`: text scales with the SVG's width.
    pub fn readable_width(&self, min_px: f64) -> f64 {
        f64::from(self.size.0) * min_px / self.smallest_text()
    }
}

/// The rendering for a page's text column and wider: the width of the content column, so text
/// keeps its size there.
pub const WIDE: Frame = Frame {
    size: (750, 440),
    tick_px: 13.0,
    label_px: 13.0,
    desc_px: 14.0,
    label_areas: (48, 66),
    ticks: (11, 11),
    legend_below: false,
};

/// The re-flowed rendering for phones: a narrower, squarer canvas with larger text, fewer
/// ticks and the legend below the chart, so that shown 344 px wide (a 360 px window) its text
/// is still above 11 px.
pub const NARROW: Frame = Frame {
    size: (440, 440),
    tick_px: 15.0,
    label_px: 15.0,
    desc_px: 15.0,
    label_areas: (54, 78),
    ticks: (5, 5),
    legend_below: true,
};

/// The margin around the chart, in pixels.
const MARGIN: u32 = 14;

/// The whole canvas of a plot in frame `f` whose legend has `rows` entries, and the part the
/// chart goes on (the top, above the legend, when the legend goes below). Both share the
/// canvas's pixel coordinates.
fn canvas<'a>(svg: &'a mut String, f: &Frame, rows: usize) -> (Area<'a>, Area<'a>) {
    let below = if f.legend_below {
        legend::height(rows, f.label_px) + MARGIN
    } else {
        0
    };
    let area = SVGBackend::with_string(svg, (f.size.0, f.size.1 + below)).into_drawing_area();
    let chart = if f.legend_below {
        area.split_vertically(f.size.1).0
    } else {
        area.clone()
    };
    (area, chart)
}

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
/// inside `bounds` (with a leader line, in the label's colour, when it stands off), and block
/// the label's box and its leader; a label with no free place is left out.
fn label(
    (area, f): (&Area, &Frame),
    obstacles: &mut Obstacles,
    bounds: &Rect,
    (text, p, gap): (&str, (i32, i32), i32),
    sides: &[Side],
    role: Role,
) -> Option<()> {
    if let Some(at) = layout::place(obstacles, bounds, text, f.label_px, p, gap, sides) {
        if let Some((a, b)) = at.leader {
            let px = |q: (f64, f64)| (q.0.round() as i32, q.1.round() as i32);
            let line = ShapeStyle::from(theme::color(role)).stroke_width(1);
            area.draw(&PathElement::new(vec![px(a), px(b)], line))
                .ok()?;
            obstacles.segment(a, b);
        }
        let style = font(f.label_px, role).pos(plotters::style::text_anchor::Pos::new(at.h, at.v));
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

/// A chart on `area` with the margins and the label areas of frame `f`.
fn build_chart<'a, 'b, X, Y>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    f: &Frame,
    x: X,
    y: Y,
) -> Option<Chart<'a, 'b, X, Y>>
where
    X: AsRangedCoord,
    Y: AsRangedCoord,
{
    ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(f.label_areas.0)
        .y_label_area_size(f.label_areas.1)
        .build_cartesian_2d(x, y)
        .ok()
}

/// The themed axes, grid, tick labels and axis descriptions every plot shares, sized and
/// counted by frame `f`; ticks are formatted for the spans `x_span` and `y_span` of the axes.
fn draw_axes<X, Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X, Y>>,
    f: &Frame,
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
        .x_labels(f.ticks.0)
        .y_labels(f.ticks.1)
        .label_style(font(f.tick_px, Role::Fg))
        .axis_desc_style(font(f.desc_px, Role::Fg))
        .x_label_formatter(&|x| tick(*x, x_span, f.ticks.0))
        .y_label_formatter(&|y| tick(*y, y_span, f.ticks.1))
        .draw()
        .ok()
}

/// An axis tick label: exactly 0 for rounding noise (a tick at −5.55e-17 on an axis spanning
/// `span`), else the value with the significant digits [`tick_digits`] gives for ticks at
/// least `span / count` apart.
fn tick(value: f64, span: f64, count: usize) -> String {
    if value.abs() <= 1e-9 * span {
        return crate::format::display(0.0, 3);
    }
    let step = span / count.max(1) as f64;
    crate::format::display(value, tick_digits(value, step))
}

/// Significant digits that show `value` down to the decimal place of `step` and one more (a
/// step of 2.5 or 0.25 needs it), at least 3 and at most 17: neighbouring ticks never print
/// alike, and trailing zeros are trimmed anyway.
fn tick_digits(value: f64, step: f64) -> usize {
    if value == 0.0 || !value.is_finite() || step <= 0.0 || !step.is_finite() {
        return 3;
    }
    let places = value.abs().log10().floor() - step.log10().floor();
    (places + 2.0).clamp(3.0, 17.0) as usize
}

/// Draw figure `kind` of `result` in the [`WIDE`] frame; `None` if there is no such kind (or
/// it has no data).
pub fn draw(result: &StudyResult, kind: &str, id_prefix: &str) -> Option<String> {
    draw_in(result, kind, id_prefix, &WIDE, Digits::DEFAULT)
}

/// Draw figure `kind` of `result` in frame `f`, printing computed values at the book's
/// `digits`.
pub fn draw_in(
    result: &StudyResult,
    kind: &str,
    id_prefix: &str,
    f: &Frame,
    digits: Digits,
) -> Option<String> {
    let (svg, title) = match kind {
        "landscape" => (
            landscape::draw(result, f)?,
            "The loss with the iterates of gradient descent and Adam",
        ),
        "w-vs-t" => (
            curves::w_vs_t(result, f, digits)?,
            "Iterate w against step t for gradient descent and Adam",
        ),
        "mhat-vs-t" => (
            curves::mhat_vs_t(result, f, digits)?,
            "Adam's bias-corrected first moment against step t",
        ),
        "hmax-vs-alpha" => (
            sweep::hmax_vs_alpha(result, f, digits)?,
            "Adam's escape threshold against the step size",
        ),
        "hmax-vs-beta1" => (
            sweep::hmax_vs_beta1(result, f, digits)?,
            "Adam's escape threshold against beta1",
        ),
        _ => return None,
    };
    theme::finish(&svg, id_prefix, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_close_together_print_apart() {
        // Ticks 0.005 apart around 1 need four digits; three would print 1, 1.01, 1.01.
        let labels: Vec<String> = [1.0, 1.005, 1.01, 1.015]
            .iter()
            .map(|&v| tick(v, 0.02, 4))
            .collect();
        assert_eq!(labels, ["1", "1.005", "1.01", "1.015"]);
        // Ordinary axes keep their short labels; noise prints 0, binary noise is trimmed.
        assert_eq!(tick(0.5, 2.5, 11), "0.5");
        assert_eq!(tick(-0.5, 2.5, 11), "\u{2212}0.5");
        assert_eq!(tick(0.1 + 0.2, 1.0, 11), "0.3");
        assert_eq!(tick(-5.55e-17, 1.5, 11), "0");
        assert_eq!(tick(20000.0, 20000.0, 11), "20\u{202F}000");
        assert_eq!(tick(0.001, 1.0, 11), "0.001");
        assert_eq!(tick_digits(1.0, 0.0), 3);
    }
}
