//! Computations: pure functions from a settings text to a serialisable result.
//!
//! A computation never reads or writes files: the site layer reads `content/*.py` and
//! `content/*.toml`, hands the text here, and gets back an [`Outcome`] (or a [`SpanError`]
//! pointing into the text). The same outcome feeds prose, tables, figures and JSON.

pub mod autograd;
pub mod chacha;
pub mod network;
pub mod optim;

use crate::diag::SpanError;
use serde::Serialize;

/// What kind of computation a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A `*.py` autograd script in the `comp_tree.py` dialect.
    Autograd,
    /// A `*.toml` study with `kind = "network"`.
    Network,
    /// A `*.toml` study with `kind = "optimizer"`.
    Optimizer,
}

impl Kind {
    /// The kind of a content file from its extension and, for TOML, its `kind` key.
    ///
    /// `Ok(None)` means the file is not a computation (for example `.toml` without `kind`).
    pub fn of_file(extension: &str, source: &str) -> Result<Option<Kind>, SpanError> {
        match extension {
            "py" => Ok(Some(Kind::Autograd)),
            "toml" => {
                let table: toml::Table = toml::from_str(source).map_err(toml_error)?;
                match table.get("kind").and_then(toml::Value::as_str) {
                    Some("network") => Ok(Some(Kind::Network)),
                    Some("optimizer") => Ok(Some(Kind::Optimizer)),
                    Some(other) => {
                        let at = source.find("kind").unwrap_or(0);
                        Err(SpanError::new(
                            at..at + 4,
                            format!(
                                "unknown computation kind `{other}`: expected \"network\" or \"optimizer\""
                            ),
                        ))
                    }
                    None => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }
}

/// The result of one computation.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Outcome {
    /// A backward graph with values and gradients.
    Autograd(autograd::GraphResult),
    /// Gradients, path sums, sweeps and counterexamples of a set of 1-D networks.
    Network(network::StudyResult),
    /// Optimizer runs on a 1-D landscape and the escape threshold.
    Optimizer(optim::StudyResult),
}

/// A stated conclusion and whether this run supports it (checked by `gradbook check`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Claim {
    /// The conclusion as a reader would state it.
    pub statement: String,
    /// Whether the computation supports it.
    pub holds: bool,
    /// The evidence, or what contradicts it.
    pub detail: String,
}

/// Run a computation of `kind` on its source text.
pub fn run(kind: Kind, source: &str) -> Result<Outcome, SpanError> {
    Ok(match kind {
        Kind::Autograd => Outcome::Autograd(autograd::run(source)?),
        Kind::Network => Outcome::Network(network::run(source)?),
        Kind::Optimizer => Outcome::Optimizer(optim::run(source)?),
    })
}

impl Outcome {
    /// The result as JSON, with the field names documented in DESIGN.md.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The claims this computation checks.
    pub fn claims(&self) -> Vec<Claim> {
        match self {
            Outcome::Autograd(_) => Vec::new(),
            Outcome::Network(r) => r.claims(),
            Outcome::Optimizer(r) => r.claims(),
        }
    }
}

/// Turn a TOML parse error into a [`SpanError`] (study files use this too).
pub fn toml_error(err: toml::de::Error) -> SpanError {
    let span = err.span().unwrap_or(0..0);
    SpanError::new(span, err.message().to_string())
}
