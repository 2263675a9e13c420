//! Adam's escape threshold against α (log axis) and β1, with the settings' own point marked.

use super::theme::{Role, color, font};
use super::{SIZE, tick};
use crate::compute::optim::StudyResult;
use crate::compute::optim::sweep::SweepPoint;
use crate::format::num;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Where the settings' own point is and which side of it its label goes.
struct Seed {
    /// `(x, h_max)`.
    at: (f64, f64),
    /// Put the label left of the point (when the point is in the right half).
    label_left: bool,
}

/// Draw one sweep on the x coordinate `x`.
fn chart<X>(points: &[SweepPoint], x: X, x_desc: &str, seed: Seed) -> Option<String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let h_top = points
        .iter()
        .flat_map(|p| [p.h_max_closed_form, p.h_max_supremum])
        .fold(seed.at.1, f64::max);
    let x_span = points.iter().map(|p| p.x.abs()).fold(0.0, f64::max);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(x, 0.0..h_top * 1.1)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("h_max (loss units)")
            .axis_style(color(Role::Fg))
            .bold_line_style(color(Role::Grid))
            .light_line_style(TRANSPARENT)
            .label_style(font(13.0, Role::Fg))
            .axis_desc_style(font(14.0, Role::Fg))
            .x_label_formatter(&|x| tick(*x, x_span))
            .y_label_formatter(&|y| tick(*y, h_top))
            .draw()
            .ok()?;
        let line = ShapeStyle::from(color(Role::Series(1))).stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.x, p.h_max_supremum)),
                line,
            ))
            .ok()?
            .label("supremum of the iterates (simulation)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line));
        let ring = ShapeStyle::from(color(Role::Series(0))).stroke_width(1);
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.x, p.h_max_closed_form), 4, ring)),
            )
            .ok()?
            .label("closed form (first excursion)")
            .legend(move |(x, y)| Circle::new((x + 11, y), 4, ring));
        let accent = ShapeStyle::from(color(Role::Accent)).filled();
        let label = format!("{} → h_max = {}", num(seed.at.0, 3), num(seed.at.1, 4));
        let (h_pos, dx) = if seed.label_left {
            (HPos::Right, -10)
        } else {
            (HPos::Left, 10)
        };
        let style = font(13.0, Role::Accent).pos(Pos::new(h_pos, VPos::Bottom));
        chart
            .draw_series([EmptyElement::at(seed.at)
                + Circle::new((0, 0), 6, accent)
                + Text::new(label, (dx, -6), style)])
            .ok()?
            .label("the assignment's setting")
            .legend(move |(x, y)| Circle::new((x + 11, y), 5, accent));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(color(Role::Bg).mix(0.85))
            .border_style(color(Role::Muted))
            .label_font(font(13.0, Role::Fg))
            .draw()
            .ok()?;
        area.present().ok()?;
    }
    Some(svg)
}

/// h_max against α on a log axis.
pub fn hmax_vs_alpha(r: &StudyResult) -> Option<String> {
    let (first, last) = (r.sweep_alpha.first()?.x, r.sweep_alpha.last()?.x);
    let middle = (first.ln() + last.ln()) / 2.0;
    let seed = Seed {
        at: (r.adam.alpha, r.adam.h_max?),
        label_left: r.adam.alpha.ln() > middle,
    };
    chart(
        &r.sweep_alpha,
        (first..last).log_scale(),
        "α (step size, parameter units per step)",
        seed,
    )
}

/// h_max against β1.
pub fn hmax_vs_beta1(r: &StudyResult) -> Option<String> {
    let (first, last) = (r.sweep_beta1.first()?.x, r.sweep_beta1.last()?.x);
    let seed = Seed {
        at: (r.adam.beta1, r.adam.h_max?),
        label_left: r.adam.beta1 > (first + last) / 2.0,
    };
    chart(
        &r.sweep_beta1,
        first..last,
        "β1 (first-moment decay, dimensionless)",
        seed,
    )
}
