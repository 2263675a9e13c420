//! What the sweep and the search keep from every evaluated parameter set: ratios, which
//! conditions held, and the counterexamples worth showing.

use super::pair_eval::{LANES, Lanes, each_lane};

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
    /// Whether every short circuit has `wc ≥ 0`.
    pub wc_nonnegative: bool,
    /// The certified bound `(W, |x| bound if needed)`, if there is one.
    pub bound: Option<(f64, Option<f64>)>,
}

impl Context {
    /// Whether [`conditions`] gives the same for `other` as for this context at any
    /// sample: everything but the compared parameter is the same.
    pub fn same_conditions(&self, other: &Context) -> bool {
        self.path_weights == other.path_weights
            && self.wc_nonnegative == other.wc_nonnegative
            && self.bound == other.bound
    }
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
/// `input` the index of the input parameter, `nonnegative[l]` says whether every weight of
/// lane `l` is at least 0 (the short circuits' fixed ones too), and
/// `sigma_prime_dominates[l]` whether σ' of every node of its skip network is at least the
/// chain's.
#[inline(always)]
pub fn conditions(
    ctx: &Context,
    input: Option<usize>,
    values: &[Lanes],
    nonnegative: [bool; LANES],
    sigma_prime_dominates: [bool; LANES],
) -> [[bool; LANES]; 4] {
    let nonneg_path = all_at_least_zero(ctx.wc_nonnegative, &ctx.path_weights, values);
    let dominates = each_lane(|l| nonneg_path[l] && sigma_prime_dominates[l]);
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
    [[true; LANES], nonnegative, dominates, bounded]
}

/// Per lane: `start`, and every parameter of `params` at least 0. A function rather than a
/// closure, so that it is inlined and compiled with its caller's target features.
#[inline(always)]
fn all_at_least_zero(start: bool, params: &[usize], values: &[Lanes]) -> [bool; LANES] {
    let mut ok = [start; LANES];
    for &w in params {
        for (ok, v) in ok.iter_mut().zip(values[w]) {
            *ok &= v >= 0.0;
        }
    }
    ok
}

/// The comparisons of [`LANES`] samples for one compared parameter: `(dy/dθ, dy*/dθ)` of
/// each lane reduced to what the tallies count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparisons {
    /// `|dy*/dθ| / |dy/dθ|` (see [`ratio`]).
    pub ratio: Lanes,
    /// One of the two gradients is at least [`TINY`]: the sample counts.
    pub resolved: [bool; LANES],
    /// Both are at least [`TINY`]: the sample may be shown as a counterexample.
    pub both_resolved: [bool; LANES],
}

impl Comparisons {
    /// The comparisons of the gradients `chain` (dy/dθ) and `skip` (dy*/dθ), lane by lane.
    #[inline(always)]
    pub fn new(chain: Lanes, skip: Lanes) -> Comparisons {
        let (a, b) = (each_lane(|l| chain[l].abs()), each_lane(|l| skip[l].abs()));
        // `ratio` without a branch per lane: the division is made in every lane and the
        // two cases of a vanishing `dy/dθ` are selected afterwards.
        let quotient: Lanes = each_lane(|l| b[l] / a[l]);
        Comparisons {
            ratio: each_lane(|l| match (a[l] == 0.0, b[l] == 0.0) {
                (false, _) => quotient[l],
                (true, true) => 1.0,
                (true, false) => f64::INFINITY,
            }),
            resolved: each_lane(|l| a[l].max(b[l]) >= TINY),
            both_resolved: each_lane(|l| a[l].min(b[l]) >= TINY),
        }
    }

    /// Per lane, whether it is a counterexample that may be shown: the inequality fails,
    /// both gradients are resolved and the sample is `tame` (every pre-activation within
    /// ±[`TAME`]).
    #[inline(always)]
    pub fn showable_lanes(&self, tame: &[bool; LANES]) -> [bool; LANES] {
        each_lane(|l| (self.ratio[l] < 1.0) & self.both_resolved[l] & tame[l])
    }
}

/// The counts of a [`Tally`] kept lane by lane, so that counting [`LANES`] samples is a few
/// vector operations: lane `l` holds what a tally of lane `l`'s samples alone would count.
/// Counts do not depend on the order of the samples, so [`LaneCounts::add_lane`] and
/// [`LaneCounts::add_all`] give exactly what counting the samples one by one gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneCounts {
    /// By condition (see [`CONDITIONS`]), then lane: the fields of [`ConditionCount`].
    samples: [[u64; LANES]; 4],
    violations: [[u64; LANES]; 4],
    unresolved: [[u64; LANES]; 4],
    min_ratio: [Lanes; 4],
}

