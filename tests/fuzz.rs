//! A stable-toolchain fuzz harness: a seeded mutation loop over a corpus of real inputs (the
//! book in `content/`, `tests/fixtures/**`, the hostile corpus, the built-in templates) for each
//! input kind: the script dialect, `book.toml`, `SUMMARY.md`, study settings (network and
//! optimizer), chapter Markdown with math, and Tera (chapters and page templates).
//!
//! Every case runs in-process on its own thread with a large stack and a time limit. A case
//! fails when the library panics, runs over the limit (a hang), rejects the input without a
//! location, or accepts it and draws a figure that is not well-formed SVG or carries
//! executable markup. `GRADBOOK_FUZZ_CASES` sets the number of cases per kind (default 5,000);
//! the seed is fixed, so a run is reproducible; `GRADBOOK_FUZZ_SEED=N` mixes `N` into every
//! kind's seed, for a fresh run of mutations by hand (CI keeps the default, 0). A failing input is minimised and written to
//! `CARGO_TARGET_TMPDIR/fuzz-findings/`; minimised reproducers go into
//! `tests/fixtures/hostile/fuzz-*/`.

#[path = "common/located.rs"]
mod located;
#[path = "common/markup.rs"]
mod markup;
#[path = "common/small.rs"]
mod small;

use gradbook::compute::{self, Kind, Outcome};
use gradbook::config::Config;
use gradbook::site::book::{Book, Chapter};
use gradbook::site::build::build;
use gradbook::site::chapter::{self, Inputs};
use gradbook::site::{markdown, mdbook, summary, templates};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

/// The binary's panic hook, which keeps math-core's and Tera's caught panics quiet, installed
/// once.
static SILENCE: std::sync::Once = std::sync::Once::new();

/// Cases per input kind unless `GRADBOOK_FUZZ_CASES` says otherwise.
const DEFAULT_CASES: usize = 5000;
/// The time one case may take in a debug build before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(20);
/// The stack of a case's thread: deep-but-bounded nesting must not abort the harness.
const STACK: usize = 256 << 20;
/// Corpus files larger than this are left out (the hostile corpus has huge reproducers).
const MAX_CORPUS_FILE: usize = 48 << 10;

// ---- the input kinds ---------------------------------------------------------------------------

#[test]
fn fuzz_script_dialect() {
    let corpus = corpus_where(|p, _| extension(p) == "py");
    let dict = tokens(&[
        "x",
        "torch",
        "tensor(",
        "requires_grad=True",
        ".backward()",
        "import torch\n",
        "=",
        "(",
        ")",
        "*",
        "**",
        "+",
        "-",
        "/",
        "//",
        "torch.sin(",
        "torch.exp(",
        "torch.log(",
        "torch.sqrt(",
        ".sum()",
        "a = b\n",
        "out = q\n",
        "#",
        "\"",
        "'",
        ":",
        "\\\n",
        "    ",
        "\t",
        "lambda",
        "del x\n",
        "x.grad",
        "[",
        "]",
        ",",
        "1.0",
        "2",
    ]);
    run_kind("script", 0x5c81, corpus, &dict, b"(", script_case);
}

#[test]
fn fuzz_book_toml() {
    let corpus = corpus_where(|p, _| file_name(p) == "book.toml");
    let dict = tokens(&[
        "[book]\n",
        "[build]\n",
        "[output.html]\n",
        "[gradbook]\n",
        "[output.html.search]\n",
        "title = ",
        "authors = [",
        "build-dir = ",
        "src = ",
        "digits = ",
        "\"..\"",
        "\"/\"",
        "\"\"",
        "\"content\"",
        "git-repository-url = ",
        "edit-url-template = \"{path}\"",
        "site-url = ",
        "additional-css = [\"../x.css\"]",
        "text-direction = ",
        "language = ",
        "= true",
        "= 1e999",
        "'''",
        "\"\"\"",
        "[[book]]\n",
        "{ a = 1 }",
    ]);
    run_kind("book.toml", 0xb00c, corpus, &dict, b"[", book_toml_case);
}

