//! The `kind = "network"` study file: serde structs that keep their source spans.
//!
//! Parsing only checks the TOML shape and the key names; [`super::validate`] checks what the
//! names refer to and turns a spec into the networks the study compares.

use crate::compute::toml_error;
use crate::diag::SpanError;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// A whole study file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Spec {
    /// Always `"network"` (checked by the caller that picked this parser).
    pub kind: String,
    /// Title of the study, shown in captions.
    #[serde(default)]
    pub title: String,
    /// Which gradients the study compares.
    pub compare: Spanned<Compare>,
    /// The chain networks (readings of the assignment), by position.
    #[serde(rename = "reading")]
    pub readings: Vec<Spanned<Reading>>,
    /// Chain + short circuits: each variant is one comparison `y` vs `y*`.
    #[serde(rename = "variant")]
    pub variants: Vec<Spanned<Variant>>,
    /// The random sweep.
    pub sweep: Spanned<Sweep>,
    /// The local counterexample search started from the sweep's worst samples.
    pub search: Option<Spanned<Search>>,
    /// Settings of the weight bound that certifies the inequality.
    pub certificate: Option<Spanned<Certificate>>,
}

/// The gradients to compare.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Compare {
    /// Parameter names: `dy/dθ` of the chain is compared with `dy*/dθ` of the skip network.
    pub parameters: Vec<Spanned<String>>,
}

/// A chain network: nodes, weighted edges, biases, activation and worked-example values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Reading {
    /// Identifier (letters, digits, `_`), used by variants.
    pub name: Spanned<String>,
    /// What this reading of the assignment is.
    #[serde(default)]
    pub title: String,
    /// The activation σ of every non-input node: `sigmoid` or `tanh`.
    pub activation: Spanned<String>,
    /// All nodes, input first.
    pub nodes: Vec<Spanned<String>>,
    /// The input node (default `x`).
    #[serde(default = "default_input")]
    pub input: Spanned<String>,
    /// The output node (default `y`).
    #[serde(default = "default_output")]
    pub output: Spanned<String>,
    /// Weighted edges `from → to`, weight named by a parameter.
    pub edges: Vec<Spanned<EdgeSpec>>,
    /// Bias parameter of each non-input node, by node name.
    #[serde(default)]
    pub biases: BTreeMap<String, Spanned<String>>,
    /// Values of every parameter (and of the input) for the worked example.
    pub values: Spanned<BTreeMap<String, Spanned<f64>>>,
}

fn default_input() -> Spanned<String> {
    Spanned::new(0..0, "x".to_string())
}

fn default_output() -> Spanned<String> {
    Spanned::new(0..0, "y".to_string())
}

/// One weighted edge of a chain.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct EdgeSpec {
    /// Source node.
    pub from: Spanned<String>,
    /// Target node.
    pub to: Spanned<String>,
    /// Name of the weight parameter.
    pub weight: Spanned<String>,
}

/// A reading plus short-circuit edges.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Variant {
    /// Identifier (letters, digits, `_`), used in results and figure kinds.
    pub name: Spanned<String>,
    /// What this variant is.
    #[serde(default)]
    pub title: String,
    /// The reading (chain) this variant adds short circuits to.
    pub reading: Spanned<String>,
    /// The short-circuit edges.
    pub skips: Vec<Spanned<SkipSpec>>,
}

/// One short-circuit edge with a fixed weight.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SkipSpec {
    /// Source node.
    pub from: Spanned<String>,
    /// Target node.
    pub to: Spanned<String>,
    /// The fixed weight `wc`.
    #[serde(default = "default_wc")]
    pub wc: Spanned<f64>,
    /// `pre-activation` (added to the target's `w·h + b`) or `post-activation` (added to σ(…)).
    #[serde(default = "default_enters")]
    pub enters: Spanned<String>,
}

fn default_wc() -> Spanned<f64> {
    Spanned::new(0..0, 1.0)
}

fn default_enters() -> Spanned<String> {
    Spanned::new(0..0, "pre-activation".to_string())
}

/// The random sweep.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sweep {
    /// Seed of the random generator (the sweep is deterministic for a fixed seed).
    pub seed: u64,
    /// Samples per region and variant.
    pub samples: Spanned<usize>,
    /// The parameter regions sampled.
    #[serde(rename = "region")]
    pub regions: Vec<Spanned<Region>>,
}

/// A box of parameter values sampled uniformly (or log-uniformly).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Region {
    /// Identifier used in results.
    pub name: Spanned<String>,
    /// What the region is, for tables.
    #[serde(default)]
    pub title: String,
    /// Distribution of every weight parameter.
    pub weights: Spanned<Range>,
    /// Distribution of every bias parameter.
    pub biases: Spanned<Range>,
    /// Distribution of the input.
    pub input: Spanned<Range>,
}

/// An interval and how to sample it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Range {
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// `linear` (uniform) or `log` (log-uniform, needs `0 < low`).
    #[serde(default = "default_scale")]
    pub scale: String,
}

fn default_scale() -> String {
    "linear".to_string()
}

/// The local search for counterexamples.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Search {
    /// How many of each region's lowest-ratio samples are refined.
    pub starts: Spanned<usize>,
    /// Random-walk steps per start.
    pub steps: Spanned<usize>,
    /// Initial step, as a fraction of the region's width.
    pub step: Spanned<f64>,
}

impl Default for Search {
    fn default() -> Self {
        Self {
            starts: Spanned::new(0..0, 4),
            steps: Spanned::new(0..0, 300),
            step: Spanned::new(0..0, 0.1),
        }
    }
}

/// Settings of the certified weight bound.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Certificate {
    /// Bound on `|x|` used when a short circuit leaves the input node.
    pub input_bound: f64,
}

impl Default for Certificate {
    fn default() -> Self {
        Self { input_bound: 2.0 }
    }
}

/// Parse a study file's text (shape and key names only).
pub fn parse(source: &str) -> Result<Spec, SpanError> {
    toml::from_str(source).map_err(toml_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors_with_a_span() {
        let err = parse("kind = \"network\"\ncompre = 1\n").unwrap_err();
        assert!(err.message.contains("compre"), "{}", err.message);
        assert!(err.span.start >= 17);
    }

    #[test]
    fn skip_defaults_are_wc_1_into_the_pre_activation() {
        let skip: SkipSpec = toml::from_str("from = \"h1\"\nto = \"h3\"\n").unwrap();
        assert_eq!(*skip.wc.get_ref(), 1.0);
        assert_eq!(skip.enters.get_ref(), "pre-activation");
    }
}
