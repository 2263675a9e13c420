//! How the threshold moves: sweeps over α and β1, a small α against its large-t limit, and
//! Adam without bias correction.

use super::StepError;
use super::adam::AdamStep;
use super::closed_form::{AdamParams, adam_threshold};
use super::escape::{Supremum, supremum};
use super::landscape::Bump;
use super::lanes::{LANES, TallRuns};
use super::settings::Settings;
use super::study::{adam_with, relative_difference};
use super::trajectory::simulate;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How close the closed form and the supremum must be for the first excursion to count as
/// the decisive one: looser than the 1e-12 agreement at the seed because runs of hundreds of
/// steps accumulate rounding, far tighter than any real difference between excursions.
const FIRST_EXCURSION_TOLERANCE: f64 = 1e-9;

/// The step count from which β1^k counts as negligible in the small-α example (β1 = 0.9
/// gives β1^100 ≈ 3e-5).
const SMALL_K: usize = 100;

/// Why the closed form and the simulation part at a sweep point, as computed from the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// They agree: the first excursion is the highest.
    Agree,
    /// The f64 run first reaches L at another step than the closed form's k: (L − w₀)/δ is
    /// within rounding of a whole number, and the rounding accumulated over the run decides on
    /// which side of the kink at L the iterate lands.
    KinkLanding,
    /// Both reach L at the same step, and a later oscillation rises above the first excursion.
    LaterOscillation,
    /// Neither (a claim fails if this ever happens).
    Unexplained,
}

/// The threshold at one point of a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Whether (L − w₀)/δ is a whole number up to rounding (see the closed form).
    pub tie: bool,
    /// (L − w₀)/δ in f64.
    pub quotient: f64,
    /// The closed form's first step at or past L.
    pub k: usize,
    /// The closed form's w_k − L.
    pub overshoot: f64,
    /// The simulated run's first step at or past L.
    pub k_simulated: usize,
    /// The closed form's last climbing step, k + N.
    pub first_excursion_end: usize,
    /// Why the closed form and the simulation part, if they do.
    pub cause: Cause,
}

/// A small step size of the α sweep whose w_k lands far past L: the threshold there is
/// u·((w_k − L) + c·α), not c·α.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SmallAlphaExample {
    /// The smallest k considered (β1^k negligible from there on).
    pub min_k: usize,
    /// α.
    pub alpha: f64,
    /// k.
    pub k: usize,
    /// (w_k − L)/α.
    pub overshoot_over_alpha: f64,
    /// h_max/α (the simulation's threshold).
    pub h_over_alpha: f64,
    /// u·((w_k − L) + c·α)/α, the large-k prediction per unit α.
    pub limit_over_alpha: f64,
    /// Relative difference between h_max and its prediction.
    pub relative_difference: f64,
}

/// The small-α comparison and the run without bias correction.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The overshoot of the small α, (w_k − L)/α.
    pub small_overshoot_over_alpha: f64,
    /// The α sweep's small step size (k ≥ 100, closed form and run agreeing) with the largest
    /// h_max/α, when the sweep ran.
    pub example: Option<SmallAlphaExample>,
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
        small_overshoot_over_alpha: overshoot / small_alpha,
        example: None,
    })
}

/// The small-α example from the α sweep: among points with k ≥ 100 (`SMALL_K`) where the closed
/// form is the threshold, the one with the largest h_max/α.
pub fn small_alpha_example(
    sweep: &[SweepPoint],
    bias: &BiasCorrection,
    bump: &Bump,
) -> Option<SmallAlphaExample> {
    let u = bump.up_slope;
    sweep
        .iter()
        .filter(|p| p.k >= SMALL_K && p.cause == Cause::Agree)
        .map(|p| {
            let limit = u * (p.overshoot + bias.coasting_limit * p.x);
            SmallAlphaExample {
                min_k: SMALL_K,
                alpha: p.x,
                k: p.k,
                overshoot_over_alpha: p.overshoot / p.x,
                h_over_alpha: p.h_max_supremum / p.x,
                limit_over_alpha: limit / p.x,
                relative_difference: relative_difference(p.h_max_supremum, limit),
            }
        })
        .max_by(|a, b| a.h_over_alpha.total_cmp(&b.h_over_alpha))
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
    let beta1 = settings.adam.beta1;
    let runs = TallRuns::new(
        bump,
        settings.adam.beta2,
        settings.adam.epsilon,
        settings.run.horizon,
    )?;
    let by_alpha = points(settings, bump, &runs, &alphas, |a| (a, beta1))?;
    let by_beta = points(settings, bump, &runs, &betas, |b| (alpha, b))?;
    Ok((by_alpha, by_beta))
}

/// The sweep points at `xs`, where `at(x)` gives (α, β1). Their runs go `LANES` at a time
/// ([`TallRuns`]), the batches in parallel; each point is the one its run alone gives.
fn points(
    settings: &Settings,
    bump: &Bump,
    runs: &TallRuns,
    xs: &[f64],
    at: impl Fn(f64) -> (f64, f64) + Sync,
) -> Result<Vec<SweepPoint>, StepError> {
    let groups: Vec<Vec<Result<SweepPoint, StepError>>> = xs
        .par_chunks(LANES)
        .map(|group| {
            let params: Vec<(f64, f64)> = group.iter().map(|&x| at(x)).collect();
            let sups = runs.suprema(&params);
            group
                .iter()
                .zip(params)
                .zip(sups)
                .map(|((&x, (a, b)), sup)| point_from(settings, bump, a, b, x, sup?))
                .collect()
        })
        .collect();
    groups.into_iter().flatten().collect()
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

/// The sweep point at `x` for Adam with `alpha` and `beta1`, given its run's supremum `sup`.
fn point_from(
    settings: &Settings,
    bump: &Bump,
    alpha: f64,
    beta1: f64,
    x: f64,
    sup: Supremum,
) -> Result<SweepPoint, StepError> {
    let params = AdamParams {
        alpha,
        beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
    };
    let closed = adam_threshold(params, bump);
    let agree = relative_difference(closed.h_max, sup.h_max) <= FIRST_EXCURSION_TOLERANCE;
    let first_excursion_end = closed.k.saturating_add(closed.n_climb);
    let cause = if agree {
        Cause::Agree
    } else if sup.k != closed.k {
        Cause::KinkLanding
    } else if sup.step > first_excursion_end {
        Cause::LaterOscillation
    } else {
        Cause::Unexplained
    };
    Ok(SweepPoint {
        x,
        h_max_closed_form: closed.h_max,
        h_max_supremum: sup.h_max,
        decisive_step: sup.step,
        first_excursion_decisive: agree,
        tie: closed.tie,
        quotient: closed.quotient,
        k: closed.k,
        overshoot: closed.w_k - bump.l,
        k_simulated: sup.k,
        first_excursion_end,
        cause,
    })
}
