//! Point markers that differ in shape as well as colour (for colour-blind readers and print),
//! drawn in drawing pixels on the root area.

use super::layout::Rect;
use super::theme::{Role, color};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The root drawing area every plot draws its markers, labels and legend on.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A filled disc.
    Dot,
    /// An open circle (a dot of another series stays visible inside it).
    Ring,
    /// A filled square.
    Square,
    /// A filled diamond.
    Diamond,
}

impl Marker {
    /// Draw the marker of half-size `r` centred at `at` in the colour of `role`.
    pub fn draw(self, area: &Area, at: (i32, i32), r: i32, role: Role) -> Option<()> {
        let fill = ShapeStyle::from(color(role)).filled();
        let (x, y) = at;
        match self {
            Marker::Dot => area.draw(&Circle::new(at, r, fill)),
            Marker::Ring => area.draw(&Circle::new(
                at,
                r,
                ShapeStyle::from(color(role)).stroke_width(2),
            )),
            Marker::Square => {
                let s = r * 4 / 5;
                area.draw(&Rectangle::new([(x - s, y - s), (x + s, y + s)], fill))
            }
            Marker::Diamond => area.draw(&Polygon::new(
                vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                fill,
            )),
        }
        .ok()
    }

    /// The marker's extent, for the label placer.
    pub fn extent(self, at: (i32, i32), r: i32) -> Rect {
        Rect::around(at, f64::from(r) + 1.0)
    }
}

/// Draw `marker` at every point of `points` (drawing pixels).
pub fn draw_all(
    area: &Area,
    points: &[(i32, i32)],
    marker: Marker,
    r: i32,
    role: Role,
) -> Option<()> {
    points
        .iter()
        .try_for_each(|&p| marker.draw(area, p, r, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_draws_its_own_element() {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (100, 20)).into_drawing_area();
            let shapes = [Marker::Dot, Marker::Ring, Marker::Square, Marker::Diamond];
            for (i, m) in (0..).zip(shapes) {
                m.draw(&area, (10 + 20 * i, 10), 5, Role::Series(0))
                    .unwrap();
            }
            area.present().unwrap();
        }
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("<rect").count(), 1);
        assert_eq!(svg.matches("<polygon").count(), 1);
        assert_eq!(
            Marker::Ring.extent((10, 10), 5),
            Rect::around((10, 10), 6.0)
        );
    }
}