#[test]
fn fuzz_summary() {
    let corpus = corpus_where(|p, _| file_name(p) == "SUMMARY.md");
    let dict = tokens(&[
        "# Summary\n",
        "# Part\n",
        "---\n",
        "- [",
        "](",
        ")",
        "[A](a.md)\n",
        "- [Draft]()\n",
        "    - [N](n.md)\n",
        "\t",
        "* ",
        "1. ",
        "[",
        "]",
        "](../x.md)",
        "](javascript:x)",
        "](a.md#x)",
        "<",
        "`",
        "\\",
        "**",
    ]);
    run_kind(
        "SUMMARY.md",
        0x5a3a,
        corpus,
        &dict,
        b"    - [x](",
        summary_case,
    );
}

#[test]
fn fuzz_study_settings() {
    let corpus: Vec<Vec<u8>> = corpus_where(|p, text| {
        extension(p) == "toml"
            && (contains(text, b"\"network\"") || contains(text, b"\"optimizer\""))
    })
    .into_iter()
    .map(|bytes| small::shrink_study(&bytes))
    .collect();
    let dict = tokens(&[
        "kind = \"network\"\n",
        "kind = \"optimizer\"\n",
        "[[reading]]\n",
        "[[variant]]\n",
        "[sweep]\n",
        "[search]\n",
        "[[sweep.region]]\n",
        "samples = ",
        "starts = ",
        "steps = ",
        "horizon = ",
        "alpha-points = ",
        "h = ",
        "l = ",
        "a = ",
        "epsilon = ",
        "beta1 = ",
        "activation = \"tanh\"",
        "enters = \"post-activation\"",
        "scale = \"log\"",
        "nodes = [",
        "{ from = \"x\", to = \"y\", weight = \"w\" }",
        "questions = [\"gd-stuck\"]",
        "kink = \"min-norm\"",
        "inf",
        "-inf",
        "nan",
        "\"",
        "[",
        "{",
        ",",
    ]);
    run_kind("study settings", 0x57d7, corpus, &dict, b"[", settings_case);
}

#[test]
fn fuzz_markdown_math() {
    let corpus = corpus_where(|p, _| extension(p) == "md" && file_name(p) != "SUMMARY.md");
    let dict = tokens(&[
        "$",
        "$$",
        "\\frac{",
        "}{",
        "}",
        "\\sqrt{",
        "^",
        "_",
        "\\left(",
        "\\right)",
        "\\begin{",
        "\\end{",
        "\\\\",
        "&",
        "[",
        "](",
        "](javascript:alert(1))",
        "#",
        "## T {#id}",
        "{#",
        "```autograd\n",
        "```\n",
        "|",
        "| - |\n",
        "[^1]",
        "[^1]: n\n",
        "> ",
        "- ",
        "1. ",
        "<",
        "<script>",
        "`",
        "*",
        "~~",
        "\\",
        "<!--",
        "-->",
        "\\\\(",
        "\\\\)",
        "\\\\[",
        "\\\\]",
        "![a ",
        "](i.png \"t ",
        "<span title=\"",
    ]);
    run_kind(
        "Markdown+math",
        0x3a7d,
        corpus,
        &dict,
        b"\\frac{",
        markdown_case,
    );
}

#[test]
fn fuzz_tera_chapters() {
    let mut corpus = corpus_where(|p, text| {
        extension(p) == "md" && (contains(text, b"{{") || contains(text, b"{%"))
    });
    corpus.extend(TERA_SNIPPETS.map(|s| s.as_bytes().to_vec()));
    let dict = tera_dictionary();
    run_kind(
        "Tera chapter",
        0x7e1a,
        corpus,
        &dict,
        b"{% if true %}",
        tera_case,
    );
}

#[test]
fn fuzz_tera_page_templates() {
    let mut corpus = corpus_where(|p, _| {
        extension(p) == "html" && p.components().any(|c| c.as_os_str() == "templates")
    });
    corpus.extend(TERA_SNIPPETS.map(|s| s.as_bytes().to_vec()));
    let dict = tera_dictionary();
    run_kind(
        "Tera page template",
        0x7e1b,
        corpus,
        &dict,
        b"{% if true %}",
        page_template_case,
    );
}

