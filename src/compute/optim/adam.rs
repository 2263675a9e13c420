//! Adam, exactly as Algorithm 1 of Kingma & Ba (2015); ε may be 0.

use super::powers::one_minus_power;
use super::{Optimizer, StepError};
use serde::{Deserialize, Serialize};

/// Adam's state and hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam {
    /// Step size α.
    pub alpha: f64,
    /// Decay rate of the first moment, in [0, 1).
    pub beta1: f64,
    /// Decay rate of the second raw moment, in [0, 1).
    pub beta2: f64,
    /// Added to √v̂ in the denominator; 0 is allowed.
    pub epsilon: f64,
    /// Divide the moments by `1 − β^t` (Algorithm 1 does; off only for contrast).
    pub bias_correction: bool,
    m: f64,
    v: f64,
    /// Per moment: whether β^t has become negligible, so that its correction is 1 from now
    /// on and needs no look-up.
    settled: [bool; 2],
}

impl Adam {
    /// Adam with zeroed moments (m₀ = v₀ = 0) and bias correction.
    pub fn new(alpha: f64, beta1: f64, beta2: f64, epsilon: f64) -> Self {
        Self {
            alpha,
            beta1,
            beta2,
            epsilon,
            bias_correction: true,
            m: 0.0,
            v: 0.0,
            settled: [false; 2],
        }
    }

    /// The same optimizer without bias correction (m̂ = m, v̂ = v).
    pub fn without_bias_correction(self) -> Self {
        Self {
            bias_correction: false,
            ..self
        }
    }
}

/// One step of Adam: the row of the iterate table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamStep {
    /// Step number t, from 1.
    pub t: usize,
    /// g_t, the gradient at θ_{t−1}.
    pub g: f64,
    /// m_t, the biased first moment.
    pub m: f64,
    /// v_t, the biased second raw moment.
    pub v: f64,
    /// m̂_t = m_t / (1 − β1^t).
    pub m_hat: f64,
    /// v̂_t = v_t / (1 − β2^t).
    pub v_hat: f64,
    /// θ_t = θ_{t−1} − α·m̂_t / (√v̂_t + ε).
    pub w: f64,
}

impl Adam {
    /// 1 − β^t for moment `i` (0: m, 1: v), remembering when it has become 1 for good.
    fn correction(&mut self, i: usize, beta: f64, t: usize) -> f64 {
        if self.settled[i] {
            return 1.0;
        }
        one_minus_power(beta, t).unwrap_or_else(|| {
            self.settled[i] = true;
            1.0
        })
    }
}

impl Optimizer for Adam {
    type Record = AdamStep;

    fn step(&mut self, t: usize, w: f64, g: f64) -> Result<AdamStep, StepError> {
        self.m = self.beta1 * self.m + (1.0 - self.beta1) * g;
        self.v = self.beta2 * self.v + (1.0 - self.beta2) * (g * g);
        let (m_hat, v_hat) = if self.bias_correction {
            // β^t as `powf`, like PyTorch's `beta ** step`: 1 − β2^t cancels ~3 digits, so
            // how β^t is computed shows in v̂ at the 1e-14 level (`one_minus_power` remembers
            // them).
            (
                unbias(self.m, self.correction(0, self.beta1, t)),
                unbias(self.v, self.correction(1, self.beta2, t)),
            )
        } else {
            (self.m, self.v)
        };
        let denominator = v_hat.sqrt() + self.epsilon;
        if denominator == 0.0 {
            return Err(StepError::ZeroDenominator { t });
        }
        Ok(AdamStep {
            t,
            g,
            m: self.m,
            v: self.v,
            m_hat,
            v_hat,
            w: w - self.alpha * m_hat / denominator,
        })
    }

    fn position(record: &AdamStep) -> f64 {
        record.w
    }
}

/// `moment / correction`; once β^t no longer shows, the correction is 1 and the quotient is
/// the moment itself, bit for bit, without a division on the run's chain of dependent steps.
fn unbias(moment: f64, correction: f64) -> f64 {
    if correction == 1.0 {
        moment
    } else {
        moment / correction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_alpha() {
        let mut adam = Adam::new(0.3, 0.9, 0.999, 0.0);
        let s = adam.step(1, 0.0, -1.0).unwrap();
        assert_eq!(s.m_hat, -1.0);
        assert_eq!(s.v_hat, 1.0);
        assert_eq!(s.w, 0.3);
    }

    #[test]
    fn zero_gradient_with_zero_epsilon_is_an_error() {
        let mut adam = Adam::new(0.3, 0.9, 0.999, 0.0);
        assert_eq!(
            adam.step(1, 0.0, 0.0),
            Err(StepError::ZeroDenominator { t: 1 })
        );
        let mut smoothed = Adam::new(0.3, 0.9, 0.999, 1e-8);
        assert_eq!(smoothed.step(1, 0.0, 0.0).unwrap().w, 0.0);
    }

    #[test]
    fn without_bias_correction_the_first_step_is_large() {
        let mut adam = Adam::new(0.3, 0.9, 0.999, 0.0).without_bias_correction();
        let s = adam.step(1, 0.0, -1.0).unwrap();
        // m₁ = −0.1 and v₁ = 0.001, so the step is 0.3·0.1/√0.001 = 0.3·√10.
        assert!((s.w - 0.3 * 10f64.sqrt()).abs() < 1e-14);
    }
}
