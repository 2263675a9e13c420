//! Q3: the reconstructed comp_tree.py is what gradbook's search finds for the slide's box
//! list, its figure on the built site reads in the slide's order (top to bottom, then left to
//! right), and Graphviz `dot`, given the graph as torchviz writes it, draws the same order.

mod common;

use gradbook::compute::autograd::{self, GraphResult, reconstruct};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// The slide's box list, as quoted in issue #10 and the chapter.
const SLIDE: &str = "(1) (1) MulBackward0 (1) AddBackward0 (1) (1) MulBackward0 MulBackward0 \
SubBackward0 AddBackward0 (1) (1) PowBackward1 MulBackward0 MulBackward0 SinBackward \
AddBackward0 MulBackward0 AddBackward0";

/// The slide's boxes with PyTorch 2.x's name for `SinBackward`.
fn slide() -> Vec<String> {
    SLIDE
        .split_whitespace()
        .map(|b| {
            if b == "SinBackward" {
                "SinBackward0"
            } else {
                b
            }
            .to_string()
        })
        .collect()
}

fn committed() -> String {
    std::fs::read_to_string(common::repo().join("content/comp_tree.py")).unwrap()
}

#[test]
fn the_search_finds_the_committed_script() {
    let boxes = reconstruct::parse_boxes(SLIDE).unwrap();
    let found = reconstruct::search(&boxes);
    let file = found.script_file(SLIDE).expect("a match");
    // To regenerate after a deliberate change to the search:
    // `GRADBOOK_WRITE_COMP_TREE=1 cargo test --test q3_order the_search_finds`.
    if std::env::var_os("GRADBOOK_WRITE_COMP_TREE").is_some() {
        std::fs::write(common::repo().join("content/comp_tree.py"), &file).unwrap();
    }
    assert_eq!(
        committed(),
        file,
        "content/comp_tree.py is not the search's winner"
    );
    // Every match really reads in the slide's order, and the counts add up.
    assert!(found.matches.len() + found.failed <= found.enumerated);
    for m in &found.matches {
        let (graph, order) = m.drawn().unwrap();
        assert_eq!(order, (0..boxes.len()).collect::<Vec<_>>());
        let labels: Vec<&str> = graph.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(labels.len(), boxes.len());
    }
    // The winner's graph has the slide's multiset of boxes.
    let graph = autograd::run(&committed()).unwrap();
    let mut ours: Vec<String> = graph.nodes.iter().map(box_text).collect();
    let mut want = slide();
    ours.sort();
    want.sort();
    assert_eq!(ours, want);
}

/// The slide's text for a node: `(1)` for a leaf, else the class.
fn box_text(n: &autograd::GraphNode) -> String {
    if n.name == "AccumulateGrad" {
        "(1)".into()
    } else {
        n.name.clone()
    }
}

/// The boxes of the first backward-graph SVG in `html`, read top to bottom (rows by the
/// box's vertical centre), then left to right: the first text line of each box, with a leaf's
/// `name (1)` read as `(1)`.
fn read_figure(html: &str) -> Vec<String> {
    let at = html.find("gb-node").expect("a figure with boxes");
    let start = html[..at].rfind("<svg").expect("an svg");
    let end = start + html[start..].find("</svg>").expect("svg end") + "</svg>".len();
    let doc = roxmltree::Document::parse(&html[start..end]).expect("well-formed svg");
    let mut boxes: Vec<(f64, f64, String)> = Vec::new();
    for g in doc.descendants().filter(|n| {
        n.has_tag_name("g")
            && n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|k| k == "gb-node"))
    }) {
        let rect = g.children().find(|c| c.has_tag_name("rect")).unwrap();
        let num = |a: &str| rect.attribute(a).unwrap().parse::<f64>().unwrap();
        let head = g
            .children()
            .find(|c| c.has_tag_name("text"))
            .and_then(|t| t.text())
            .unwrap()
            .to_string();
        let text = if head.ends_with("(1)") {
            "(1)".to_string()
        } else {
            head
        };
        boxes.push((
            num("y") + num("height") / 2.0,
            num("x") + num("width") / 2.0,
            text,
        ));
    }
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rows: Vec<Vec<(f64, f64, String)>> = Vec::new();
    for b in boxes {
        match rows.last_mut() {
            Some(row) if (row[0].0 - b.0).abs() < 0.5 => row.push(b),
            _ => rows.push(vec![b]),
        }
    }
    rows.into_iter()
        .flat_map(|mut row| {
            row.sort_by(|a, b| a.1.total_cmp(&b.1));
            row.into_iter().map(|b| b.2)
        })
        .collect()
}

#[test]
fn the_built_figure_reads_in_the_slides_order() {
    let (_guard, site) = common::build(common::repo());
    let page = find_page(&site, "q3-comp-tree.html");
    let html = std::fs::read_to_string(page).unwrap();
    assert_eq!(read_figure(&html), slide());
}

fn find_page(dir: &Path, name: &str) -> std::path::PathBuf {
    for entry in walk(dir) {
        if entry.file_name().is_some_and(|f| f == name) {
            return entry;
        }
    }
    panic!("{name} not built");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The graph as torchviz 0.0.1 writes it: nodes in depth-first preorder from the output,
/// each node's edges from its `next_functions` in order, a leaf as a light-blue `(1)` box.
fn torchviz_dot(g: &GraphResult) -> String {
    let mut out = String::from(
        "digraph {\n  graph [size=\"12,12\"]\n  node [align=left fontsize=12 height=0.2 ranksep=0.1 shape=box style=filled]\n",
    );
    let mut seen = HashSet::new();
    fn add(g: &GraphResult, id: usize, seen: &mut HashSet<usize>, out: &mut String) {
        if !seen.insert(id) {
            return;
        }
        let n = &g.nodes[id];
        if n.name == "AccumulateGrad" {
            out.push_str(&format!("  n{id} [label=\"(1)\" fillcolor=lightblue]\n"));
        } else {
            out.push_str(&format!("  n{id} [label=\"{}\"]\n", n.name));
        }
        let mut next: Vec<_> = g.edges.iter().filter(|e| e.from == id).collect();
        next.sort_by_key(|e| e.input);
        for e in next {
            out.push_str(&format!("  n{} -> n{id}\n", e.to));
            add(g, e.to, seen, out);
        }
    }
    add(g, g.root, &mut seen, &mut out);
    out.push_str("}\n");
    out
}

/// Boxes of `dot -Tplain` output, read top to bottom, then left to right.
fn read_dot(g: &GraphResult, plain: &str) -> Vec<String> {
    let mut boxes: Vec<(f64, f64, String)> = plain
        .lines()
        .filter(|l| l.starts_with("node "))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let id: usize = f[1].trim_start_matches('n').parse().unwrap();
            let (x, y): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            (-y, x, box_text(&g.nodes[id]))
        })
        .collect();
    boxes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    boxes.into_iter().map(|b| b.2).collect()
}

/// Needs Graphviz (`scripts/test-deps.sh` installs it).
#[test]
fn graphviz_dot_draws_the_winner_in_the_slides_order() {
    let g = autograd::run(&committed()).unwrap();
    let mut child = Command::new("dot")
        .arg("-Tplain")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Graphviz dot (run scripts/test-deps.sh)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(torchviz_dot(&g).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let read = read_dot(&g, &String::from_utf8(out.stdout).unwrap());
    assert_eq!(read, slide());
}
