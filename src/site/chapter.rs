//! One chapter from source to HTML: Tera (results, `num`, `figure`, `table`) first, then
//! Markdown with math and `autograd` fences. Errors name the chapter file and line.

use crate::compute::{self, Kind, Outcome};
use crate::diag::{Diagnostic, SpanError};
use crate::figure;
use crate::site::book::Chapter;
use crate::site::markdown::{self, Rendered};
use crate::site::templates::{self, FigureState};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use tera::Tera;

/// Everything computed once per build that chapters draw on.
#[derive(Clone)]
pub struct Inputs {
    /// Outcomes by stem.
    pub outcomes: Arc<BTreeMap<String, Outcome>>,
    /// The Tera context: every outcome's JSON under its stem, and `results` with all of them.
    pub context: Arc<Value>,
    /// Default significant digits.
    pub digits: usize,
    /// Every (stem, kind) of figure drawn so far.
    pub used_figures: Arc<Mutex<BTreeSet<(String, String)>>>,
    /// `context` as Tera takes it, built once: cloning the results for every chapter
    /// dominated the re-render of one chapter in `serve`.
    pub tera_context: Arc<tera::Context>,
}

impl Inputs {
    /// Build the inputs from the outcomes.
    pub fn new(outcomes: BTreeMap<String, Outcome>, book: Value, digits: usize) -> Inputs {
        let mut context = serde_json::Map::new();
        let mut all = serde_json::Map::new();
        for (stem, outcome) in &outcomes {
            all.insert(stem.clone(), outcome.to_json());
        }
        for (stem, json) in &all {
            context.insert(stem.clone(), json.clone());
        }
        context.insert("results".into(), Value::Object(all));
        context.insert("book".into(), book);
        let context = Value::Object(context);
        let tera_context = tera::Context::from_value(context.clone()).unwrap_or_default();
        Inputs {
            outcomes: Arc::new(outcomes),
            tera_context: Arc::new(tera_context),
            context: Arc::new(context),
            digits,
            used_figures: Arc::default(),
        }
    }
}

/// The prefix of every id a chapter's figures use (`q2-bump-html-`), unique per chapter so
/// that the print page, which holds every chapter, has no duplicate figure ids.
pub fn figure_prefix(chapter: &Chapter) -> String {
    format!(
        "{}-",
        markdown::slugify(&chapter.out_path().replace(['/', '.'], "-"))
    )
}

/// Render a chapter; the error is a located diagnostic.
pub fn render(chapter: &Chapter, inputs: &Inputs) -> Result<Rendered, Diagnostic> {
    let page_prefix = figure_prefix(chapter);
    let mut tera = Tera::default();
    // Every string a chapter prints from the results (settings, titles, names) is text: it is
    // escaped for HTML and Markdown. Only gradbook's own HTML (`figure`, `table`, `claim`,
    // `num`) and values the author marks `| safe` go in as they are.
    tera.autoescape_on(vec![""]);
    tera.set_escape_fn(crate::markup::escape_markdown);
    templates::register_num(&mut tera, inputs.digits);
    let state = FigureState {
        outcomes: inputs.outcomes.clone(),
        page_prefix: page_prefix.clone(),
        count: 0,
        used: inputs.used_figures.clone(),
    };
    templates::register_functions(&mut tera, state, inputs.context.clone(), inputs.digits);
    let name = chapter.path.clone();
    tera.add_raw_template(&name, &protect_heading_ids(&chapter.source))
        .map_err(|e| tera_diagnostic(chapter, inputs, &e))?;
    let markdown_source = tera
        .render(&name, &inputs.tera_context)
        .map_err(|e| tera_diagnostic(chapter, inputs, &e))?
        .replace(HEADING_ID_MARK, "{#");
    let mut fence_count = 0;
    let mut fences =
        |info: &str, code: &str, _offset: usize| -> Result<Option<String>, SpanError> {
            if markdown::language(info) != "autograd" {
                return Ok(None);
            }
            fence_count += 1;
            let with_table = info.split_whitespace().any(|w| w == "table");
            autograd_fence(
                code,
                &format!("{page_prefix}a{fence_count}-"),
                with_table,
                inputs.digits,
            )
            .map(Some)
            .map_err(|e| {
                SpanError::new(
                    e.span.clone(),
                    format!("in this `autograd` block: {}", e.message),
                )
            })
        };
    markdown::render(&markdown_source, &mut fences)
        .map_err(|e| locate(chapter, &markdown_source, &e))
}

