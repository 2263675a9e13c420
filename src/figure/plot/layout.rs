//! Where texts go: estimated text boxes in drawing pixels, the obstacles a label must avoid
//! (other labels, markers, data lines, the legend) and a placer that tries the sides of a
//! marker in order of preference, next to the marker first and then farther out with a leader
//! line back to it.
//!
//! No font is loaded, so text extents are estimates: [`EM_ADVANCE`] per character is wider
//! than the average glyph of common sans-serif faces, so real text fits inside its box.

use plotters::style::text_anchor::{HPos, VPos};

/// Estimated advance of one character, in ems (digits of system sans-serif faces are ≈0.55).
pub const EM_ADVANCE: f64 = 0.6;

/// An axis-aligned rectangle in drawing pixels (y grows downwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x0: f64,
    /// Top edge.
    pub y0: f64,
    /// Right edge.
    pub x1: f64,
    /// Bottom edge.
    pub y1: f64,
}

impl Rect {
    /// The square of half-side `r` around `c`.
    pub fn around(c: (i32, i32), r: f64) -> Rect {
        let (x, y) = (f64::from(c.0), f64::from(c.1));
        Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        }
    }

    /// The top-left and bottom-right corners, rounded to whole pixels.
    pub fn pixels(&self) -> [(i32, i32); 2] {
        let r = |v: f64| v.round() as i32;
        [(r(self.x0), r(self.y0)), (r(self.x1), r(self.y1))]
    }

    /// Whether the interiors of two rectangles meet.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// Whether `other` lies inside this rectangle.
    pub fn contains(&self, other: &Rect) -> bool {
        self.x0 <= other.x0 && other.x1 <= self.x1 && self.y0 <= other.y0 && other.y1 <= self.y1
    }

    /// The rectangle grown by `d` on every side.
    pub fn grown(&self, d: f64) -> Rect {
        Rect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    /// Whether the segment `a`–`b` passes through the rectangle (Liang–Barsky clipping).
    pub fn crosses(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut lo, mut hi) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else if p < 0.0 {
                lo = lo.max(q / p);
            } else {
                hi = hi.min(q / p);
            }
        }
        lo <= hi
    }
}

/// The estimated box of `text` at `size` pixels drawn at `at` with plotters' anchors
/// (its SVG backend shifts the baseline by 0.76em, 0.5ex or −0.5ex for top, centre, bottom).
pub fn text_box(text: &str, size: f64, at: (i32, i32), h: HPos, v: VPos) -> Rect {
    let width = EM_ADVANCE * size * text.chars().count() as f64;
    let (x, y) = (f64::from(at.0), f64::from(at.1));
    let x0 = match h {
        HPos::Left => x,
        HPos::Center => x - width / 2.0,
        HPos::Right => x - width,
    };
    let baseline = y + size
        * match v {
            VPos::Top => 0.76,
            VPos::Center => 0.25,
            VPos::Bottom => -0.25,
        };
    Rect {
        x0,
        y0: baseline - 0.8 * size,
        x1: x0 + width,
        y1: baseline + 0.2 * size,
    }
}

/// What a new label or legend must stay off.
#[derive(Debug, Default)]
pub struct Obstacles {
    rects: Vec<Rect>,
    segments: Vec<((f64, f64), (f64, f64))>,
}

impl Obstacles {
    /// Block a rectangle (a marker, a label, the legend).
    pub fn rect(&mut self, rect: Rect) {
        self.rects.push(rect);
    }

    /// Block the segments of a polyline in drawing pixels.
    pub fn polyline(&mut self, points: &[(i32, i32)]) {
        let f = |p: &(i32, i32)| (f64::from(p.0), f64::from(p.1));
        self.segments
            .extend(points.windows(2).map(|w| (f(&w[0]), f(&w[1]))));
    }

    /// Block one segment (a leader line).
    pub fn segment(&mut self, a: (f64, f64), b: (f64, f64)) {
        self.segments.push((a, b));
    }

    /// How many obstacles `rect` meets.
    pub fn hits(&self, rect: &Rect) -> usize {
        self.rects.iter().filter(|r| r.overlaps(rect)).count()
            + self
                .segments
                .iter()
                .filter(|(a, b)| rect.crosses(*a, *b))
                .count()
    }

    /// Whether the segment `a`–`b` meets any obstacle (a rectangle it passes through, or a
    /// segment it crosses or touches).
    pub fn blocks_segment(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        self.rects.iter().any(|r| r.crosses(a, b))
            || self
                .segments
                .iter()
                .any(|&(c, d)| segments_meet((a, b), (c, d)))
    }
}