impl Default for LaneCounts {
    fn default() -> Self {
        LaneCounts {
            samples: [[0; LANES]; 4],
            violations: [[0; LANES]; 4],
            unresolved: [[0; LANES]; 4],
            min_ratio: [[f64::INFINITY; LANES]; 4],
        }
    }
}

impl LaneCounts {
    /// Count every lane's sample under the conditions `held` (by condition, then lane; see
    /// [`conditions`]): a lane that holds no condition is not counted at all.
    #[inline(always)]
    pub fn count(&mut self, held: &[[bool; LANES]; 4], c: &Comparisons) {
        for (k, ok) in held.iter().enumerate() {
            // A condition no lane holds counts nothing (often so for the narrower ones).
            if !ok.iter().any(|&ok| ok) {
                continue;
            }
            for (l, &ok) in ok.iter().enumerate() {
                let counted = ok & c.resolved[l];
                self.unresolved[k][l] += u64::from(ok & !c.resolved[l]);
                self.samples[k][l] += u64::from(counted);
                self.violations[k][l] += u64::from(counted & (c.ratio[l] < 1.0));
                let lower = self.min_ratio[k][l].min(c.ratio[l]);
                self.min_ratio[k][l] = if counted { lower } else { self.min_ratio[k][l] };
            }
        }
    }

    /// Add lane `l`'s counts to `tally`.
    pub fn add_lane(&self, l: usize, tally: &mut Tally) {
        for (k, count) in tally.conditions.iter_mut().enumerate() {
            count.samples += self.samples[k][l] as usize;
            count.violations += self.violations[k][l] as usize;
            count.unresolved += self.unresolved[k][l] as usize;
            count.min_ratio = count.min_ratio.min(self.min_ratio[k][l]);
        }
    }

