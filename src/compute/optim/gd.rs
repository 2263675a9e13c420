//! Plain gradient descent: `w ← w − a·f'(w)`.

use super::{Optimizer, StepError};
use serde::{Deserialize, Serialize};

/// Gradient descent with a fixed learning rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientDescent {
    /// The learning rate `a`.
    pub a: f64,
}

/// One step of gradient descent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GdStep {
    /// Step number, from 1.
    pub t: usize,
    /// The gradient at the previous iterate.
    pub g: f64,
    /// The new iterate.
    pub w: f64,
}

impl Optimizer for GradientDescent {
    type Record = GdStep;

    fn step(&mut self, t: usize, w: f64, g: f64) -> Result<GdStep, StepError> {
        Ok(GdStep {
            t,
            g,
            w: w - self.a * g,
        })
    }

    fn position(record: &GdStep) -> f64 {
        record.w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_against_the_gradient() {
        let mut gd = GradientDescent { a: 0.3 };
        let s = gd.step(1, 0.0, -1.0).unwrap();
        assert_eq!(
            s,
            GdStep {
                t: 1,
                g: -1.0,
                w: 0.3
            }
        );
        assert_eq!(gd.step(2, 1.2, 1.0).unwrap().w, 1.2 - 0.3);
    }
}
