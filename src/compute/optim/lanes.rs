//! Adam's runs on the infinitely tall bump for the sweeps, [`LANES`] at a time as one vector
//! computation: each run is one lane of every array of the state, so a step is a handful of
//! vector operations and no run waits on another. IEEE addition, multiplication, division and
//! square root round each lane exactly as a scalar operation would (and Rust never fuses a
//! multiplication and an addition), so every lane gives the iterates of the scalar run
//! ([`supremum`] of an [`Adam`]), bit for bit; a lane that fails or diverges is run again
//! alone to give exactly the scalar outcome.

use super::StepError;
use super::adam::Adam;
use super::escape::{Supremum, supremum};
use super::landscape::Bump;
use super::powers::one_minus_powers;

/// How many runs go in one batch.
pub const LANES: usize = 8;

/// One value per lane.
type Lanes = [f64; LANES];

/// Adam runs sharing β2, ε, the bump and the horizon, each with its own α and β1.
pub struct TallRuns<'a> {
    bump: &'a Bump,
    beta2: f64,
    epsilon: f64,
    horizon: usize,
    /// The slope of the tall bump left of L, at L (by the kink rule) and right of L.
    slopes: [f64; 3],
    /// 1 − β2^t for every t at which it is not yet 1.
    correction2: Vec<f64>,
    /// √v̂ + ε at every step t (index t) while it changes, if it is the same in every run:
    /// when the three slopes have the same square, v does not depend on where the iterate
    /// is, so neither α nor β1 changes it. Past the list's end it keeps its last value.
    denominators: Option<Vec<f64>>,
}

/// One batch's state and what its iterates have shown so far.
struct Batch {
    w: Lanes,
    m: Lanes,
    v: Lanes,
    /// The highest iterate and its first step.
    w_max: Lanes,
    step: Lanes,
    /// The first step at or past L (−1 while there is none).
    k: Lanes,
    /// The highest iterate from the second half of the horizon on.
    late: Lanes,
}

/// The per-lane hyper-parameters of a batch.
struct Params {
    alpha: Lanes,
    beta1: Lanes,
    /// 1 − β1.
    one_minus_beta1: Lanes,
}

impl<'a> TallRuns<'a> {
    /// Runs on the tall version of `bump` with `beta2`, `epsilon`, over `horizon` steps.
    pub fn new(
        bump: &'a Bump,
        beta2: f64,
        epsilon: f64,
        horizon: usize,
    ) -> Result<Self, StepError> {
        let tall = bump
            .landscape(f64::INFINITY)
            .ok_or(StepError::BadLandscape)?;
        let slopes = [bump.descent_slope, tall.slope(bump.l), bump.up_slope];
        let correction2 = one_minus_powers(beta2, horizon.saturating_add(1));
        let squares = slopes.map(|g| (g * g).to_bits());
        let denominators = squares
            .iter()
            .all(|&s| s == squares[0])
            .then(|| denominators(beta2, epsilon, slopes[0] * slopes[0], &correction2, horizon))
            .flatten();
        Ok(TallRuns {
            bump,
            beta2,
            epsilon,
            horizon,
            slopes,
            correction2,
            denominators,
        })
    }

