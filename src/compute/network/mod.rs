//! 1-D networks (Q1): gradients through the autograd tape, path sums on the petgraph graph,
//! random sweeps, a counterexample search and a certified weight bound.
//!
//! [`run`] parses a `kind = "network"` study ([`spec`]), validates it into pairs of networks
//! ([`validate`]), evaluates every pair at its worked example ([`study`]), sweeps and searches
//! ([`sweep`]) and returns a [`StudyResult`].

pub mod certificate;
pub mod exp;
pub mod model;
pub mod pair_eval;
pub mod paths;
pub mod proposal;
pub mod prose;
pub mod quantile;
pub mod result;
pub mod spec;
pub mod study;
pub mod sweep;
pub mod tally;
pub mod tape_eval;
pub mod validate;
pub mod worked;

use crate::compute::Claim;
use crate::diag::SpanError;
use crate::format::num;
use std::collections::BTreeMap;

pub use result::StudyResult;

/// Parse and run a network study.
pub fn run(source: &str) -> Result<StudyResult, SpanError> {
    let spec = spec::parse(source)?;
    let pairs = validate::pairs(&spec)?;
    Ok(study::run(&spec, &pairs))
}

/// The gradients `(dy/dθ, dy*/dθ)` of `parameter` in variant `variant` of the study `source`,
/// on the autograd tape at `values` (every parameter and the input, by name): how
/// `gradbook check` re-evaluates a parameter set read back from a rendered page. The error
/// says which name is unknown or missing.
pub fn reevaluate(
    source: &str,
    variant: &str,
    parameter: &str,
    values: &BTreeMap<String, f64>,
) -> Result<(f64, f64), String> {
    let spec = spec::parse(source).map_err(|e| e.message)?;
    let pairs = validate::pairs(&spec).map_err(|e| e.message)?;
    let pair = pairs
        .iter()
        .find(|p| p.name == variant)
        .ok_or_else(|| format!("no variant `{variant}` in the study"))?;
    let net = &pair.chain;
    let p = net
        .param(parameter)
        .ok_or_else(|| format!("variant `{variant}` has no parameter `{parameter}`"))?;
    if let Some(extra) = values.keys().find(|k| net.param(k).is_none()) {
        return Err(format!("variant `{variant}` has no parameter `{extra}`"));
    }
    let v: Vec<f64> = net
        .params
        .iter()
        .map(|q| {
            values
                .get(&q.name)
                .copied()
                .ok_or_else(|| format!("no value printed for `{}`", q.name))
        })
        .collect::<Result<_, _>>()?;
    let (_, chain) = tape_eval::gradients(&pair.chain, &v);
    let (_, skip) = tape_eval::gradients(&pair.skip, &v);
    Ok((chain[p], skip[p]))
}

/// Tolerance of the path-sum check: the three evaluations agree to rounding.
pub const PATH_SUM_TOLERANCE: f64 = 1e-12;

impl StudyResult {
    /// The claims this study checks.
    pub fn claims(&self) -> Vec<Claim> {
        let mut out = Vec::new();
        for v in &self.variants {
            for c in &v.compare {
                out.push(Claim {
                    statement: format!(
                        "{}: dy/d{p} as a path sum equals the autograd gradient in both networks",
                        v.name,
                        p = c.parameter
                    ),
                    holds: c.path_sum_error <= PATH_SUM_TOLERANCE,
                    detail: format!("largest relative difference {}", num(c.path_sum_error, 3)),
                });
                if !std::ptr::eq(v, &self.variants[0]) {
                    continue;
                }
                out.push(Claim {
                    statement: format!(
                        "{}: |dy/d{p}| ≤ |dy*/d{p}| at the worked example",
                        v.name,
                        p = c.parameter
                    ),
                    holds: c.holds,
                    detail: format!(
                        "dy/d{p} = {}, dy*/d{p} = {}",
                        num(c.chain, 6),
                        num(c.skip, 6),
                        p = c.parameter
                    ),
                });
            }
            for row in v.conditions.iter().filter(|r| r.proven) {
                out.push(Claim {
                    statement: format!(
                        "{}: |dy/d{p}| ≤ |dy*/d{p}| whenever {}",
                        v.name,
                        row.statement,
                        p = row.parameter
                    ),
                    holds: row.violations == 0,
                    detail: format!(
                        "{} of {} parameter sets satisfying it violate the inequality",
                        row.violations, row.samples
                    ),
                });
            }
            for ce in &v.counterexamples {
                out.push(Claim {
                    statement: format!(
                        "{}: the {} counterexample for {} violates the inequality",
                        v.name, ce.kind, ce.parameter
                    ),
                    holds: ce.verified,
                    detail: format!(
                        "|dy/d{p}| = {} > |dy*/d{p}| = {}",
                        num(ce.chain.abs(), 6),
                        num(ce.skip.abs(), 6),
                        p = ce.parameter
                    ),
                });
            }
        }
        out
    }
}
