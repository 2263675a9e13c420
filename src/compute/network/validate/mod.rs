//! Checks a parsed [`Spec`] and builds the networks it describes; every error names the key
//! and points at it. `graph` checks the graphs, `settings` the sweep settings.

mod graph;
mod settings;

use graph::{topological, with_skips};
use settings::sweep;

use super::model::{Activation, Incoming, Network, Param, Role};
use super::spec::{Reading, Spec};
use crate::diag::SpanError;
use std::collections::BTreeMap;
use toml::Spanned;

/// A chain and the same chain with short circuits.
#[derive(Debug, Clone)]
pub struct Pair {
    /// Variant name.
    pub name: String,
    /// Variant title.
    pub title: String,
    /// Name of the reading.
    pub reading: String,
    /// Title of the reading.
    pub reading_title: String,
    /// The chain network `y`.
    pub chain: Network,
    /// The network with short circuits `y*`.
    pub skip: Network,
    /// Worked-example values, by parameter index.
    pub values: Vec<f64>,
}

/// Upper limit on samples per region and variant, so a typo cannot make a build run for hours.
pub const MAX_SAMPLES: usize = 100_000;

/// Upper limit on the network evaluations of the sweep (samples × regions × variants) and,
/// separately, of the search (starts × steps × regions × parameters × variants): about two
/// seconds each on a small machine (the default book uses 400000 and 480000).
pub const MAX_EVALUATIONS: usize = 2_000_000;

pub(super) fn err<T>(
    span: std::ops::Range<usize>,
    message: impl Into<String>,
) -> Result<T, SpanError> {
    Err(SpanError::new(span, message))
}

pub(super) fn identifier(name: &Spanned<String>, key: &str) -> Result<(), SpanError> {
    let ok = !name.get_ref().is_empty()
        && name
            .get_ref()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name
            .get_ref()
            .starts_with(|c: char| c.is_ascii_alphabetic());
    if ok {
        Ok(())
    } else {
        err(
            name.span(),
            format!(
                "`{key}` must be an identifier (a letter, then letters, digits or `_`), got `{}`",
                name.get_ref()
            ),
        )
    }
}

/// Validate `spec` and build one [`Pair`] per variant.
pub fn pairs(spec: &Spec) -> Result<Vec<Pair>, SpanError> {
    let mut chains: BTreeMap<String, (Network, Vec<f64>, &Reading)> = BTreeMap::new();
    for reading in &spec.readings {
        identifier(&reading.get_ref().name, "reading.name")?;
        let name = reading.get_ref().name.get_ref().clone();
        if chains.contains_key(&name) {
            return err(
                reading.get_ref().name.span(),
                format!("duplicate reading name `{name}`"),
            );
        }
        let (net, values) = chain(reading.get_ref())?;
        chains.insert(name, (net, values, reading.get_ref()));
    }
    if spec.variants.is_empty() {
        return err(0..0, "the study needs at least one `[[variant]]`");
    }
    let mut out: Vec<Pair> = Vec::new();
    for variant in &spec.variants {
        let v = variant.get_ref();
        identifier(&v.name, "variant.name")?;
        if out.iter().any(|p| &p.name == v.name.get_ref()) {
            return err(
                v.name.span(),
                format!("duplicate variant name `{}`", v.name.get_ref()),
            );
        }
        let Some((net, values, reading)) = chains.get(v.reading.get_ref()) else {
            let known: Vec<&str> = chains.keys().map(String::as_str).collect();
            return err(
                v.reading.span(),
                format!(
                    "`variant.reading` names an unknown reading `{}` (known: {})",
                    v.reading.get_ref(),
                    known.join(", ")
                ),
            );
        };
        let skip = with_skips(net, v)?;
        for p in &spec.compare.get_ref().parameters {
            match net.param(p.get_ref()).map(|i| net.params[i].role) {
                Some(Role::Weight | Role::Bias) => {}
                _ => {
                    return err(
                        p.span(),
                        format!(
                            "`compare.parameters`: `{}` is not a weight or bias of reading `{}`",
                            p.get_ref(),
                            v.reading.get_ref()
                        ),
                    );
                }
            }
        }
        out.push(Pair {
            name: v.name.get_ref().clone(),
            title: v.title.clone(),
            reading: v.reading.get_ref().clone(),
            reading_title: reading.title.clone(),
            chain: net.clone(),
            skip,
            values: values.clone(),
        });
    }
    if spec.compare.get_ref().parameters.is_empty() {
        return err(
            spec.compare.span(),
            "`compare.parameters` must name at least one parameter",
        );
    }
    sweep(spec)?;
    Ok(out)
}

pub(super) fn node_index(
    nodes: &[String],
    name: &Spanned<String>,
    key: &str,
) -> Result<usize, SpanError> {
    nodes
        .iter()
        .position(|n| n == name.get_ref())
        .ok_or_else(|| {
            SpanError::new(
                name.span(),
                format!(
                    "`{key}` names an unknown node `{}` (nodes: {})",
                    name.get_ref(),
                    nodes.join(", ")
                ),
            )
        })
}

