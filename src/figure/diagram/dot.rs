//! A diagram as Graphviz DOT with the boxes, labels and spacing our layout uses, so that
//! `dot`'s drawing of the same graph can be measured against ours (crossings, edge length,
//! time) on equal terms: fixed-size boxes in points (1 pt = 1 px), the same gaps between
//! boxes and between ranks, the same flow direction, edge labels in the same font.

use super::{BODY, Diagram, Direction, box_size};
use crate::format::fixed;

/// `px` in inches, as DOT sizes are given (72 points per inch; our px are dot's points).
fn inches(px: f64) -> String {
    fixed(px / 72.0, 4)
}

/// Escape the content of a DOT string.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `diagram` as DOT for Graphviz `dot`: node `n<i>` is box `i` at its size, with no text
/// (only geometry is compared); edges keep their direction and label text. Self-loops and
/// edges to missing nodes are left out, as [`super::render`] leaves them out.
pub fn sized_dot(diagram: &Diagram) -> String {
    // The layered layout keeps GAP.0 beside every box horizontally and GAP.1 vertically.
    let (x, y) = super::GAP;
    let (node_sep, rank_sep) = match diagram.direction {
        Direction::TopToBottom => (2.0 * x, 2.0 * y),
        Direction::LeftToRight => (2.0 * y, 2.0 * x),
    };
    let rankdir = match diagram.direction {
        Direction::TopToBottom => "TB",
        Direction::LeftToRight => "LR",
    };
    let mut out = format!(
        "digraph gradbook {{\n  rankdir={rankdir}; nodesep={}; ranksep={};\n  \
node [shape=box, fixedsize=true, label=\"\", margin=0];\n  \
edge [fontname=\"monospace\", fontsize={}];\n",
        inches(node_sep),
        inches(rank_sep),
        fixed(BODY, 0)
    );
    for (i, node) in diagram.nodes.iter().enumerate() {
        let (w, h) = box_size(&node.lines);
        out.push_str(&format!(
            "  n{i} [width={}, height={}];\n",
            inches(w),
            inches(h)
        ));
    }
    let n = diagram.nodes.len();
    for e in &diagram.edges {
        if e.from >= n || e.to >= n || e.from == e.to {
            continue;
        }
        match &e.label {
            Some(label) => out.push_str(&format!(
                "  n{} -> n{} [label=\"{}\"];\n",
                e.from,
                e.to,
                escape(label)
            )),
            None => out.push_str(&format!("  n{} -> n{};\n", e.from, e.to)),
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn boxes_keep_their_size_in_points_and_labels_are_escaped() {
        let mut d = sample();
        d.edges[0].label = Some("say \"hi\"".into());
        let dot = sized_dot(&d);
        let (w, h) = box_size(&d.nodes[2].lines);
        assert!(dot.contains(&format!("n2 [width={}, height={}]", inches(w), inches(h))));
        assert!(dot.contains("n0 -> n2 [label=\"say \\\"hi\\\"\"]"));
        assert!(dot.contains("n1 -> n2;"));
        assert!(dot.contains("rankdir=TB"));
        // 20 px between boxes, 32 px between ranks, as the layered layout keeps them.
        assert!(dot.contains(&format!("nodesep={}", inches(20.0))));
        assert!(dot.contains(&format!("ranksep={}", inches(32.0))));
    }
}
