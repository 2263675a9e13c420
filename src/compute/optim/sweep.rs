//! How the threshold moves: sweeps over α and β1, a small α against its large-t limit, and
//! Adam without bias correction.

use super::StepError;
use super::adam::AdamStep;
use super::closed_form::{AdamParams, adam_threshold};
use super::escape::supremum;
use super::landscape::Bump;
use super::settings::Settings;
use super::study::{adam_with, relative_difference};
use super::trajectory::simulate;
use rayon::prelude::*;
use serde::Serialize;

/// How close the closed form and the supremum must be for the first excursion to count as
/// the decisive one: looser than the 1e-12 agreement at the seed because runs of hundreds of
/// steps accumulate rounding, far tighter than any real difference between excursions.
const FIRST_EXCURSION_TOLERANCE: f64 = 1e-9;

/// The threshold at one point of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The swept parameter's value (α or β1).
    pub x: f64,
    /// The closed form (the first excursion's top).
    pub h_max_closed_form: f64,
    /// The supremum over the horizon under an infinitely tall bump.
    pub h_max_supremum: f64,
    /// The step of the highest iterate.
    pub decisive_step: usize,
    /// Whether the first excursion is the highest (then the closed form is the threshold).
    pub first_excursion_decisive: bool,
    /// Whether w_k lands exactly on L in exact arithmetic (see the closed form).
    pub tie: bool,
}

/// The small-α comparison and the run without bias correction.
#[derive(Debug, Clone, Serialize)]
pub struct BiasCorrection {
    /// The small step size.
    pub small_alpha: f64,
    /// Its threshold in closed form.
    pub small_h_max: f64,
    /// Its threshold as a supremum of simulated iterates.
    pub small_h_max_supremum: f64,
    /// Its number of steps before L.
    pub small_k: usize,
    /// Its number of climbing steps.
    pub small_n_climb: usize,
    /// How far its w_k lies past L.
    pub small_overshoot: f64,
    /// The limit of the climb per unit α as k → ∞ (momentum fully built up):
    /// Σ_{n=1}^{n∞} (s·β1^n − u(1 − β1^n)) / √(s²β2^n + u²(1 − β2^n)), which is 2·Σβ1^n − n∞ when s = u.
    pub coasting_limit: f64,
    /// n∞, the number of climbing steps in that limit.
    pub coasting_steps: usize,
    /// u·(overshoot + α·coasting_limit), the large-t prediction of the small-α threshold.
    pub small_h_max_limit: f64,
    /// Relative difference between the small-α threshold and its large-t prediction.
    pub small_relative_difference: f64,
    /// small_h_max / small_alpha.
    pub small_h_over_alpha: f64,
    /// The settings' h_max / α.
    pub h_over_alpha: f64,
    /// The settings' threshold without bias correction (supremum method).
    pub uncorrected_h_max: f64,
    /// The step of its highest iterate.
    pub uncorrected_decisive_step: usize,
    /// Its first steps on the tall bump, up to two past the decisive one (at most 30).
    pub uncorrected_steps: Vec<AdamStep>,
}

/// The coasting limit per unit α and its number of steps (see [`BiasCorrection`]).
pub fn coasting_limit(s: f64, u: f64, beta1: f64, beta2: f64, epsilon: f64) -> (f64, usize) {
    let mut total = 0.0;
    let mut n = 0;
    loop {
        let (b1, b2) = (beta1.powf(f64::from(n + 1)), beta2.powf(f64::from(n + 1)));
        let m = -s * b1 + u * (1.0 - b1);
        if m >= 0.0 || n >= 100_000 {
            return (total, n as usize);
        }
        total += -m / ((s * s * b2 + u * u * (1.0 - b2)).sqrt() + epsilon);
        n += 1;
    }
}