    /// The [`supremum`] of Adam with each `(α, β1)` of `runs` (at most [`LANES`]).
    pub fn suprema(&self, runs: &[(f64, f64)]) -> Vec<Result<Supremum, StepError>> {
        assert!(runs.len() <= LANES, "at most {LANES} runs in a batch");
        let Some(&first) = runs.first() else {
            return Vec::new();
        };
        // Unused lanes repeat the first run; their results are dropped.
        let at = |i: usize| runs.get(i).copied().unwrap_or(first);
        let params = Params {
            alpha: std::array::from_fn(|i| at(i).0),
            beta1: std::array::from_fn(|i| at(i).1),
            one_minus_beta1: std::array::from_fn(|i| 1.0 - at(i).1),
        };
        let correction1 = self.corrections1(&params.beta1);
        let batch = self.run(&params, &correction1);
        let (l, u) = (self.bump.l, self.bump.up_slope);
        (0..runs.len())
            .map(|i| {
                // A zero denominator makes the iterate non-finite (x/0 is ±∞ or NaN), and a
                // non-finite iterate stays so (NaN absorbs, ∞ − x is ∞ or NaN): the last
                // iterate tells whether the lane failed.
                if !batch.w[i].is_finite() {
                    let (alpha, beta1) = runs[i];
                    let adam = Adam::new(alpha, beta1, self.beta2, self.epsilon);
                    return supremum(adam, self.bump, self.horizon);
                }
                let w_max = batch.w_max[i];
                Ok(Supremum {
                    w_max,
                    step: batch.step[i] as usize,
                    k: batch.k[i].max(0.0) as usize,
                    h_max: (u * (w_max - l)).max(0.0),
                    late_peak: batch.late[i],
                    horizon: self.horizon,
                })
            })
            .collect()
    }

    /// 1 − β1^t per step and lane, as long as one lane's is not yet 1 (then 1 in the others).
    fn corrections1(&self, beta1: &Lanes) -> Vec<Lanes> {
        let len = self.horizon.saturating_add(1);
        let mut tables: Vec<(u64, Vec<f64>)> = Vec::new();
        let per_lane: Vec<usize> = beta1
            .iter()
            .map(|b| {
                let bits = b.to_bits();
                tables.iter().position(|t| t.0 == bits).unwrap_or_else(|| {
                    tables.push((bits, one_minus_powers(*b, len)));
                    tables.len() - 1
                })
            })
            .collect();
        let longest = tables.iter().map(|t| t.1.len()).max().unwrap_or(0);
        (0..longest)
            .map(|t| std::array::from_fn(|i| tables[per_lane[i]].1.get(t).copied().unwrap_or(1.0)))
            .collect()
    }

    /// Every step of a batch; the steps where no lane's 1 − β1^t or 1 − β2^t is below 1 skip
    /// that division (dividing by 1 changes nothing).
    fn run(&self, params: &Params, correction1: &[Lanes]) -> Batch {
        let start = self.bump.start;
        let mut batch = Batch {
            w: [start; LANES],
            m: [0.0; LANES],
            v: [0.0; LANES],
            w_max: [start; LANES],
            step: [0.0; LANES],
            k: [if start >= self.bump.l { 0.0 } else { -1.0 }; LANES],
            late: [if self.horizon == 0 {
                start
            } else {
                f64::NEG_INFINITY
            }; LANES],
        };
        let (n1, n2) = (correction1.len(), self.correction2.len());
        let mut t = 1;
        while t <= self.horizon {
            let (divide1, divide2) = (t < n1, t < n2);
            let mut end = self.horizon;
            for n in [n1, n2] {
                if n > t {
                    end = end.min(n - 1);
                }
            }
            let (b, p, c) = (&mut batch, params, correction1);
            match (divide1, divide2, self.denominators.as_deref()) {
                (true, _, Some(d)) => self.steps::<true, false, true>(b, p, c, d, t, end),
                (false, _, Some(d)) => self.steps::<false, false, true>(b, p, c, d, t, end),
                (true, true, None) => self.steps::<true, true, false>(b, p, c, &[], t, end),
                (true, false, None) => self.steps::<true, false, false>(b, p, c, &[], t, end),
                (false, true, None) => self.steps::<false, true, false>(b, p, c, &[], t, end),
                (false, false, None) => self.steps::<false, false, false>(b, p, c, &[], t, end),
            }
            t = end + 1;
        }
        batch
    }

