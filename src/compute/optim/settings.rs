//! The optimizer study file (`kind = "optimizer"`): parsing and validation with spans.

use super::landscape::{Bump, KinkRule};
use crate::compute::toml_error;
use crate::diag::SpanError;
use serde::{Deserialize, Serialize};
use std::ops::Range;

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
    /// Steps of every run behind the threshold (bisection, supremum), 1 … 1000000.
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

/// Parse and validate a study file.
pub fn parse(source: &str) -> Result<Settings, SpanError> {
    let settings: Settings = toml::from_str(source).map_err(toml_error)?;
    validate(&settings, source)?;
    Ok(settings)
}

/// The byte range of the value at `path` (`["adam", "beta1"]`), or of the nearest table.
pub fn span_of(source: &str, path: &[&str]) -> Range<usize> {
    let Ok(root) = toml::de::DeTable::parse(source) else {
        return 0..0;
    };
    let mut span = 0..0;
    let mut table = Some(root.get_ref());
    for key in path {
        let Some(entry) = table.and_then(|t| t.get(*key)) else {
            break;
        };
        span = entry.span();
        table = match entry.get_ref() {
            toml::de::DeValue::Table(inner) => Some(inner),
            _ => None,
        };
    }
    span
}

fn validate(s: &Settings, source: &str) -> Result<(), SpanError> {
    let fail = |path: &[&str], rule: &str, value: String| {
        let key = path.join(".");
        Err(SpanError::new(
            span_of(source, path),
            format!("`{key}` = {value} is out of range: {rule}"),
        ))
    };
    let check = |path: &[&str], x: f64, ok: bool, rule: &str| {
        if ok && x.is_finite() {
            Ok(())
        } else {
            fail(path, rule, x.to_string())
        }
    };
    if s.kind != "optimizer" {
        return Err(SpanError::new(
            span_of(source, &["kind"]),
            "`kind` must be \"optimizer\"",
        ));
    }
    let l = &s.landscape;
    check(
        &["landscape", "start"],
        l.start,
        true,
        "it must be a finite number",
    )?;
    check(
        &["landscape", "l"],
        l.l,
        l.l > l.start,
        "L must lie right of `landscape.start`",
    )?;
    check(
        &["landscape", "h"],
        l.h,
        l.h > 0.0,
        "the bump height must be > 0",
    )?;
    check(
        &["landscape", "descent-slope"],
        l.descent_slope,
        l.descent_slope < 0.0,
        "it must be < 0 (the loss descends to 'x')",
    )?;
    check(
        &["landscape", "bump-up-slope"],
        l.bump_up_slope,
        l.bump_up_slope > 0.0,
        "it must be > 0",
    )?;
    check(
        &["landscape", "bump-down-slope"],
        l.bump_down_slope,
        l.bump_down_slope < 0.0,
        "it must be < 0",
    )?;
    check(
        &["landscape", "tail-slope"],
        l.tail_slope,
        l.tail_slope <= 0.0,
        "it must be ≤ 0 (the loss keeps descending after the bump)",
    )?;
    check(
        &["gd", "a"],
        s.gd.a,
        s.gd.a > 0.0,
        "the learning rate must be > 0",
    )?;
    if let Some(a) = s.momentum.a {
        check(
            &["momentum", "a"],
            a,
            a > 0.0,
            "the learning rate must be > 0",
        )?;
    }
    check(
        &["momentum", "mu"],
        s.momentum.mu,
        (0.0..1.0).contains(&s.momentum.mu),
        "μ must be in [0, 1)",
    )?;
    if let Some(alpha) = s.adam.alpha {
        check(&["adam", "alpha"], alpha, alpha > 0.0, "α must be > 0")?;
    }
    check(
        &["adam", "beta1"],
        s.adam.beta1,
        (0.0..1.0).contains(&s.adam.beta1),
        "β1 must be in [0, 1)",
    )?;
    check(
        &["adam", "beta2"],
        s.adam.beta2,
        (0.0..1.0).contains(&s.adam.beta2),
        "β2 must be in [0, 1)",
    )?;
    check(
        &["adam", "epsilon"],
        s.adam.epsilon,
        s.adam.epsilon >= 0.0,
        "ε must be ≥ 0",
    )?;
    let r = &s.run;
    if !(1..=100_000).contains(&r.steps) {
        return fail(
            &["run", "steps"],
            "it must be in 1 … 100000",
            r.steps.to_string(),
        );
    }
    if !(1..=1_000_000).contains(&r.horizon) {
        return fail(
            &["run", "horizon"],
            "it must be in 1 … 1000000",
            r.horizon.to_string(),
        );
    }
    let w = &s.sweep;
    check(
        &["sweep", "alpha-min"],
        w.alpha_min,
        w.alpha_min > 0.0,
        "it must be > 0",
    )?;
    check(
        &["sweep", "alpha-max"],
        w.alpha_max,
        w.alpha_max > w.alpha_min,
        "it must exceed `sweep.alpha-min`",
    )?;
    check(
        &["sweep", "beta1-min"],
        w.beta1_min,
        (0.0..1.0).contains(&w.beta1_min),
        "β1 must be in [0, 1)",
    )?;
    let ok = w.beta1_max > w.beta1_min && w.beta1_max < 1.0;
    check(
        &["sweep", "beta1-max"],
        w.beta1_max,
        ok,
        "it must exceed `sweep.beta1-min` and be < 1",
    )?;
    for (key, points) in [
        ("alpha-points", w.alpha_points),
        ("beta1-points", w.beta1_points),
    ] {
        if !(2..=1000).contains(&points) {
            return fail(
                &["sweep", key],
                "it must be in 2 … 1000",
                points.to_string(),
            );
        }
    }
    check(
        &["sweep", "small-alpha"],
        w.small_alpha,
        w.small_alpha > 0.0,
        "it must be > 0",
    )
}
