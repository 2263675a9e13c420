//! The search index read by the real `js/search.js` (in Node, which `scripts/test-deps.sh`
//! requires): the queries of issue #11 that failed now find their sections, and snippets show
//! formulas as written and never come out empty for a hit on a title alone.

use gradbook::site::markdown::{Section, render};
use gradbook::site::search::{docs, index_script};
use std::process::Command;

/// The sections of a chapter's Markdown, as the pipeline makes them.
fn sections(markdown: &str) -> Vec<Section> {
    render(markdown, &mut |_: &str, _: &str, _: usize| Ok(None))
        .expect("the chapter renders")
        .sections
}

/// Run `queries` through js/search.js over the index of `chapters` (title, path, Markdown):
/// for each query, the hits as (title, snippet text).
fn search(chapters: &[(&str, &str, &str)], queries: &[&str]) -> serde_json::Value {
    let mut all = Vec::new();
    for (title, path, markdown) in chapters {
        all.extend(docs(title, path, &sections(markdown)));
    }
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("searchindex.js");
    std::fs::write(&index, index_script(&all)).unwrap();
    let engine = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/js/search.js");
    let script = format!(
        r#"
global.window = {{}};
global.document = {{ documentElement: {{ dataset: {{}} }}, getElementById: () => null }};
const fs = require("fs");
eval(fs.readFileSync({index:?}, "utf8"));
eval(fs.readFileSync({engine:?}, "utf8"));
const s = window.gradbookSearch;
const out = {{}};
for (const q of {queries}) {{
  out[q] = s.search(q).hits.map((h) => [h.doc.title, s.snippetText(h.doc)]);
}}
console.log(JSON.stringify(out));
"#,
        index = index.display().to_string(),
        engine = engine,
        queries = serde_json::to_string(queries).unwrap(),
    );
    let output = Command::new("node")
        .arg("-e")
        .arg(&script)
        .output()
        .expect("node runs (scripts/test-deps.sh requires Node.js 20 or newer)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from node")
}

fn titles(hits: &serde_json::Value) -> Vec<&str> {
    hits.as_array()
        .unwrap()
        .iter()
        .map(|h| h[0].as_str().unwrap())
        .collect()
}

#[test]
fn issue_11_queries_find_their_sections() {
    let q2 = "# Q2: the bump\n\n## Adam\n\nAdam's largest step is $h_{\\max}$, here \
              0.4102 with $\\epsilon = 10^{-8}$.\n\n## Momentum\n\nThe step 0 of 4102 runs.\n";
    let q1 = "# Q1: skip connections\n\n## Paths\n\nEvery path from $w_1$ to $y$.\n";
    let hits = search(
        &[
            ("Q2: the bump", "q2.html", q2),
            ("Q1: skip connections", "q1.html", q1),
        ],
        &[
            "h_max", "h_m", "0.4102", "0.41", "max", "epsilon", "ϵ", "skip", "bump", "w_1",
        ],
    );
    assert_eq!(titles(&hits["h_max"]), ["Adam"]);
    assert_eq!(titles(&hits["h_m"]), ["Adam"], "the last word is a prefix");
    assert_eq!(titles(&hits["0.4102"]), ["Adam"], "a number is one word");
    assert_eq!(titles(&hits["0.41"]), ["Adam"]);
    assert_eq!(titles(&hits["max"]), ["Adam"], "a part of h_max finds it");
    assert_eq!(
        titles(&hits["epsilon"]),
        ["Adam"],
        "a Greek letter by its name"
    );
    assert_eq!(titles(&hits["ϵ"]), ["Adam"]);
    assert_eq!(titles(&hits["w_1"]), ["Paths"]);
    // The snippet shows the formula as written, not its words pulled apart.
    let snippet = hits["h_max"][0][1].as_str().unwrap();
    assert!(snippet.contains("h_max"), "{snippet}");
    assert!(snippet.contains("ϵ = 10⁻⁸"), "{snippet}");
    assert!(snippet.contains("0.4102"), "{snippet}");
    // A hit on a chapter title alone (its heading has no text before the next one) shows the
    // text that follows instead of nothing.
    assert_eq!(titles(&hits["skip"]), ["Q1: skip connections"]);
    assert_eq!(
        hits["skip"][0][1].as_str().unwrap(),
        "Every path from w_1 to y."
    );
    assert_eq!(titles(&hits["bump"]), ["Q2: the bump"]);
    assert!(
        hits["bump"][0][1]
            .as_str()
            .unwrap()
            .starts_with("Adam's largest step")
    );
}

#[test]
fn every_word_must_match_and_titles_rank_first() {
    let book = "# Steps\n\nOne step here.\n\n## Notes\n\nA step and a step and a rate.\n\n## Rate\n\nNo match.\n";
    let hits = search(
        &[("Steps", "s.html", book)],
        &["step", "step rate", "rate", "nothing"],
    );
    assert_eq!(
        titles(&hits["step"]),
        ["Steps", "Notes"],
        "title first, then count"
    );
    assert_eq!(
        titles(&hits["step rate"]),
        ["Notes"],
        "every word must occur"
    );
    assert_eq!(titles(&hits["rate"]), ["Rate", "Notes"]);
    assert_eq!(titles(&hits["nothing"]), Vec::<&str>::new());
}
