//! Iterates and moments against the step number.

use super::layout::Obstacles;
use super::legend::{self, Sample};
use super::marker::{self, Marker};
use super::theme::{Role, color};
use super::{SIZE, build_chart, draw_axes, plot_rect};
use crate::compute::optim::StudyResult;
use crate::compute::optim::adam::AdamStep;
use crate::format::num;
use plotters::prelude::*;

/// Series of more points than this are drawn as lines alone (markers would merge into one).
const MAX_MARKED: usize = 120;

/// A named series of `(t, value)` points in a palette colour, marked when there are few.
struct Series {
    name: String,
    role: Role,
    marker: Marker,
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
        let mut chart = build_chart(&area, 0.0..t_max, lo - pad..hi + pad)?;
        draw_axes(&mut chart, ("t (step)", y_desc), (t_max, span))?;
        let mut obstacles = Obstacles::default();
        let mut entries = Vec::new();
        let dashed = ShapeStyle::from(color(Role::Muted)).stroke_width(1);
        for (label, y) in references {
            chart
                .draw_series(LineSeries::new([(0.0, *y), (t_max, *y)], dashed))
                .ok()?;
            obstacles.polyline(&[
                chart.backend_coord(&(0.0, *y)),
                chart.backend_coord(&(t_max, *y)),
            ]);
            entries.push((Sample::Dashed, label.clone()));
        }
        let mut marked = Vec::new();
        for s in series {
            let style = ShapeStyle::from(color(s.role)).stroke_width(2);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), style))
                .ok()?;
            let pixels: Vec<_> = s.points.iter().map(|p| chart.backend_coord(p)).collect();
            obstacles.polyline(&pixels);
            let marker = (s.points.len() <= MAX_MARKED).then_some(s.marker);
            entries.push((Sample::Line(s.role, marker), s.name.clone()));
            if let Some(marker) = marker {
                marked.push((pixels, marker, s.role));
            }
        }
        // The series listed first (gradient descent) is drawn last, on top.
        for (pixels, marker, role) in marked.iter().rev() {
            marker::draw_all(&area, pixels, *marker, 4, *role)?;
        }
        let spot = legend::place(&entries, &plot_rect(chart.plotting_area()), &obstacles);
        legend::draw(&area, &entries, &spot)?;
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
            marker: Marker::Ring,
            points: indexed(&r.gd.run.w),
        },
        Series {
            name: "Adam".into(),
            role: Role::Series(1),
            marker: Marker::Dot,
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
            marker: Marker::Dot,
            points: at(|s| s.m_hat),
        },
        Series {
            name: "m (biased)".into(),
            role: Role::Series(3),
            marker: Marker::Square,
            points: at(|s| s.m),
        },
        Series {
            name: "g (gradient)".into(),
            role: Role::Series(4),
            marker: Marker::Triangle,
            points: at(|s| s.g),
        },
    ];
    chart(
        &series,
        &[("zero".into(), 0.0)],
        "moment (loss per parameter unit)",
    )
}