/// Whether two closed segments share a point (orientation tests, collinear overlap included).
fn segments_meet((a, b): ((f64, f64), (f64, f64)), (c, d): ((f64, f64), (f64, f64))) -> bool {
    let cross = |o: (f64, f64), p: (f64, f64), q: (f64, f64)| {
        (p.0 - o.0) * (q.1 - o.1) - (p.1 - o.1) * (q.0 - o.0)
    };
    let within = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        r.0 >= p.0.min(q.0) && r.0 <= p.0.max(q.0) && r.1 >= p.1.min(q.1) && r.1 <= p.1.max(q.1)
    };
    let (d1, d2) = (cross(c, d, a), cross(c, d, b));
    let (d3, d4) = (cross(a, b, c), cross(a, b, d));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && within(c, d, a))
        || (d2 == 0.0 && within(c, d, b))
        || (d3 == 0.0 && within(a, b, c))
        || (d4 == 0.0 && within(a, b, d))
}

/// A side of a marker to put its label on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Centred above.
    Above,
    /// Centred below.
    Below,
    /// Left, vertically centred.
    Left,
    /// Right, vertically centred.
    Right,
    /// Above and to the left.
    AboveLeft,
    /// Above and to the right.
    AboveRight,
    /// Below and to the left.
    BelowLeft,
    /// Below and to the right.
    BelowRight,
}

/// Every side, above first.
pub const ALL_SIDES: [Side; 8] = [
    Side::Above,
    Side::AboveRight,
    Side::AboveLeft,
    Side::Right,
    Side::Left,
    Side::Below,
    Side::BelowRight,
    Side::BelowLeft,
];

/// A placed label: where to draw it, how it is anchored, its estimated box, and the leader
/// line that joins it to its marker when it stands off farther than twice the gap.
#[derive(Clone, Copy)]
pub struct Placed {
    /// The anchor point in drawing pixels.
    pub at: (i32, i32),
    /// Horizontal anchor.
    pub h: HPos,
    /// Vertical anchor.
    pub v: VPos,
    /// The estimated box.
    pub rect: Rect,
    /// From just outside the marker to just outside the label's box.
    pub leader: Option<((f64, f64), (f64, f64))>,
}

/// The farthest a label may stand off its marker, in multiples of the gap.
const MAX_STANDOFF: i32 = 6;
/// From this standoff on (in multiples of the gap) a leader line joins label and marker.
const LEADER_FROM: i32 = 3;
/// The room (pixels) a leader line leaves before the marker and before the label's box.
const LEADER_CLEARANCE: f64 = 2.0;

/// The first position for `text` around the marker at `p` (of radius `gap`) that meets no
/// obstacle and lies inside `bounds`: each side of `sides` at distance `gap`, then each at
/// twice the distance, then at 3 to [`MAX_STANDOFF`] times the distance with a leader line
/// that meets no obstacle either. `None` when every position is taken (the label is left
/// out).
pub fn place(
    obstacles: &Obstacles,
    bounds: &Rect,
    text: &str,
    size: f64,
    p: (i32, i32),
    gap: i32,
    sides: &[Side],
) -> Option<Placed> {
    let diagonal = gap * 7 / 10;
    (1..=MAX_STANDOFF).find_map(|k| {
        sides.iter().find_map(|side| {
            let (d, g) = (gap * k, diagonal * k);
            let (dx, dy, h, v) = match side {
                Side::Above => (0, -d, HPos::Center, VPos::Bottom),
                Side::Below => (0, d, HPos::Center, VPos::Top),
                Side::Left => (-d, 0, HPos::Right, VPos::Center),
                Side::Right => (d, 0, HPos::Left, VPos::Center),
                Side::AboveLeft => (-g, -g, HPos::Right, VPos::Bottom),
                Side::AboveRight => (g, -g, HPos::Left, VPos::Bottom),
                Side::BelowLeft => (-g, g, HPos::Right, VPos::Top),
                Side::BelowRight => (g, g, HPos::Left, VPos::Top),
            };
            let at = (p.0 + dx, p.1 + dy);
            let rect = text_box(text, size, at, h, v);
            if !bounds.contains(&rect) || obstacles.hits(&rect.grown(1.0)) != 0 {
                return None;
            }
            let leader = if k >= LEADER_FROM {
                let line = leader(p, f64::from(gap), &rect);
                if obstacles.blocks_segment(line.0, line.1) {
                    return None;
                }
                Some(line)
            } else {
                None
            };
            Some(Placed {
                at,
                h,
                v,
                rect,
                leader,
            })
        })
    })
}

