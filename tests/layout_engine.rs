//! The diagram layout is an explicit choice: `[gradbook] layout = "layered" | "layout-rs"`.
//! The layered layout is the default and the only one that runs unless layout-rs is asked
//! for; layout-rs draws small graphs when chosen, and graphs past its budget fall back to the
//! layered layout; a misspelt engine is an error at its line.

mod layout_measure;

use gradbook::config::Config;
use gradbook::figure::diagram::{self, Diagram, Direction, Edge, Engine, Node};

#[test]
fn the_book_chooses_the_engine_and_layered_is_the_default() {
    assert_eq!(Config::parse("").unwrap().gradbook.layout, Engine::Layered);
    let chosen = Config::parse("[gradbook]\nlayout = \"layout-rs\"\n").unwrap();
    assert_eq!(chosen.gradbook.layout, Engine::LayoutRs);
    let layered = Config::parse("[gradbook]\nlayout = \"layered\"\n").unwrap();
    assert_eq!(layered.gradbook.layout, Engine::Layered);
}

#[test]
fn an_unknown_engine_is_an_error_at_its_value() {
    let source = "[book]\ntitle = \"T\"\n\n[gradbook]\nlayout = \"dot\"\n";
    let err = Config::parse(source).expect_err("`dot` is not an engine");
    assert!(
        err.message.contains("layered") && err.message.contains("layout-rs"),
        "{}",
        err.message
    );
    assert!(source[err.span.clone()].contains("dot"), "{:?}", err.span);
}

/// A chain of three boxes, which layout-rs draws cleanly.
fn chain() -> Diagram {
    let node = |name: &str| Node {
        lines: vec![name.to_string()],
        class: "op".into(),
        tooltip: name.to_string(),
    };
    let edge = |from, to| Edge {
        from,
        to,
        class: String::new(),
        label: None,
    };
    Diagram {
        title: "chain".into(),
        direction: Direction::TopToBottom,
        nodes: vec![node("a"), node("b"), node("c")],
        edges: vec![edge(0, 1), edge(1, 2)],
    }
}

#[test]
fn layout_rs_draws_small_graphs_only_when_chosen() {
    let small = chain();
    let layered = diagram::render(&small, "e-");
    assert_eq!(layered, diagram::render_with(&small, "e-", Engine::Layered));
    let rs = diagram::render_with(&small, "e-", Engine::LayoutRs);
    assert_ne!(
        rs, layered,
        "layout-rs was chosen but the layered layout drew the chain"
    );
    // A graph past layout-rs's budget is drawn by the layered layout either way.
    let big = layout_measure::script_diagram(&layout_measure::deep_script(300));
    assert_eq!(
        diagram::render_with(&big, "e-", Engine::LayoutRs),
        diagram::render(&big, "e-")
    );
}