/// Small templates that use every construct a chapter may use.
const TERA_SNIPPETS: [&str; 8] = [
    "{% macro m(n) %}{{ n }}{% endmacro m %}{{ self::m(n=1) }}\n",
    "{% for i in range(end=3) %}{{ i }}{% endfor %}\n",
    "{% set x = 2 %}{% if x > 1 %}{{ x | num(digits=3) }}{% else %}no{% endif %}\n",
    "{{ figure(of=\"comp_tree\", kind=\"backward-graph\", caption=\"c\") }}\n",
    "{{ table(of=\"bump.adam.steps\", rows=3) }}\n",
    "{{ bump.adam.h_max | num(digits=6) }} and {{ networks | length }}\n",
    "{% raw %}{{ x }}{% endraw %} {# comment #}\n",
    "{{ \"<b>\" ~ 'x' | upper }} {{ 1 / 0 }} {{ [1, 2] | first }}\n",
];

/// Tera's syntax, the book's functions and filters, and the built-ins a sandbox must refuse.
fn tera_dictionary() -> Vec<Vec<u8>> {
    tokens(&[
        "{{",
        "}}",
        "{%",
        "%}",
        "{#",
        "#}",
        "{% if true %}",
        "{% endif %}",
        "{% for i in [1] %}",
        "{% endfor %}",
        "{% set s = \"a\" %}",
        "{% include \"x\" %}",
        "{% extends \"x\" %}",
        "{% block b %}",
        "{% endblock b %}",
        "{% macro f() %}",
        "{% endmacro %}",
        "self::",
        "| safe",
        "| num(digits=",
        "| escape",
        "get_env(name=\"HOME\")",
        "now()",
        "range(end=5)",
        "throw(message=\"x\")",
        "figure(of=",
        "table(of=",
        "claim(",
        "loop.index",
        "~",
        "(",
        ")",
        "\"",
        "[",
        "]",
        "=",
        ",",
        "1e308",
        "-0",
        "{% elif ",
        "{% else %}",
        " / 0",
        " % 0",
        " == ",
        " != ",
        " in ",
        " and ",
        " or ",
        "not ",
    ])
}

// ---- one case of each kind ---------------------------------------------------------------------

/// Whether a case's input was accepted or rejected with a located error.
enum Verdict {
    /// The input was accepted.
    Accepted,
    /// The input was rejected with a located error.
    Rejected,
}

/// The result of one case: its verdict, or what was wrong.
type CaseResult = Result<Verdict, String>;

fn script_case(input: &[u8], _: &Path) -> CaseResult {
    let source = String::from_utf8_lossy(input);
    match compute::autograd::run(&source) {
        Ok(result) => check_figures(&Outcome::Autograd(result)),
        Err(e) => span_in_bounds(&e, &source),
    }
}

fn book_toml_case(input: &[u8], dir: &Path) -> CaseResult {
    std::fs::write(dir.join("book.toml"), input).map_err(|e| e.to_string())?;
    match Config::load(dir) {
        Ok(_) => Ok(Verdict::Accepted),
        Err(e) => located(&format!("{e:#}")),
    }
}

fn summary_case(input: &[u8], dir: &Path) -> CaseResult {
    match std::str::from_utf8(input) {
        Ok(source) => match summary::parse(source) {
            Ok(_) => Ok(Verdict::Accepted),
            Err(e) => span_in_bounds(&e, source),
        },
        // Not UTF-8: only the book loader sees the bytes, and must say where they are.
        Err(_) => {
            std::fs::create_dir_all(dir.join("content")).map_err(|e| e.to_string())?;
            std::fs::write(dir.join("content/SUMMARY.md"), input).map_err(|e| e.to_string())?;
            match Book::load(dir) {
                Ok(_) => Err("a SUMMARY.md that is not UTF-8 was accepted".into()),
                Err(e) => located(&format!("{e:#}")),
            }
        }
    }
}

fn settings_case(input: &[u8], _: &Path) -> CaseResult {
    let source = String::from_utf8_lossy(input);
    let kind = match Kind::of_file("toml", &source) {
        Ok(Some(kind)) => kind,
        Ok(None) => return Ok(Verdict::Accepted),
        Err(e) => return span_in_bounds(&e, &source),
    };
    // Validate first; run only what is small enough for a debug build.
    let valid = match kind {
        Kind::Network => compute::network::spec::parse(&source)
            .and_then(|spec| compute::network::validate::pairs(&spec).map(|_| ())),
        Kind::Optimizer => compute::optim::validate::parse(&source).map(|_| ()),
        Kind::Autograd => Ok(()),
    };
    if let Err(e) = valid {
        return span_in_bounds(&e, &source);
    }
    if !small_study(&source) {
        return Ok(Verdict::Accepted);
    }
    match compute::run(kind, &source) {
        Ok(outcome) => {
            outcome.claims();
            outcome.to_json();
            check_figures(&outcome)
        }
        Err(e) => span_in_bounds(&e, &source),
    }
}

