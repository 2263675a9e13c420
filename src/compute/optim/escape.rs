//! The escape threshold by simulation: the supremum of the iterates under an infinitely tall
//! bump, and bisection on the bump height over full runs.
//!
//! Why one number decides everything: until an iterate first lies past the peak, a run on a
//! bump of height h sees exactly the slopes of the infinitely tall bump, so its iterates are
//! those of that run, whatever h is. A bump of height h is therefore escaped exactly when the
//! tall-bump iterates reach its peak `L + h/u`, and the heights that escape form the interval
//! from 0 up to `u·(sup_t w_t − L)`. Bisection does not assume this; it checks it.
//!
//! What bisection does use: a step depends only on the optimizer's state, the step number,
//! the iterate and the slope there. So a probe whose landscape gives, at every iterate of an
//! earlier probe that ran its whole horizon, the same slope bit for bit takes exactly that
//! probe's steps, and is replayed from them instead of run; where a slope
//! differs, the probe is run.

use super::landscape::Bump;
use super::landscape::Landscape;
use super::trajectory::{iterates, past_peak};
use super::{Optimizer, StepError};
use serde::{Deserialize, Serialize};

/// The highest point the iterates reach under an infinitely tall bump.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Supremum {
    /// The highest iterate.
    pub w_max: f64,
    /// The first step that reaches it (the decisive overshoot).
    pub step: usize,
    /// The first step whose iterate is at or past L (0 if none is).
    pub k: usize,
    /// The largest bump height this escapes: `u·(w_max − L)`, at least 0.
    pub h_max: f64,
    /// The highest iterate over the second half of the horizon (how far below `w_max` the
    /// oscillation settles).
    pub late_peak: f64,
    /// How many steps were run.
    pub horizon: usize,
}

/// Run on the infinitely tall bump and take the highest iterate.
pub fn supremum<O: Optimizer>(
    mut optimizer: O,
    bump: &Bump,
    horizon: usize,
) -> Result<Supremum, StepError> {
    let Some(tall) = bump.landscape(f64::INFINITY) else {
        return Err(StepError::BadLandscape);
    };
    let run = iterates(&mut optimizer, &tall, None, bump.start, horizon, false)?;
    Ok(highest(&run.w, bump, horizon))
}

/// The highest of the iterates `w` of a run on the tall bump, and what goes with it.
/// (`lanes` finds the same figures as it steps; a tie between the latest and an earlier
/// highest keeps the earlier one, in both.)
pub(super) fn highest(w: &[f64], bump: &Bump, horizon: usize) -> Supremum {
    let (step, w_max) =
        w.iter()
            .copied()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |best, (i, w)| {
                if w > best.1 { (i, w) } else { best }
            });
    let late_peak = w[w.len() / 2..]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, |high, w| if w > high { w } else { high });
    let h_max = (bump.up_slope * (w_max - bump.l)).max(0.0);
    let k = w.iter().position(|&w| w >= bump.l).unwrap_or(0);
    Supremum {
        w_max,
        step,
        k,
        h_max,
        late_peak,
        horizon,
    }
}

/// The escape threshold found by bisection on the bump height over full runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bisection {
    /// The largest height found to escape (0 when none does).
    pub h_escapes: f64,
    /// The smallest height found to stay stuck: the next f64 above `h_escapes`.
    pub h_stuck: f64,
    /// How many full runs the bisection took.
    pub runs: usize,
    /// Whether spot checks inside both sides agreed with an interval (0, h] of escapes.
    pub interval: bool,
}

