//! One-dimensional piecewise-linear losses: value and slope, with an explicit kink rule.

use serde::{Deserialize, Serialize};

/// Which slope a point exactly on a kink gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KinkRule {
    /// The slope of the segment to the right (segments are `[a, b)`).
    Right,
    /// The slope of the segment to the left (segments are `(a, b]`).
    Left,
    /// The subgradient of smallest magnitude: 0 where the slope changes sign.
    MinNorm,
}

impl KinkRule {
    /// The rule in words, for the chapter.
    pub fn describe(self) -> &'static str {
        match self {
            KinkRule::Right => {
                "at a kink the slope of the segment to its right applies (segments are closed on the left)"
            }
            KinkRule::Left => {
                "at a kink the slope of the segment to its left applies (segments are closed on the right)"
            }
            KinkRule::MinNorm => {
                "at a kink the subgradient of smallest magnitude applies (0 where the slope changes sign)"
            }
        }
    }
}

/// A continuous piecewise-linear function of one variable.
///
/// `slopes[i]` applies between `knots[i - 1]` and `knots[i]`; the first slope extends to −∞
/// and the last to +∞. The value is anchored at `value_at_first_knot`.
#[derive(Debug, Clone, PartialEq)]
pub struct Landscape {
    knots: Vec<f64>,
    slopes: Vec<f64>,
    value_at_first_knot: f64,
    rule: KinkRule,
}

impl Landscape {
    /// A landscape from strictly increasing finite knots and one more slope than knots.
    ///
    /// Returns `None` when the shapes or the ordering are wrong.
    pub fn new(
        knots: Vec<f64>,
        slopes: Vec<f64>,
        value_at_first_knot: f64,
        rule: KinkRule,
    ) -> Option<Self> {
        let ordered = knots.windows(2).all(|p| p[0] < p[1]);
        let finite = knots.iter().chain(&slopes).all(|x| x.is_finite());
        (slopes.len() == knots.len() + 1 && ordered && finite && value_at_first_knot.is_finite())
            .then_some(Self {
                knots,
                slopes,
                value_at_first_knot,
                rule,
            })
    }

    /// The kinks, left to right.
    pub fn knots(&self) -> &[f64] {
        &self.knots
    }

    /// The kink rule.
    pub fn rule(&self) -> KinkRule {
        self.rule
    }

    /// The index of the segment strictly containing `w`, or `Err(i)` if `w` is knot `i`.
    fn segment(&self, w: f64) -> Result<usize, usize> {
        let below = self.knots.partition_point(|&k| k < w);
        match self.knots.get(below) {
            Some(&k) if k == w => Err(below),
            _ => Ok(below),
        }
    }

    /// The slope used at `w`; at a kink, the one the [`KinkRule`] picks.
    pub fn slope(&self, w: f64) -> f64 {
        match self.segment(w) {
            Ok(i) => self.slopes[i],
            Err(i) => {
                let (left, right) = (self.slopes[i], self.slopes[i + 1]);
                match self.rule {
                    KinkRule::Right => right,
                    KinkRule::Left => left,
                    KinkRule::MinNorm if left * right <= 0.0 => 0.0,
                    KinkRule::MinNorm if left.abs() <= right.abs() => left,
                    KinkRule::MinNorm => right,
                }
            }
        }
    }

    /// The value at `w`.
    pub fn value(&self, w: f64) -> f64 {
        let Some(&first) = self.knots.first() else {
            return self.value_at_first_knot + self.slopes[0] * w;
        };
        if w <= first {
            return self.value_at_first_knot + self.slopes[0] * (w - first);
        }
        let mut value = self.value_at_first_knot;
        for (i, pair) in self.knots.windows(2).enumerate() {
            if w <= pair[1] {
                return value + self.slopes[i + 1] * (w - pair[0]);
            }
            value += self.slopes[i + 1] * (pair[1] - pair[0]);
        }
        let last = self.knots[self.knots.len() - 1];
        value + self.slopes[self.slopes.len() - 1] * (w - last)
    }
}