fn add_param(
    params: &mut Vec<Param>,
    name: &Spanned<String>,
    role: Role,
    key: &str,
) -> Result<usize, SpanError> {
    identifier(name, key)?;
    if let Some(i) = params.iter().position(|p| &p.name == name.get_ref()) {
        if params[i].role != role {
            return err(
                name.span(),
                format!(
                    "`{key}`: `{}` is already used as a {} and cannot also be a {}",
                    name.get_ref(),
                    role_name(params[i].role),
                    role_name(role)
                ),
            );
        }
        return Ok(i);
    }
    params.push(Param {
        name: name.get_ref().clone(),
        role,
    });
    Ok(params.len() - 1)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Input => "input",
        Role::Weight => "weight",
        Role::Bias => "bias",
    }
}

fn chain(r: &Reading) -> Result<(Network, Vec<f64>), SpanError> {
    let Some(activation) = Activation::from_name(r.activation.get_ref()) else {
        return err(
            r.activation.span(),
            format!(
                "`activation`: unknown activation `{}` (known, all with σ' > 0: {})",
                r.activation.get_ref(),
                Activation::NAMES.join(", ")
            ),
        );
    };
    let mut nodes: Vec<String> = Vec::new();
    for n in &r.nodes {
        identifier(n, "nodes")?;
        if nodes.contains(n.get_ref()) {
            return err(
                n.span(),
                format!("`nodes`: `{}` is listed twice", n.get_ref()),
            );
        }
        nodes.push(n.get_ref().clone());
    }
    let input = node_index(&nodes, &r.input, "input")?;
    let output = node_index(&nodes, &r.output, "output")?;
    if input == output {
        return err(r.output.span(), "`output` must differ from `input`");
    }
    let mut params = vec![Param {
        name: nodes[input].clone(),
        role: Role::Input,
    }];
    let mut incoming: Vec<Vec<Incoming>> = vec![Vec::new(); nodes.len()];
    let mut spans: Vec<(usize, usize, std::ops::Range<usize>)> = Vec::new();
    for e in &r.edges {
        let e_ref = e.get_ref();
        let from = node_index(&nodes, &e_ref.from, "edges.from")?;
        let to = node_index(&nodes, &e_ref.to, "edges.to")?;
        if to == input {
            return err(
                e_ref.to.span(),
                "`edges.to`: no edge may enter the input node",
            );
        }
        if from == to {
            return err(e.span(), format!("`edges`: self-loop on `{}`", nodes[to]));
        }
        if spans.iter().any(|(f, t, _)| (*f, *t) == (from, to)) {
            return err(
                e.span(),
                format!("`edges`: {} → {} is listed twice", nodes[from], nodes[to]),
            );
        }
        let weight = add_param(&mut params, &e_ref.weight, Role::Weight, "edges.weight")?;
        incoming[to].push(Incoming::Edge { from, weight });
        spans.push((from, to, e.span()));
    }
    let mut bias = vec![None; nodes.len()];
    for (node, name) in &r.biases {
        let Some(k) = nodes.iter().position(|n| n == node) else {
            return err(
                name.span(),
                format!(
                    "`biases.{node}`: unknown node `{node}` (nodes: {})",
                    nodes.join(", ")
                ),
            );
        };
        if k == input {
            return err(
                name.span(),
                format!("`biases.{node}`: the input node has no bias"),
            );
        }
        bias[k] = Some(add_param(&mut params, name, Role::Bias, "biases")?);
    }
    let node_spans: Vec<_> = r.nodes.iter().map(Spanned::span).collect();
    let order = topological(
        &nodes,
        (input, output),
        &incoming,
        &|k| node_spans[k].clone(),
        &|a, b| {
            spans
                .iter()
                .find(|(f, t, _)| (*f, *t) == (a, b))
                .map(|s| s.2.clone())
        },
    )?;
    let net = Network {
        activation,
        nodes,
        input,
        output,
        order,
        incoming,
        bias,
        params,
    };
    let values = values(&net, r)?;
    Ok((net, values))
}

fn values(net: &Network, r: &Reading) -> Result<Vec<f64>, SpanError> {
    let table = r.values.get_ref();
    for (key, v) in table {
        if net.param(key).is_none() {
            return err(
                v.span(),
                format!("`values.{key}`: `{key}` is not a parameter or the input of this reading"),
            );
        }
        if !v.get_ref().is_finite() {
            return err(v.span(), format!("`values.{key}` must be a finite number"));
        }
    }
    net.params
        .iter()
        .map(|p| {
            table.get(&p.name).map(|v| *v.get_ref()).ok_or_else(|| {
                SpanError::new(
                    r.values.span(),
                    format!(
                        "`values`: parameter `{}` has no value (every weight, bias and the input need one)",
                        p.name
                    ),
                )
            })
        })
        .collect()
}
