//! Checks a parsed [`Spec`] and builds the networks it describes; every error names the key
//! and points at it.

use super::model::{Activation, Enters, Incoming, Network, Param, Role};
use super::spec::{Range, Reading, Spec, Variant};
use crate::diag::SpanError;
use petgraph::algo::toposort;
use petgraph::graph::DiGraph;
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

/// Upper limit on samples per region, so a typo cannot make a build run for hours.
pub const MAX_SAMPLES: usize = 2_000_000;

fn err<T>(span: std::ops::Range<usize>, message: impl Into<String>) -> Result<T, SpanError> {
    Err(SpanError::new(span, message))
}

fn identifier(name: &Spanned<String>, key: &str) -> Result<(), SpanError> {
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

fn node_index(nodes: &[String], name: &Spanned<String>, key: &str) -> Result<usize, SpanError> {
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

/// Topological order of the non-input nodes; every node must lie on a path input → output.
fn topological(
    nodes: &[String],
    (input, output): (usize, usize),
    incoming: &[Vec<Incoming>],
    node_span: &dyn Fn(usize) -> std::ops::Range<usize>,
    span_of: &dyn Fn(usize, usize) -> Option<std::ops::Range<usize>>,
) -> Result<Vec<usize>, SpanError> {
    let mut g: DiGraph<usize, ()> = DiGraph::new();
    let ids: Vec<_> = (0..nodes.len()).map(|i| g.add_node(i)).collect();
    for (to, list) in incoming.iter().enumerate() {
        for inc in list {
            let from = match *inc {
                Incoming::Edge { from, .. } | Incoming::Skip { from, .. } => from,
            };
            g.add_edge(ids[from], ids[to], ());
        }
    }
    let sorted = toposort(&g, None).map_err(|cycle| {
        let k = g[cycle.node_id()];
        let span = incoming[k]
            .iter()
            .find_map(|inc| match *inc {
                Incoming::Edge { from, .. } | Incoming::Skip { from, .. } => span_of(from, k),
            })
            .unwrap_or(0..0);
        SpanError::new(
            span,
            format!(
                "`edges`: the edges and short circuits form a cycle through `{}`",
                nodes[k]
            ),
        )
    })?;
    for (k, name) in nodes.iter().enumerate() {
        let from_input = petgraph::algo::has_path_connecting(&g, ids[input], ids[k], None);
        let to_output = petgraph::algo::has_path_connecting(&g, ids[k], ids[output], None);
        if !from_input || !to_output {
            return err(
                node_span(k),
                format!("`nodes`: `{name}` is not on a path from the input to the output"),
            );
        }
    }
    Ok(sorted
        .into_iter()
        .map(|i| g[i])
        .filter(|&k| k != input)
        .collect())
}

fn with_skips(chain: &Network, v: &Variant) -> Result<Network, SpanError> {
    let mut net = chain.clone();
    for s in &v.skips {
        let sr = s.get_ref();
        let from = node_index(&net.nodes, &sr.from, "skips.from")?;
        let to = node_index(&net.nodes, &sr.to, "skips.to")?;
        if to == net.input || from == to {
            return err(
                s.span(),
                "`skips`: a short circuit must go from one node to a later non-input node",
            );
        }
        let enters = match sr.enters.get_ref().as_str() {
            "pre-activation" => Enters::PreActivation,
            "post-activation" => Enters::PostActivation,
            other => {
                return err(
                    sr.enters.span(),
                    format!(
                        "`skips.enters`: `{other}` is not \"pre-activation\" or \"post-activation\""
                    ),
                );
            }
        };
        if !sr.wc.get_ref().is_finite() {
            return err(sr.wc.span(), "`skips.wc` must be a finite number");
        }
        let parallel = net.incoming[to].iter().any(|inc| match *inc {
            Incoming::Edge { from: f, .. } | Incoming::Skip { from: f, .. } => f == from,
        });
        if parallel {
            return err(
                s.span(),
                format!(
                    "`skips`: {} → {} duplicates an existing edge",
                    net.nodes[from], net.nodes[to]
                ),
            );
        }
        net.incoming[to].push(Incoming::Skip {
            from,
            wc: *sr.wc.get_ref(),
            enters,
        });
    }
    let span = v.name.span();
    net.order = topological(
        &net.nodes,
        (net.input, net.output),
        &net.incoming,
        &|_| span.clone(),
        &|_, _| Some(span.clone()),
    )?;
    Ok(net)
}

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

fn sweep(spec: &Spec) -> Result<(), SpanError> {
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
