//! The Q2 study: every run, threshold and sweep the chapter uses, from one settings file.

use super::StepError;
use super::adam::{Adam, AdamStep};
use super::closed_form::{AdamParams, ClosedForm, adam_threshold};
use super::derivation::{Derivation, derive};
use super::escape::{Bisection, Supremum, bisect, supremum};
use super::gd::{GdStep, GradientDescent};
use super::landscape::Bump;
use super::momentum::{Momentum, MomentumStep};
use super::settings::{Question, Settings};
use super::trajectory::{Run, Verdict, simulate};
use crate::compute::Claim;
use serde::Serialize;

pub use super::sweep::{BiasCorrection, SweepPoint};

/// The landscape as the chapter and the plots need it.
#[derive(Debug, Clone, Serialize)]
pub struct LandscapeResult {
    /// The bump's settings (start, L, slopes, kink rule).
    #[serde(flatten)]
    pub bump: Bump,
    /// The bump height of the runs.
    pub h: f64,
    /// The top of the bump, L + h/u.
    pub peak: f64,
    /// The right foot of the bump.
    pub end: f64,
    /// The kink rule in words.
    pub kink_rule: String,
    /// Where the tail slope comes from.
    pub tail_reading: String,
    /// f'(w) as LaTeX (a `cases` block), kink rule included.
    pub slope_cases: String,
    /// The loss as a polyline `[w, f(w)]` from the start to half the run-up past the bump.
    pub curve: Vec<[f64; 2]>,
}

/// Plain gradient descent on the bump.
#[derive(Debug, Clone, Serialize)]
pub struct GdResult {
    /// The learning rate.
    pub a: f64,
    /// The run: iterates `w`, losses `f`, `steps` and `verdict`.
    #[serde(flatten)]
    pub run: Run<GdStep>,
    /// Whether it never crosses the peak.
    pub stuck: bool,
    /// The cycle it settles into (empty if none).
    pub cycle: Vec<f64>,
    /// The first step at or past L.
    pub k: usize,
    /// Its iterate.
    pub w_k: f64,
    /// The largest bump it escapes, u·(w_k − L) in the 2-cycle case (supremum method).
    pub h_max: Option<f64>,
    /// Whether it is stuck for every h > a (that is, `h_max` ≤ a).
    pub stuck_for_every_h_above_a: Option<bool>,
}

/// Momentum SGD on the bump.
#[derive(Debug, Clone, Serialize)]
pub struct MomentumResult {
    /// The learning rate.
    pub a: f64,
    /// The momentum factor.
    pub mu: f64,
    /// The run.
    #[serde(flatten)]
    pub run: Run<MomentumStep>,
    /// Whether it crosses the peak.
    pub escapes: bool,
    /// The largest bump it escapes (supremum method).
    pub h_max: f64,
}

/// Adam on the bump and its escape threshold.
#[derive(Debug, Clone, Serialize)]
pub struct AdamResult {
    /// α.
    pub alpha: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε.
    pub epsilon: f64,
    /// The run: iterates `w`, losses `f`, `steps` (t, g, m, v, m_hat, v_hat, w), `verdict`.
    #[serde(flatten)]
    pub run: Run<AdamStep>,
    /// Whether it escapes the bump of the settings.
    pub escapes: bool,
    /// The step at which it crosses the peak.
    pub escape_step: Option<usize>,
    /// The threshold (the supremum method's value).
    pub h_max: Option<f64>,
    /// The details of the threshold, when asked.
    #[serde(flatten)]
    pub threshold: Option<Threshold>,
}

/// Adam's escape threshold three ways.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    /// (a) closed form.
    pub h_max_closed_form: f64,
    /// (b) bisection over full runs (the largest height found to escape).
    pub h_max_bisection: f64,
    /// (c) supremum of the iterates under an infinitely tall bump.
    pub h_max_supremum: f64,
    /// The largest relative difference between the three.
    pub max_relative_difference: f64,
    /// Whether a bump of exactly `h_max` is escaped (the kink rule at the peak decides).
    pub h_max_attained: bool,
    /// The step of the decisive overshoot.
    pub decisive_step: usize,
    /// The iterate there.
    pub decisive_w: f64,
    /// The closed form's intermediate quantities.
    pub closed_form: ClosedForm,
    /// The bisection's bracket.
    pub bisection: Bisection,
    /// The tall-bump run's summary.
    pub supremum: Supremum,
    /// The derivation as LaTeX with the numbers filled in.
    pub derivation: Derivation,
}

