//! The book's `[gradbook] digits` reaches its figures: a book that asks for 3 significant
//! digits prints every value of a backward graph's and a network diagram's tooltips, the
//! node table beside an `autograd table` figure and its chapter text at 3 digits, in the page
//! and in the standalone figure files. The expected numbers are the computed results rounded
//! here, independently of the formatter; the default book keeps its 6 digits; and `serve`'s
//! incremental rebuild redraws the standalone figures when the digits change.

use assert_cmd::Command;
use gradbook::compute::{self, Kind, Outcome};
use std::path::{Path, PathBuf};

const COMP_TREE: &str = include_str!("../content/comp_tree.py");
const NETWORKS: &str = include_str!("../content/networks.toml");
const FENCE: &str =
    "import torch\nx = torch.tensor([0.5], requires_grad=True)\ny = torch.sin(x) * x\n";

/// Write `book.toml` with `digits` (none: the default).
fn settings(dir: &Path, digits: Option<usize>) {
    let setting = digits.map_or(String::new(), |d| format!("digits = {d}\n"));
    std::fs::write(
        dir.join("book.toml"),
        format!("[book]\ntitle = \"Digits\"\nsrc = \"content\"\n\n[gradbook]\n{setting}"),
    )
    .expect("book.toml");
}

/// Build a book with `digits` (none: the default) whose one chapter draws comp_tree.py's
/// backward graph, the networks' chain and an `autograd table` block; returns the site.
fn build(dir: &Path, digits: Option<usize>) -> PathBuf {
    settings(dir, digits);
    let content = dir.join("content");
    std::fs::create_dir_all(&content).expect("content/");
    std::fs::write(
        content.join("SUMMARY.md"),
        "# Summary\n\n- [Digits](digits.md)\n",
    )
    .expect("SUMMARY.md");
    std::fs::write(content.join("comp_tree.py"), COMP_TREE).expect("comp_tree.py");
    std::fs::write(content.join("networks.toml"), NETWORKS).expect("networks.toml");
    std::fs::write(
        content.join("digits.md"),
        format!(
            "# Digits\n\n{{{{ figure(of=\"comp_tree\", kind=\"backward-graph\") }}}}\n\n\
             {{{{ figure(of=\"networks\", kind=\"chain\") }}}}\n\n\
             One third is {{{{ 0.333333333333 | num }}}}.\n\n```autograd table\n{FENCE}```\n"
        ),
    )
    .expect("digits.md");
    let site = dir.join("site");
    Command::cargo_bin("gradbook")
        .expect("the gradbook binary")
        .arg("build")
        .arg(dir)
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    site
}

/// `x` rounded to `digits` significant digits (through Rust's exponent formatting, which
/// rounds the exact binary value correctly).
fn round(x: f64, digits: usize) -> f64 {
    format!("{:.*e}", digits - 1, x)
        .parse()
        .expect("a formatted float reads back")
}

/// A displayed number (`−0.29`, `1.5×10⁻⁵`, `100 000`) as an f64, read here without the
/// crate's own parser.
fn read(text: &str) -> f64 {
    let mut plain = String::new();
    let mut exponent = String::new();
    let mut in_exponent = false;
    for c in text.chars() {
        match c {
            '−' if in_exponent => exponent.push('-'),
            '−' => plain.push('-'),
            '\u{202F}' => {}
            '×' => in_exponent = true,
            '⁻' => exponent.push('-'),
            c if in_exponent && "⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c) => {
                let d = "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|s| s == c).unwrap_or(0);
                exponent.push(char::from(b'0' + d as u8));
            }
            '1' | '0' if in_exponent && exponent.is_empty() => {} // the "10" of "×10"
            c => plain.push(c),
        }
    }
    let mantissa: f64 = plain.parse().unwrap_or(f64::NAN);
    let power: i32 = if exponent.is_empty() {
        0
    } else {
        exponent.parse().unwrap_or(0)
    };
    mantissa * 10f64.powi(power)
}