    /// Add every lane's counts to `tally`.
    pub fn add_all(&self, tally: &mut Tally) {
        for l in 0..LANES {
            self.add_lane(l, tally);
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
    /// Keep a showable sample (see [`Comparisons::showable_lanes`]) wherever it beats the candidate
    /// kept: the lowest ratio, the smallest size, the smallest size with every weight ≥ 0.
    /// Ties keep the earlier sample.
    pub fn offer(&mut self, o: &Offer) {
        // (`Tally::may_take` must stay a superset of what this takes.)
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

    /// Per lane, whether [`Tally::offer`] could take a sample with these ratios, sizes and
    /// signs as things stand: a superset of what it takes, since what it keeps only improves,
    /// so that most lanes are turned away together.
    #[inline(always)]
    pub fn may_take(
        &self,
        ratio: &Lanes,
        size: &Lanes,
        nonnegative: &[bool; LANES],
    ) -> [bool; LANES] {
        let bar = |c: &Option<Candidate>, key: fn(&Candidate) -> f64| {
            c.as_ref().map_or(f64::INFINITY, key)
        };
        let lowest = bar(&self.most_extreme, |c| c.ratio);
        let smallest = bar(&self.smallest, |c| c.size);
        let nonneg = bar(&self.nonnegative, |c| c.size);
        // An empty slot takes any sample it is offered.
        let empty = self.most_extreme.is_none() | self.smallest.is_none();
        each_lane(|l| {
            empty
                | (ratio[l] < lowest)
                | (size[l] < smallest)
                | (nonnegative[l] & (self.nonnegative.is_none() | (size[l] < nonneg)))
        })
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

    /// One sample: the conditions it holds, its ratio and whether it is resolved.
    #[derive(Clone, Copy)]
    struct Sample {
        held: [bool; 4],
        ratio: f64,
        resolved: bool,
    }

    /// The counts of `samples` under condition `i`, from the definitions: (samples,
    /// violations, unresolved, smallest ratio).
    fn definition(samples: &[Sample], i: usize) -> (usize, usize, usize, f64) {
        let under: Vec<&Sample> = samples.iter().filter(|s| s.held[i]).collect();
        let counted: Vec<f64> = under
            .iter()
            .filter(|s| s.resolved)
            .map(|s| s.ratio)
            .collect();
        (
            counted.len(),
            counted.iter().filter(|&&r| r < 1.0).count(),
            under.len() - counted.len(),
            counted.iter().copied().fold(f64::INFINITY, f64::min),
        )
    }

    #[test]
    fn counts_are_the_definitions_counts() {
        // Samples of every kind: resolved or not, failing or not, ratios 0, 1, ∞ and NaN,
        // under every combination of conditions (one holding none), spread over the lanes
        // in groups of `LANES`.
        let ratios = [0.0, 0.25, 1.0, 3.0, f64::INFINITY, f64::NAN, 0.5];
        let samples: Vec<Sample> = ratios
            .iter()
            .cycle()
            .take(12 * LANES)
            .enumerate()
            .map(|(k, &ratio)| Sample {
                held: std::array::from_fn(|i| (k >> i) & 1 == 1 || (i == 0 && k % 11 != 3)),
                ratio,
                resolved: k % 5 != 0,
            })
            .collect();
        let mut counts = LaneCounts::default();
        for group in samples.chunks(LANES) {
            let held = std::array::from_fn(|i| std::array::from_fn(|l| group[l].held[i]));
            let c = Comparisons {
                ratio: std::array::from_fn(|l| group[l].ratio),
                resolved: std::array::from_fn(|l| group[l].resolved),
                both_resolved: [false; LANES],
            };
            counts.count(&held, &c);
        }
        let check = |tally: &Tally, samples: &[Sample], what: &str| {
            for (i, got) in tally.conditions.iter().enumerate() {
                let (n, violations, unresolved, min) = definition(samples, i);
                assert_eq!(got.samples, n, "{what}, condition {i}");
                assert_eq!(got.violations, violations, "{what}, condition {i}");
                assert_eq!(got.unresolved, unresolved, "{what}, condition {i}");
                assert_eq!(
                    got.min_ratio.to_bits(),
                    min.to_bits(),
                    "{what}, condition {i}"
                );
            }
        };
        let mut all = Tally::default();
        counts.add_all(&mut all);
        check(&all, &samples, "all lanes");
        for l in 0..LANES {
            let mut lane = Tally::default();
            counts.add_lane(l, &mut lane);
            let mine: Vec<Sample> = samples.iter().skip(l).step_by(LANES).copied().collect();
            check(&lane, &mine, &format!("lane {l}"));
        }
    }

    #[test]
    fn comparisons_are_the_definitions_lane_by_lane() {
        // Gradients of either sign, zero, tiny, huge, infinite and NaN, paired every way.
        let grads = [
            0.0,
            -0.0,
            1e-300,
            -2e-250,
            1e-250,
            0.3,
            -0.7,
            2.0,
            1e300,
            -f64::INFINITY,
            f64::NAN,
        ];
        let pairs: Vec<(f64, f64)> = grads
            .iter()
            .flat_map(|&a| grads.iter().map(move |&b| (a, b)))
            .collect();
        for group in pairs.chunks(LANES) {
            let pair = |l: usize| group[l.min(group.len() - 1)];
            let c = Comparisons::new(
                std::array::from_fn(|l| pair(l).0),
                std::array::from_fn(|l| pair(l).1),
            );
            for l in 0..LANES {
                let (chain, skip) = pair(l);
                let (a, b) = (chain.abs(), skip.abs());
                assert_eq!(
                    c.ratio[l].to_bits(),
                    ratio(chain, skip).to_bits(),
                    "{chain} {skip}"
                );
                // Resolved: one of the two is at least TINY; both resolved: both are (a NaN
                // gradient is passed over, as `max` and `min` do).
                let at_least = |x: f64| x >= TINY;
                let resolved = at_least(a) || at_least(b);
                let both = match (a.is_nan(), b.is_nan()) {
                    (true, true) => false,
                    (true, false) => at_least(b),
                    (false, true) => at_least(a),
                    (false, false) => at_least(a) && at_least(b),
                };
                assert_eq!(c.resolved[l], resolved, "{chain} {skip}");
                assert_eq!(c.both_resolved[l], both, "{chain} {skip}");
            }
        }
    }

    #[test]
    fn may_take_lets_through_every_sample_offer_takes() {
        // A long run of offers (ties, NaN, ∞, either sign of weights), checked lane by lane
        // against what `offer` does: whenever it changes the tally, `may_take` said it may.
        let ratios = [0.0, 0.25, 0.5, 0.9, 0.25, 1.0, f64::NAN, f64::INFINITY];
        let sizes = [3.0, 1.0, 2.0, 1.0, 0.5, f64::NAN, 4.0, 0.5, 0.25];
        let values = [[0.0; LANES]];
        let mut tally = Tally::default();
        let mut taken = 0;
        for round in 0..40 {
            let ratio: Lanes = std::array::from_fn(|l| ratios[(round * 3 + l) % ratios.len()]);
            let size: Lanes = std::array::from_fn(|l| sizes[(round * 5 + l * 7) % sizes.len()]);
            let nonnegative = std::array::from_fn(|l| (round + l) % 3 == 0);
            let may = tally.may_take(&ratio, &size, &nonnegative);
            for l in 0..LANES {
                let before = tally.clone();
                tally.offer(&Offer {
                    values: &values,
                    lane: l,
                    region: round,
                    ratio: ratio[l],
                    size: size[l],
                    nonnegative: nonnegative[l],
                });
                if tally != before {
                    assert!(may[l], "round {round}, lane {l}");
                    taken += 1;
                }
            }
        }
        assert!(taken >= 5, "the run exercises the slots ({taken} taken)");
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
