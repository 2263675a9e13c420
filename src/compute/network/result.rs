//! The serialisable result of a network study (the field names are part of the interface:
//! `results --json` and the Q1 chapter read them).

use super::certificate::Bound;
use super::paths::PathTerm;
use super::prose::Prose;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Something serialised in a JSON object keyed by its name.
pub trait Named {
    /// The key.
    fn key(&self) -> &str;
}

/// Serialise a list as an object keyed by [`Named::key`], in list order.
pub fn by_name<T: Named + Serialize, S: Serializer>(items: &[T], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(items.len()))?;
    for item in items {
        map.serialize_entry(item.key(), item)?;
    }
    map.end()
}

/// Read back what [`by_name`] wrote: the object's values, in order (each holds its own key).
pub fn from_named<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    struct Values<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Values<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of named items")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some((_, item)) = map.next_entry::<serde::de::IgnoredAny, T>()? {
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Values(std::marker::PhantomData))
}

/// The whole study.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StudyResult {
    /// Title from the study file.
    pub title: String,
    /// The compared parameters.
    pub parameters: Vec<String>,
    /// Seed of the sweep.
    pub seed: u64,
    /// Samples per region and variant.
    pub samples_per_region: usize,
    /// Whether the search ran (`[search] starts` and `steps` both above 0): without it every
    /// count, ratio and counterexample is the sweep's.
    pub searched: bool,
    /// Parameter sets evaluated in all (sweep and search, every variant).
    pub evaluations: usize,
    /// The sampled regions.
    pub regions: Vec<RegionInfo>,
    /// Counterexamples are shown only where every |pre-activation| is at most this.
    pub counterexample_z_bound: f64,
    /// The |x| bound certified weight bounds need when a short circuit leaves the input
    /// (`[certificate] input-bound`).
    pub input_bound: f64,
    /// One comparison per variant, keyed by variant name.
    #[serde(serialize_with = "by_name", deserialize_with = "from_named")]
    pub variants: Vec<VariantResult>,
    /// One row per variant and parameter: the sweep over all regions at a glance.
    pub summary: Vec<SummaryRow>,
    /// The rows of `summary` that do not repeat another parameter's statement.
    pub summary_shown: Vec<SummaryRow>,
}

/// A sampled region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegionInfo {
    /// Identifier.
    pub name: String,
    /// Description.
    pub title: String,
    /// Weights: `[low, high]`, log-uniform when `weights_log`.
    pub weights: [f64; 2],
    /// Whether weights are sampled log-uniformly.
    pub weights_log: bool,
    /// Biases: `[low, high]`.
    pub biases: [f64; 2],
    /// Input: `[low, high]`.
    pub input: [f64; 2],
    /// Variants whose sweep includes this region (the certified box is per variant).
    pub variants: Vec<String>,
}

/// The chain `y` against the network with short circuits `y*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantResult {
    /// Identifier.
    pub name: String,
    /// Description.
    pub title: String,
    /// The reading (chain) used.
    pub reading: String,
    /// Description of the reading.
    pub reading_title: String,
    /// `sigmoid` or `tanh`.
    pub activation: String,
    /// The input node.
    pub input: String,
    /// The output node.
    pub output: String,
    /// The chain's weighted edges.
    pub edges: Vec<EdgeInfo>,
    /// Bias parameter by node.
    pub biases: Map<String, Value>,
    /// The short circuits.
    pub skips: Vec<SkipInfo>,
    /// Worked-example values of every parameter and the input.
    pub values: Map<String, Value>,
    /// The chain network at the worked example.
    pub chain: NetResult,
    /// The network with short circuits at the worked example.
    pub skip: NetResult,
    /// Per compared parameter: the worked-example comparison and the certified bound.
    #[serde(serialize_with = "by_name", deserialize_with = "from_named")]
    pub compare: Vec<Comparison>,
    /// Sweep rows: one per parameter and region.
    pub sweep: Vec<SweepRow>,
    /// Condition rows: one per parameter and condition.
    pub conditions: Vec<ConditionRow>,
    /// Counterexamples found, re-evaluated through the autograd tape.
    pub counterexamples: Vec<Counterexample>,
    /// What the chapter says about this variant, generated from its graph and worked example.
    pub prose: Prose,
    /// Compared parameters whose inequality is the same statement as an earlier one's (same
    /// paths, differing only in an entry factor common to both networks, such as x for w1
    /// against 1 for b1): parameter → the earlier parameter.
    pub same_as: Map<String, Value>,
    /// The rows of `sweep` for parameters that are not in `same_as`.
    pub sweep_shown: Vec<SweepRow>,
    /// The rows of `conditions` for parameters that are not in `same_as`.
    pub conditions_shown: Vec<ConditionRow>,
}

