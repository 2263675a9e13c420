//! Optimizers on 1-D piecewise-linear landscapes (Q2), and Adam's escape threshold.
//!
//! [`run`] parses a study file ([`settings`]), runs gradient descent, momentum SGD and Adam
//! on the bump ([`landscape`]), and finds the largest bump Adam escapes: in closed form, in
//! exact rational arithmetic ([`exact`]) and in f64 ([`closed_form`]), and by two f64
//! simulations, bisection over full runs and the supremum of the iterates under an
//! infinitely tall bump ([`escape`]). [`study`] assembles the [`result`].

pub mod adam;
pub mod claims;
pub mod closed_form;
pub mod derivation;
pub mod escape;
pub mod exact;
pub mod gd;
pub mod landscape;
pub mod lanes;
pub mod momentum;
pub mod powers;
pub mod result;
pub mod settings;
pub mod study;
pub mod sweep;
pub mod trajectory;
pub mod validate;

pub use result::StudyResult;

use crate::diag::SpanError;

/// An optimizer of a one-dimensional parameter.
pub trait Optimizer {
    /// What one step records (a row of the iterate table).
    type Record: serde::Serialize + Clone;

    /// Step `t` (from 1) from iterate `w`, where the gradient is `g`.
    fn step(&mut self, t: usize, w: f64, g: f64) -> Result<Self::Record, StepError>;

    /// The new iterate a record holds.
    fn position(record: &Self::Record) -> f64;
}

/// Why a run could not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// √v̂ + ε = 0: every gradient so far was 0 and ε = 0, so Adam's step is 0/0.
    #[error("Adam step {t}: v̂ = 0 with ε = 0 (every gradient so far was 0), so the update is 0/0")]
    ZeroDenominator {
        /// The step.
        t: usize,
    },
    /// The landscape's kinks are not strictly increasing in f64.
    #[error("the bump is too small to represent: its kinks coincide in f64")]
    BadLandscape,
    /// Every bump height tried was escaped.
    #[error("no bump height stops the optimizer within the horizon")]
    NoThreshold,
}

/// Parse and run an optimizer study.
pub fn run(source: &str) -> Result<StudyResult, SpanError> {
    let settings = validate::parse(source)?;
    let exact = exact::inputs(source, &settings);
    study::run(&settings, exact.as_ref()).map_err(|err| {
        let path: &[&str] = match err {
            StepError::ZeroDenominator { .. } => &["adam", "epsilon"],
            StepError::BadLandscape => &["landscape", "h"],
            StepError::NoThreshold if settings.adam.alpha.is_some() => &["adam", "alpha"],
            StepError::NoThreshold => &["gd", "a"],
        };
        SpanError::new(validate::span_of(source, path), err.to_string())
    })
}