/// The significant digits a displayed number shows.
fn significant(text: &str) -> usize {
    let mantissa = text.split('×').next().unwrap_or(text);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    digits.trim_start_matches('0').len().max(1)
}

/// The displayed number that starts `text` (up to the first character that cannot be part
/// of one).
fn leading_number(text: &str) -> &str {
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || "−.×⁻⁰¹²³⁴⁵⁶⁷⁸⁹\u{202F}".contains(c)))
        .map_or(text.len(), |(i, _)| i);
    &text[..end]
}

/// Every number that follows `marker` in `text`.
fn numbers_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    text.match_indices(marker)
        .map(|(i, _)| leading_number(&text[i + marker.len()..]))
        .filter(|n| !n.is_empty())
        .collect()
}

/// The text of every `<title>` in `html` inside a figure (tooltips of diagram nodes).
fn tooltips(html: &str) -> Vec<String> {
    html.split("<title")
        .skip(1)
        .filter_map(|t| {
            t.split_once('>')
                .and_then(|(_, rest)| rest.split_once("</title>"))
        })
        .map(|(text, _)| text.replace("&amp;", "&").replace("&apos;", "'"))
        .collect()
}

/// The numbers printed for `values` at `digits`: each tooltip number equals a value rounded
/// here, shows at most `digits` significant digits, and every value is printed.
fn check(printed: &[&str], values: &[f64], digits: usize, what: &str) {
    assert!(!printed.is_empty(), "{what}: no numbers found");
    let mut expected: Vec<f64> = values.iter().map(|&v| round(v, digits)).collect();
    expected.sort_by(f64::total_cmp);
    expected.dedup();
    let mut got: Vec<f64> = Vec::new();
    for text in printed {
        assert!(
            significant(text) <= digits,
            "{what}: {text:?} shows more than {digits} significant digits"
        );
        let x = read(text);
        assert!(
            expected
                .iter()
                .any(|e| (e - x).abs() <= 1e-12 * e.abs().max(1e-300)),
            "{what}: {text:?} is no value rounded to {digits} digits ({expected:?})"
        );
        got.push(x);
    }
    got.sort_by(f64::total_cmp);
    got.dedup();
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: {printed:?} vs {expected:?}"
    );
}

/// The first number of a JSON value (a number, or a one-element tensor's nested list).
fn scalar(v: &serde_json::Value) -> f64 {
    match v {
        serde_json::Value::Array(items) => items.first().map_or(f64::NAN, scalar),
        other => other.as_f64().unwrap_or(f64::NAN),
    }
}

/// Every backward node's value and gradient, from the script's documented result JSON.
fn graph_values(source: &str) -> (Vec<f64>, Vec<f64>) {
    let json = compute::run(Kind::Autograd, source)
        .expect("the script runs")
        .to_json();
    let nodes = json["nodes"].as_array().expect("nodes");
    (
        nodes.iter().map(|n| scalar(&n["value"])).collect(),
        nodes.iter().map(|n| scalar(&n["grad"])).collect(),
    )
}

/// The chain's node values and σ′ values (the first variant, as the `chain` kind draws).
fn chain_values() -> (Vec<f64>, Vec<f64>) {
    match compute::run(Kind::Network, NETWORKS).expect("networks.toml runs") {
        Outcome::Network(r) => {
            let chain = &r.variants[0].chain;
            (
                chain.nodes.iter().map(|n| n.h).collect(),
                chain.nodes.iter().filter_map(|n| n.dsigma).collect(),
            )
        }
        _ => panic!("a network outcome"),
    }
}