/// The small-α comparison and the uncorrected run.
pub fn bias_correction(settings: &Settings, bump: &Bump) -> Result<BiasCorrection, StepError> {
    let small_alpha = settings.sweep.small_alpha;
    let (beta1, beta2, epsilon) = (
        settings.adam.beta1,
        settings.adam.beta2,
        settings.adam.epsilon,
    );
    let small = adam_threshold(
        AdamParams {
            alpha: small_alpha,
            beta1,
            beta2,
            epsilon,
        },
        bump,
    );
    let small_sup = supremum(
        adam_with(settings, small_alpha, beta1),
        bump,
        settings.run.horizon,
    )?;
    let (s, u) = (-bump.descent_slope, bump.up_slope);
    let (coast, coasting_steps) = coasting_limit(s, u, beta1, beta2, epsilon);
    let overshoot = small.w_k - bump.l;
    let small_h_max_limit = u * (overshoot + small_alpha * coast);
    let alpha = settings.alpha();
    let seed = adam_threshold(
        AdamParams {
            alpha,
            beta1,
            beta2,
            epsilon,
        },
        bump,
    );
    let make = || adam_with(settings, alpha, beta1).without_bias_correction();
    let uncorrected = supremum(make(), bump, settings.run.horizon)?;
    let tall = bump
        .landscape(f64::INFINITY)
        .ok_or(StepError::BadLandscape)?;
    let shown = (uncorrected.step + 2).min(30);
    let uncorrected_steps = simulate(&mut make(), &tall, None, bump.start, shown, false)?.steps;
    Ok(BiasCorrection {
        small_alpha,
        small_h_max: small.h_max,
        small_h_max_supremum: small_sup.h_max,
        small_k: small.k,
        small_n_climb: small.n_climb,
        small_overshoot: overshoot,
        coasting_limit: coast,
        coasting_steps,
        small_h_max_limit,
        small_relative_difference: relative_difference(small.h_max, small_h_max_limit),
        small_h_over_alpha: small.h_max / small_alpha,
        h_over_alpha: seed.h_max / alpha,
        uncorrected_h_max: uncorrected.h_max,
        uncorrected_decisive_step: uncorrected.step,
        uncorrected_steps,
    })
}

/// The α sweep (log-spaced) and the β1 sweep (evenly spaced).
pub fn sweeps(
    settings: &Settings,
    bump: &Bump,
) -> Result<(Vec<SweepPoint>, Vec<SweepPoint>), StepError> {
    let w = &settings.sweep;
    let (lo, hi) = (w.alpha_min.ln(), w.alpha_max.ln());
    let alphas = grid(w.alpha_points, w.alpha_min, w.alpha_max, |f| {
        (lo + f * (hi - lo)).exp()
    });
    let betas = grid(w.beta1_points, w.beta1_min, w.beta1_max, |f| {
        w.beta1_min + f * (w.beta1_max - w.beta1_min)
    });
    let alpha = settings.alpha();
    let by_alpha = alphas
        .par_iter()
        .map(|&a| point(settings, bump, a, settings.adam.beta1, a))
        .collect::<Result<_, _>>()?;
    let by_beta = betas
        .par_iter()
        .map(|&b| point(settings, bump, alpha, b, b))
        .collect::<Result<_, _>>()?;
    Ok((by_alpha, by_beta))
}

/// `points` values from `first` to `last` (both exact) placed by `at(fraction)`.
fn grid(points: usize, first: f64, last: f64, at: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..points)
        .map(|i| match i {
            0 => first,
            i if i + 1 == points => last,
            i => at(i as f64 / (points - 1) as f64),
        })
        .collect()
}

fn point(
    settings: &Settings,
    bump: &Bump,
    alpha: f64,
    beta1: f64,
    x: f64,
) -> Result<SweepPoint, StepError> {
    let params = AdamParams {
        alpha,
        beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
    };
    let closed = adam_threshold(params, bump);
    let sup = supremum(
        adam_with(settings, alpha, beta1),
        bump,
        settings.run.horizon,
    )?;
    Ok(SweepPoint {
        x,
        h_max_closed_form: closed.h_max,
        h_max_supremum: sup.h_max,
        decisive_step: sup.step,
        first_excursion_decisive: relative_difference(closed.h_max, sup.h_max)
            <= FIRST_EXCURSION_TOLERANCE,
        tie: closed.tie,
    })
}
