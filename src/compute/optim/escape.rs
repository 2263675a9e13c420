//! The escape threshold by simulation: the supremum of the iterates under an infinitely tall
//! bump, and bisection on the bump height over full runs.
//!
//! Why one number decides everything: until an iterate first lies past the peak, a run on a
//! bump of height h sees exactly the slopes of the infinitely tall bump, so its iterates are
//! those of that run, whatever h is. A bump of height h is therefore escaped exactly when the
//! tall-bump iterates reach its peak `L + h/u`, and the heights that escape form the interval
//! from 0 up to `u·(sup_t w_t − L)`. Bisection does not assume this; it checks it.

use super::landscape::Bump;
use super::trajectory::{iterates, iterates_lanes};
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

/// [`supremum`] of `N` optimizers, their runs stepped in lockstep (faster; each result is
/// exactly the one `supremum` gives).
pub fn supremum_lanes<O: Optimizer, const N: usize>(
    mut optimizers: [O; N],
    bump: &Bump,
    horizon: usize,
) -> [Result<Supremum, StepError>; N] {
    let Some(tall) = bump.landscape(f64::INFINITY) else {
        return [Err(StepError::BadLandscape); N];
    };
    iterates_lanes(&mut optimizers, &tall, bump.start, horizon)
        .map(|run| run.map(|run| highest(&run.w, bump, horizon)))
}

/// The highest of the iterates `w` of a run on the tall bump, and what goes with it.
fn highest(w: &[f64], bump: &Bump, horizon: usize) -> Supremum {
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
        .fold(f64::NEG_INFINITY, f64::max);
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
    let mut escapes = |h: f64| -> Result<bool, StepError> {
        runs += 1;
        let peak = bump.peak(h);
        // A bump too low to separate its peak from L in f64 is no obstacle.
        let Some(landscape) = bump.landscape(h) else {
            return Ok(true);
        };
        let run = iterates(
            &mut make(),
            &landscape,
            Some(peak),
            bump.start,
            horizon,
            true,
        )?;
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
}
