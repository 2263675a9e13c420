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

/// A shape as torchviz writes it under a leaf name, `(3, 4)`; one dimension as `(3)`.
fn shape_label(shape: &[usize]) -> String {
    format!(
        "({})",
        shape
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The lines shown in a node's box: value and gradient for a one-element tensor, the shape
/// for a larger one (its numbers are in the JSON).
fn lines(n: &GraphNode, output: &str, digits: Digits) -> Vec<String> {
    let numbers = if n.value.numel() == 1 {
        vec![
            format!("value {}", digits.fit(n.value.item(), BOX_DIGITS)),
            format!(
                "grad {}",
                digits.fit(n.grad.data.first().copied().unwrap_or(0.0), BOX_DIGITS)
            ),
        ]
    } else {
        Vec::new()
    };
    if n.kind == "leaf" {
        let name = n.var.as_deref().unwrap_or("leaf");
        let mut lines = vec![
            format!("{name} {}", shape_label(&n.shape)),
            "AccumulateGrad".into(),
        ];
        lines.extend(numbers);
        return lines;
    }
    let mut lines = vec![n.name.clone(), n.expr.clone().unwrap_or_default()];
    if n.value.numel() == 1 {
        lines.extend(numbers);
    } else {
        lines.push(format!("shape {}", shape_label(&n.shape)));
    }
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
    let numbers = |t: &crate::compute::autograd::tensor::Tensor| {
        if t.numel() == 1 {
            digits.show(t.item())
        } else {
            format!("of shape {}", shape_label(&t.shape))
        }
    };
    format!(
        "{}: {what}\nvalue {}; d{}/d({}) = {}\nnext_functions: ({})",
        n.name,
        numbers(&n.value),
        result.output_var,
        n.var.clone().unwrap_or_else(|| n.forward.clone()),
        numbers(&n.grad),
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