/// The assignment's landscape: descent to a local minimum at `l`, a triangular bump, a tail.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bump {
    /// Where the optimizers start ('o').
    pub start: f64,
    /// The local minimum 'x' (the bump's left foot).
    pub l: f64,
    /// Slope before `l` (negative).
    pub descent_slope: f64,
    /// Slope on the bump's rising side (positive).
    pub up_slope: f64,
    /// Slope on the bump's falling side (negative).
    pub down_slope: f64,
    /// Slope after the bump (not positive: the loss keeps descending).
    pub tail_slope: f64,
    /// Which slope applies exactly at a kink.
    pub kink: KinkRule,
}

impl Bump {
    /// The assignment's reading (start 0, L = 1, slopes −1, +1, −1, tail −1/2, right-hand
    /// slope at kinks), for unit tests that work numbers out by hand.
    #[cfg(test)]
    pub(crate) fn assignment() -> Bump {
        Bump {
            start: 0.0,
            l: 1.0,
            descent_slope: -1.0,
            up_slope: 1.0,
            down_slope: -1.0,
            tail_slope: -0.5,
            kink: KinkRule::Right,
        }
    }

    /// The top of a bump of height `h`.
    pub fn peak(&self, h: f64) -> f64 {
        self.l + h / self.up_slope
    }

    /// The right foot of a bump of height `h`.
    pub fn end(&self, h: f64) -> f64 {
        self.peak(h) - h / self.down_slope
    }

    /// The landscape with a bump of height `h`; `h = ∞` gives the infinitely tall bump
    /// (descent, then the rising side forever), on which escape is impossible.
    pub fn landscape(&self, h: f64) -> Option<Landscape> {
        let (knots, slopes) = if h.is_infinite() {
            (vec![self.l], vec![self.descent_slope, self.up_slope])
        } else {
            let slopes = vec![
                self.descent_slope,
                self.up_slope,
                self.down_slope,
                self.tail_slope,
            ];
            (vec![self.l, self.peak(h), self.end(h)], slopes)
        };
        Landscape::new(knots, slopes, 0.0, self.kink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bump(rule: KinkRule) -> Landscape {
        Landscape::new(vec![1.0, 1.5, 2.0], vec![-1.0, 1.0, -1.0, -0.5], 0.0, rule).unwrap()
    }

    #[test]
    fn slopes_inside_segments_and_at_kinks() {
        let right = bump(KinkRule::Right);
        assert_eq!(right.slope(0.5), -1.0);
        assert_eq!(right.slope(1.0), 1.0);
        assert_eq!(right.slope(1.5), -1.0);
        assert_eq!(right.slope(2.0), -0.5);
        let left = bump(KinkRule::Left);
        assert_eq!(left.slope(1.0), -1.0);
        assert_eq!(left.slope(1.5), 1.0);
        assert_eq!(left.slope(2.0), -1.0);
        let min = bump(KinkRule::MinNorm);
        assert_eq!(min.slope(1.0), 0.0);
        assert_eq!(min.slope(1.5), 0.0);
        assert_eq!(min.slope(2.0), -0.5);
    }

    #[test]
    fn values_follow_the_slopes() {
        let f = bump(KinkRule::Right);
        assert_eq!(f.value(0.0), 1.0);
        assert_eq!(f.value(1.0), 0.0);
        assert_eq!(f.value(1.5), 0.5);
        assert_eq!(f.value(2.0), 0.0);
        assert_eq!(f.value(4.0), -1.0);
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Landscape::new(vec![1.0, 1.0], vec![0.0; 3], 0.0, KinkRule::Right).is_none());
        assert!(Landscape::new(vec![1.0], vec![0.0], 0.0, KinkRule::Right).is_none());
        assert!(Landscape::new(vec![f64::NAN], vec![0.0; 2], 0.0, KinkRule::Right).is_none());
    }
}
