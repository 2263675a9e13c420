//! Iterates and moments against the step number.

use super::layout::Obstacles;
use super::legend::{self, Sample};
use super::marker::{self, Marker};
use super::theme::{Role, color};
use super::{Frame, build_chart, canvas, draw_axes, plot_rect};
use crate::compute::optim::StudyResult;
use crate::compute::optim::adam::AdamStep;
use crate::format::Digits;
use plotters::prelude::*;

/// Room for significant digits of the values in legend entries and reference labels (the
/// book's digits when it prints fewer).
const LEGEND_DIGITS: usize = 4;

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

/// The points of `points` up to where the line leaves through `top`, ending on `top`.
fn clipped(points: &[(f64, f64)], top: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for (i, &(t, y)) in points.iter().enumerate() {
        if y <= top {
            out.push((t, y));
            continue;
        }
        if let Some(&(t0, y0)) = i.checked_sub(1).and_then(|j| points.get(j)) {
            out.push((t0 + (t - t0) * (top - y0) / (y - y0), top));
        }
        break;
    }
    out
}

/// Draw `series` and dashed `references` in frame `f`; values above `top` (when given) are
/// cut off.
fn chart(
    f: &Frame,
    series: &[Series],
    references: &[Reference],
    y_desc: &str,
    top: Option<f64>,
) -> Option<String> {
    let t_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let cut: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| top.map_or_else(|| s.points.clone(), |top| clipped(&s.points, top)))
        .collect();
    let values = cut
        .iter()
        .flat_map(|points| points.iter().map(|p| p.1))
        .chain(references.iter().map(|r| r.1));
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = (hi - lo).max(1e-9);
    let pad = 0.08 * span;
    let mut svg = String::new();
    {
        let (area, chart_area) = canvas(&mut svg, f, references.len() + series.len());
        let mut chart = build_chart(&chart_area, f, 0.0..t_max, lo - pad..hi + pad)?;
        draw_axes(&mut chart, f, ("t (step)", y_desc), (t_max, span))?;
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
        for (s, points) in series.iter().zip(&cut) {
            let style = ShapeStyle::from(color(s.role)).stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), style))
                .ok()?;
            let pixels: Vec<_> = points.iter().map(|p| chart.backend_coord(p)).collect();
            obstacles.polyline(&pixels);
            let marker = (s.points.len() <= MAX_MARKED).then_some(s.marker);
            entries.push((Sample::Line(s.role, marker), s.name.clone()));
            if let Some(marker) = marker {
                // A point cut off at the top has no marker.
                let kept = points.iter().filter(|p| s.points.contains(p)).count();
                marked.push((pixels[..kept].to_vec(), marker, s.role));
            }
        }
        // The series listed first (gradient descent) is drawn last, on top.
        for (pixels, marker, role) in marked.iter().rev() {
            marker::draw_all(&area, pixels, *marker, 4, *role)?;
        }
        let spot = legend::place(&entries, f, &plot_rect(chart.plotting_area()), &obstacles);
        legend::draw(&area, &entries, f.label_px, &spot)?;
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

/// w_t against t for gradient descent, Adam on the plotted bump and Adam on a bump just above
/// its threshold, with L and the peak marked. The axis ends a little above the highest point
/// of the runs that stay (an escaping run leaves through the top), so the region around the
/// bump keeps its height.
pub fn w_vs_t(r: &StudyResult, f: &Frame, digits: Digits) -> Option<String> {
    let h = r.landscape.h;
    let mut series = vec![
        Series {
            name: "gradient descent".into(),
            role: Role::Series(0),
            marker: Marker::Ring,
            points: indexed(&r.gd.run.w),
        },
        Series {
            name: format!("Adam, h = {}", digits.fit(h, LEGEND_DIGITS)),
            role: Role::Series(1),
            marker: Marker::Dot,
            points: indexed(&r.adam.run.w),
        },
    ];
    let (l, peak) = (r.landscape.bump.l, r.landscape.peak);
    let mut staying = vec![l, peak];
    staying.extend(r.gd.run.w.iter().copied());
    if let Some(t) = &r.adam.threshold {
        let back = &t.turning_back;
        series.push(Series {
            name: format!(
                "Adam, h = {} (turns back)",
                digits.fit(back.h, LEGEND_DIGITS)
            ),
            role: Role::Series(2),
            marker: Marker::Diamond,
            points: indexed(&back.run.w),
        });
        staying.extend(back.run.w.iter().copied());
    }
    let (lo, hi) = staying
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    let top = hi + 0.3 * (hi - lo).max(1e-9);
    let references = [
        (format!("L = {} ('x')", digits.fit(l, LEGEND_DIGITS)), l),
        (
            format!("peak L + h/u = {}", digits.fit(peak, LEGEND_DIGITS)),
            peak,
        ),
    ];
    chart(f, &series, &references, "w (parameter)", Some(top))
}

/// Adam's m̂_t on the plotted bump and on a bump just above the threshold (the run that turns
/// back), and the biased m_t of the first, against t.
pub fn mhat_vs_t(r: &StudyResult, f: &Frame, digits: Digits) -> Option<String> {
    let at = |steps: &[AdamStep], f: fn(&AdamStep) -> f64| -> Vec<(f64, f64)> {
        steps.iter().map(|s| (s.t as f64, f(s))).collect()
    };
    let steps = &r.adam.run.steps;
    let h = digits.fit(r.landscape.h, LEGEND_DIGITS);
    let mut series = vec![Series {
        name: format!("m̂, h = {h}"),
        role: Role::Series(1),
        marker: Marker::Dot,
        points: at(steps, |s| s.m_hat),
    }];
    if let Some(t) = &r.adam.threshold {
        let back = &t.turning_back;
        series.push(Series {
            name: format!("m̂, h = {} (turns back)", digits.fit(back.h, LEGEND_DIGITS)),
            role: Role::Series(2),
            marker: Marker::Diamond,
            points: at(&back.run.steps, |s| s.m_hat),
        });
    }
    series.push(Series {
        name: format!("m (biased), h = {h}"),
        role: Role::Series(3),
        marker: Marker::Square,
        points: at(steps, |s| s.m),
    });
    chart(
        f,
        &series,
        &[("zero".into(), 0.0)],
        "moment (loss per parameter unit)",
        None,
    )
}