/// Whether raw HTML in `source` leaves a tag or a quoted attribute value open until a blank
/// line or the end (where the Markdown block that holds it ends).
fn leaves_a_tag_open(source: &str) -> bool {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'<' && bytes[i + 1].is_ascii_alphabetic() {
            let mut quote = None;
            let mut j = i + 1;
            loop {
                let Some(&b) = bytes.get(j) else {
                    return true;
                };
                match (quote, b) {
                    (_, b'\n' | b'\r') if blank_line_follows(bytes, j) => return true,
                    (None, b'>') => break,
                    (None, b'"' | b'\'') => quote = Some(b),
                    (Some(q), b) if b == q => quote = None,
                    _ => {}
                }
                j += 1;
            }
            i = j;
        }
        i += 1;
    }
    false
}

/// Whether the line ending at `bytes[at]` (`\n`, `\r` or `\r\n`, as CommonMark reads them)
/// is followed by a blank line (spaces and tabs at most).
fn blank_line_follows(bytes: &[u8], at: usize) -> bool {
    let mut k = at + 1;
    if bytes[at] == b'\r' && bytes.get(k) == Some(&b'\n') {
        k += 1;
    }
    while matches!(bytes.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    matches!(bytes.get(k), Some(b'\n' | b'\r'))
}

/// A chapter's Markdown is rendered twice: as gradbook reads it, and with mdBook's
/// `\\( … \\)` math on (`mathjax-support`), whose formulas stand in the Markdown as
/// placeholders until the HTML is done. Either way no MathML may land inside an attribute,
/// and no placeholder may be left in the page.
fn markdown_case(input: &[u8], _: &Path) -> CaseResult {
    let source = String::from_utf8_lossy(input);
    let mut fences = |_: &str, _: &str, _: usize| Ok(None);
    match markdown::render(&source, &mut fences) {
        Ok(rendered) => attributes_hold_no_math(&rendered.html, &source)?,
        Err(e) => return span_in_bounds(&e, &source),
    }
    let formulas = match mdbook::math::delimiters(&source, true, markdown::OPTIONS) {
        Ok(formulas) => formulas,
        Err(e) => return span_in_bounds(&e, &source),
    };
    let slug = |title: &str| formulas.slug(title);
    match markdown::render_slugged(&formulas.text, &mut fences, markdown::OPTIONS, &slug) {
        Ok(mut rendered) => {
            formulas.finish(&mut rendered);
            attributes_hold_no_math(&rendered.html, &source)?;
            no_placeholder_left(&rendered.html, &source)?;
            Ok(Verdict::Accepted)
        }
        Err(e) => span_in_bounds(&e, &formulas.text),
    }
}

/// An error when `html` holds a formula's placeholder (a private-use character, or one
/// percent-encoded in a URL) that `source` did not write itself.
fn no_placeholder_left(html: &str, source: &str) -> Result<(), String> {
    let forms = ['\u{E001}', '\u{E002}'].map(|c| (c.to_string(), urlencoding(c)));
    for (character, in_url) in forms {
        let pasted = source.contains(&character) || source.to_uppercase().contains(&in_url);
        if !pasted && (html.contains(&character) || html.contains(&in_url)) {
            return Err(format!("a formula's placeholder left in the page: {html}"));
        }
    }
    Ok(())
}

/// `c` percent-encoded, as a URL holds it (`%EE%80%81`).
fn urlencoding(c: char) -> String {
    c.to_string().bytes().map(|b| format!("%{b:02X}")).collect()
}

/// An error when an attribute of `html` holds MathML that `source` did not write itself.
/// Raw HTML whose attribute value is left open takes in whatever follows it, as in any
/// Markdown renderer: such inputs are not judged.
fn attributes_hold_no_math(html: &str, source: &str) -> Result<(), String> {
    if source.contains("<math") || leaves_a_tag_open(source) {
        return Ok(());
    }
    let document = scraper::Html::parse_fragment(html);
    for node in document.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        if let Some((name, _)) = element.attrs().find(|(_, value)| value.contains("<math")) {
            return Err(format!(
                "MathML inside the `{name}` attribute of <{}>",
                element.name()
            ));
        }
    }
    Ok(())
}