/// Check the page and the standalone figures of a book built at `digits`.
fn check_book(site: &Path, digits: usize) {
    let page = std::fs::read_to_string(site.join("digits.html")).expect("the chapter's page");
    let tips = tooltips(&page);
    // Backward graphs (comp_tree.py's and the block's): "value V; dy/d(…) = G".
    let (mut values, mut grads) = graph_values(COMP_TREE);
    let (block_values, block_grads) = graph_values(FENCE);
    values.extend(&block_values);
    grads.extend(&block_grads);
    let graph_tips: Vec<&String> = tips
        .iter()
        .filter(|t| t.contains("next_functions"))
        .collect();
    assert!(graph_tips.len() >= 10, "{tips:?}");
    let joined = graph_tips
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    check(
        &numbers_after(&joined, "value "),
        &values,
        digits,
        "graph values",
    );
    let gradients: Vec<&str> = graph_tips
        .iter()
        .filter_map(|t| t.split_once("; d").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(") = ").map(|(_, g)| leading_number(g)))
        .collect();
    check(&gradients, &grads, digits, "graph gradients");
    // The chain: "h1 = σ(w1·x + b1) = V, σ′(z) = D" and "input x = V".
    let (h, dsigma) = chain_values();
    let chain_tips: Vec<&String> = tips
        .iter()
        .filter(|t| t.starts_with("input ") || t.contains(", σ′(z) = "))
        .collect();
    let chain_values: Vec<&str> = chain_tips
        .iter()
        .filter_map(|t| {
            let before = t.split(", σ′").next().unwrap_or(t);
            before.rsplit_once(" = ").map(|(_, v)| leading_number(v))
        })
        .collect();
    check(&chain_values, &h, digits, "chain values");
    let joined = chain_tips
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    check(
        &numbers_after(&joined, "σ′(z) = "),
        &dsigma,
        digits,
        "chain σ′",
    );
    // The chapter: its text and the block's node table.
    let third = if digits == 3 { "0.333" } else { "0.333333" };
    assert!(
        page.contains(&format!("One third is {third}.")),
        "chapter text"
    );
    let table = page
        .split("-nodes\">")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the block's node table");
    let cells = numbers_after(table, "<td class=\"num\">");
    let mut block: Vec<f64> = block_values.clone();
    block.extend(&block_grads);
    check(&cells, &block, digits, "node table");
    // Standalone figures are drawn at the book's digits too.
    let file = std::fs::read_to_string(site.join("figures/comp_tree-backward-graph.svg"))
        .expect("the standalone backward graph");
    let standalone = tooltips(&file).join("\n");
    check(
        &numbers_after(&standalone, "value "),
        &values[..values.len() - block_values.len()],
        digits,
        "standalone graph values",
    );
}

#[test]
fn a_book_with_three_digits_prints_three_in_figures_and_chapter() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let site = build(dir.path(), Some(3));
    check_book(&site, 3);
    // The short labels in boxes show no more than the book asks for either.
    let page = std::fs::read_to_string(site.join("digits.html")).expect("page");
    let labels = numbers_after(&page, ">value ");
    assert!(labels.len() >= 10, "{labels:?}");
    for label in labels {
        assert!(significant(label) <= 3, "box label {label:?}");
    }
}

#[test]
fn the_default_book_prints_six_digits_in_figures_and_chapter() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let site = build(dir.path(), None);
    check_book(&site, 6);
}

#[test]
fn serve_redraws_standalone_figures_when_the_digits_change() {
    use gradbook::site::build::RenderOptions;
    use gradbook::site::incremental::Session;
    let dir = tempfile::tempdir().expect("a temporary directory");
    build(dir.path(), Some(3));
    let (values, _) = graph_values(COMP_TREE);
    let mut session = Session::new(dir.path(), RenderOptions::default());
    let standalone = |session: &Session| {
        let file = &session.site().files["figures/comp_tree-backward-graph.svg"];
        tooltips(&String::from_utf8_lossy(file)).join("\n")
    };
    session.update().expect("the book builds");
    check(
        &numbers_after(&standalone(&session), "value "),
        &values,
        3,
        "at 3",
    );
    settings(dir.path(), Some(5));
    session.update().expect("the book builds again");
    check(
        &numbers_after(&standalone(&session), "value "),
        &values,
        5,
        "at 5",
    );
}
