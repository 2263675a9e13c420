//! Optimizers on 1-D piecewise-linear landscapes, and the escape threshold.

use crate::compute::Claim;
use crate::diag::SpanError;
use serde::Serialize;

/// The result of an optimizer study (stub until the study lands).
#[derive(Debug, Clone, Serialize)]
pub struct StudyResult {}

impl StudyResult {
    /// The claims this study checks.
    pub fn claims(&self) -> Vec<Claim> {
        Vec::new()
    }
}

/// Parse and run an optimizer study.
pub fn run(_source: &str) -> Result<StudyResult, SpanError> {
    Err(SpanError::new(0..0, "optimizer studies are not built yet"))
}
