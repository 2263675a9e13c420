//! 1-D networks: gradients through the autograd tape, path sums, sweeps, counterexamples.

use crate::compute::Claim;
use crate::diag::SpanError;
use serde::Serialize;

/// The result of a network study (stub until the study lands).
#[derive(Debug, Clone, Serialize)]
pub struct StudyResult {}

impl StudyResult {
    /// The claims this study checks.
    pub fn claims(&self) -> Vec<Claim> {
        Vec::new()
    }
}

/// Parse and run a network study.
pub fn run(_source: &str) -> Result<StudyResult, SpanError> {
    Err(SpanError::new(0..0, "network studies are not built yet"))
}