/// A weighted chain edge.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EdgeInfo {
    /// Source node.
    pub from: String,
    /// Target node.
    pub to: String,
    /// Weight parameter.
    pub weight: String,
}

/// A short circuit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SkipInfo {
    /// Source node.
    pub from: String,
    /// Target node.
    pub to: String,
    /// Fixed weight.
    pub wc: f64,
    /// `pre-activation` or `post-activation`.
    pub enters: String,
}

/// One network evaluated at one parameter set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetResult {
    /// The output value.
    pub y: f64,
    /// Every node's pre-activation, value and σ'.
    pub nodes: Vec<NodeValue>,
    /// `dy_d<param>` for each compared parameter, from the autograd tape.
    #[serde(flatten)]
    pub derivatives: Map<String, Value>,
    /// Every path from each compared parameter to the output.
    pub paths: Vec<PathTerm>,
    /// The gradient as a path sum in LaTeX, by parameter.
    pub derivation: Map<String, Value>,
    /// The same sums as `aligned` blocks, one path per line.
    pub derivation_lines: Map<String, Value>,
    /// The path sums' values, by parameter.
    pub path_sum: Map<String, Value>,
    /// The gradients from this module's own reverse pass, by parameter.
    pub reverse_pass: Map<String, Value>,
}

impl NetResult {
    /// The paths from parameter `name` to the output.
    pub fn terms_of(&self, name: &str) -> Vec<PathTerm> {
        self.paths
            .iter()
            .filter(|t| t.parameter == name)
            .cloned()
            .collect()
    }
}

/// A node's values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeValue {
    /// Node name.
    pub name: String,
    /// Pre-activation (`null` for the input).
    pub z: Option<f64>,
    /// Value.
    pub h: f64,
    /// σ'(z) (`null` for the input).
    pub dsigma: Option<f64>,
    /// Whether the node differs from the chain (it is at or after a short circuit's target).
    pub starred: bool,
}

/// The worked-example comparison for one parameter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// The parameter.
    pub parameter: String,
    /// `dy/dθ` of the chain.
    pub chain: f64,
    /// `dy*/dθ` of the network with short circuits.
    pub skip: f64,
    /// `|dy*/dθ| / |dy/dθ|`.
    pub ratio: f64,
    /// Whether `|dy/dθ| ≤ |dy*/dθ|` here.
    pub holds: bool,
    /// Largest relative difference between path sum, reverse pass and tape (both networks).
    pub path_sum_error: f64,
    /// Whether the sign argument applies to this parameter (see the chapter).
    pub argument_applies: bool,
    /// The certified weight bound, if the argument gives one.
    pub bound: Option<Bound>,
    /// `dy*/dθ` along the paths without a short circuit (the chain's paths in `y*`).
    pub long_path: f64,
    /// `dy*/dθ` along the paths with at least one short circuit.
    pub short_paths: f64,
    /// ρ = `long_path / chain`: the chain's gradient with every σ′ taken in `y*`, over the
    /// chain's gradient (`null` when the chain's gradient is 0).
    pub rho: Option<f64>,
    /// S = `skip / long_path`: the whole path sum over the long path, so that the ratio of the
    /// gradients is `|ρ·S|` (`null` when the long path is 0).
    pub s: Option<f64>,
    /// Whether `|long_path| < |dy/dθ|`: the short circuits shrink the long path.
    pub long_path_smaller: bool,
    /// Whether the short paths have the long path's sign, so that they add to it.
    pub short_paths_add: bool,
}

impl Named for VariantResult {
    fn key(&self) -> &str {
        &self.name
    }
}

impl Named for Comparison {
    fn key(&self) -> &str {
        &self.parameter
    }
}