    /// Steps `first..=last`, dividing by the corrections where `DIVIDE1`, `DIVIDE2` say;
    /// with `SHARED`, √v̂ + ε is read from `denominators` (see [`TallRuns::denominators`])
    /// instead of computed in every lane.
    // One index walks several arrays in step: the shape the compiler vectorizes.
    #[allow(clippy::needless_range_loop)]
    fn steps<const DIVIDE1: bool, const DIVIDE2: bool, const SHARED: bool>(
        &self,
        batch: &mut Batch,
        params: &Params,
        correction1: &[Lanes],
        denominators: &[f64],
        first: usize,
        last: usize,
    ) {
        let [below, at, above] = self.slopes;
        let l = self.bump.l;
        let (beta2, one_minus_beta2, epsilon) = (self.beta2, 1.0 - self.beta2, self.epsilon);
        // Index i of w holds the iterate of step i; the late peak is over w[n/2..] of n.
        let late_from = self.horizon.saturating_add(1) / 2;
        for t in first..=last {
            let c1 = if DIVIDE1 {
                correction1[t]
            } else {
                [1.0; LANES]
            };
            let c2 = if DIVIDE2 { self.correction2[t] } else { 1.0 };
            let shared = if SHARED {
                denominators[t.min(denominators.len() - 1)]
            } else {
                1.0
            };
            let tf = t as f64;
            let late = t >= late_from;
            // No branch on a lane's values: each choice is a select, so that the compiler
            // turns the lanes into vector operations.
            for i in 0..LANES {
                let w = batch.w[i];
                let g = if w < l { below } else { above };
                let g = if w == l { at } else { g };
                let m = params.beta1[i] * batch.m[i] + params.one_minus_beta1[i] * g;
                let m_hat = if DIVIDE1 { m / c1[i] } else { m };
                let denominator = if SHARED {
                    shared
                } else {
                    let v = beta2 * batch.v[i] + one_minus_beta2 * (g * g);
                    batch.v[i] = v;
                    let v_hat = if DIVIDE2 { v / c2 } else { v };
                    v_hat.sqrt() + epsilon
                };
                let next = w - params.alpha[i] * m_hat / denominator;
                batch.m[i] = m;
                batch.w[i] = next;
                let higher = next > batch.w_max[i];
                batch.w_max[i] = if higher { next } else { batch.w_max[i] };
                batch.step[i] = if higher { tf } else { batch.step[i] };
                let reached = batch.k[i] < 0.0 && next >= l;
                batch.k[i] = if reached { tf } else { batch.k[i] };
                let late_high = late && next > batch.late[i];
                batch.late[i] = if late_high { next } else { batch.late[i] };
            }
        }
    }
}