/// Bisect on h: each probe is a full run of `horizon` steps on a bump of height h.
pub fn bisect<O: Optimizer>(
    make: impl Fn() -> O,
    bump: &Bump,
    horizon: usize,
) -> Result<Bisection, StepError> {
    let mut runs = 0;
    let mut replay: Option<Replay> = None;
    let mut escapes = |h: f64| -> Result<bool, StepError> {
        runs += 1;
        let peak = bump.peak(h);
        // A bump too low to separate its peak from L in f64 is no obstacle.
        let Some(landscape) = bump.landscape(h) else {
            return Ok(true);
        };
        if let Some(escaped) = replay.as_ref().and_then(|r| r.escapes(&landscape, peak)) {
            return Ok(escaped);
        }
        let run = iterates(
            &mut make(),
            &landscape,
            Some(peak),
            bump.start,
            horizon,
            true,
        )?;
        if replay.is_none() && run.escaped.is_none() && run.diverged.is_none() {
            replay = Some(Replay::new(run.w, &landscape));
        }
        Ok(run.diverged.is_none() && run.escaped.is_some())
    };
    let (mut lo, mut hi) = (0.0, 1.0);
    while escapes(hi)? {
        lo = hi;
        hi *= 2.0;
        if !hi.is_finite() {
            return Err(StepError::NoThreshold);
        }
    }
    loop {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if escapes(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let mut interval = true;
    for i in 1..=7 {
        let fraction = f64::from(i) / 8.0;
        interval &= lo == 0.0 || escapes(lo * fraction)?;
        interval &= !escapes(hi * (1.0 + fraction))?;
    }
    Ok(Bisection {
        h_escapes: lo,
        h_stuck: hi,
        runs,
        interval,
    })
}

/// A probe that ran its whole horizon without escaping or diverging: its iterates and the
/// slope each step saw.
struct Replay {
    w: Vec<f64>,
    slopes: Vec<f64>,
}

impl Replay {
    /// The probe with iterates `w` on `landscape`.
    fn new(w: Vec<f64>, landscape: &Landscape) -> Replay {
        let slopes = w[..w.len() - 1]
            .iter()
            .map(|&x| landscape.slope(x))
            .collect();
        Replay { w, slopes }
    }

    /// Whether a probe on `landscape` (peak at `peak`, stopping at an escape) escapes, when it
    /// takes the recorded steps as far as it goes: it sees the recorded slope at every iterate
    /// before its escape, or at every one if it never escapes. `None` when a slope differs.
    fn escapes(&self, landscape: &Landscape, peak: f64) -> Option<bool> {
        for (i, &slope) in self.slopes.iter().enumerate() {
            if landscape.slope(self.w[i]).to_bits() != slope.to_bits() {
                return None;
            }
            // The recorded iterates are finite: the probe cannot diverge here.
            if past_peak(landscape, peak, self.w[i + 1]) {
                return Some(true);
            }
        }
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::gd::GradientDescent;
    use super::*;

    fn bump() -> Bump {
        Bump::assignment()
    }

    #[test]
    fn gradient_descent_threshold_is_its_first_overshoot() {
        // GD reaches w₄ = 4·0.3 (in f64 arithmetic), then cycles: the threshold is w₄ − L.
        let w4 = 0.3 + 0.3 + 0.3 + 0.3;
        let sup = supremum(GradientDescent { a: 0.3 }, &bump(), 200).unwrap();
        assert_eq!((sup.step, sup.w_max, sup.h_max), (4, w4, w4 - 1.0));
        let bis = bisect(|| GradientDescent { a: 0.3 }, &bump(), 200).unwrap();
        assert!(bis.interval);
        assert!((bis.h_escapes - (w4 - 1.0)).abs() <= 1e-15);
        assert_eq!(bis.h_stuck, bis.h_escapes.next_up());
    }

    #[test]
    fn replayed_probes_are_the_probes_run() {
        use super::super::adam::Adam;
        use super::super::landscape::KinkRule;
        let horizon = 3_000;
        let run = |make: &dyn Fn() -> Adam, bump: &Bump, h: f64| {
            let landscape = bump.landscape(h).unwrap();
            let peak = bump.peak(h);
            iterates(
                &mut make(),
                &landscape,
                Some(peak),
                bump.start,
                horizon,
                true,
            )
            .map(|r| r.diverged.is_none() && r.escaped.is_some())
        };
        for kink in [KinkRule::Right, KinkRule::Left, KinkRule::MinNorm] {
            // β1 = 0, the assignment's Adam, and a step size so large it overflows.
            for (alpha, beta1) in [(0.3, 0.0), (0.3, 0.9), (0.05, 0.99), (1e300, 0.9)] {
                let bump = Bump { kink, ..bump() };
                let make = || Adam::new(alpha, beta1, 0.999, 0.0);
                let sup = supremum(make(), &bump, horizon).unwrap();
                // The reference probe: a bump taller than anything reached.
                let tall = (sup.h_max * 2.0).max(1.0);
                let landscape = bump.landscape(tall).unwrap();
                let path = iterates(
                    &mut make(),
                    &landscape,
                    Some(bump.peak(tall)),
                    0.0,
                    horizon,
                    true,
                )
                .unwrap();
                if path.diverged.is_some() {
                    continue;
                }
                assert_eq!(path.escaped, None);
                let replay = Replay::new(path.w.clone(), &landscape);
                // Heights around the threshold, heights whose peak is an iterate exactly
                // (the kink rule at the peak decides), and far above and below.
                let mut heights = vec![sup.h_max, sup.h_max.next_up(), sup.h_max.next_down()];
                heights.extend(path.w.iter().take(40).map(|&w| w - bump.l));
                heights.extend([1e-3, 0.1, 0.4, 0.41, 2.0, tall]);
                let mut replayed = 0;
                for h in heights
                    .into_iter()
                    .filter(|&h| h > 0.0 && bump.landscape(h).is_some())
                {
                    let landscape = bump.landscape(h).unwrap();
                    if let Some(escaped) = replay.escapes(&landscape, bump.peak(h)) {
                        replayed += 1;
                        assert_eq!(
                            Ok(escaped),
                            run(&make, &bump, h),
                            "{kink:?} α {alpha} β1 {beta1} h {h}"
                        );
                    }
                }
                assert!(replayed > 5, "most probes replay ({replayed})");
            }
        }
    }
}
