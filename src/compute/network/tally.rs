//! What the sweep and the search keep from every evaluated parameter set: ratios, which
//! conditions held, and the counterexamples worth showing.

use super::model::{Network, Role};

/// The conditions tested on every sample, in the order they are reported.
pub const CONDITIONS: [&str; 4] = [
    "none",
    "nonnegative-weights",
    "sigma-prime-dominates",
    "bounded-weights",
];

/// What a condition needs, for one variant and one parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Index of the compared parameter.
    pub param: usize,
    /// Weight parameters on the paths (edges not leaving the input).
    pub path_weights: Vec<usize>,
    /// Every weight parameter.
    pub weights: Vec<usize>,
    /// Whether every short circuit has `wc ≥ 0`.
    pub wc_nonnegative: bool,
    /// The certified bound `(W, |x| bound if needed)`, if there is one.
    pub bound: Option<(f64, Option<f64>)>,
}

/// A parameter set where the inequality fails.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Parameter values, by index.
    pub values: Vec<f64>,
    /// Region index.
    pub region: usize,
    /// `|dy*/dθ| / |dy/dθ|`.
    pub ratio: f64,
    /// Largest absolute parameter value.
    pub size: f64,
}

/// Counts for one condition.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ConditionCount {
    /// Samples that satisfy the condition.
    pub samples: usize,
    /// Of those, samples where the inequality fails.
    pub violations: usize,
    /// Smallest ratio among them.
    pub min_ratio: f64,
    /// Samples skipped because both gradients are below [`TINY`] (the comparison would only
    /// compare rounding errors).
    pub unresolved: usize,
}

/// Gradients below this are too close to underflow to compare: a sample counts only when
/// one of the two gradients is at least this large, and a counterexample is reported only
/// when both are.
pub const TINY: f64 = 1e-250;

/// Counterexamples are shown only where every |pre-activation| is at most this: beyond it
/// the tape's σ' = σ·(1 − σ) (PyTorch's formula) loses digits to `1 − σ`, and the check on
/// the tape would compare rounding errors (at 20, `1 − σ ≈ 2e-9`: about 8 digits remain).
pub const TAME: f64 = 20.0;

/// Everything kept for one compared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// Per condition (see [`CONDITIONS`]).
    pub conditions: [ConditionCount; 4],
    /// The lowest ratio violation.
    pub most_extreme: Option<Candidate>,
    /// The violation with the smallest largest |value|.
    pub smallest: Option<Candidate>,
    /// The smallest violation with every weight ≥ 0.
    pub nonnegative: Option<Candidate>,
}

impl Default for Tally {
    fn default() -> Self {
        let c = ConditionCount {
            min_ratio: f64::INFINITY,
            ..ConditionCount::default()
        };
        Self {
            conditions: [c; 4],
            most_extreme: None,
            smallest: None,
            nonnegative: None,
        }
    }
}

/// `|dy*/dθ| / |dy/dθ|`; 1 when both vanish (equality), ∞ when only the chain's does.
pub fn ratio(chain_grad: f64, skip_grad: f64) -> f64 {
    let (a, b) = (chain_grad.abs(), skip_grad.abs());
    if a == 0.0 {
        if b == 0.0 { 1.0 } else { f64::INFINITY }
    } else {
        b / a
    }
}

/// Which conditions hold for one evaluated sample; `sigma_prime_dominates` says whether
/// σ' of every node of the skip network is at least the chain's.
pub fn conditions(
    ctx: &Context,
    skip: &Network,
    values: &[f64],
    sigma_prime_dominates: bool,
) -> [bool; 4] {
    let nonneg_all = ctx.wc_nonnegative && ctx.weights.iter().all(|&w| values[w] >= 0.0);
    let nonneg_path = ctx.wc_nonnegative && ctx.path_weights.iter().all(|&w| values[w] >= 0.0);
    let dominates = nonneg_path && sigma_prime_dominates;
    let bounded = match ctx.bound {
        Some((w_max, input)) => {
            nonneg_path
                && ctx.path_weights.iter().all(|&w| values[w] <= w_max)
                && input.is_none_or(|x| skip.input_param().is_none_or(|i| values[i].abs() <= x))
        }
        None => false,
    };
    [true, nonneg_all, dominates, bounded]
}

