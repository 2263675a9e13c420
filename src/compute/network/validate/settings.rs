//! Checks of the sweep, search and certificate settings.

use super::{MAX_EVALUATIONS, MAX_SAMPLES, err, identifier};
use crate::compute::network::spec::{Range, Search, Spec};
use crate::diag::SpanError;
use toml::Spanned;

fn range(r: &Spanned<Range>, key: &str) -> Result<(), SpanError> {
    let v = r.get_ref();
    if !v.low.is_finite() || !v.high.is_finite() || v.low > v.high {
        return err(
            r.span(),
            format!(
                "`{key}` needs finite `low` ≤ `high`, got {} and {}",
                v.low, v.high
            ),
        );
    }
    match v.scale.as_str() {
        "linear" => Ok(()),
        "log" if v.low > 0.0 => Ok(()),
        "log" => err(r.span(), format!("`{key}`: scale \"log\" needs `low` > 0")),
        other => err(
            r.span(),
            format!("`{key}.scale`: `{other}` is not \"linear\" or \"log\""),
        ),
    }
}

/// `search.starts` 0 … 100, `search.steps` 0 … 10000 (0: no search), `search.step` in (0, 1], and at most
/// [`MAX_EVALUATIONS`] random-walk steps in all (`runs` walks per start).
fn search_settings(search: &Search, runs: usize) -> Result<(), SpanError> {
    for (key, value, max) in [
        ("search.starts", &search.starts, 100),
        ("search.steps", &search.steps, 10_000),
    ] {
        if *value.get_ref() > max {
            return err(
                value.span(),
                format!(
                    "`{key}` = {} is out of range: expected 0 … {max}",
                    value.get_ref()
                ),
            );
        }
    }
    let step = &search.step;
    if !(step.get_ref().is_finite() && *step.get_ref() > 0.0 && *step.get_ref() <= 1.0) {
        return err(
            step.span(),
            format!(
                "`search.step` = {} is out of range: expected a fraction of the range in (0, 1]",
                step.get_ref()
            ),
        );
    }
    let total = search
        .starts
        .get_ref()
        .saturating_mul(*search.steps.get_ref())
        .saturating_mul(runs);
    if total > MAX_EVALUATIONS {
        return err(
            search.steps.span(),
            format!(
                "`search.starts` × `search.steps` = {} × {} for {runs} regions × variants × parameters asks for {total} network evaluations: expected at most {MAX_EVALUATIONS}",
                search.starts.get_ref(),
                search.steps.get_ref()
            ),
        );
    }
    Ok(())
}

pub(super) fn sweep(spec: &Spec) -> Result<(), SpanError> {
    let s = spec.sweep.get_ref();
    if *s.samples.get_ref() == 0 || *s.samples.get_ref() > MAX_SAMPLES {
        return err(
            s.samples.span(),
            format!(
                "`sweep.samples` must be between 1 and {MAX_SAMPLES} (samples per region and variant), got {}",
                s.samples.get_ref()
            ),
        );
    }
    if s.regions.is_empty() {
        return err(
            spec.sweep.span(),
            "`sweep` needs at least one `[[sweep.region]]`",
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for r in &s.regions {
        let rr = r.get_ref();
        identifier(&rr.name, "sweep.region.name")?;
        if names.contains(&rr.name.get_ref().as_str()) {
            return err(
                rr.name.span(),
                format!("duplicate region name `{}`", rr.name.get_ref()),
            );
        }
        names.push(rr.name.get_ref());
        range(&rr.weights, "sweep.region.weights")?;
        range(&rr.biases, "sweep.region.biases")?;
        range(&rr.input, "sweep.region.input")?;
    }
    let per_sample = s.regions.len() * spec.variants.len();
    let evaluations = s.samples.get_ref().saturating_mul(per_sample);
    if evaluations > MAX_EVALUATIONS {
        return err(
            s.samples.span(),
            format!(
                "`sweep.samples` = {} with {} regions and {} variants asks for {evaluations} network evaluations: expected at most {MAX_EVALUATIONS} (sweep.samples ≤ {})",
                s.samples.get_ref(),
                s.regions.len(),
                spec.variants.len(),
                MAX_EVALUATIONS / per_sample.max(1)
            ),
        );
    }
    if let Some(search) = &spec.search {
        search_settings(
            search.get_ref(),
            per_sample * spec.compare.get_ref().parameters.len(),
        )?;
    }
    if let Some(c) = &spec.certificate {
        let b = c.get_ref().input_bound;
        if !(b.is_finite() && b >= 0.0) {
            return err(
                c.span(),
                "`certificate.input-bound` must be a finite number ≥ 0",
            );
        }
    }
    Ok(())
}
