//! Graph checks: topological order, every node on a path from input to output, and the
//! short circuits a variant adds.

use super::{err, node_index};
use crate::compute::network::model::{Enters, Incoming, Network};
use crate::compute::network::spec::Variant;
use crate::diag::SpanError;
use petgraph::algo::toposort;
use petgraph::graph::DiGraph;

/// Topological order of the non-input nodes; every node must lie on a path input → output.
pub(super) fn topological(
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

pub(super) fn with_skips(chain: &Network, v: &Variant) -> Result<Network, SpanError> {
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