/// A page template is parsed and checked, then, if accepted, a one-chapter book is built with
/// it: its pages render through it.
fn page_template_case(input: &[u8], dir: &Path) -> CaseResult {
    std::fs::create_dir_all(dir.join("templates")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("templates/page.html"), input).map_err(|e| e.to_string())?;
    if let Err(e) = templates::page_templates(dir) {
        return located(&format!("{e:#}"));
    }
    if !dir.join("book.toml").exists() {
        std::fs::create_dir_all(dir.join("content")).map_err(|e| e.to_string())?;
        for (file, text) in [
            ("book.toml", "[book]\ntitle = \"Fuzz\"\n"),
            ("content/SUMMARY.md", "# Summary\n\n- [One](one.md)\n"),
            ("content/one.md", "# One\n\nText and $x^2$.\n"),
        ] {
            std::fs::write(dir.join(file), text).map_err(|e| e.to_string())?;
        }
    }
    match build(dir, Some(&dir.join("site"))) {
        Ok(_) => Ok(Verdict::Accepted),
        Err(e) => located(&format!("{e:#}")),
    }
}

fn tera_case(input: &[u8], _: &Path) -> CaseResult {
    let source = String::from_utf8_lossy(input).into_owned();
    let chapter = Chapter {
        name: "Fuzz".into(),
        number: "1.".into(),
        path: "fuzz.md".into(),
        file: PathBuf::from("content/fuzz.md"),
        source,
    };
    match chapter::render(&chapter, chapter_inputs()) {
        Ok(_) => Ok(Verdict::Accepted),
        Err(d) => located(&d.to_string()),
    }
}

// ---- oracles -----------------------------------------------------------------------------------

/// A rejection located by a byte range: the range must start inside the input.
fn span_in_bounds(e: &gradbook::diag::SpanError, source: &str) -> CaseResult {
    // The end may run past the input (the caret is clipped there); the start may not.
    if e.span.start > source.len() || e.span.start > e.span.end {
        return Err(format!(
            "error span {:?} outside the {}-byte input: {}",
            e.span,
            source.len(),
            e.message
        ));
    }
    located(&e.in_file(Path::new("input"), source).to_string())
}

/// A rejection whose text must carry `line:column`.
fn located(text: &str) -> CaseResult {
    // A panic the library caught (inside Tera, or on a chapter's render thread) is located but
    // is still a panic: the shape that caused it should be refused before anything runs.
    let caught = [templates::TERA_FAILED, "a bug in gradbook"];
    if let Some(what) = caught.iter().find(|what| text.contains(**what)) {
        Err(format!("caught panic ({what}): {text}"))
    } else if located::has_line_column(text) {
        Ok(Verdict::Rejected)
    } else {
        Err(format!("rejected without a location: {text}"))
    }
}

/// Draw every figure of an accepted computation: each must be well-formed SVG without
/// executable markup.
fn check_figures(outcome: &Outcome) -> CaseResult {
    for kind in gradbook::figure::kinds(outcome) {
        if let Some(svg) = gradbook::figure::draw(outcome, kind, "fuzz-") {
            let problems = markup::check_svg(&svg);
            if !problems.is_empty() {
                return Err(format!("figure `{kind}`: {}", problems.join("; ")));
            }
        }
    }
    Ok(Verdict::Accepted)
}

// ---- the mutation loop -------------------------------------------------------------------------

/// A case's target: the input, and a scratch folder it may write into.
type Target = fn(&[u8], &Path) -> CaseResult;

/// How one run of a target ended.
enum Ending {
    /// It returned.
    Returned(CaseResult),
    /// It panicked, with this message.
    Panicked(String),
    /// It ran over the time limit.
    Hung,
}

/// Run `target` on `input` on a fresh thread with a large stack; give up after the limit.
fn run_one(target: Target, input: &[u8], dir: &Path) -> Ending {
    let (tx, rx) = mpsc::channel();
    let owned = input.to_vec();
    let dir = dir.to_path_buf();
    let spawned = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| target(&owned, &dir)));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Ending::Panicked(format!("could not start a case thread: {e}"));
    }
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(Ok(result)) => Ending::Returned(result),
        Ok(Err(payload)) => Ending::Panicked(
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "a panic without a message".into()),
        ),
        Err(_) => Ending::Hung,
    }
}

