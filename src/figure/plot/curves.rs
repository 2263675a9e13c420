//! Iterates and moments against the step number.

use super::theme::{Role, color, font};
use super::{SIZE, tick};
use crate::compute::optim::StudyResult;
use crate::compute::optim::adam::AdamStep;
use crate::format::num;
use plotters::prelude::*;

/// A named series of `(t, value)` points in a palette colour.
struct Series {
    name: String,
    role: Role,
    points: Vec<(f64, f64)>,
}

/// A horizontal reference line `(legend label, y)`, drawn dashed.
type Reference = (String, f64);

fn chart(series: &[Series], references: &[Reference], y_desc: &str) -> Option<String> {
    let t_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(references.iter().map(|r| r.1));
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1e-9);
    let pad = 0.08 * span;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t_max, lo - pad..hi + pad)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("t (step)")
            .y_desc(y_desc)
            .axis_style(color(Role::Fg))
            .bold_line_style(color(Role::Grid))
            .light_line_style(TRANSPARENT)
            .label_style(font(13.0, Role::Fg))
            .axis_desc_style(font(14.0, Role::Fg))
            .x_label_formatter(&|x| tick(*x, t_max))
            .y_label_formatter(&|y| tick(*y, span))
            .draw()
            .ok()?;
        for s in series {
            let style = ShapeStyle::from(color(s.role)).stroke_width(2);
            let dot = ShapeStyle::from(color(s.role)).filled();
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), style))
                .ok()?
                .label(s.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
            chart
                .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, dot)))
                .ok()?;
        }
        let dashed = ShapeStyle::from(color(Role::Muted)).stroke_width(1);
        for (label, y) in references {
            chart
                .draw_series(LineSeries::new([(0.0, *y), (t_max, *y)], dashed))
                .ok()?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], dashed));
        }
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

fn indexed(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect()
}

/// w_t against t for gradient descent and Adam, with L and the peak marked.
pub fn w_vs_t(r: &StudyResult) -> Option<String> {
    let series = [
        Series {
            name: "gradient descent".into(),
            role: Role::Series(0),
            points: indexed(&r.gd.run.w),
        },
        Series {
            name: "Adam".into(),
            role: Role::Series(1),
            points: indexed(&r.adam.run.w),
        },
    ];
    let (l, peak) = (r.landscape.bump.l, r.landscape.peak);
    let references = [
        (format!("L = {} ('x')", num(l, 4)), l),
        (format!("peak L + h/u = {}", num(peak, 4)), peak),
    ];
    chart(&series, &references, "w (parameter)")
}

/// Adam's m̂_t, m_t and g_t against t.
pub fn mhat_vs_t(r: &StudyResult) -> Option<String> {
    let steps = &r.adam.run.steps;
    let at = |f: fn(&AdamStep) -> f64| steps.iter().map(|s| (s.t as f64, f(s))).collect();
    let series = [
        Series {
            name: "m̂ (bias-corrected)".into(),
            role: Role::Series(1),
            points: at(|s| s.m_hat),
        },
        Series {
            name: "m (biased)".into(),
            role: Role::Series(3),
            points: at(|s| s.m),
        },
        Series {
            name: "g (gradient)".into(),
            role: Role::Series(4),
            points: at(|s| s.g),
        },
    ];
    chart(
        &series,
        &[("zero".into(), 0.0)],
        "moment (loss per parameter unit)",
    )
}
