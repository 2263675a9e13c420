//! The result of the Q2 study: what the chapter, its tables, its plots and `results --json`
//! read. Field names are part of the interface (DESIGN.md): add fields, never rename.

use super::adam::AdamStep;
use super::closed_form::ClosedForm;
use super::derivation::Derivation;
use super::escape::{Bisection, Supremum};
use super::exact::ExactThreshold;
use super::gd::GdStep;
use super::landscape::Bump;
use super::momentum::MomentumStep;
use super::settings::Question;
use super::sweep::{BiasCorrection, SweepPoint};
use super::trajectory::Run;
use crate::compute::Claim;
use serde::{Deserialize, Serialize};

/// The landscape as the chapter and the plots need it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The first step at or past L.
    pub k: usize,
    /// The lengths |w_t − w_{t−1}| of steps 1 … k.
    pub descent_steps: Vec<f64>,
    /// The step at which it crosses the peak of the plotted bump.
    pub escape_step: Option<usize>,
    /// The longest step |w_t − w_{t−1}| up to the escape (or over the run), and its step t.
    pub longest_step: f64,
    /// The step t of the longest step.
    pub longest_step_t: usize,
    /// The highest iterate under an infinitely tall bump, and its step.
    pub w_max: f64,
    /// The step of `w_max`.
    pub w_max_step: usize,
}

/// Adam on the bump and its escape threshold.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The closed form in exact rational arithmetic, when the settings are decimals and every
    /// √v̂ of the climb is rational.
    pub exact: Option<ExactThreshold>,
    /// Why there is no exact value, when there is none.
    pub exact_unavailable: Option<String>,
    /// The relative difference of the bisection's threshold from the exact one.
    pub bisection_vs_exact: Option<f64>,
    /// The relative difference of the supremum's threshold from the exact one.
    pub supremum_vs_exact: Option<f64>,
    /// Adam on a bump just above the threshold: the run that turns back.
    pub turning_back: TurningBack,
}

/// Adam on a bump slightly taller than h_max (h_max rounded up at its 4th significant digit).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurningBack {
    /// The bump height.
    pub h: f64,
    /// The run.
    pub run: Run<AdamStep>,
    /// Whether it escapes (it must not).
    pub escapes: bool,
    /// The first step whose iterate is lower than the one before (the turn).
    pub turn_step: Option<usize>,
}

/// Everything the Q2 chapter, its tables and plots use.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

impl StudyResult {
    /// The claims this study checks.
    pub fn claims(&self) -> Vec<Claim> {
        super::claims::claims(self)
    }
}
