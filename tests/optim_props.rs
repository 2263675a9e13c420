//! Laws of the Q2 optimizers, checked on many random settings (proptest), and quantities of
//! the study checked against independent recurrences.

use approx::assert_relative_eq;
use gradbook::compute::optim::adam::Adam;
use gradbook::compute::optim::escape::supremum;
use gradbook::compute::optim::gd::GradientDescent;
use gradbook::compute::optim::landscape::{Bump, KinkRule};
use gradbook::compute::optim::momentum::Momentum;
use gradbook::compute::optim::{self, StudyResult};
use proptest::prelude::*;
use std::sync::OnceLock;

fn seed() -> &'static StudyResult {
    static RESULT: OnceLock<StudyResult> = OnceLock::new();
    RESULT.get_or_init(|| optim::run(include_str!("../content/bump.toml")).unwrap())
}

fn bump(scale: f64) -> Bump {
    Bump {
        start: 0.0,
        l: 1.0,
        descent_slope: -scale,
        up_slope: scale,
        down_slope: -scale,
        tail_slope: -0.5 * scale,
        kink: KinkRule::Right,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// With ε = 0 Adam's step m̂/√v̂ is invariant under scaling the loss: the iterates do not
    /// move, and the threshold (a height, in loss units) scales with the loss.
    #[test]
    fn adam_is_scale_invariant(scale in 0.1f64..10.0, alpha in 0.01f64..1.0, beta1 in 0.0f64..0.99) {
        let one = supremum(Adam::new(alpha, beta1, 0.999, 0.0), &bump(1.0), 300).unwrap();
        let scaled = supremum(Adam::new(alpha, beta1, 0.999, 0.0), &bump(scale), 300).unwrap();
        // Scaling rounds differently, so nearly equal later peaks may swap: compare heights.
        prop_assert!((one.w_max - scaled.w_max).abs() <= 1e-10 * one.w_max.abs());
        prop_assert!((one.h_max * scale - scaled.h_max).abs() <= 1e-9 * scaled.h_max.max(1e-12));
    }

    /// Momentum SGD with μ = 0 is gradient descent, step for step.
    #[test]
    fn momentum_without_momentum_is_gradient_descent(a in 0.01f64..2.0) {
        let gd = supremum(GradientDescent { a }, &bump(1.0), 200).unwrap();
        let heavy = supremum(Momentum::new(a, 0.0), &bump(1.0), 200).unwrap();
        prop_assert_eq!(gd, heavy);
    }
}

/// Adam without bias correction, by hand on the infinitely tall bump: its highest iterate.
fn uncorrected_peak(alpha: f64, b1: f64, b2: f64, steps: usize) -> (usize, f64) {
    let (mut w, mut m, mut v) = (0.0f64, 0.0, 0.0);
    let mut best = (0, w);
    for t in 1..=steps {
        let g = if w >= 1.0 { 1.0 } else { -1.0 };
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * (g * g);
        w -= alpha * m / v.sqrt();
        if w > best.1 {
            best = (t, w);
        }
    }
    best
}

#[test]
fn uncorrected_threshold_against_a_hand_recurrence() {
    let b = seed().bias_correction.as_ref().unwrap();
    let (step, w_max) = uncorrected_peak(0.3, 0.9, 0.999, 20_000);
    assert_eq!(b.uncorrected_decisive_step, step);
    assert_relative_eq!(b.uncorrected_h_max, w_max - 1.0, max_relative = 1e-12);
    // The first uncorrected step is α·(1 − β1)/√(1 − β2) = 0.3·0.1/√0.001.
    assert_relative_eq!(
        b.uncorrected_steps[0].w,
        0.3 * 0.1 / 0.001f64.sqrt(),
        max_relative = 1e-14
    );
}

#[test]
fn sweeps_pass_through_the_settings_points() {
    let r = seed();
    let b = r.bias_correction.as_ref().unwrap();
    // The α sweep starts at the small α of the comparison.
    let first = &r.sweep_alpha[0];
    assert_eq!(first.x, b.small_alpha);
    assert_eq!(first.h_max_closed_form, b.small_h_max);
    assert_eq!(first.h_max_supremum, b.small_h_max_supremum);
    // The β1 grid 0, 0.01, …, 0.99 holds 0.9 up to rounding: the threshold there is the seed's.
    let near = r
        .sweep_beta1
        .iter()
        .find(|p| (p.x - 0.9).abs() < 1e-12)
        .unwrap();
    let t = r.adam.threshold.as_ref().unwrap();
    assert_relative_eq!(near.h_max_supremum, t.h_max_supremum, max_relative = 1e-12);
    assert!(near.first_excursion_decisive);
    // Where the closed form is decisive it is the supremum; elsewhere the supremum is higher.
    for p in r
        .sweep_alpha
        .iter()
        .chain(&r.sweep_beta1)
        .filter(|p| !p.tie)
    {
        assert!(
            p.h_max_supremum >= p.h_max_closed_form * (1.0 - 1e-9),
            "{p:?}"
        );
    }
}

#[test]
fn momentum_escapes_by_the_hand_worked_velocity() {
    let m = seed().momentum.as_ref().unwrap();
    // b₁ = −1, w₁ = 0.3; b₂ = −1.9, w₂ = 0.3 + 0.57 = 0.87; b₃ = −2.71, w₃ = 0.87 + 0.813 = 1.683.
    assert_relative_eq!(m.run.w[1], 0.3, max_relative = 1e-15);
    assert_relative_eq!(m.run.w[2], 0.87, max_relative = 1e-15);
    assert_relative_eq!(m.run.w[3], 1.683, max_relative = 1e-15);
    assert!(m.escapes);
}
