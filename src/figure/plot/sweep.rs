//! Adam's escape threshold against α (log axis) and β1, with the settings' own point marked.

use super::layout::{ALL_SIDES, Obstacles, Side};
use super::legend::{self, Sample};
use super::marker::{self, Marker};
use super::theme::{Role, color};
use super::{Frame, build_chart, canvas, draw_axes, label, plot_rect};
use crate::compute::optim::StudyResult;
use crate::compute::optim::sweep::SweepPoint;
use crate::format::Digits;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

/// Room for significant digits of the assignment's setting in the seed's label (the book's
/// digits when it prints fewer).
const SETTING_DIGITS: usize = 3;
/// Room for significant digits of the seed's h_max in its label (the book's digits when it
/// prints fewer).
const VALUE_DIGITS: usize = 4;

/// Half-size of the closed form's rings, in pixels.
const RING: i32 = 4;
/// Half-size of the diamond marking the assignment's setting, in pixels.
const SEED_SIZE: i32 = 8;

/// Where the settings' own point is and which side of it its label goes.
struct Seed {
    /// `(x, h_max)`.
    at: (f64, f64),
    /// Put the label left of the point (when the point is in the right half).
    label_left: bool,
    /// The swept parameter's name.
    name: &'static str,
}

/// Draw one sweep on the x coordinate `x` in frame `f`.
fn chart<X>(
    (f, digits): (&Frame, Digits),
    points: &[SweepPoint],
    x: X,
    x_desc: &str,
    seed: Seed,
) -> Option<String>
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
        let (area, chart_area) = canvas(&mut svg, f, 3);
        let mut chart = build_chart(&chart_area, f, x, 0.0..h_top * 1.1)?;
        draw_axes(
            &mut chart,
            f,
            (x_desc, "h_max (loss units)"),
            (x_span, h_top),
        )?;
        let line = ShapeStyle::from(color(Role::Series(1))).stroke_width(2);
        let supremum = points.iter().map(|p| (p.x, p.h_max_supremum));
        chart
            .draw_series(LineSeries::new(supremum.clone(), line))
            .ok()?;
        let plot = plot_rect(chart.plotting_area());
        let line_px: Vec<_> = supremum.map(|p| chart.backend_coord(&p)).collect();
        let rings: Vec<_> = points
            .iter()
            .map(|p| chart.backend_coord(&(p.x, p.h_max_closed_form)))
            .collect();
        let seed_px = chart.backend_coord(&seed.at);
        let mut obstacles = Obstacles::default();
        obstacles.polyline(&line_px);
        for p in &rings {
            obstacles.rect(Marker::Ring.extent(*p, RING));
        }
        obstacles.rect(Marker::Diamond.extent(seed_px, SEED_SIZE + 2));
        let entries = [
            (
                Sample::Line(Role::Series(1), None),
                "supremum of the iterates (simulation)".to_string(),
            ),
            (
                Sample::Marker(Marker::Ring, Role::Series(0)),
                "closed form (first excursion)".to_string(),
            ),
            (
                Sample::Marker(Marker::Diamond, Role::Fg),
                "the assignment's setting".to_string(),
            ),
        ];
        let spot = legend::place(&entries, f, &plot, &obstacles);
        obstacles.rect(spot);
        marker::draw_all(&area, &rings, Marker::Ring, RING, Role::Series(0))?;
        // A halo in the background colour keeps the diamond clear of the rings under it.
        Marker::Diamond.draw(&area, seed_px, SEED_SIZE + 2, Role::Bg)?;
        Marker::Diamond.draw(&area, seed_px, SEED_SIZE, Role::Fg)?;
        let text = format!(
            "{} = {} → h_max = {}",
            seed.name,
            digits.fit(seed.at.0, SETTING_DIGITS),
            digits.fit(seed.at.1, VALUE_DIGITS)
        );
        let mut sides = ALL_SIDES;
        if seed.label_left {
            sides.sort_by_key(|s| !matches!(s, Side::Left | Side::AboveLeft | Side::BelowLeft));
        } else {
            sides.sort_by_key(|s| !matches!(s, Side::Right | Side::AboveRight | Side::BelowRight));
        }
        label(
            (&area, f),
            &mut obstacles,
            &plot,
            (&text, seed_px, SEED_SIZE + 3),
            &sides,
            Role::Fg,
        )?;
        legend::draw(&area, &entries, f.label_px, &spot)?;
        area.present().ok()?;
    }
    Some(svg)
}

/// h_max against α on a log axis.
pub fn hmax_vs_alpha(r: &StudyResult, f: &Frame, digits: Digits) -> Option<String> {
    let (first, last) = (r.sweep_alpha.first()?.x, r.sweep_alpha.last()?.x);
    let middle = (first.ln() + last.ln()) / 2.0;
    let seed = Seed {
        at: (r.adam.alpha, r.adam.h_max?),
        label_left: r.adam.alpha.ln() > middle,
        name: "α",
    };
    chart(
        (f, digits),
        &r.sweep_alpha,
        // A margin of 5% each way keeps the end points off the axes and lets a decade that
        // starts the sweep (α = 0.001) get its tick.
        (first / 1.05..last * 1.05).log_scale(),
        "α (step size, parameter units per step)",
        seed,
    )
}

/// h_max against β1.
pub fn hmax_vs_beta1(r: &StudyResult, f: &Frame, digits: Digits) -> Option<String> {
    let (first, last) = (r.sweep_beta1.first()?.x, r.sweep_beta1.last()?.x);
    let seed = Seed {
        at: (r.adam.beta1, r.adam.h_max?),
        label_left: r.adam.beta1 > (first + last) / 2.0,
        name: "β1",
    };
    chart(
        (f, digits),
        &r.sweep_beta1,
        first..last,
        "β1 (first-moment decay, dimensionless)",
        seed,
    )
}
