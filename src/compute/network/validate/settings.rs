//! Checks of the sweep, search and certificate settings.

use super::{MAX_SAMPLES, err, identifier};
use crate::compute::network::spec::{Range, Spec};
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

pub(super) fn sweep(spec: &Spec) -> Result<(), SpanError> {
    let s = spec.sweep.get_ref();
    if *s.samples.get_ref() == 0 || *s.samples.get_ref() > MAX_SAMPLES {
        return err(
            s.samples.span(),
            format!("`sweep.samples` must be between 1 and {MAX_SAMPLES}"),
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
    if let Some(search) = &spec.search {
        let v = search.get_ref();
        if !(v.step.is_finite() && v.step > 0.0 && v.step <= 1.0) || v.steps > 100_000 {
            return err(
                search.span(),
                "`search`: `step` must be in (0, 1] and `steps` at most 100000",
            );
        }
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