/// The failure category of an ending, if it failed (used to keep a minimised input failing
/// the same way).
fn failure(ending: &Ending) -> Option<String> {
    match ending {
        Ending::Returned(Ok(_)) => None,
        Ending::Returned(Err(problem)) => Some(problem.clone()),
        Ending::Panicked(message) => Some(format!("panic: {message}")),
        Ending::Hung => Some(format!("hang: over {}s", CASE_LIMIT.as_secs())),
    }
}

/// Fuzz one input kind; panics with every failure found, after printing the counts.
fn run_kind(
    kind: &str,
    seed: u64,
    corpus: Vec<Vec<u8>>,
    dictionary: &[Vec<u8>],
    nest: &[u8],
    target: Target,
) {
    assert!(!corpus.is_empty(), "{kind}: the corpus is empty");
    let cases = std::env::var("GRADBOOK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let extra: u64 = std::env::var("GRADBOOK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ extra.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let started = Instant::now();
    let (mut accepted, mut rejected) = (0usize, 0usize);
    SILENCE.call_once(markdown::silence_caught_panics);
    // Failures by category: how many, and the first one minimised.
    let mut failures: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut failed = 0usize;
    let mut slowest: Vec<(Duration, usize)> = Vec::new();
    // The slowest case's input, saved at the end to look into.
    let mut slowest_input: (Duration, Vec<u8>) = (Duration::ZERO, Vec::new());
    // The unmutated corpus first: every real input must pass too.
    let inputs = corpus.len() + cases;
    for i in 0..inputs {
        let input = match corpus.get(i) {
            Some(original) => original.clone(),
            None => mutate(&mut rng, &corpus, dictionary, nest),
        };
        let start = Instant::now();
        let ending = run_one(target, &input, scratch.path());
        let took = start.elapsed();
        slowest.push((took, i));
        if took > slowest_input.0 {
            slowest_input = (took, input.clone());
        }
        match failure(&ending) {
            None => match ending {
                Ending::Returned(Ok(Verdict::Accepted)) => accepted += 1,
                _ => rejected += 1,
            },
            Some(problem) => {
                failed += 1;
                let hung = matches!(ending, Ending::Hung);
                if let Some((count, _)) = failures.get_mut(&category(&problem)) {
                    *count += 1;
                    continue;
                }
                let small = if hung {
                    input.clone()
                } else {
                    minimise(target, &input, scratch.path(), &problem)
                };
                let saved = save_finding(kind, i, &small);
                let report = format!(
                    "case {i}: {}\n      input ({} bytes, minimised from {}, saved to {}): {:?}",
                    first_line(&problem),
                    small.len(),
                    input.len(),
                    saved.display(),
                    excerpt(&small)
                );
                failures.insert(category(&problem), (1, report));
                // A hung case's thread cannot be stopped: stop this kind rather than pile up.
                if hung {
                    break;
                }
            }
        }
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let slow: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|(d, i)| format!("case {i} {:.2}s", d.as_secs_f64()))
        .collect();
    let slowest_saved = save_finding(
        &format!("{kind} slowest"),
        slowest.first().map_or(0, |s| s.1),
        &slowest_input.1,
    );
    eprintln!(
        "fuzz {kind}: {} cases ({} corpus + {cases} mutated): {accepted} accepted, {rejected} \
         rejected with a location, {} failed; {:.1}s; slowest: {} (the slowest input saved to {})",
        accepted + rejected + failed,
        corpus.len(),
        failed,
        started.elapsed().as_secs_f64(),
        slow.join(", "),
        slowest_saved.display()
    );
    let report: Vec<String> = failures
        .values()
        .map(|(count, first)| format!("{count} like {first}"))
        .collect();
    assert!(
        failures.is_empty(),
        "fuzz {kind}: {failed} failures:\n  {}",
        report.join("\n  ")
    );
}

/// One mutated input: a corpus file changed by one to six mutations.
fn mutate(
    rng: &mut ChaCha8Rng,
    corpus: &[Vec<u8>],
    dictionary: &[Vec<u8>],
    nest: &[u8],
) -> Vec<u8> {
    let mut data = corpus.choose(rng).cloned().unwrap_or_default();
    let count = 1 + (rng.random::<u32>().trailing_zeros() as usize).min(5);
    for _ in 0..count {
        mutate_once(rng, &mut data, corpus, dictionary, nest);
    }
    data
}

/// Numbers that stress parsers and arithmetic.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1e308",
    "-1e308",
    "1e-320",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "4294967296",
    "18446744073709551616",
    "-1",
    "0.0",
    "3.",
    ".5",
    "0x10",
    "1_000",
    "99999999999999999999",
];

