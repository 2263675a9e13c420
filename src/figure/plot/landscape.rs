//! The loss with the iterates of gradient descent and Adam, each iterate numbered by its step.

use super::theme::{Role, color, font};
use super::{SIZE, tick};
use crate::compute::optim::StudyResult;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Iterates at the same position share one label; at most this many steps are listed.
const MAX_LABELS: usize = 3;

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

/// Draw the landscape plot as plotters SVG (before theming).
pub fn draw(r: &StudyResult) -> Option<String> {
    let curve = &r.landscape.curve;
    let (x0, x1) = (curve.first()?[0], curve.last()?[0]);
    let (mut y0, mut y1) = curve
        .iter()
        .fold((0.0f64, 0.0f64), |(lo, hi), p| (lo.min(p[1]), hi.max(p[1])));
    let pad = 0.12 * (y1 - y0).max(1e-9);
    (y0, y1) = (y0 - pad, y1 + pad);
    let dx = 0.03 * (x1 - x0);
    let gd_last = (r.gd.k + 2).min(r.gd.run.w.len() - 1);
    let adam_last = r.adam.run.w.len() - 1;
    let gd_points = numbered(&r.gd.run.w, &r.gd.run.f, gd_last, x1);
    let adam_points = numbered(&r.adam.run.w, &r.adam.run.f, adam_last, x1);
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let mut chart = ChartBuilder::on(&area)
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d(x0 - dx..x1 + dx, y0..y1)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc("w (parameter)")
            .y_desc("f(w) (loss)")
            .axis_style(color(Role::Fg))
            .bold_line_style(color(Role::Grid))
            .light_line_style(TRANSPARENT)
            .label_style(font(13.0, Role::Fg))
            .axis_desc_style(font(14.0, Role::Fg))
            .x_label_formatter(&|x| tick(*x, x1 - x0))
            .y_label_formatter(&|y| tick(*y, y1 - y0))
            .draw()
            .ok()?;
        let line = |role| ShapeStyle::from(color(role)).stroke_width(2);
        chart
            .draw_series(LineSeries::new(
                curve.iter().map(|p| (p[0], p[1])),
                line(Role::Fg),
            ))
            .ok()?
            .label("loss f(w)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line(Role::Fg)));
        // Adam first, as dots; gradient descent on top as rings, so shared positions show both.
        let adam = ShapeStyle::from(color(Role::Series(1))).filled();
        chart
            .draw_series(adam_points.iter().map(|(x, y, label)| {
                EmptyElement::at((*x, *y))
                    + Circle::new((0, 0), 4, adam)
                    + Text::new(label.clone(), (-4, 8), font(12.0, Role::Series(1)))
            }))
            .ok()?
            .label("Adam")
            .legend(move |(x, y)| Circle::new((x + 11, y), 4, adam));
        let gd = ShapeStyle::from(color(Role::Series(0))).stroke_width(2);
        chart
            .draw_series(gd_points.iter().map(|(x, y, label)| {
                EmptyElement::at((*x, *y))
                    + Circle::new((0, 0), 7, gd)
                    + Text::new(label.clone(), (-4, -24), font(12.0, Role::Series(0)))
            }))
            .ok()?
            .label("gradient descent")
            .legend(move |(x, y)| Circle::new((x + 11, y), 6, gd));
        let l = r.landscape.bump.l;
        let below = font(13.0, Role::Fg).pos(Pos::new(HPos::Center, VPos::Top));
        chart
            .draw_series([EmptyElement::at((l, 0.0)) + Text::new("'x'", (0, 8), below)])
            .ok()?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(color(Role::Bg).mix(0.85))
            .border_style(color(Role::Muted))
            .label_font(font(13.0, Role::Fg))
            .draw()
            .ok()?;
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
