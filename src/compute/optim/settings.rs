//! The optimizer study file (`kind = "optimizer"`): its settings, one struct per table.

use super::landscape::{Bump, KinkRule};
use serde::{Deserialize, Serialize};

/// The whole study file. Every number lives here; nothing has a default in the code.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// Always `"optimizer"`.
    pub kind: String,
    /// Which questions to answer.
    pub questions: Vec<Question>,
    /// The loss.
    pub landscape: LandscapeSettings,
    /// Plain gradient descent.
    pub gd: GdSettings,
    /// SGD with momentum, for contrast.
    pub momentum: MomentumSettings,
    /// Adam.
    pub adam: AdamSettings,
    /// How long to run.
    pub run: RunSettings,
    /// The sweeps over α and β1.
    pub sweep: SweepSettings,
}

/// A question the study can answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Question {
    /// Q2.1: does gradient descent get stuck at 'x'?
    GdStuck,
    /// Q2.2: the largest bump height Adam escapes.
    AdamThreshold,
    /// How the threshold moves with α and β1.
    Sweeps,
    /// The threshold at a small α against its large-t limit, and without bias correction.
    BiasCorrection,
    /// Momentum SGD on the same landscape.
    Momentum,
}

/// The piecewise-linear loss of Q2.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LandscapeSettings {
    /// Where the optimizers start ('o').
    pub start: f64,
    /// The local minimum 'x'.
    pub l: f64,
    /// The bump height used for the runs and plots (the threshold question varies it).
    pub h: f64,
    /// Slope before L (< 0).
    pub descent_slope: f64,
    /// Slope of the bump's rising side (> 0).
    pub bump_up_slope: f64,
    /// Slope of the bump's falling side (< 0).
    pub bump_down_slope: f64,
    /// Slope after the bump (≤ 0): the reading of the lost figure.
    pub tail_slope: f64,
    /// Where that reading comes from, in words.
    pub tail_reading: String,
    /// Which slope applies exactly at a kink.
    pub kink: KinkRule,
}

/// Gradient descent.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GdSettings {
    /// The learning rate a (> 0).
    pub a: f64,
}

/// Momentum SGD.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MomentumSettings {
    /// The learning rate; absent means `gd.a`.
    pub a: Option<f64>,
    /// The momentum factor μ, in [0, 1).
    pub mu: f64,
}

/// Adam (Algorithm 1).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AdamSettings {
    /// The step size α; absent means `gd.a` (the assignment sets α = a).
    pub alpha: Option<f64>,
    /// β1, in [0, 1).
    pub beta1: f64,
    /// β2, in [0, 1).
    pub beta2: f64,
    /// ε ≥ 0.
    pub epsilon: f64,
}

/// Run lengths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunSettings {
    /// Steps of each optimizer in the tables and plots, 1 … 100000.
    pub steps: usize,
    /// Steps of every run behind the threshold (bisection, supremum), 1 … 100000.
    pub horizon: usize,
}

/// The sweeps and the small-α comparison.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SweepSettings {
    /// Smallest α of the (logarithmic) α sweep, > 0.
    pub alpha_min: f64,
    /// Largest α, above `alpha-min`.
    pub alpha_max: f64,
    /// Points in the α sweep, 2 … 1000.
    pub alpha_points: usize,
    /// Smallest β1 of the β1 sweep, in [0, 1).
    pub beta1_min: f64,
    /// Largest β1, above `beta1-min` and below 1.
    pub beta1_max: f64,
    /// Points in the β1 sweep, 2 … 1000.
    pub beta1_points: usize,
    /// The small step size compared with the assignment's (> 0).
    pub small_alpha: f64,
}

impl Settings {
    /// The landscape as a [`Bump`].
    pub fn bump(&self) -> Bump {
        let l = &self.landscape;
        Bump {
            start: l.start,
            l: l.l,
            descent_slope: l.descent_slope,
            up_slope: l.bump_up_slope,
            down_slope: l.bump_down_slope,
            tail_slope: l.tail_slope,
            kink: l.kink,
        }
    }

    /// Adam's step size: `adam.alpha`, or `gd.a` when absent.
    pub fn alpha(&self) -> f64 {
        self.adam.alpha.unwrap_or(self.gd.a)
    }

    /// Momentum's learning rate: `momentum.a`, or `gd.a` when absent.
    pub fn momentum_a(&self) -> f64 {
        self.momentum.a.unwrap_or(self.gd.a)
    }

    /// Whether the study answers `question`.
    pub fn asks(&self, question: Question) -> bool {
        self.questions.contains(&question)
    }
}
