//! Adam's escape threshold in closed form, from the recurrences of Algorithm 1.
//!
//! Write s = −(descent slope) > 0 and u = (rising slope) > 0. While the iterate is left of L
//! every gradient is −s, so m_t = −s(1 − β1^t) and v_t = s²(1 − β2^t): m̂_t = −s, v̂_t = s²
//! and every step has the same length δ = α·s/(s + ε). The first iterate at or past L is
//! w_k = w₀ + kδ with k = ⌈(L − w₀)/δ⌉ (one more under the left kink rule when the quotient
//! is a whole number). From then on the gradient is +u, and for n ≥ 1
//!
//! m_{k+n} = −s·β1^n·(1 − β1^k) + u·(1 − β1^n),  v_{k+n} = s²·β2^n·(1 − β2^k) + u²·(1 − β2^n).
//!
//! The iterate keeps climbing while m < 0, that is while β1^n > u / (u + s(1 − β1^k)): for
//! n = 1 … N with N = ⌈ln(u / (u + s(1 − β1^k))) / ln β1⌉ − 1. The top of this first
//! excursion is w_k + Σ_{n=1}^{N} α·(−m̂_{k+n}) / (√v̂_{k+n} + ε), and h_max = u·(top − L) if
//! this excursion is the highest the iterates ever reach (the simulation checks that).

use super::landscape::{Bump, KinkRule};
use serde::{Deserialize, Serialize};

/// How close (relative) to a whole number (L − w₀)/δ counts as landing on L.
const TIE_TOLERANCE: f64 = 1e-9;

/// The longest climb evaluated (β1 within about 1e-6 of 1 would climb longer).
const MAX_CLIMB: usize = 10_000_000;

/// How many climbing steps are kept for the derivation (and the last one).
pub const SHOWN_CLIMB: usize = 8;

/// One climbing step after the iterate passed L.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClimbStep {
    /// Steps since w_k.
    pub n: usize,
    /// The step number t = k + n.
    pub t: usize,
    /// m_{k+n}.
    pub m: f64,
    /// v_{k+n}.
    pub v: f64,
    /// m̂_{k+n}.
    pub m_hat: f64,
    /// v̂_{k+n}.
    pub v_hat: f64,
    /// The distance climbed in this step, α·(−m̂)/(√v̂ + ε).
    pub step: f64,
    /// The iterate after this step.
    pub w: f64,
}

/// The closed-form threshold and every intermediate quantity of its derivation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosedForm {
    /// s, the magnitude of the descent slope.
    pub s: f64,
    /// u, the rising slope of the bump.
    pub u: f64,
    /// δ = α·s/(s + ε), the length of every step before L.
    pub delta: f64,
    /// (L − w₀)/δ.
    pub quotient: f64,
    /// Whether the quotient is a whole number up to rounding (1e-9 relative), so that w_k
    /// lands on the kink at L: exact arithmetic lets the kink rule decide, while a run in f64
    /// may land a rounding error to either side.
    pub tie: bool,
    /// k, the first step whose iterate is at or past L.
    pub k: usize,
    /// w_k = w₀ + kδ.
    pub w_k: f64,
    /// The ratio u / (u + s(1 − β1^k)) that β1^n must exceed for the climb to go on.
    pub ratio: f64,
    /// N, the number of climbing steps.
    pub n_climb: usize,
    /// The climbing steps n = 1 … N (the first [`SHOWN_CLIMB`] and the last).
    pub climb: Vec<ClimbStep>,
    /// The top of the first excursion, w_{k+N}.
    pub w_top: f64,
    /// u·(w_{k+N} − L), at least 0.
    pub h_max: f64,
}

/// Adam's hyper-parameters as the closed form needs them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamParams {
    /// α.
    pub alpha: f64,
    /// β1.
    pub beta1: f64,
    /// β2.
    pub beta2: f64,
    /// ε.
    pub epsilon: f64,
}

