//! The backward-graph figure: well-formed XML, unique prefixed ids, escaping, accessibility,
//! the command line, and a snapshot of the comp_tree figure.

use assert_cmd::Command;
use gradbook::compute::autograd;
use gradbook::figure::backward_graph;
use gradbook::figure::diagram::{self, Diagram, Direction, Edge, Node};
use std::collections::HashSet;

fn comp_tree_svg(prefix: &str) -> String {
    let r =
        autograd::run(include_str!("../content/comp_tree.py")).unwrap_or_else(|e| panic!("{e}"));
    backward_graph::draw(&r, "backward-graph", prefix).unwrap_or_default()
}

fn ids(doc: &roxmltree::Document<'_>) -> Vec<String> {
    doc.descendants()
        .filter_map(|n| n.attribute("id"))
        .map(str::to_string)
        .collect()
}

#[test]
fn svg_parses_and_is_accessible() {
    let svg = comp_tree_svg("q3-");
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert_eq!(root.attribute("aria-labelledby"), Some("q3-title"));
    assert_eq!(root.attribute("width"), Some("100%"));
    assert!(root.attribute("viewBox").is_some());
    // 20 boxes, each with a tooltip and a class; 25 arrows (two per binary node, one for sin).
    let boxes: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.starts_with("gb-node "))
        })
        .collect();
    assert_eq!(boxes.len(), 20);
    assert!(
        boxes
            .iter()
            .all(|b| b.children().any(|c| c.has_tag_name("title")))
    );
    let leaves = boxes
        .iter()
        .filter(|b| b.attribute("class") == Some("gb-node gb-node-leaf"))
        .count();
    assert_eq!(leaves, 7);
    let arrows = doc
        .descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.starts_with("gb-edge"))
        })
        .count();
    assert_eq!(arrows, 25);
}

#[test]
fn ids_are_unique_across_two_inlined_figures() {
    let page = format!(
        "<div>{}{}</div>",
        comp_tree_svg("fig1-"),
        comp_tree_svg("fig2-")
    );
    let doc = roxmltree::Document::parse(&page).unwrap_or_else(|e| panic!("{e}"));
    let all = ids(&doc);
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len());
    assert!(
        all.iter()
            .all(|id| id.starts_with("fig1-") || id.starts_with("fig2-"))
    );
    // Internal references point into the same figure.
    for node in doc.descendants() {
        if let Some(url) = node.attribute("marker-end") {
            let target = url.trim_start_matches("url(#").trim_end_matches(')');
            assert!(unique.contains(&target.to_string()), "{url}");
        }
    }
}

#[test]
fn user_text_is_escaped() {
    let d = Diagram {
        title: "<script>alert(1)</script> & co".into(),
        direction: Direction::TopToBottom,
        nodes: vec![
            Node {
                lines: vec!["<script>".into(), "a & b".into()],
                class: "op\" onclick=\"x".into(),
                tooltip: "</title><script>".into(),
            },
            Node {
                lines: vec!["\"quoted\"".into()],
                class: "leaf".into(),
                tooltip: "it's".into(),
            },
        ],
        edges: vec![Edge {
            from: 1,
            to: 0,
            class: "path-2 <b>".into(),
            label: Some("x < y & z".into()),
        }],
    };
    let svg = diagram::render(&d, "p\"><script>");
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;"));
    assert!(svg.contains("a &amp; b"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("script"))
            .count(),
        0
    );
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.contains(&"x < y & z"));
    assert!(texts.contains(&"<script>alert(1)</script> & co"));
    assert!(ids(&doc).iter().all(|id| id.starts_with("p---script-")));
}

#[test]
fn a_script_with_markup_in_names_is_escaped() {
    // Names are identifiers, but expressions carry `<`-free text; check the whole pipeline.
    let r = autograd::run(
        "import torch\na_b = torch.tensor([1.0], requires_grad=True)\ny = a_b * 2 - 1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let svg = backward_graph::draw(&r, "backward-graph", "t-").unwrap_or_default();
    assert!(roxmltree::Document::parse(&svg).is_ok());
    assert!(svg.contains("y = a_b * 2 - 1"));
}

#[test]
fn comp_tree_figure_snapshot() {
    insta::assert_snapshot!(comp_tree_svg("comp-tree-"));
}

#[test]
fn graph_command_prints_design_json() {
    let out = Command::cargo_bin("gradbook")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["graph", "content/comp_tree.py", "--format", "json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = json
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["nodes", "edges", "root", "output", "grads"]);
    let first = &json["nodes"][0];
    let node_keys: Vec<&str> = first
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // Every node carries its shape (DESIGN.md: the JSON grows with tensors, never renames).
    assert_eq!(
        node_keys,
        ["id", "name", "expr", "var", "shape", "value", "grad"]
    );
    assert_eq!(first["shape"], serde_json::json!([1]));
    assert_eq!(first["expr"], "y = r + s");
    let leaf = json["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "AccumulateGrad"))
        .cloned()
        .unwrap_or_default();
    assert!(leaf.get("expr").is_none());
    assert_eq!(
        json["edges"][0],
        serde_json::json!({"from": 0, "to": 1, "input": 0})
    );
    assert_eq!(json["grads"].as_object().map(|g| g.len()), Some(7));
}

#[test]
fn graph_command_reports_errors_like_a_compiler() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("bad.py");
    std::fs::write(
        &file,
        "import torch\nx = torch.tensor([1.0], requires_grad=True)\ny = x +* 2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::cargo_bin("gradbook")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("graph")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.py:3:8: syntax error: expected an operand"),
        "{err}"
    );
    assert!(err.contains("3 | y = x +* 2"), "{err}");
}

#[test]
fn dot_output_has_every_node_and_edge() {
    let r =
        autograd::run(include_str!("../content/comp_tree.py")).unwrap_or_else(|e| panic!("{e}"));
    let dot = backward_graph::dot(&r);
    assert_eq!(dot.matches("fillcolor=").count(), 20);
    assert_eq!(dot.matches(" -> ").count(), 25);
}
