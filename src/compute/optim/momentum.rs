//! Gradient descent with heavy-ball momentum, in PyTorch's form (for contrast with Adam).

use super::{Optimizer, StepError};
use serde::{Deserialize, Serialize};

/// SGD with momentum: `b ← μ·b + g`, `w ← w − a·b` (PyTorch `SGD(momentum=μ)`, no dampening).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Momentum {
    /// The learning rate `a`.
    pub a: f64,
    /// The momentum factor `μ`.
    pub mu: f64,
    buffer: f64,
}

impl Momentum {
    /// A fresh optimizer with an empty momentum buffer.
    pub fn new(a: f64, mu: f64) -> Self {
        Self { a, mu, buffer: 0.0 }
    }
}

/// One step of momentum SGD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MomentumStep {
    /// Step number, from 1.
    pub t: usize,
    /// The gradient at the previous iterate.
    pub g: f64,
    /// The momentum buffer after this step.
    pub b: f64,
    /// The new iterate.
    pub w: f64,
}

impl Optimizer for Momentum {
    type Record = MomentumStep;

    fn step(&mut self, t: usize, w: f64, g: f64) -> Result<MomentumStep, StepError> {
        // PyTorch initialises the buffer with the first gradient, which equals μ·0 + g.
        self.buffer = self.mu * self.buffer + g;
        Ok(MomentumStep {
            t,
            g,
            b: self.buffer,
            w: w - self.a * self.buffer,
        })
    }

    fn position(record: &MomentumStep) -> f64 {
        record.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_accumulates() {
        let mut opt = Momentum::new(0.5, 0.9);
        let s1 = opt.step(1, 0.0, -1.0).unwrap();
        assert_eq!((s1.b, s1.w), (-1.0, 0.5));
        let s2 = opt.step(2, s1.w, -1.0).unwrap();
        assert_eq!(s2.b, -1.9);
        assert_eq!(s2.w, 0.5 + 0.5 * 1.9);
    }
}