/// Evaluate the closed form for `adam` on `bump` (requires w₀ < L, s > 0, u > 0).
pub fn adam_threshold(adam: AdamParams, bump: &Bump) -> ClosedForm {
    let AdamParams {
        alpha,
        beta1,
        beta2,
        epsilon,
    } = adam;
    let (s, u) = (-bump.descent_slope, bump.up_slope);
    let delta = alpha * s / (s + epsilon);
    let quotient = (bump.l - bump.start) / delta;
    let whole = quotient.ceil();
    // Within rounding of a whole number, a run in f64 may reach L a step earlier or later
    // than exact arithmetic says: flag it.
    let tie = (quotient - quotient.round()).abs() <= TIE_TOLERANCE * quotient;
    // `as` saturates: a step so small that k overflows is far beyond any horizon anyway.
    let k = (whole as usize)
        .saturating_add(usize::from(
            whole == quotient && bump.kink == KinkRule::Left,
        ))
        .max(1);
    let w_k = bump.start + k as f64 * delta;
    let pow = |b: f64, n: usize| b.powf(n as f64);
    let ratio = u / (u + s * (1.0 - pow(beta1, k)));
    let step = |n: usize| {
        let t = k.saturating_add(n);
        let m = -s * pow(beta1, n) * (1.0 - pow(beta1, k)) + u * (1.0 - pow(beta1, n));
        let v = s * s * pow(beta2, n) * (1.0 - pow(beta2, k)) + u * u * (1.0 - pow(beta2, n));
        let (m_hat, v_hat) = (m / (1.0 - pow(beta1, t)), v / (1.0 - pow(beta2, t)));
        (
            m,
            v,
            m_hat,
            v_hat,
            alpha * -m_hat / (v_hat.sqrt() + epsilon),
        )
    };
    let mut n_climb = if beta1 > 0.0 {
        ((ratio.ln() / beta1.ln()).ceil().max(1.0) as usize - 1).min(MAX_CLIMB)
    } else {
        0
    };
    // The logarithms can round across a whole number; the sign of m itself decides.
    while n_climb < MAX_CLIMB && step(n_climb + 1).0 < 0.0 {
        n_climb += 1;
    }
    while n_climb > 0 && step(n_climb).0 >= 0.0 {
        n_climb -= 1;
    }
    let mut w = w_k;
    let mut climb = Vec::new();
    for n in 1..=n_climb {
        let (m, v, m_hat, v_hat, dw) = step(n);
        w += dw;
        if n <= SHOWN_CLIMB || n == n_climb {
            let t = k.saturating_add(n);
            climb.push(ClimbStep {
                n,
                t,
                m,
                v,
                m_hat,
                v_hat,
                step: dw,
                w,
            });
        }
    }
    let h_max = (u * (w - bump.l)).max(0.0);
    ClosedForm {
        s,
        u,
        delta,
        quotient,
        tie,
        k,
        w_k,
        ratio,
        n_climb,
        climb,
        w_top: w,
        h_max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_values_by_hand() {
        let bump = Bump::assignment();
        let adam = AdamParams {
            alpha: 0.3,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 0.0,
        };
        let c = adam_threshold(adam, &bump);
        assert_eq!((c.k, c.n_climb, c.tie), (4, 2, false));
        // m₅ = 1 − 2·0.9 + 0.9⁵ = −0.20951, m̂₅ = m₅ / (1 − 0.9⁵) = −0.20951/0.40951.
        assert!((c.climb[0].m - -0.20951).abs() < 1e-15);
        assert!((c.climb[0].m_hat - -0.20951 / 0.40951).abs() < 1e-15);
        // m₆ = 1 − 2·0.81 + 0.9⁶ = −0.088559, over 1 − 0.9⁶ = 0.468559.
        let top = 1.2 + 0.3 * (0.20951 / 0.40951 + 0.088559 / 0.468559);
        assert!((c.w_top - top).abs() < 1e-14);
        assert!((c.h_max - (top - 1.0)).abs() < 1e-14);
    }
}