/// Stands in for `{#` in heading attributes while Tera runs (Tera reads `{#` as a comment).
const HEADING_ID_MARK: &str = "\u{E000}";

/// Hide the `{#id}` of heading attributes (`## Title {#id .class}`) from Tera. A `{#` that is
/// closed by `#}` on the same line is a Tera comment and is left alone.
fn protect_heading_ids(source: &str) -> String {
    source
        .split_inclusive('\n')
        .map(|line| {
            let is_heading = line.trim_start().starts_with('#');
            match line.rfind("{#") {
                Some(at) if is_heading && !line[at..].contains("#}") => {
                    format!("{}{HEADING_ID_MARK}{}", &line[..at], &line[at + 2..])
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

/// Run an inline `autograd` script and draw its backward graph; with `table`, also list every
/// backward node with its forward expression, value and gradient.
fn autograd_fence(
    code: &str,
    prefix: &str,
    with_table: bool,
    digits: usize,
) -> Result<String, SpanError> {
    let outcome = compute::run(Kind::Autograd, code)?;
    let kind = figure::kinds(&outcome)
        .first()
        .copied()
        .unwrap_or("backward-graph");
    let svg = figure::draw(&outcome, kind, prefix)
        .ok_or_else(|| SpanError::new(0..0, "this script has no figure"))?;
    let mut html = format!(
        "<figure class=\"gb-figure\">{}</figure>\n",
        svg.replace("\n\n", "\n")
    );
    if with_table {
        let nodes = outcome
            .to_json()
            .get("nodes")
            .cloned()
            .unwrap_or(Value::Null);
        let spec = templates::TableSpec {
            rows: None,
            columns: Some(
                ["name", "label", "value", "grad"]
                    .map(String::from)
                    .to_vec(),
            ),
            labels: Some(
                ["node", "forward", "value", "gradient"]
                    .map(String::from)
                    .to_vec(),
            ),
            digits,
        };
        let table = templates::table_html(&nodes, &spec).map_err(|e| SpanError::new(0..0, e))?;
        html.push_str(&table);
        html.push('\n');
    }
    Ok(html)
}

/// Map an error in the Tera output back to the chapter's source: Tera can change line counts,
/// so the offending text is looked up in the source first.
fn locate(chapter: &Chapter, rendered: &str, err: &SpanError) -> Diagnostic {
    let at_rendered = err.in_file(&chapter.file, rendered);
    let needle = at_rendered.source_line.trim();
    if !needle.is_empty()
        && let Some(pos) = chapter.source.find(needle)
    {
        let line_start = pos;
        let column_bytes: usize = at_rendered
            .source_line
            .trim_start()
            .chars()
            .take(
                at_rendered
                    .column
                    .saturating_sub(1 + leading_ws(&at_rendered.source_line)),
            )
            .map(char::len_utf8)
            .sum();
        let start = line_start + column_bytes;
        return Diagnostic::at(
            &chapter.file,
            &chapter.source,
            start..start + at_rendered.width,
            &err.message,
        );
    }
    at_rendered
}

fn leading_ws(line: &str) -> usize {
    line.chars().take_while(|c| c.is_whitespace()).count()
}

/// Turn a Tera error into a diagnostic: parse errors carry `--> line:col`; render errors name a
/// variable or function, which is looked up in the source.
fn tera_diagnostic(chapter: &Chapter, inputs: &Inputs, err: &tera::Error) -> Diagnostic {
    let text = templates::tera_error_text(err);
    let lines: Vec<&str> = text.lines().collect();
    if let Some(pos) = text.find("--> ") {
        let rest = &text[pos + 4..];
        let coords: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        if let Some((l, c)) = coords.split_once(':')
            && let (Ok(line), Ok(col)) = (l.parse::<usize>(), c.parse::<usize>())
        {
            let expected = lines
                .iter()
                .find_map(|l| l.trim().strip_prefix("= "))
                .unwrap_or("syntax error");
            let message = format!("template syntax error: {expected}");
            return Diagnostic::at_line(&chapter.file, &chapter.source, line, col, &message);
        }
    }
    let innermost = lines.last().copied().unwrap_or("template error").trim();
    let message = if innermost.contains("not found in context") {
        let known = match &*inputs.context {
            Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
            _ => String::new(),
        };
        format!("{innermost}: expected one of the results ({known}) or a loop variable")
    } else {
        innermost.to_string()
    };
    let needle = backticked(innermost).unwrap_or_default();
    let offset = find_in_tags(&chapter.source, &needle);
    match offset {
        Some(pos) => Diagnostic::at(
            &chapter.file,
            &chapter.source,
            pos..pos + needle.len(),
            &message,
        ),
        None => Diagnostic::at(&chapter.file, &chapter.source, 0..0, &message),
    }
}

fn backticked(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

/// The first occurrence of `needle` inside a `{{ … }}` or `{% … %}` tag.
fn find_in_tags(source: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(rel) = source[from..].find(needle) {
        let pos = from + rel;
        let before = &source[..pos];
        let open = before
            .rfind("{{")
            .into_iter()
            .chain(before.rfind("{%"))
            .max();
        let close = before
            .rfind("}}")
            .into_iter()
            .chain(before.rfind("%}"))
            .max();
        if open.is_some() && (close.is_none() || open > close) {
            return Some(pos);
        }
        from = pos + needle.len();
    }
    source.find(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn chapter(source: &str) -> Chapter {
        Chapter {
            name: "C".into(),
            number: "1.".into(),
            path: "c.md".into(),
            file: PathBuf::from("content/c.md"),
            source: source.into(),
        }
    }

    fn inputs() -> Inputs {
        Inputs::new(BTreeMap::new(), serde_json::json!({"title": "T"}), 6)
    }

    #[test]
    fn tera_then_markdown() {
        let r = render(
            &chapter("# {{ book.title }}\n\n$x = {{ 0.123456789 | num(digits=3) }}$\n"),
            &inputs(),
        )
        .unwrap();
        assert!(r.html.contains(">T</a></h1>"));
        assert!(r.html.contains("<mn>0.123</mn>"), "{}", r.html);
    }

    #[test]
    fn heading_ids_survive_tera() {
        let r = render(
            &chapter("# Title {#mine}\n\n{# a comment #}text\n"),
            &inputs(),
        )
        .unwrap();
        assert!(r.html.contains("id=\"mine\""), "{}", r.html);
        assert!(!r.html.contains("comment"));
    }

    #[test]
    fn unknown_variable_is_located() {
        let d = render(&chapter("line\n\nvalue {{ nosuch.field }}\n"), &inputs()).unwrap_err();
        assert_eq!(d.line, 3, "{d}");
        assert!(d.message.contains("nosuch.field"), "{d}");
    }

    #[test]
    fn syntax_error_is_located() {
        let d = render(&chapter("ok\n{{ 1 + }}\n"), &inputs()).unwrap_err();
        assert_eq!(d.line, 2, "{d}");
    }

    #[test]
    fn latex_error_is_located_in_source() {
        let d = render(&chapter("{{ book.title }}\n\n{% for i in [1,2] %}\nrow {{ i }}\n{% endfor %}\n\nbad $\\nosuchcommand{x}$ math\n"), &inputs()).unwrap_err();
        assert_eq!(d.line, 7, "{d}");
    }
}