/// √v̂ + ε of Adam at steps 0 to `horizon` (index t; step 0 has none) when the squared slope
/// is `square` at every step, up to the step from which it no longer changes (no division
/// by 1 − β2^t is left and v is a fixed point). `None` if that takes more than a million
/// steps (the runs then compute it in every lane).
fn denominators(
    beta2: f64,
    epsilon: f64,
    square: f64,
    correction2: &[f64],
    horizon: usize,
) -> Option<Vec<f64>> {
    const LONGEST: usize = 1 << 20;
    let one_minus_beta2 = 1.0 - beta2;
    let mut out = vec![f64::NAN];
    let mut v = 0.0_f64;
    for t in 1..=horizon {
        // The lanes' expression, operation for operation.
        let next = beta2 * v + one_minus_beta2 * square;
        if t > correction2.len() && next.to_bits() == v.to_bits() {
            break;
        }
        v = next;
        let v_hat = if t < correction2.len() {
            v / correction2[t]
        } else {
            v
        };
        out.push(v_hat.sqrt() + epsilon);
        if out.len() > LONGEST {
            return None;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::landscape::KinkRule;
    use super::*;

    fn bits(s: &Result<Supremum, StepError>) -> Result<[u64; 6], StepError> {
        s.map(|s| {
            [
                s.w_max.to_bits(),
                s.step as u64,
                s.k as u64,
                s.h_max.to_bits(),
                s.late_peak.to_bits(),
                s.horizon as u64,
            ]
        })
    }

    /// Every lane of a batch against the scalar run of the same Adam.
    fn check(bump: &Bump, beta2: f64, epsilon: f64, horizon: usize, runs: &[(f64, f64)]) {
        let batch = TallRuns::new(bump, beta2, epsilon, horizon).unwrap();
        let got = batch.suprema(runs);
        assert_eq!(got.len(), runs.len());
        for (&(alpha, beta1), got) in runs.iter().zip(&got) {
            let want = supremum(Adam::new(alpha, beta1, beta2, epsilon), bump, horizon);
            assert_eq!(
                bits(got),
                bits(&want),
                "α {alpha}, β1 {beta1}, β2 {beta2}, ε {epsilon}, {horizon} steps, {bump:?}"
            );
        }
    }

    #[test]
    fn lanes_are_the_scalar_runs_bit_for_bit() {
        let assignment = Bump::assignment();
        let alphas = [0.3, 0.001, 0.05, 1.0, 0.7, 0.0123, 0.3, 0.9];
        let by_alpha: Vec<(f64, f64)> = alphas.iter().map(|&a| (a, 0.9)).collect();
        // β1 = 0 (no momentum: its correction is 1 from the first step) up to 0.99.
        let by_beta: Vec<(f64, f64)> = [0.0, 0.5, 0.9, 0.99, 0.3, 0.0, 0.999, 0.75]
            .iter()
            .map(|&b| (0.3, b))
            .collect();
        // The assignment's slopes are ±1: √v̂ + ε is shared by every run (and settles
        // within the horizon with β2 = 0.5); the uneven slopes below compute it per lane.
        for beta2 in [0.999, 0.5] {
            let runs = TallRuns::new(&assignment, beta2, 0.0, 3_001).unwrap();
            let shared = runs.denominators.as_ref().expect("shared denominators");
            assert_eq!(shared.len() < 3_002, beta2 == 0.5, "β2 {beta2}");
        }
        for horizon in [0, 1, 2, 7, 100, 3_001] {
            check(&assignment, 0.999, 0.0, horizon, &by_alpha);
            check(&assignment, 0.999, 0.0, horizon, &by_beta);
            // Short batches, other β2 (settling within the horizon or not) and ε.
            check(&assignment, 0.5, 1e-8, horizon, &by_beta[..3]);
            check(&assignment, 0.9, 0.0, horizon, &by_alpha[..1]);
        }
        // Other kink rules and a start at L (the kink's slope comes first): with min-norm
        // and ε = 0 the first step is 0/0, an error, which the batch reports as the run does.
        for kink in [KinkRule::Left, KinkRule::MinNorm] {
            for start in [0.0, 1.0] {
                let bump = Bump {
                    kink,
                    start,
                    ..assignment
                };
                check(&bump, 0.999, 0.0, 500, &by_alpha);
                check(&bump, 0.999, 1e-3, 500, &by_beta);
            }
        }
        // Uneven slopes; huge step sizes.
        let steep = Bump {
            descent_slope: -3.0,
            up_slope: 0.25,
            ..assignment
        };
        assert!(
            TallRuns::new(&steep, 0.999, 0.0, 10)
                .unwrap()
                .denominators
                .is_none()
        );
        check(&steep, 0.999, 0.0, 2_000, &by_alpha);
        let huge = [(0.3, 0.9), (1e308, 0.9), (f64::MAX, 0.0), (2.0, 0.5)];
        check(&assignment, 0.999, 0.0, 50, &huge);
        // Two steps of α = f64::MAX towards a far L overflow: that lane diverges (its run is
        // taken again alone), the other goes on in the batch.
        let far = Bump {
            start: -0.9 * f64::MAX,
            l: 0.9 * f64::MAX,
            ..assignment
        };
        let diverging = supremum(Adam::new(f64::MAX, 0.9, 0.999, 0.0), &far, 20).unwrap();
        assert_eq!((diverging.step, diverging.w_max), (2, f64::INFINITY));
        check(&far, 0.999, 0.0, 20, &[(f64::MAX, 0.9), (1.0, 0.9)]);
        assert!(
            TallRuns::new(&assignment, 0.999, 0.0, 5)
                .unwrap()
                .suprema(&[])
                .is_empty()
        );
    }
}
