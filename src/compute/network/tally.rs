//! What the sweep and the search keep from every evaluated parameter set: ratios, which
//! conditions held, and the counterexamples worth showing.

use super::pair_eval::{LANES, Lanes};

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

/// Which conditions hold for each lane of one evaluation of `LANES` samples, by condition
/// (see [`CONDITIONS`]); `values` holds the samples' parameter values by parameter index,
/// `input` the index of the input parameter, and `sigma_prime_dominates[l]` says whether σ'
/// of every node of lane `l`'s skip network is at least the chain's.
#[inline(always)]
pub fn conditions(
    ctx: &Context,
    input: Option<usize>,
    values: &[Lanes],
    sigma_prime_dominates: [bool; LANES],
) -> [[bool; LANES]; 4] {
    let all_at_least_zero = |params: &[usize]| {
        let mut ok = [ctx.wc_nonnegative; LANES];
        for &w in params {
            for (ok, v) in ok.iter_mut().zip(values[w]) {
                *ok &= v >= 0.0;
            }
        }
        ok
    };
    let nonneg_all = all_at_least_zero(&ctx.weights);
    let nonneg_path = all_at_least_zero(&ctx.path_weights);
    let dominates = std::array::from_fn(|l| nonneg_path[l] && sigma_prime_dominates[l]);
    let bounded = match ctx.bound {
        Some((w_max, input_bound)) => {
            let mut ok = nonneg_path;
            for &w in &ctx.path_weights {
                for (ok, v) in ok.iter_mut().zip(values[w]) {
                    *ok &= v <= w_max;
                }
            }
            if let (Some(x), Some(i)) = (input_bound, input) {
                for (ok, v) in ok.iter_mut().zip(values[i]) {
                    *ok &= v.abs() <= x;
                }
            }
            ok
        }
        None => [false; LANES],
    };
    [[true; LANES], nonneg_all, dominates, bounded]
}

/// One sample's comparison for one compared parameter: `(dy/dθ, dy*/dθ)` reduced to what
/// the tallies count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// `|dy*/dθ| / |dy/dθ|` (see [`ratio`]).
    pub ratio: f64,
    /// One of the two gradients is at least [`TINY`]: the sample counts.
    pub resolved: bool,
    /// Both are at least [`TINY`]: the sample may be shown as a counterexample.
    pub both_resolved: bool,
}

impl Comparison {
    /// The comparison of the gradients `(dy/dθ, dy*/dθ)`.
    #[inline]
    pub fn new(chain_grad: f64, skip_grad: f64) -> Comparison {
        let (a, b) = (chain_grad.abs(), skip_grad.abs());
        Comparison {
            ratio: ratio(chain_grad, skip_grad),
            resolved: a.max(b) >= TINY,
            both_resolved: a.min(b) >= TINY,
        }
    }
}

/// A sample offered as a counterexample: lane `lane` of `values` (by parameter index).
#[derive(Debug, Clone, Copy)]
pub struct Offer<'a> {
    /// Parameter values of the evaluated lanes, by parameter index.
    pub values: &'a [Lanes],
    /// The lane of the sample.
    pub lane: usize,
    /// Region index.
    pub region: usize,
    /// Its ratio.
    pub ratio: f64,
    /// Its largest absolute parameter value.
    pub size: f64,
    /// Whether every weight is at least 0.
    pub nonnegative: bool,
}

impl Tally {
    /// Count one sample under the conditions `held` (see [`conditions`]).
    #[inline]
    pub fn count(&mut self, held: [bool; 4], c: Comparison) {
        for (count, ok) in self.conditions.iter_mut().zip(held) {
            if ok && !c.resolved {
                count.unresolved += 1;
            } else if ok {
                count.samples += 1;
                if c.ratio < 1.0 {
                    count.violations += 1;
                }
                count.min_ratio = count.min_ratio.min(c.ratio);
            }
        }
    }

    /// Whether a sample with comparison `c` is a counterexample that may be shown: the
    /// inequality fails, both gradients are resolved and the sample is `tame` (every
    /// pre-activation within ±[`TAME`]).
    #[inline]
    pub fn showable(c: Comparison, tame: bool) -> bool {
        c.ratio < 1.0 && c.both_resolved && tame
    }

    /// Keep a showable sample (see [`Tally::showable`]) wherever it beats the candidate
    /// kept: the lowest ratio, the smallest size, the smallest size with every weight ≥ 0.
    /// Ties keep the earlier sample.
    pub fn offer(&mut self, o: &Offer) {
        if self.most_extreme.as_ref().is_none_or(|c| o.ratio < c.ratio) {
            o.put(&mut self.most_extreme);
        }
        if self.smallest.as_ref().is_none_or(|c| o.size < c.size) {
            o.put(&mut self.smallest);
        }
        if o.nonnegative && self.nonnegative.as_ref().is_none_or(|c| o.size < c.size) {
            o.put(&mut self.nonnegative);
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

impl Offer<'_> {
    /// Make `slot` this candidate, reusing the allocation of the one it replaces (the
    /// search improves its candidates at many of its steps).
    fn put(&self, slot: &mut Option<Candidate>) {
        let values = self.values.iter().map(|v| v[self.lane]);
        match slot {
            Some(c) => {
                c.values.clear();
                c.values.extend(values);
                c.region = self.region;
                c.ratio = self.ratio;
                c.size = self.size;
            }
            None => {
                *slot = Some(Candidate {
                    values: values.collect(),
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
    fn counts_are_the_definitions_counts() {
        // Samples of every kind: resolved or not, failing or not, ratios 0, 1, ∞ and NaN,
        // under every combination of conditions.
        let ratios = [0.0, 0.25, 1.0, 3.0, f64::INFINITY, f64::NAN];
        let mut samples = Vec::new();
        for (k, &ratio) in ratios.iter().cycle().take(96).enumerate() {
            let held = std::array::from_fn(|i| (k >> i) & 1 == 1 || i == 0);
            let resolved = k % 5 != 0;
            let c = Comparison {
                ratio,
                resolved,
                both_resolved: resolved,
            };
            samples.push((held, c));
        }
        let mut tally = Tally::default();
        for &(held, c) in &samples {
            tally.count(held, c);
        }
        for (i, got) in tally.conditions.iter().enumerate() {
            let under: Vec<Comparison> = samples
                .iter()
                .filter(|(held, _)| held[i])
                .map(|&(_, c)| c)
                .collect();
            let counted: Vec<f64> = under
                .iter()
                .filter(|c| c.resolved)
                .map(|c| c.ratio)
                .collect();
            assert_eq!(got.unresolved, under.len() - counted.len(), "condition {i}");
            assert_eq!(got.samples, counted.len(), "condition {i}");
            assert_eq!(got.violations, counted.iter().filter(|&&r| r < 1.0).count());
            let min = counted.iter().copied().fold(f64::INFINITY, f64::min);
            assert_eq!(got.min_ratio.to_bits(), min.to_bits(), "condition {i}");
        }
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
