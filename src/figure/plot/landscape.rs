//! The loss with the iterates of gradient descent and Adam, each iterate numbered by its step:
//! a position visited more than [`MAX_LABELS`] times lists its first steps and then "…".

use super::layout::{Obstacles, Side};
use super::legend::{self, Sample};
use super::marker::{self, Marker};
use super::theme::{Role, color};
use super::{Frame, build_chart, canvas, draw_axes, label, plot_rect};
use crate::compute::optim::StudyResult;
use plotters::prelude::*;

/// Iterates at the same position share one label; at most this many steps are listed.
const MAX_LABELS: usize = 3;
/// Positions labelled per method (the first ones, in step order): each label is checked
/// against every obstacle, so this bounds the work of long runs.
const MAX_POINT_LABELS: usize = 60;
/// Half-sizes of the markers of gradient descent (rings) and Adam (dots), in pixels.
const RADII: (i32, i32) = (7, 4);
/// Gradient descent's labels go above its rings if there is room, Adam's below its dots.
const GD_SIDES: [Side; 6] = [
    Side::Above,
    Side::AboveLeft,
    Side::AboveRight,
    Side::Left,
    Side::Right,
    Side::Below,
];
const ADAM_SIDES: [Side; 6] = [
    Side::Below,
    Side::BelowRight,
    Side::BelowLeft,
    Side::Right,
    Side::Left,
    Side::Above,
];

/// Group the iterates `w[0..=last]` by position: `(w, f, "t1, t2, …")`.
fn numbered(w: &[f64], f: &[f64], last: usize, x_max: f64) -> Vec<(f64, f64, String)> {
    let mut groups: Vec<(f64, f64, Vec<usize>)> = Vec::new();
    for (t, (&x, &y)) in w.iter().zip(f).enumerate().take(last + 1) {
        if !x.is_finite() || x > x_max {
            continue;
        }
        let close = |g: &&mut (f64, f64, Vec<usize>)| (g.0 - x).abs() <= 1e-9 * x.abs().max(1.0);
        match groups.iter_mut().find(close) {
            Some(group) => group.2.push(t),
            None => groups.push((x, y, vec![t])),
        }
    }
    groups
        .into_iter()
        .map(|(x, y, ts)| {
            let mut label: Vec<String> = ts.iter().take(MAX_LABELS).map(usize::to_string).collect();
            if ts.len() > MAX_LABELS {
                label.push("…".into());
            }
            (x, y, label.join(", "))
        })
        .collect()
}

/// Draw the landscape plot in frame `f` as plotters SVG (before theming).
pub fn draw(r: &StudyResult, f: &Frame) -> Option<String> {
    let curve = &r.landscape.curve;
    let (x0, x1) = (curve.first()?[0], curve.last()?[0]);
    let (mut y0, mut y1) = curve
        .iter()
        .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
    let pad = 0.12 * (y1 - y0).max(1e-9);
    (y0, y1) = (y0 - pad, y1 + pad);
    let dx = 0.03 * (x1 - x0);
    // Every step of both runs: a position gradient descent revisits lists its first visits.
    let gd_last = r.gd.run.w.len() - 1;
    let adam_last = r.adam.run.w.len() - 1;
    let gd_points = numbered(&r.gd.run.w, &r.gd.run.f, gd_last, x1);
    let adam_points = numbered(&r.adam.run.w, &r.adam.run.f, adam_last, x1);
    let mut svg = String::new();
    {
        let (area, chart_area) = canvas(&mut svg, f, 3);
        let mut chart = build_chart(&chart_area, f, x0 - dx..x1 + dx, y0..y1)?;
        draw_axes(
            &mut chart,
            f,
            ("w (parameter)", "f(w) (loss)"),
            (x1 - x0, y1 - y0),
        )?;
        let line = ShapeStyle::from(color(Role::Fg)).stroke_width(2);
        chart
            .draw_series(LineSeries::new(curve.iter().map(|p| (p[0], p[1])), line))
            .ok()?;
        let plot = plot_rect(chart.plotting_area());
        let px = |points: &[(f64, f64, String)]| -> Vec<((i32, i32), String)> {
            points
                .iter()
                .map(|(x, y, l)| (chart.backend_coord(&(*x, *y)), l.clone()))
                .collect()
        };
        let (gd, adam) = (px(&gd_points), px(&adam_points));
        let mut obstacles = Obstacles::default();
        let curve_px: Vec<_> = curve
            .iter()
            .map(|p| chart.backend_coord(&(p[0], p[1])))
            .collect();
        obstacles.polyline(&curve_px);
        // The legend keeps off the markers and the room their labels need.
        let room = 2.5 * f.label_px;
        for (points, r) in [(&gd, RADII.0), (&adam, RADII.1)] {
            for (p, _) in points {
                obstacles.rect(Marker::Ring.extent(*p, r).grown(room));
            }
        }
        let entries = [
            (Sample::Line(Role::Fg, None), "loss f(w)".to_string()),
            (
                Sample::Marker(Marker::Ring, Role::Series(0)),
                "gradient descent".to_string(),
            ),
            (
                Sample::Marker(Marker::Dot, Role::Series(1)),
                "Adam".to_string(),
            ),
        ];
        let spot = legend::place(&entries, f, &plot, &obstacles);
        let mut obstacles = Obstacles::default();
        obstacles.polyline(&curve_px);
        obstacles.rect(spot);
        for (points, r) in [(&gd, RADII.0), (&adam, RADII.1)] {
            for (p, _) in points {
                obstacles.rect(Marker::Ring.extent(*p, r));
            }
        }
        // Adam first, as dots; gradient descent on top as rings, so shared positions show both.
        let pixels =
            |points: &[((i32, i32), String)]| points.iter().map(|p| p.0).collect::<Vec<_>>();
        marker::draw_all(&area, &pixels(&adam), Marker::Dot, RADII.1, Role::Series(1))?;
        marker::draw_all(&area, &pixels(&gd), Marker::Ring, RADII.0, Role::Series(0))?;
        let bump = &r.landscape.bump;
        let minimum = chart.backend_coord(&(bump.l, 0.0));
        label(
            (&area, f),
            &mut obstacles,
            &plot,
            ("'x'", minimum, 4),
            &[Side::Below],
            Role::Fg,
        )?;
        let start = chart.backend_coord(&(bump.start, curve[0][1]));
        label(
            (&area, f),
            &mut obstacles,
            &plot,
            ("'o'", start, RADII.0 + 3),
            &[Side::Left, Side::BelowLeft, Side::AboveLeft, Side::Right],
            Role::Fg,
        )?;
        for (points, r, sides, role) in [
            (&gd, RADII.0, &GD_SIDES, Role::Series(0)),
            (&adam, RADII.1, &ADAM_SIDES, Role::Series(1)),
        ] {
            for (p, text) in points.iter().take(MAX_POINT_LABELS) {
                label(
                    (&area, f),
                    &mut obstacles,
                    &plot,
                    (text, *p, r + 3),
                    sides,
                    role,
                )?;
            }
        }
        legend::draw(&area, &entries, f.label_px, &spot)?;
        area.present().ok()?;
    }
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_positions_share_a_label() {
        let w = [0.0, 0.9, 1.2, 0.9, 1.2, 0.9, 1.2, 0.9];
        let f = [1.0, 0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1];
        let got = numbered(&w, &f, 7, 2.0);
        assert_eq!(got[1].2, "1, 3, 5, …");
        assert_eq!(got[2].2, "2, 4, 6");
        assert_eq!(got.len(), 3);
    }
}
