//! Reading a study file: parsing, then validation that names the key and the allowed range,
//! with the byte span of the offending value for a compiler-style diagnostic.

use super::settings::Settings;
use crate::compute::toml_error;
use crate::diag::SpanError;
use std::ops::Range;

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
    if !(1..=MAX_HORIZON).contains(&r.horizon) {
        return fail(
            &["run", "horizon"],
            &format!("it must be in 1 … {MAX_HORIZON}"),
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
    let steps = (w.alpha_points + w.beta1_points).saturating_mul(r.horizon);
    if steps > MAX_SWEEP_STEPS {
        return fail(
            &["run", "horizon"],
            &format!(
                "the sweeps' {} points × {} steps = {steps} optimizer steps: expected at most {MAX_SWEEP_STEPS} (lower `run.horizon` or the sweep points)",
                w.alpha_points + w.beta1_points,
                r.horizon
            ),
            r.horizon.to_string(),
        );
    }
    check(
        &["sweep", "small-alpha"],
        w.small_alpha,
        w.small_alpha > 0.0,
        "it must be > 0",
    )
}

/// Upper limit on `run.horizon`, the length of every threshold run.
pub const MAX_HORIZON: usize = 100_000;

/// Upper limit on (alpha-points + beta1-points) × horizon, which bounds the threshold sweeps
/// to a couple of seconds on a small machine (the default book uses 281 × 20000 = 5620000).
pub const MAX_SWEEP_STEPS: usize = 30_000_000;
