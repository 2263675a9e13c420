//! The legend: a box of samples and names, put in the corner of the plotting area where it
//! covers the least data.

use super::Frame;
use super::layout::{Obstacles, Rect, text_box};
use super::marker::{Area, Marker};
use super::theme::{Role, color, font};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// What a legend entry shows before its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sample {
    /// A line in a colour, with a marker on it if `Some`.
    Line(Role, Option<Marker>),
    /// A dashed reference line (the muted role).
    Dashed,
    /// A marker alone.
    Marker(Marker, Role),
}

/// One legend entry.
pub type Entry = (Sample, String);

const PAD: i32 = 8;
const SAMPLE: i32 = 26;

/// The height of one entry for text of `px` pixels.
fn row(px: f64) -> i32 {
    (px + 7.0).round() as i32
}

/// The height of a legend of `rows` entries with text of `px` pixels.
pub fn height(rows: usize, px: f64) -> u32 {
    u32::try_from(2 * PAD - 4 + row(px) * i32::try_from(rows).unwrap_or(0)).unwrap_or(0)
}

/// The legend's box when its top-left corner is at `corner`.
fn boxed(entries: &[Entry], px: f64, corner: (i32, i32)) -> Rect {
    let text = entries
        .iter()
        .map(|(_, name)| {
            let b = text_box(name, px, (0, 0), HPos::Left, VPos::Center);
            b.x1 - b.x0
        })
        .fold(0.0, f64::max);
    let (x, y) = (f64::from(corner.0), f64::from(corner.1));
    Rect {
        x0: x,
        y0: y,
        x1: x + f64::from(2 * PAD + SAMPLE + 6) + text.ceil(),
        y1: y + f64::from(height(entries.len(), px)),
    }
}

/// The legend's box for frame `f`: below the chart (left-aligned with the plotting area
/// `plot`) when the frame says so, else inside `plot` at the corner (or edge middle) where
/// it meets the fewest obstacles; the earlier candidate wins a tie.
pub fn place(entries: &[Entry], f: &Frame, plot: &Rect, obstacles: &Obstacles) -> Rect {
    let px = f.label_px;
    let size = boxed(entries, px, (0, 0));
    if f.legend_below {
        // Under the plotting area's left edge, moved left as far as it must to fit.
        let room = f64::from(f.size.0) - size.x1 - f64::from(PAD);
        let left = plot.x0.min(room).max(0.0).round() as i32;
        return boxed(entries, px, (left, i32::try_from(f.size.1).unwrap_or(0)));
    }
    let (w, h) = (size.x1, size.y1);
    let inset = 8.0;
    let (left, right) = (plot.x0 + inset, plot.x1 - inset - w);
    let (top, bottom) = (plot.y0 + inset, plot.y1 - inset - h);
    let middle = (left + right) / 2.0;
    let candidates = [
        (left, top),
        (right, top),
        (right, bottom),
        (left, bottom),
        (middle, top),
        (middle, bottom),
    ];
    let mut best: Option<(usize, Rect)> = None;
    for (x, y) in candidates {
        let rect = boxed(entries, px, (x.round() as i32, y.round() as i32));
        let hits = obstacles.hits(&rect);
        if best.is_none_or(|(fewest, _)| hits < fewest) {
            best = Some((hits, rect));
        }
    }
    best.map_or(size, |(_, rect)| rect)
}

/// Draw the legend in `rect` (from [`place`]) with text of `px` pixels.
pub fn draw(area: &Area, entries: &[Entry], px: f64, rect: &Rect) -> Option<()> {
    let (x0, y0) = (rect.x0 as i32, rect.y0 as i32);
    area.draw(&Rectangle::new(
        rect.pixels(),
        color(Role::Bg).mix(0.88).filled(),
    ))
    .ok()?;
    area.draw(&Rectangle::new(
        rect.pixels(),
        ShapeStyle::from(color(Role::Grid)).stroke_width(1),
    ))
    .ok()?;
    for (i, (sample, name)) in (0..).zip(entries) {
        let y = y0 + PAD - 2 + row(px) / 2 + row(px) * i;
        let (xa, xb) = (x0 + PAD, x0 + PAD + SAMPLE);
        let mid = ((xa + xb) / 2, y);
        match *sample {
            Sample::Line(role, marker) => {
                let line = ShapeStyle::from(color(role)).stroke_width(2);
                area.draw(&PathElement::new(vec![(xa, y), (xb, y)], line))
                    .ok()?;
                if let Some(m) = marker {
                    m.draw(area, mid, 4, role)?;
                }
            }
            Sample::Dashed => {
                let line = ShapeStyle::from(color(Role::Muted)).stroke_width(1);
                area.draw(&PathElement::new(vec![(xa, y), (xb, y)], line))
                    .ok()?;
            }
            Sample::Marker(m, role) => m.draw(area, mid, 5, role)?,
        }
        let style = font(px, Role::Fg).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(name.clone(), (xb + 6, y), style))
            .ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_legend_avoids_a_crowded_corner() {
        let entries = [(Sample::Dashed, "zero".to_string())];
        let plot = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 400.0,
            y1: 300.0,
        };
        let mut obstacles = Obstacles::default();
        obstacles.polyline(&[(0, 0), (120, 60)]);
        let rect = place(&entries, &super::super::WIDE, &plot, &obstacles);
        assert!(rect.x0 > 200.0 && rect.y0 < 20.0, "{rect:?}");
        assert_eq!(obstacles.hits(&rect), 0);
        assert!(plot.contains(&rect));
    }
}