/// Apply one random mutation in place.
fn mutate_once(
    rng: &mut ChaCha8Rng,
    data: &mut Vec<u8>,
    corpus: &[Vec<u8>],
    dictionary: &[Vec<u8>],
    nest: &[u8],
) {
    let len = data.len();
    let at = rng.random_range(0..=len);
    match rng.random_range(0..16u32) {
        0 => {
            let end = (at + rng.random_range(1..=16)).min(len);
            data.drain(at..end);
        }
        1 => {
            let bytes: Vec<u8> = (0..rng.random_range(1..=8)).map(|_| rng.random()).collect();
            data.splice(at..at, bytes);
        }
        2 | 3 => {
            let token = dictionary.choose(rng).cloned().unwrap_or_default();
            data.splice(at..at, token);
        }
        4 => {
            let end = (at + rng.random_range(1..=64)).min(len);
            let copy = data[at..end].to_vec();
            data.splice(at..at, copy);
        }
        5 => line_edit(rng, data),
        6 | 7 => {
            let other = corpus.choose(rng).cloned().unwrap_or_default();
            let from = rng.random_range(0..=other.len());
            let to = (from + rng.random_range(1..=256)).min(other.len());
            data.splice(at..at, other[from..to].iter().copied());
        }
        8 => replace_number(rng, data),
        9 => {
            // Deep nesting: a token repeated up to a few thousand times.
            let times = [10, 100, 500, 1000, 3000]
                .choose(rng)
                .copied()
                .unwrap_or(10);
            let token = if rng.random_bool(0.5) {
                nest.to_vec()
            } else {
                dictionary.choose(rng).cloned().unwrap_or_default()
            };
            data.splice(at..at, token.repeat(times));
        }
        10 => {
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(data);
            *data = with_bom;
        }
        11 => {
            let text = data.iter().fold(Vec::with_capacity(len), |mut out, &b| {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
                out
            });
            *data = text;
        }
        12 => data.insert(at, 0),
        13 => {
            let bad: &[&[u8]] = &[b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x80"];
            let bytes = bad.choose(rng).copied().unwrap_or(b"\xff");
            data.splice(at..at, bytes.iter().copied());
        }
        14 => {
            // Overwrite a byte with a syntax character.
            let chars = b"{}[]()$\"'#=:,\\`<>&|%-*_\n\t ";
            if at < len {
                data[at] = chars[rng.random_range(0..chars.len())];
            }
        }
        _ => data.truncate(at),
    }
}

/// Delete, duplicate or swap whole lines.
fn line_edit(rng: &mut ChaCha8Rng, data: &mut Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = data
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    if lines.is_empty() {
        return;
    }
    let i = rng.random_range(0..lines.len());
    let j = rng.random_range(0..lines.len());
    match rng.random_range(0..3u32) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let copy = lines[i].clone();
            lines.insert(j, copy);
        }
        _ => lines.swap(i, j),
    }
    *data = lines.concat();
}

/// Replace the first number at or after a random place with a hostile one.
fn replace_number(rng: &mut ChaCha8Rng, data: &mut Vec<u8>) {
    let from = rng.random_range(0..=data.len());
    let Some(start) = data[from..]
        .iter()
        .position(u8::is_ascii_digit)
        .map(|p| from + p)
    else {
        return;
    };
    let end = data[start..]
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'.' || *b == b'e' || *b == b'-'))
        .map_or(data.len(), |p| start + p);
    let number = NUMBERS.choose(rng).copied().unwrap_or("0");
    data.splice(start..end, number.bytes());
}

/// Shrink a failing input while it keeps failing with the same first line: drop lines, then
/// runs of bytes (a bounded number of tries).
fn minimise(target: Target, input: &[u8], dir: &Path, problem: &str) -> Vec<u8> {
    let wanted = category(problem);
    let still_fails = |candidate: &[u8]| {
        failure(&run_one(target, candidate, dir)).is_some_and(|p| category(&p) == wanted)
    };
    let mut best = input.to_vec();
    let mut tries = 0;
    let mut chunk = best.len() / 2;
    while chunk >= 1 && tries < 400 {
        let mut at = 0;
        let mut shrunk = false;
        while at < best.len() && tries < 400 {
            let end = (at + chunk).min(best.len());
            let mut candidate = best[..at].to_vec();
            candidate.extend_from_slice(&best[end..]);
            tries += 1;
            if still_fails(&candidate) {
                best = candidate;
                shrunk = true;
            } else {
                at += chunk;
            }
        }
        if !shrunk {
            chunk /= 2;
        }
    }
    best
}