/// Everything the Q2 chapter, its tables and plots use.
#[derive(Debug, Clone, Serialize)]
pub struct StudyResult {
    /// The questions answered.
    pub questions: Vec<Question>,
    /// The landscape.
    pub landscape: Box<LandscapeResult>,
    /// Gradient descent.
    pub gd: Box<GdResult>,
    /// Adam.
    pub adam: Box<AdamResult>,
    /// Momentum SGD, when asked.
    pub momentum: Option<Box<MomentumResult>>,
    /// Small α and no bias correction, when asked.
    pub bias_correction: Option<Box<BiasCorrection>>,
    /// The threshold against α (log-spaced), when asked.
    pub sweep_alpha: Vec<SweepPoint>,
    /// The threshold against β1, when asked.
    pub sweep_beta1: Vec<SweepPoint>,
}

/// Relative difference |a − b| / max(|a|, |b|), 0 when both are 0.
pub fn relative_difference(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// Adam with the settings' hyper-parameters and step size `alpha`, `beta1`.
pub(super) fn adam_with(settings: &Settings, alpha: f64, beta1: f64) -> Adam {
    Adam::new(alpha, beta1, settings.adam.beta2, settings.adam.epsilon)
}

/// Run the whole study.
pub fn run(settings: &Settings) -> Result<StudyResult, StepError> {
    let bump = settings.bump();
    let h = settings.landscape.h;
    let landscape = bump.landscape(h).ok_or(StepError::BadLandscape)?;
    let peak = bump.peak(h);
    let (steps, horizon) = (settings.run.steps, settings.run.horizon);
    let alpha = settings.alpha();

    let gd_run = simulate(
        &mut GradientDescent { a: settings.gd.a },
        &landscape,
        Some(peak),
        bump.start,
        steps,
        false,
    )?;
    let k = gd_run
        .w
        .iter()
        .position(|&w| w >= bump.l)
        .unwrap_or(gd_run.w.len() - 1);
    let (stuck, cycle) = match &gd_run.verdict {
        Verdict::Stuck { cycle, .. } => (true, cycle.clone()),
        Verdict::Converged { .. } => (true, Vec::new()),
        _ => (false, Vec::new()),
    };
    let gd_h_max = if settings.asks(Question::GdStuck) {
        Some(supremum(GradientDescent { a: settings.gd.a }, &bump, horizon)?.h_max)
    } else {
        None
    };
    let gd = GdResult {
        a: settings.gd.a,
        w_k: gd_run.w[k],
        run: gd_run,
        stuck,
        cycle,
        k,
        h_max: gd_h_max,
        stuck_for_every_h_above_a: gd_h_max.map(|x| x <= settings.gd.a),
    };

    let adam_run = simulate(
        &mut adam_with(settings, alpha, settings.adam.beta1),
        &landscape,
        Some(peak),
        bump.start,
        steps,
        false,
    )?;
    let escape_step = match adam_run.verdict {
        Verdict::Escaped { step } => Some(step),
        _ => None,
    };
    let threshold = if settings.asks(Question::AdamThreshold) {
        Some(threshold(settings, &bump)?)
    } else {
        None
    };
    let adam = AdamResult {
        alpha,
        beta1: settings.adam.beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
        run: adam_run,
        escapes: escape_step.is_some(),
        escape_step,
        h_max: threshold.as_ref().map(|t| t.h_max_supremum),
        threshold,
    };

    let momentum = if settings.asks(Question::Momentum) {
        let make = || Momentum::new(settings.momentum_a(), settings.momentum.mu);
        let run = simulate(
            &mut make(),
            &landscape,
            Some(peak),
            bump.start,
            steps,
            false,
        )?;
        let h_max = supremum(make(), &bump, horizon)?.h_max;
        let escapes = matches!(run.verdict, Verdict::Escaped { .. });
        Some(MomentumResult {
            a: settings.momentum_a(),
            mu: settings.momentum.mu,
            run,
            escapes,
            h_max,
        })
    } else {
        None
    };
    let bias_correction = if settings.asks(Question::BiasCorrection) {
        Some(super::sweep::bias_correction(settings, &bump)?)
    } else {
        None
    };
    let (sweep_alpha, sweep_beta1) = if settings.asks(Question::Sweeps) {
        super::sweep::sweeps(settings, &bump)?
    } else {
        (Vec::new(), Vec::new())
    };
    let landscape = LandscapeResult {
        bump,
        h,
        peak,
        end: bump.end(h),
        kink_rule: bump.kink.describe().to_string(),
        tail_reading: settings.landscape.tail_reading.clone(),
        curve: curve(&bump, h),
        slope_cases: super::derivation::slope_cases(&bump),
    };
    // Boxed so that an `Outcome` stays small whichever computation it holds.
    Ok(StudyResult {
        questions: settings.questions.clone(),
        landscape: Box::new(landscape),
        gd: Box::new(gd),
        adam: Box::new(adam),
        momentum: momentum.map(Box::new),
        bias_correction: bias_correction.map(Box::new),
        sweep_alpha,
        sweep_beta1,
    })
}

/// The loss's vertices from the start to `end + (end − start)/2`.
fn curve(bump: &Bump, h: f64) -> Vec<[f64; 2]> {
    let end = bump.end(h);
    let last = end + (end - bump.start) / 2.0;
    let tail = bump.tail_slope * (last - end);
    vec![
        [bump.start, -bump.descent_slope * (bump.l - bump.start)],
        [bump.l, 0.0],
        [bump.peak(h), h],
        [end, 0.0],
        [last, tail],
    ]
}

/// The threshold three ways, for the settings' Adam.
fn threshold(settings: &Settings, bump: &Bump) -> Result<Threshold, StepError> {
    let (alpha, beta1) = (settings.alpha(), settings.adam.beta1);
    let params = AdamParams {
        alpha,
        beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
    };
    let horizon = settings.run.horizon;
    let closed_form = adam_threshold(params, bump);
    let (sup, bisection) = rayon::join(
        || supremum(adam_with(settings, alpha, beta1), bump, horizon),
        || bisect(|| adam_with(settings, alpha, beta1), bump, horizon),
    );
    let (sup, bisection) = (sup?, bisection?);
    let attained = escapes_at(settings, bump, sup.h_max);
    let values = [closed_form.h_max, bisection.h_escapes, sup.h_max];
    let max_relative_difference = values
        .iter()
        .flat_map(|a| values.iter().map(move |b| relative_difference(*a, *b)))
        .fold(0.0, f64::max);
    let derivation = derive(params, bump, &closed_form);
    Ok(Threshold {
        h_max_closed_form: closed_form.h_max,
        h_max_bisection: bisection.h_escapes,
        h_max_supremum: sup.h_max,
        max_relative_difference,
        h_max_attained: attained?,
        decisive_step: sup.step,
        decisive_w: sup.w_max,
        closed_form,
        bisection,
        supremum: sup,
        derivation,
    })
}

/// Whether the settings' Adam escapes a bump of height `h` within the horizon.
fn escapes_at(settings: &Settings, bump: &Bump, h: f64) -> Result<bool, StepError> {
    let Some(landscape) = bump.landscape(h) else {
        return Ok(true);
    };
    let mut adam = adam_with(settings, settings.alpha(), settings.adam.beta1);
    let run = simulate(
        &mut adam,
        &landscape,
        Some(bump.peak(h)),
        bump.start,
        settings.run.horizon,
        true,
    )?;
    Ok(matches!(run.verdict, Verdict::Escaped { .. }))
}

impl StudyResult {
    /// The claims this study checks.
    pub fn claims(&self) -> Vec<Claim> {
        super::claims::claims(self)
    }
}
