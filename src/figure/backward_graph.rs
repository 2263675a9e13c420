//! Backward graphs of autograd scripts (Q3), drawn through [`super::diagram`] in the
//! torchviz manner (inputs on top, the output at the bottom, arrows in the direction the
//! forward pass flows) with every node labelled, and written as Graphviz DOT.

use super::diagram::{self, Diagram, Direction, Edge, Node};
use crate::compute::autograd::{GraphNode, GraphResult};
use crate::format::Digits;

/// The figure kinds this module draws.
pub const KINDS: &[&str] = &["backward-graph"];

/// Room for significant digits of values and gradients in boxes; tooltips print the book's
/// digits (see [`Digits`]).
const BOX_DIGITS: usize = 5;

/// Draw figure `kind` of `result`; `None` if there is no such kind.
pub fn draw(result: &GraphResult, kind: &str, id_prefix: &str) -> Option<String> {
    draw_with(result, kind, id_prefix, diagram::Engine::default())
}

/// [`draw`] laid out by `layout`.
pub fn draw_with(
    result: &GraphResult,
    kind: &str,
    id_prefix: &str,
    layout: diagram::Engine,
) -> Option<String> {
    draw_with_digits(result, kind, id_prefix, layout, Digits::DEFAULT)
}

/// [`draw_with`] printing numbers at the book's `digits`.
pub fn draw_with_digits(
    result: &GraphResult,
    kind: &str,
    id_prefix: &str,
    layout: diagram::Engine,
    digits: Digits,
) -> Option<String> {
    (kind == KINDS[0])
        .then(|| diagram::render_with(&to_diagram_with_digits(result, digits), id_prefix, layout))
}

/// The lines shown in a node's box.
fn lines(n: &GraphNode, output: &str, digits: Digits) -> Vec<String> {
    let value = format!("value {}", digits.fit(n.value, BOX_DIGITS));
    let grad = format!("grad {}", digits.fit(n.grad, BOX_DIGITS));
    if n.kind == "leaf" {
        let name = n.var.as_deref().unwrap_or("leaf");
        return vec![format!("{name} (1)"), "AccumulateGrad".into(), value, grad];
    }
    let mut lines = vec![
        n.name.clone(),
        n.expr.clone().unwrap_or_default(),
        value,
        grad,
    ];
    if n.kind == "output" {
        lines.push(format!("output: {output}.backward()"));
    }
    lines
}

/// The tooltip of a node: what it is and where its gradient goes.
fn tooltip(result: &GraphResult, n: &GraphNode, digits: Digits) -> String {
    let next: Vec<String> = result
        .edges
        .iter()
        .filter(|e| e.from == n.id)
        .map(|e| {
            let target = &result.nodes[e.to];
            match &target.var {
                Some(v) => format!("{} ({v})", target.name),
                None => target.name.clone(),
            }
        })
        .collect();
    let what = n.expr.clone().or_else(|| n.var.clone()).unwrap_or_default();
    format!(
        "{}: {what}\nvalue {}; d{}/d({}) = {}\nnext_functions: ({})",
        n.name,
        digits.show(n.value),
        result.output_var,
        n.var.clone().unwrap_or_else(|| n.forward.clone()),
        digits.show(n.grad),
        next.join(", ")
    )
}

/// The diagram of `result`: one box per backward node, an arrow from each input to the
/// node that consumes it.
pub fn to_diagram(result: &GraphResult) -> Diagram {
    to_diagram_with_digits(result, Digits::DEFAULT)
}

/// [`to_diagram`] printing numbers at the book's `digits`.
pub fn to_diagram_with_digits(result: &GraphResult, digits: Digits) -> Diagram {
    let nodes = result
        .nodes
        .iter()
        .map(|n| Node {
            lines: lines(n, &result.output_var, digits),
            class: n.kind.to_string(),
            tooltip: tooltip(result, n, digits),
        })
        .collect();
    let edges = result
        .edges
        .iter()
        .map(|e| Edge {
            from: e.to,
            to: e.from,
            class: String::new(),
            label: None,
        })
        .collect();
    let leaves = result.leaves.len();
    Diagram {
        title: format!(
            "Backward graph of {}: {} backward nodes and {leaves} leaves, each labelled with its forward expression, value and gradient",
            result.output_var,
            result.nodes.len() - leaves
        ),
        direction: Direction::TopToBottom,
        nodes,
        edges,
    }
}

/// Escape a DOT string's content.
fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The first lines of every graph [`dot`] writes.
pub const DOT_HEADER: &str =
    "digraph backward {\n  node [shape=box, style=filled, fontname=\"monospace\", fontsize=11];\n";

/// The graph as Graphviz DOT in torchviz's colours.
pub fn dot(result: &GraphResult) -> String {
    let mut out = String::from(DOT_HEADER);
    for n in &result.nodes {
        let fill = match n.kind {
            "leaf" => "lightblue",
            "output" => "darkolivegreen1",
            _ => "lightgrey",
        };
        out.push_str(&format!(
            "  n{} [label=\"{}\", fillcolor={fill}];\n",
            n.id,
            dot_escape(&lines(n, &result.output_var, Digits::DEFAULT).join("\n"))
        ));
    }
    for e in &result.edges {
        out.push_str(&format!("  n{} -> n{};\n", e.to, e.from));
    }
    out.push_str("}\n");
    out
}