/// Sweep statistics for one parameter and region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepRow {
    /// The parameter.
    pub parameter: String,
    /// Region identifier.
    pub region: String,
    /// Region description.
    pub region_title: String,
    /// Samples drawn.
    pub samples: usize,
    /// Samples where `|dy/dθ| ≤ |dy*/dθ|`.
    pub holds: usize,
    /// `holds / samples`.
    pub fraction: f64,
    /// Smallest ratio `|dy*/dθ| / |dy/dθ|`.
    pub min: f64,
    /// 1 % quantile of the ratio.
    pub q01: f64,
    /// 5 % quantile.
    pub q05: f64,
    /// Median.
    pub median: f64,
    /// 95 % quantile.
    pub q95: f64,
}

/// How one condition fared for one parameter (sweep and search together).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConditionRow {
    /// The parameter.
    pub parameter: String,
    /// Condition identifier.
    pub condition: String,
    /// The condition in words.
    pub statement: String,
    /// Whether the chapter proves the condition sufficient for this parameter.
    pub proven: bool,
    /// Parameter sets that satisfy it.
    pub samples: usize,
    /// Of those, sets where the inequality fails.
    pub violations: usize,
    /// Smallest ratio among them (`null` when there are none).
    pub min_ratio: Option<f64>,
    /// Sets skipped because both gradients are too close to underflow to compare.
    pub unresolved: usize,
    /// Of `samples`, those drawn by the sweep (a sample of the regions).
    pub sweep_samples: usize,
    /// Of `violations`, those among the sweep's samples.
    pub sweep_violations: usize,
    /// Smallest ratio among the sweep's samples (`null` when there are none).
    pub sweep_min_ratio: Option<f64>,
    /// Of `samples`, the points visited by the search (which walks toward low ratios, so
    /// its counts are not frequencies).
    pub search_samples: usize,
    /// Of `violations`, those among the search's points.
    pub search_violations: usize,
}

/// A parameter set where the inequality fails, re-evaluated through the tape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counterexample {
    /// The parameter.
    pub parameter: String,
    /// `most-extreme` (lowest ratio), `smallest` (smallest largest |value|) or
    /// `nonnegative` (smallest with every weight ≥ 0).
    pub kind: String,
    /// Region it was found in.
    pub region: String,
    /// Values of every parameter and the input.
    pub values: Map<String, Value>,
    /// Largest |value|.
    pub size: f64,
    /// `dy/dθ` of the chain (tape).
    pub chain: f64,
    /// `dy*/dθ` of the network with short circuits (tape).
    pub skip: f64,
    /// `|dy*/dθ| / |dy/dθ|`.
    pub ratio: f64,
    /// Whether the tape confirms `|dy/dθ| > |dy*/dθ|`.
    pub verified: bool,
    /// Significant digits of `values`: the search's values rounded to this many digits, so
    /// that the page prints them exactly and every number here is computed from what it prints.
    pub digits: usize,
    /// The ratio at the unrounded point the search (without one, the sweep) found.
    pub found_ratio: f64,
    /// ρ at this point, as [`Comparison::rho`]: path 1 of `y*` over the chain's gradient
    /// (`null` when the chain's gradient is 0).
    pub rho: Option<f64>,
    /// S at this point, as [`Comparison::s`]: `dy*/dθ` over path 1 (`null` when path 1 is
    /// 0).
    pub s: Option<f64>,
    /// The chain at this point.
    pub chain_net: NetResult,
    /// The network with short circuits at this point.
    pub skip_net: NetResult,
}

/// One line of the overview table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Variant.
    pub variant: String,
    /// Parameter.
    pub parameter: String,
    /// Samples over all regions.
    pub samples: usize,
    /// Of those, samples where the inequality holds.
    pub holds: usize,
    /// Fraction where the inequality holds.
    pub fraction: f64,
    /// Smallest ratio seen (sweep and search).
    pub min_ratio: f64,
    /// Whether a counterexample with every weight ≥ 0 was found.
    pub nonnegative_counterexample: bool,
    /// The certified weight bound (`null` if none).
    pub w_max: Option<f64>,
    /// Samples where the inequality fails (`samples − holds`).
    pub fails: usize,
    /// The |x| bound the certified bound needs (`null` when it holds for every input or
    /// there is no bound).
    pub input_bound: Option<f64>,
    /// The certified bound in words, with the input range it needs: `0.388 for |x| ≤ 2`.
    pub certified: String,
    /// Whether this row repeats the statement of an earlier parameter of the same variant
    /// (see [`VariantResult::same_as`]).
    pub repeats: bool,
}