impl Tally {
    /// Record one sample with gradients `grads = (dy/dθ, dy*/dθ)`; `tame` says every
    /// pre-activation is within ±[`TAME`], so the sample may be shown as a counterexample.
    pub fn record(
        &mut self,
        held: [bool; 4],
        values: &[f64],
        region: usize,
        grads: (f64, f64),
        tame: bool,
        net: &Network,
    ) {
        let (a, b) = (grads.0.abs(), grads.1.abs());
        let ratio = ratio(grads.0, grads.1);
        let resolved = a.max(b) >= TINY;
        for (count, &ok) in self.conditions.iter_mut().zip(&held) {
            if ok && !resolved {
                count.unresolved += 1;
            } else if ok {
                count.samples += 1;
                if ratio < 1.0 {
                    count.violations += 1;
                }
                count.min_ratio = count.min_ratio.min(ratio);
            }
        }
        if ratio >= 1.0 || ratio.is_nan() || a.min(b) < TINY || !tame {
            return;
        }
        let size = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        let found = Found {
            values,
            region,
            ratio,
            size,
        };
        if self.most_extreme.as_ref().is_none_or(|c| ratio < c.ratio) {
            found.put(&mut self.most_extreme);
        }
        if self.smallest.as_ref().is_none_or(|c| size < c.size) {
            found.put(&mut self.smallest);
        }
        let nonneg = net
            .params
            .iter()
            .zip(values)
            .all(|(p, &v)| p.role != Role::Weight || v >= 0.0);
        if nonneg && self.nonnegative.as_ref().is_none_or(|c| size < c.size) {
            found.put(&mut self.nonnegative);
        }
    }

    /// Merge another tally (recorded later) into this one; ties keep the earlier sample.
    pub fn merge(&mut self, other: Tally) {
        for (a, b) in self.conditions.iter_mut().zip(other.conditions) {
            a.samples += b.samples;
            a.violations += b.violations;
            a.min_ratio = a.min_ratio.min(b.min_ratio);
            a.unresolved += b.unresolved;
        }
        keep(&mut self.most_extreme, other.most_extreme, |c| c.ratio);
        keep(&mut self.smallest, other.smallest, |c| c.size);
        keep(&mut self.nonnegative, other.nonnegative, |c| c.size);
    }
}

/// A sample being recorded as a candidate.
struct Found<'a> {
    values: &'a [f64],
    region: usize,
    ratio: f64,
    size: f64,
}

impl Found<'_> {
    /// Make `slot` this candidate, reusing the allocation of the one it replaces (the
    /// search improves its candidates at many of its steps).
    fn put(&self, slot: &mut Option<Candidate>) {
        match slot {
            Some(c) => {
                c.values.clear();
                c.values.extend_from_slice(self.values);
                c.region = self.region;
                c.ratio = self.ratio;
                c.size = self.size;
            }
            None => {
                *slot = Some(Candidate {
                    values: self.values.to_vec(),
                    region: self.region,
                    ratio: self.ratio,
                    size: self.size,
                })
            }
        }
    }
}

fn keep(slot: &mut Option<Candidate>, other: Option<Candidate>, key: impl Fn(&Candidate) -> f64) {
    if let Some(o) = other
        && slot.as_ref().is_none_or(|c| key(&o) < key(c))
    {
        *slot = Some(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_handles_zero_gradients() {
        assert_eq!(ratio(2.0, -1.0), 0.5);
        assert_eq!(ratio(0.0, 0.0), 1.0);
        assert_eq!(ratio(0.0, 1.0), f64::INFINITY);
    }

    #[test]
    fn merge_keeps_the_earlier_of_equal_candidates() {
        let c = |ratio, size| Candidate {
            values: vec![size],
            region: 0,
            ratio,
            size,
        };
        let mut a = Tally {
            most_extreme: Some(c(0.5, 1.0)),
            ..Tally::default()
        };
        let b = Tally {
            most_extreme: Some(c(0.5, 2.0)),
            ..Tally::default()
        };
        a.merge(b);
        assert_eq!(a.most_extreme.map(|c| c.size), Some(1.0));
    }
}
