//! Code blocks as mdBook 0.5.4 renders them: the fixture books `tests/fixtures/mdbook/code/book`
//! and `…/code/playground` (playground settings) built by gradbook have, block for block, the
//! same `<pre>`/`<code>` classes and the same text, hidden (`<span class="boring">`) and shown,
//! as mdBook's recorded rendering of them (`…/code/mdbook-0.5.4.html` and
//! `…/code/playground-mdbook-0.5.4.html`, the `<main>` of mdBook's page). gradbook adds syntax
//! highlighting spans, which the comparison reads through.
//!
//! To record mdBook's rendering again: `GRADBOOK_RECORD_MDBOOK=1 cargo test --test mdbook_code`
//! (needs `mdbook` 0.5.4, installed by `scripts/test-deps.sh`).

use assert_cmd::Command;
use scraper::{ElementRef, Html, Node, Selector};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdbook/code")
}

/// The `<main>…</main>` of a page.
fn main_of(page: &str) -> String {
    let start = page.find("<main").expect("<main>");
    let end = page.find("</main>").expect("</main>") + "</main>".len();
    page[start..end].to_string()
}

/// One code block, normalised: the classes of `<pre>` and `<code>` (sorted, without the ones
/// scripts add) and the text as runs of (hidden, text).
#[derive(Debug, PartialEq)]
struct Block {
    pre: Vec<String>,
    code: Vec<String>,
    runs: Vec<(bool, String)>,
}

fn classes(element: ElementRef<'_>) -> Vec<String> {
    let mut list: Vec<String> = element
        .value()
        .classes()
        .filter(|c| !matches!(*c, "hljs" | "hide-boring"))
        .map(String::from)
        .collect();
    list.sort();
    list
}

fn blocks(html: &str) -> Vec<Block> {
    let doc = Html::parse_fragment(html);
    let pre = Selector::parse("pre").unwrap();
    let mut out = Vec::new();
    for block in doc.select(&pre) {
        let Some(code) = block
            .children()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().name() == "code")
        else {
            continue;
        };
        let mut runs: Vec<(bool, String)> = Vec::new();
        for node in code.descendants() {
            let Node::Text(text) = node.value() else {
                continue;
            };
            let hidden = node
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|e| e.value().classes().any(|c| c == "boring"));
            match runs.last_mut() {
                Some((h, t)) if *h == hidden => t.push_str(text),
                _ => runs.push((hidden, text.to_string())),
            }
        }
        out.push(Block {
            pre: classes(block),
            code: classes(code),
            runs,
        });
    }
    out
}

/// The code blocks of `book`'s `code.html` as gradbook renders them, after checking that they
/// are, block for block, mdBook's recorded ones in `recorded` (recorded again first with
/// `GRADBOOK_RECORD_MDBOOK=1`); (page, blocks).
fn compare_with_mdbook(book: &Path, recorded: &Path) -> (String, Vec<Block>) {
    if std::env::var_os("GRADBOOK_RECORD_MDBOOK").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mdbook")
            .arg("build")
            .arg(book)
            .arg("-d")
            .arg(dir.path())
            .status()
            .expect("mdbook runs");
        assert!(status.success());
        let page = std::fs::read_to_string(dir.path().join("code.html")).unwrap();
        std::fs::write(recorded, main_of(&page) + "\n").unwrap();
    }
    let theirs = blocks(&std::fs::read_to_string(recorded).unwrap());
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(dir.path().join("site"))
        .assert()
        .success();
    let page = std::fs::read_to_string(dir.path().join("site/code.html")).unwrap();
    let ours = blocks(&main_of(&page));
    assert_eq!(ours.len(), theirs.len(), "{ours:#?}");
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(o, t, "{}: block {i}", book.display());
    }
    (page, ours)
}

#[test]
fn code_blocks_match_mdbook() {
    let (page, ours) = compare_with_mdbook(
        &fixture().join("book"),
        &fixture().join("mdbook-0.5.4.html"),
    );
    assert_eq!(ours.len(), 13, "{ours:#?}");
    // Highlighted: every fenced block with a language has highlighting spans.
    let highlighted = page.matches("<span class=\"hl-").count();
    assert!(highlighted > 50, "{highlighted} highlighting spans");
    for language in ["rust", "python", "toml", "sh", "json", "c", "javascript"] {
        let at = page
            .find(&format!("class=\"language-{language}"))
            .unwrap_or_else(|| panic!("{language}"));
        let block = &page[at..at + page[at..].find("</pre>").unwrap()];
        assert!(block.contains("<span class=\"hl-"), "{language}: {block}");
    }
}

/// `[output.html.playground] editable = true, runnable = false`: only `mdbook-runnable` blocks
/// are examples, and of those an `editable` one is shown as written (Rust by Example's blocks).
#[test]
fn playground_settings_decide_the_hidden_main_as_in_mdbook() {
    let (_, ours) = compare_with_mdbook(
        &fixture().join("playground"),
        &fixture().join("playground-mdbook-0.5.4.html"),
    );
    let wrapped: Vec<bool> = ours
        .iter()
        .map(|b| {
            b.runs
                .iter()
                .any(|(hidden, text)| *hidden && text.contains("fn main"))
        })
        .collect();
    assert_eq!(wrapped, [false, true, false, false, true]);
}