/// The leader line from the marker at `p` (radius `gap`) to the label box `rect`: along the
/// line between `p` and the box's nearest point, from [`LEADER_CLEARANCE`] beyond the marker
/// to [`LEADER_CLEARANCE`] before the box.
fn leader(p: (i32, i32), gap: f64, rect: &Rect) -> ((f64, f64), (f64, f64)) {
    let (x, y) = (f64::from(p.0), f64::from(p.1));
    let near = (x.clamp(rect.x0, rect.x1), y.clamp(rect.y0, rect.y1));
    let length = (near.0 - x).hypot(near.1 - y).max(f64::EPSILON);
    let along = |d: f64| (x + (near.0 - x) * d / length, y + (near.1 - y) * d / length);
    (
        along(gap + LEADER_CLEARANCE),
        along(length - LEADER_CLEARANCE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLOT: Rect = Rect {
        x0: 0.0,
        y0: 0.0,
        x1: 200.0,
        y1: 100.0,
    };

    #[test]
    fn segments_cross_or_miss_a_rectangle() {
        let r = Rect::around((50, 50), 10.0);
        assert!(r.crosses((0.0, 0.0), (100.0, 100.0)));
        assert!(r.crosses((45.0, 45.0), (55.0, 55.0)), "inside entirely");
        assert!(!r.crosses((0.0, 0.0), (100.0, 0.0)), "above");
        assert!(!r.crosses((0.0, 30.0), (30.0, 0.0)), "corner missed");
        assert!(!r.crosses((70.0, 50.0), (90.0, 50.0)), "stops short");
    }

    #[test]
    fn text_boxes_follow_the_anchor() {
        // Two characters of 0.6 em at 10 px: 12 px wide; a top anchor puts the baseline at 7.6.
        let b = text_box("ab", 10.0, (100, 50), HPos::Right, VPos::Top);
        let expected = [88.0, 49.6, 100.0, 59.6];
        for (got, want) in [b.x0, b.y0, b.x1, b.y1].into_iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
        let c = text_box("ab", 10.0, (100, 50), HPos::Center, VPos::Bottom);
        assert!(
            (c.x0 - 94.0).abs() < 1e-12 && (c.y1 - 49.5).abs() < 1e-12,
            "{c:?}"
        );
    }

    #[test]
    fn a_label_takes_the_first_free_side_or_none() {
        let mut obstacles = Obstacles::default();
        let p = (100, 50);
        let sides = [Side::Above, Side::Right];
        let above = place(&obstacles, &PLOT, "7", 12.0, p, 6, &sides).unwrap();
        assert!(above.rect.y1 <= 44.0 && matches!(above.h, HPos::Center));
        obstacles.polyline(&[(60, 40), (140, 40)]);
        let right = place(&obstacles, &PLOT, "7", 12.0, p, 6, &sides).unwrap();
        assert!(right.rect.x0 >= 106.0 && matches!(right.v, VPos::Center));
        obstacles.rect(Rect::around(p, 40.0));
        assert!(place(&obstacles, &PLOT, "7", 12.0, p, 6, &sides).is_none());
        // Nothing leaves the plot: a point at the top edge has no room above.
        let edge = place(&Obstacles::default(), &PLOT, "7", 12.0, (100, 8), 6, &sides).unwrap();
        assert!(edge.rect.x0 >= 106.0);
        assert!(above.leader.is_none() && edge.leader.is_none());
    }

    #[test]
    fn a_crowded_label_stands_off_with_a_leader_that_meets_nothing() {
        let p = (100, 50);
        let sides = [Side::Above, Side::Right];
        let mut obstacles = Obstacles::default();
        // A box left of the way up blocks every place above up to five gaps of 6 (a "7" is
        // 7.2 px wide, centred on x = 100) but not the vertical line x = 100; a box on the
        // right blocks the right side at every distance.
        obstacles.rect(Rect {
            x0: 90.0,
            y0: 20.0,
            x1: 98.0,
            y1: 44.0,
        });
        obstacles.rect(Rect {
            x0: 104.0,
            y0: 40.0,
            x1: 140.0,
            y1: 60.0,
        });
        let got = place(&obstacles, &PLOT, "7", 12.0, p, 6, &sides).expect("a place farther out");
        // Above at six gaps: anchored at y = 50 − 36, its box is 1.4 … 13.4.
        assert_eq!(got.at, (100, 14));
        assert!((got.rect.y1 - 13.4).abs() < 1e-9, "{:?}", got.rect);
        let (a, b) = got.leader.expect("a leader line");
        assert!(!obstacles.blocks_segment(a, b));
        // From 2 px beyond the marker's radius to 2 px before the box, straight up.
        assert!(
            (a.0 - 100.0).abs() < 1e-9 && (a.1 - 42.0).abs() < 1e-9,
            "{a:?}"
        );
        assert!(
            (b.0 - 100.0).abs() < 1e-9 && (b.1 - 15.4).abs() < 1e-9,
            "{b:?}"
        );
        // A data line across the leader (and clear of the label's box) refuses that place.
        obstacles.polyline(&[(0, 30), (200, 30)]);
        assert!(place(&obstacles, &PLOT, "7", 12.0, p, 6, &sides).is_none());
    }

    #[test]
    fn segments_meet_when_they_cross_or_touch() {
        assert!(segments_meet(
            ((0.0, 0.0), (10.0, 10.0)),
            ((0.0, 10.0), (10.0, 0.0))
        ));
        assert!(segments_meet(
            ((0.0, 0.0), (10.0, 0.0)),
            ((5.0, 0.0), (5.0, 5.0))
        ));
        assert!(!segments_meet(
            ((0.0, 0.0), (10.0, 0.0)),
            ((0.0, 1.0), (10.0, 1.0))
        ));
        assert!(!segments_meet(
            ((0.0, 0.0), (4.0, 4.0)),
            ((5.0, 0.0), (10.0, -5.0))
        ));
    }
}