/// The part of a failure message that names its kind (not the input-dependent details).
fn category(problem: &str) -> String {
    first_line(problem)
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .take(80)
        .collect()
}

/// Write a finding's input under the target folder; its path.
fn save_finding(kind: &str, case: usize, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
    let name: String = kind
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let path = dir.join(format!("{name}-{case}.bin"));
    let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input));
    path
}

// ---- the corpus --------------------------------------------------------------------------------

/// Every corpus file (under `content/`, `tests/fixtures/`, `templates/`) that `keep` selects.
/// The books of hostile cases marked `pending` are left out: they reproduce open defects, and
/// `tests/hostile.rs` runs them once the fixes are in.
fn corpus_where(keep: impl Fn(&Path, &[u8]) -> bool) -> Vec<Vec<u8>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pending = pending_cases(&repo.join("tests/fixtures/hostile"));
    let mut out = Vec::new();
    for root in ["content", "tests/fixtures", "templates"] {
        for file in markup::files_under(&repo.join(root)) {
            if pending.iter().any(|case| file.starts_with(case)) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            if bytes.len() <= MAX_CORPUS_FILE && keep(&file, &bytes) {
                out.push(bytes);
            }
        }
    }
    out
}

/// The folders of the hostile cases whose `case.toml` has a `pending` key.
fn pending_cases(corpus: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(corpus) else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|dir| {
            std::fs::read_to_string(dir.join("case.toml"))
                .ok()
                .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
                .is_some_and(|case| case.contains_key("pending"))
        })
        .collect()
}

/// Whether a valid study is small enough to run in a debug build within the case limit.
fn small_study(source: &str) -> bool {
    let Ok(table) = toml::from_str::<toml::Table>(source) else {
        return false;
    };
    let int = |section: &str, key: &str, default: i64| {
        table
            .get(section)
            .and_then(|s| s.get(key))
            .and_then(toml::Value::as_integer)
            .unwrap_or(default)
    };
    let regions = table
        .get("sweep")
        .and_then(|s| s.get("region"))
        .and_then(toml::Value::as_array)
        .map_or(1, Vec::len) as i64;
    let variants = table
        .get("variant")
        .and_then(toml::Value::as_array)
        .map_or(1, Vec::len) as i64;
    let network_work = int("sweep", "samples", 20000) * regions.max(1) * variants.max(1)
        + int("search", "starts", 8) * int("search", "steps", 1500) * regions.max(1) * 4;
    let optim_work = int("run", "horizon", 20000)
        * (int("sweep", "alpha-points", 181) + int("sweep", "beta1-points", 100))
        * 8;
    network_work <= 20_000 && optim_work <= 40_000
}

/// The inputs of a fuzzed chapter: the default book's computations, made small.
fn chapter_inputs() -> &'static Inputs {
    static INPUTS: OnceLock<Inputs> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut outcomes = BTreeMap::new();
        for (stem, kind) in [
            ("comp_tree", Kind::Autograd),
            ("networks", Kind::Network),
            ("bump", Kind::Optimizer),
        ] {
            let ext = if kind == Kind::Autograd { "py" } else { "toml" };
            let bytes = std::fs::read(repo.join(format!("content/{stem}.{ext}")))
                .expect("the default book's computation");
            let source = String::from_utf8(small::shrink_study(&bytes)).expect("UTF-8");
            let outcome = compute::run(kind, &source).expect("the shrunk study runs");
            outcomes.insert(stem.to_string(), outcome);
        }
        let book = serde_json::json!({ "title": "Fuzz", "description": "" });
        Inputs::new(outcomes, book, 6)
    })
}

// ---- small helpers -----------------------------------------------------------------------------

fn tokens(list: &[&str]) -> Vec<Vec<u8>> {
    list.iter().map(|s| s.as_bytes().to_vec()).collect()
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The start of an input, for the failure report.
fn excerpt(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(input);
    text.chars().take(300).collect()
}
