//! Tera: the page templates (embedded, overridable by a book's own `templates/` folder), and
//! the filters and functions chapters use (`num`, `figure`, `table`), registered in one place on
//! top of one sandboxed engine ([`sandbox`]) with budgets ([`budget`]).

pub mod borrowing;
pub mod budget;
pub mod instrument;
pub mod recursion;
pub mod sandbox;
pub mod scan;

use crate::compute::Outcome;
use crate::diag::Diagnostic;
use crate::figure;
use crate::format;
use crate::markup::{escape, sanitize_id};
use crate::site::assets;
use crate::site::markdown::latex_to_mathml;
use anyhow::Result;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use tera::Tera;

/// The names a chapter read while it rendered: variables (their first segment) and the stems
/// of `figure`/`table` calls; `results` stands for all of them.
pub type Reads = Arc<Mutex<BTreeSet<String>>>;

/// The page templates, ready to render pages: the engine, and the budget that every render
/// starts afresh (a book's own templates count loop iterations, printed bytes and time, as
/// chapters do, and their errors point at the template's line).
pub struct PageTemplates {
    /// The engine.
    pub tera: Tera,
    budget: Arc<budget::Budget>,
    /// Every position marker of the book's own templates: (file, source, tag range).
    positions: Vec<(PathBuf, Arc<str>, std::ops::Range<usize>)>,
}

impl PageTemplates {
    /// Render page template `name` with a fresh budget; an error in a book's own template is
    /// located at its line.
    pub fn render(&self, name: &str, context: &tera::Context) -> Result<String> {
        self.budget.reset();
        render_caught(&self.tera, name, context).map_err(|e| {
            let text = tera_error_text(&e);
            let innermost = text.lines().last().unwrap_or("template error").trim();
            let at = self.budget.current().and_then(|p| self.positions.get(p));
            match at {
                Some((file, source, range)) => {
                    let needle = backticked(innermost).unwrap_or_default();
                    let span = needle_in_tag(source, range.clone(), &needle);
                    anyhow::anyhow!("{}", Diagnostic::at(file, source, span, innermost))
                }
                None => anyhow::anyhow!("{text}").context(format!("rendering templates/{name}")),
            }
        })
    }
}

/// `tera.render(name, context)`, with a panic inside Tera turned into an error that the
/// caller locates at the running tag like any other. Tera 1.20 panics, instead of failing, on
/// a sum or difference of numbers beyond ±1.8×10³⁰⁸ (`Option::unwrap` of the sum as a JSON
/// number; the other shapes it panics on, whatever the values, are refused before a template
/// runs). Any other panic is reported as [`TERA_FAILED`], with Tera's message.
pub fn render_caught(tera: &Tera, name: &str, context: &tera::Context) -> tera::Result<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tera.render(name, context)))
        .unwrap_or_else(|payload| {
            let what = (payload.downcast_ref::<String>().map(String::as_str))
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(tera::Error::msg(
                if what == "called `Option::unwrap()` on a `None` value" {
                    "this tag stopped the template engine: Tera stops so on a sum or difference beyond ±1.8×10³⁰⁸, the largest number a template holds".to_string()
                } else {
                    format!("{TERA_FAILED} (Tera panicked: {what})")
                },
            ))
        })
}

/// How the error from an unexpected panic inside Tera begins (see [`render_caught`]).
pub const TERA_FAILED: &str = "the template engine (Tera) failed on this tag";

/// The page templates: the embedded ones, each replaced by the book's `templates/<name>` if
/// that file exists.
pub fn page_templates(book_root: &Path) -> Result<PageTemplates> {
    let mut tera = sandbox::engine();
    let mut sources: Vec<(String, String, Option<PathBuf>)> = Vec::new();
    for (name, builtin) in assets::TEMPLATES {
        let own = book_root.join("templates").join(name);
        let from_book = own.is_file();
        let source = if from_book {
            let source = crate::site::book::read_book_text(book_root, &own)?;
            scan::check_nesting(&source, &scan::tags(&source)).map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    crate::diag::Diagnostic::at(&own, &source, e.span, &e.message)
                )
            })?;
            source
        } else {
            (*builtin).to_string()
        };
        sources.push((name.to_string(), source, from_book.then_some(own)));
    }
    tera.add_raw_templates(sources.iter().map(|(n, s, _)| (n.as_str(), s.as_str())))
        .map_err(|e| page_template_error(&e, &sources))?;
    recursion::check(&tera).map_err(|cycle| {
        let located = cycle.first_call().and_then(|(template, needle)| {
            let (_, source, file) = sources.iter().find(|(n, _, _)| n == template)?;
            let at = find_in_tags(source, &needle)?;
            let span = at..at + needle.len();
            Some(Diagnostic::at(
                file.as_ref()?,
                source,
                span,
                &cycle.to_string(),
            ))
        });
        match located {
            Some(diagnostic) => anyhow::anyhow!("{diagnostic}"),
            None => anyhow::anyhow!("{cycle}").context("checking the page templates"),
        }
    })?;
    tera.autoescape_on(vec![".html"]);
    register_num(&mut tera, 6);
    let budget = Arc::new(budget::Budget::default());
    budget::register(&mut tera, &budget, tera::escape_html);
    let safe = instrument::SafeNames::of(&tera);
    let mut found = instrument::Instrumented::default();
    let mut positions = Vec::new();
    for (name, source, file) in &sources {
        let (Some(file), Some(template)) = (file, tera.templates.get_mut(name)) else {
            continue;
        };
        let tags = scan::tags(source);
        let so_far = std::mem::take(&mut found);
        let first = so_far.positions.len();
        found = instrument::instrument_template(
            &mut template.ast,
            source,
            &tags,
            &safe,
            instrument::Kind::Page,
            so_far,
        )
        .map_err(|e| anyhow::anyhow!("{}", Diagnostic::at(file, source, e.span, &e.message)))?;
        template.macros = (template.ast.iter())
            .filter_map(|n| match n {
                tera::ast::Node::MacroDefinition(_, m, _) => Some((m.name.clone(), m.clone())),
                _ => None,
            })
            .collect();
        let shared: Arc<str> = Arc::from(source.as_str());
        positions.extend(
            found.positions[first..]
                .iter()
                .map(|range| (file.clone(), shared.clone(), range.clone())),
        );
    }
    Ok(PageTemplates {
        tera,
        budget,
        positions,
    })
}

/// A Tera error as a located diagnostic in `file`: at Tera's own `--> line:col` for a syntax
/// error, else at the first `` `…` `` piece of the message found in a tag of `source`, else at
/// the top of the file. `message` is what to say when Tera gave no syntax position.
pub fn locate_tera_error(
    file: &Path,
    source: &str,
    err: &tera::Error,
    message: &str,
) -> Diagnostic {
    let text = tera_error_text(err);
    if let Some(pos) = text.find("--> ") {
        let rest = &text[pos + 4..];
        let coords: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        if let Some((l, c)) = coords.split_once(':')
            && let (Ok(line), Ok(col)) = (l.parse::<usize>(), c.parse::<usize>())
        {
            let expected = text
                .lines()
                .find_map(|l| l.trim().strip_prefix("= "))
                .unwrap_or("syntax error");
            let message = format!("template syntax error: {expected}");
            return Diagnostic::at_line(file, source, line, col, &message);
        }
    }
    let needle = backticked(&text).unwrap_or_default();
    match find_in_tags(source, &needle) {
        Some(pos) => Diagnostic::at(file, source, pos..pos + needle.len(), message),
        None => Diagnostic::at(file, source, 0..0, message),
    }
}

/// A page-template parse error, located in the book's own template that failed when there is
/// one (the built-in templates parse).
fn page_template_error(
    err: &tera::Error,
    sources: &[(String, String, Option<PathBuf>)],
) -> anyhow::Error {
    let text = tera_error_text(err);
    let failed = sources
        .iter()
        .find(|(name, _, _)| text.contains(&format!("'{name}'")));
    match failed {
        Some((_, source, Some(file))) => {
            let innermost = text.lines().last().unwrap_or("template error").trim();
            anyhow::anyhow!("{}", locate_tera_error(file, source, err, innermost))
        }
        _ => anyhow::anyhow!("{text}").context("parsing the page templates"),
    }
}

/// Where in the tag at `range` of `source` an error about `needle` (a name or operator the
/// message quotes) points: its first occurrence between the tag's delimiters (`{%` itself
/// holds a `%`), else the whole tag.
pub fn needle_in_tag(source: &str, range: Range<usize>, needle: &str) -> Range<usize> {
    let tag = &source[range.clone()];
    let delimited = tag.len() >= 4 && tag.starts_with('{') && tag.ends_with('}');
    let inner = if delimited {
        2..tag.len() - 2
    } else {
        0..tag.len()
    };
    match tag[inner.clone()].find(needle) {
        Some(i) if !needle.is_empty() => {
            let start = range.start + inner.start + i;
            start..start + needle.len()
        }
        _ => range,
    }
}

/// The first `` `…` `` quoted piece of an error message (what to look for in the source).
pub fn backticked(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

/// The first occurrence of `needle` inside a `{{ … }}` or `{% … %}` tag.
pub fn find_in_tags(source: &str, needle: &str) -> Option<usize> {
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

/// Every cause of a Tera error on one line each (Tera hides the useful part in `source()`).
pub fn tera_error_text(err: &tera::Error) -> String {
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        text.push('\n');
        text.push_str(&readable(c.to_string()));
        cause = c.source();
    }
    text
}

/// A Tera message in the author's words where Tera's prints its syntax tree (`Expr { val: … }`).
fn readable(message: String) -> String {
    if message.starts_with("Tried to do a modulo by zero") {
        "a modulo by zero: the right side of this `%` is 0".to_string()
    } else if message.starts_with("Tried to check if") && message.contains(" is in a ") {
        "`in` looks for a text in a text, or a key in a map: the left side of this `in` is not a text"
            .to_string()
    } else {
        message
    }
}

/// Register the `num(digits=N)` filter, with `default_digits` when none is given. Its output
/// is a number gradbook formatted, so chapter autoescaping leaves it alone.
pub fn register_num(tera: &mut Tera, default_digits: usize) {
    tera.register_filter("num", NumFilter { default_digits });
}

/// The `num` filter: a number as a reader sees it, through [`format::display`] (significant
/// digits) or, for an integer, [`format::count`] (every digit).
struct NumFilter {
    default_digits: usize,
}

impl tera::Filter for NumFilter {
    fn filter(&self, value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let digits =
            match args.get("digits") {
                Some(d) => d.as_u64().filter(|d| (1..=17).contains(d)).ok_or_else(|| {
                    tera::Error::msg(format!("num: digits must be 1 to 17, got {d}"))
                })? as usize,
                None => self.default_digits,
            };
        if let Some(n) = value.as_i64() {
            return Ok(Value::String(format::count(i128::from(n))));
        }
        if let Some(n) = value.as_u64() {
            return Ok(Value::String(format::count(i128::from(n))));
        }
        let x = value
            .as_f64()
            .ok_or_else(|| tera::Error::msg(format!("num: expected a number, got `{value}`")))?;
        Ok(Value::String(format::display(x, digits)))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// The `fenced(lang="python")` filter: text as a Markdown fenced code block whose fence is
/// longer than any run of backticks in the text, so no line of it can close the block early
/// and turn the rest into Markdown or HTML.
struct FencedFilter;

impl tera::Filter for FencedFilter {
    fn filter(&self, value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let text = value
            .as_str()
            .ok_or_else(|| tera::Error::msg(format!("fenced: expected text, got `{value}`")))?;
        let lang = match args.get("lang") {
            None => "",
            Some(Value::String(l)) if l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => l,
            Some(other) => {
                return Err(tera::Error::msg(format!(
                    "fenced: `lang` must be a word such as \"python\", got `{other}`"
                )));
            }
        };
        Ok(Value::String(fenced(text, lang)))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// `text` in a fenced code block of language `lang`, fenced with one backtick more than its
/// longest run of backticks (at least three).
pub fn fenced(text: &str, lang: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{text}\n{fence}")
}

/// A chapter function whose output is HTML that gradbook generated with every user-written
/// piece already escaped (`figure`, `table`, `claim`): chapter autoescaping leaves it alone.
pub struct SafeHtml<F>(pub F);

impl<F> tera::Function for SafeHtml<F>
where
    F: Fn(&HashMap<String, Value>) -> tera::Result<Value> + Sync + Send,
{
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        (self.0)(args)
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// What the `figure` function needs, shared between calls within one chapter.
pub struct FigureState {
    /// Every computation's outcome by stem.
    pub outcomes: Arc<BTreeMap<String, Outcome>>,
    /// Id prefix of this page's figures (`q2-bump-`).
    pub page_prefix: String,
    /// Figures drawn so far on this page.
    pub count: usize,
    /// Every (stem, kind) drawn, for the standalone files.
    pub used: Arc<Mutex<BTreeSet<(String, String)>>>,
    /// The layout of the diagrams (the book's `gradbook.layout`).
    pub layout: crate::figure::diagram::Engine,
    /// The book's significant digits (`gradbook.digits`), for the numbers figures print.
    pub digits: usize,
    /// Figures already drawn from these outcomes, when they are kept between renders.
    pub memo: Option<Arc<FigureMemo>>,
}

/// Figures drawn from one set of outcomes (at one layout and one number of digits), by stem,
/// kind and id prefix: `serve` keeps one per set of results, so re-rendering an edited chapter
/// draws none of its figures again.
pub type FigureMemo = Mutex<HashMap<(String, String, String), Arc<Drawn>>>;

/// A drawn figure: the full SVG and the narrow rendering (its SVG on one line).
pub struct Drawn {
    svg: String,
    narrow: Option<figure::Narrow>,
}

/// Draw figure `kind` of `outcome` with ids under `prefix`, or take it from `state`'s memo.
fn drawn(
    state: &FigureState,
    outcome: &Outcome,
    of: &str,
    kind: &str,
    prefix: &str,
) -> Result<Arc<Drawn>, String> {
    let key = (of.to_string(), kind.to_string(), prefix.to_string());
    if let Some(found) = state
        .memo
        .as_ref()
        .and_then(|m| m.lock().ok().and_then(|m| m.get(&key).cloned()))
    {
        return Ok(found);
    }
    let digits = crate::format::Digits(state.digits);
    let svg =
        figure::draw_with_digits(outcome, kind, prefix, state.layout, digits).ok_or_else(|| {
            format!(
                "`{of}` has no figure of kind `{kind}` (kinds: {})",
                figure::kinds(outcome).join(", ")
            )
        })?;
    let narrow = figure::draw_narrow(outcome, kind, &format!("{prefix}n-"), digits).map(|n| {
        figure::Narrow {
            svg: one_line(&n.svg),
            ..n
        }
    });
    let drawn = Arc::new(Drawn { svg, narrow });
    if let Some(Ok(mut memo)) = state.memo.as_ref().map(|m| m.lock()) {
        memo.insert(key, drawn.clone());
    }
    Ok(drawn)
}

/// Draw a figure wrapped in `<figure>` with an optional caption (inline Markdown and math), the
/// optional id of the table that describes its nodes (`details`, linked by `aria-describedby`)
/// and an optional label `fig-…` that numbers it, on one line (so it stays one HTML block in
/// Markdown).
pub fn figure_html(
    state: &mut FigureState,
    of: &str,
    kind: &str,
    caption: Option<&str>,
    label: Option<&str>,
    details: Option<&str>,
) -> Result<String, String> {
    let numbered = crate::site::authoring::numbered_caption("fig", label, caption)?;
    let outcome = state.outcomes.get(of).ok_or_else(|| {
        let known: Vec<&str> = state.outcomes.keys().map(String::as_str).collect();
        format!("no computation named `{of}` (known: {})", known.join(", "))
    })?;
    state.count += 1;
    let prefix = format!("{}f{}-", state.page_prefix, state.count);
    let drawn = drawn(state, outcome, of, kind, &prefix)?;
    if let Ok(mut used) = state.used.lock() {
        used.insert((of.to_string(), kind.to_string()));
    }
    let svg = match details {
        Some(table) => crate::site::described::link(&drawn.svg, table),
        None => drawn.svg.clone(),
    };
    let caption = match numbered {
        Some(c) => format!("<figcaption>{c}</figcaption>"),
        None => String::new(),
    };
    let id = label.map_or(format!("{prefix}figure"), str::to_string);
    Ok(crate::site::figure_frame::frame(
        &id,
        &one_line(&svg),
        drawn.narrow.as_ref(),
        &caption,
    ))
}

/// A chapter's engine: the sandbox, `num`, `figure`, `table`, `claim` and the budget checks.
pub fn chapter_engine(
    state: FigureState,
    context: ChapterContext,
    digits: usize,
    reads: &Reads,
    budget: &Arc<budget::Budget>,
) -> Tera {
    let mut tera = sandbox::engine();
    // Every string a chapter prints from the results (settings, titles, names) is text: it is
    // escaped for HTML and Markdown. Only gradbook's own HTML (`figure`, `table`, `claim`,
    // `num`) and values the author marks `| safe` go in as they are.
    tera.autoescape_on(vec![""]);
    tera.set_escape_fn(crate::markup::escape_markdown);
    register_num(&mut tera, digits);
    register_functions(&mut tera, state, context, digits, reads);
    budget::register(&mut tera, budget, crate::markup::escape_markdown);
    tera
}

/// The Tera context of a build's chapters: every result's JSON under its stem, and `book`.
/// `results` (every result again, in one map) is in a second context, made the first time a
/// chapter reads it: most books never do, and converting every result once more is a
/// sizeable part of a build.
#[derive(Clone)]
pub struct ChapterContext {
    outcomes: Arc<BTreeMap<String, Outcome>>,
    book: Arc<Value>,
    plain: Arc<tera::Context>,
    with_results: Arc<OnceLock<Arc<tera::Context>>>,
}

impl ChapterContext {
    /// The context of `outcomes` (by stem) and the book's metadata `book`.
    pub fn new(outcomes: Arc<BTreeMap<String, Outcome>>, book: Value) -> ChapterContext {
        let plain = Arc::new(context_of(&outcomes, &book, false));
        ChapterContext {
            outcomes,
            book: Arc::new(book),
            plain,
            with_results: Arc::default(),
        }
    }

    /// The context without `results`.
    pub fn plain(&self) -> Arc<tera::Context> {
        self.plain.clone()
    }

    /// The context of a template that reads the variables `names` (first segments): the one
    /// with `results` if [`reads_every_result`] says so.
    pub fn reading(&self, names: &BTreeSet<String>) -> Arc<tera::Context> {
        if reads_every_result(names) {
            self.with_results()
        } else {
            self.plain()
        }
    }

    /// Whether the context with `results` has been made.
    #[cfg(test)]
    pub fn made_results(&self) -> bool {
        self.with_results.get().is_some()
    }

    /// The context in which to look up the path `of` (`table(of=…)`).
    fn reading_path(&self, of: &str) -> Arc<tera::Context> {
        let head = of.split('.').next().unwrap_or(of);
        self.reading(&BTreeSet::from([head.to_string()]))
    }

    /// The context with `results` as well, made on first use.
    fn with_results(&self) -> Arc<tera::Context> {
        let made = self
            .with_results
            .get_or_init(|| Arc::new(context_of(&self.outcomes, &self.book, true)));
        made.clone()
    }
}

/// Whether a template that reads the variables `names` (first segments) may read `results`,
/// the map of every result: it names `results` or prints the whole context.
pub fn reads_every_result(names: &BTreeSet<String>) -> bool {
    names.contains("results") || names.contains("__tera_context")
}

/// The Tera context of `outcomes` and `book`, with `results` if `with_results`.
fn context_of(
    outcomes: &BTreeMap<String, Outcome>,
    book: &Value,
    with_results: bool,
) -> tera::Context {
    // The results convert in parallel. A result in the context twice (`bump` and
    // `results.bump`) is converted twice side by side: that takes half the time of
    // converting it and copying the conversion (a copy of a large JSON value costs more
    // than making it).
    let converted: Vec<(&String, Value, Option<Value>)> = outcomes
        .par_iter()
        .map(|(stem, outcome)| {
            if with_results {
                let (json, copy) = rayon::join(|| outcome.to_json(), || outcome.to_json());
                (stem, json, Some(copy))
            } else {
                (stem, outcome.to_json(), None)
            }
        })
        .collect();
    let mut context = serde_json::Map::new();
    let mut all = serde_json::Map::new();
    for (stem, json, copy) in converted {
        context.insert(stem.clone(), json);
        if let Some(copy) = copy {
            all.insert(stem.clone(), copy);
        }
    }
    if with_results {
        context.insert("results".into(), Value::Object(all));
    }
    context.insert("book".into(), book.clone());
    // `from_value` moves the values in: no second copy of the results.
    tera::Context::from_value(Value::Object(context)).unwrap_or_default()
}

/// Note that a chapter read the result named by the first segment of `of`.
fn record(reads: &Reads, of: &str) {
    if let Ok(mut reads) = reads.lock() {
        reads.insert(of.split('.').next().unwrap_or(of).to_string());
    }
}

/// Register `figure(of, kind, caption, id, details)`, `table(of, rows, columns, labels, digits,
/// caption, id)`,
/// `claim(that, says)` and the `fenced(lang)` filter; every `of` is recorded in `reads`.
pub fn register_functions(
    tera: &mut Tera,
    state: FigureState,
    context: ChapterContext,
    digits: usize,
    reads: &Reads,
) {
    crate::site::claims::register(tera);
    crate::site::agreement::register(tera, digits);
    tera.register_filter("fenced", FencedFilter);
    let state = Mutex::new(state);
    let figure_reads = reads.clone();
    tera.register_function(
        "figure",
        SafeHtml(
            move |args: &HashMap<String, Value>| -> tera::Result<Value> {
                let of = str_arg(args, "of")?
                    .ok_or_else(|| tera::Error::msg("figure: missing `of=\"stem\"`"))?;
                record(&figure_reads, &of);
                let kind = str_arg(args, "kind")?
                    .ok_or_else(|| tera::Error::msg("figure: missing `kind=\"…\"`"))?;
                let caption = str_arg(args, "caption")?;
                let label = str_arg(args, "id")?;
                let details = str_arg(args, "details")?;
                let mut state = state
                    .lock()
                    .map_err(|_| tera::Error::msg("figure: state poisoned"))?;
                figure_html(
                    &mut state,
                    &of,
                    &kind,
                    caption.as_deref(),
                    label.as_deref(),
                    details.as_deref(),
                )
                .map(Value::String)
                .map_err(|e| tera::Error::msg(format!("figure(of=\"{of}\", kind=\"{kind}\"): {e}")))
            },
        ),
    );
    let table_reads = reads.clone();
    tera.register_function(
        "table",
        SafeHtml(
            move |args: &HashMap<String, Value>| -> tera::Result<Value> {
                let of = str_arg(args, "of")?
                    .ok_or_else(|| tera::Error::msg("table: missing `of=\"stem.path\"`"))?;
                record(&table_reads, &of);
                let spec = TableSpec {
                    rows: args.get("rows").and_then(Value::as_u64).map(|r| r as usize),
                    columns: str_arg(args, "columns")?.map(|c| split_list(&c)),
                    labels: str_arg(args, "labels")?.map(|c| split_list(&c)),
                    digits: args
                        .get("digits")
                        .and_then(Value::as_u64)
                        .map_or(digits, |d| d.clamp(1, 17) as usize),
                    // A labelled table's id goes on its numbered wrapper (`wrap_table`).
                    id: None,
                };
                let context = context.reading_path(&of);
                let value = lookup_in(&context, &of).ok_or_else(|| {
                    tera::Error::msg(format!("table: `{of}` not found in the results"))
                })?;
                let caption = str_arg(args, "caption")?;
                let label = str_arg(args, "id")?;
                table_html(value, &spec)
                    .and_then(|t| {
                        crate::site::authoring::wrap_table(&t, caption.as_deref(), label.as_deref())
                    })
                    .map(Value::String)
                    .map_err(|e| tera::Error::msg(format!("table(of=\"{of}\"): {e}")))
            },
        ),
    );
}

fn str_arg(args: &HashMap<String, Value>, name: &str) -> tera::Result<Option<String>> {
    match args.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(tera::Error::msg(format!(
            "`{name}` must be a string, got `{other}`"
        ))),
    }
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(|s| s.trim().to_string()).collect()
}

/// Follow a dotted path (`bump.adam.steps`, `net.paths.0`) through JSON.
pub fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(root, |v, key| match v {
        Value::Object(map) => map.get(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// [`lookup`] in a Tera context, whose top level is the results by stem.
pub fn lookup_in<'v>(context: &'v tera::Context, path: &str) -> Option<&'v Value> {
    match path.split_once('.') {
        Some((head, rest)) => lookup(context.get(head)?, rest),
        None => context.get(path),
    }
}

/// How to draw a table.
pub struct TableSpec {
    /// At most this many rows.
    pub rows: Option<usize>,
    /// Which fields, in which order (default: all, in the result's order).
    pub columns: Option<Vec<String>>,
    /// Header text per column (`$…$` becomes MathML).
    pub labels: Option<Vec<String>>,
    /// Significant digits of numbers.
    pub digits: usize,
    /// The table's `id` (sanitized), for a figure's `details` to point at.
    pub id: Option<String>,
}

/// An HTML table from an array of objects, an array of scalars, or an object of scalars.
pub fn table_html(value: &Value, spec: &TableSpec) -> Result<String, String> {
    let (columns, rows): (Vec<String>, Vec<Vec<&Value>>) = match value {
        Value::Array(items) => {
            let columns = match &spec.columns {
                Some(c) => c.clone(),
                None => match items.first() {
                    Some(Value::Object(first)) => first.keys().cloned().collect(),
                    _ => vec!["value".to_string()],
                },
            };
            for c in &columns {
                let present = items.iter().any(|item| item.get(c).is_some());
                if items.first().is_some_and(Value::is_object) && !present {
                    return Err(format!("no row has a field `{c}`"));
                }
            }
            let rows = items
                .iter()
                .take(spec.rows.unwrap_or(usize::MAX))
                .map(|item| match item {
                    Value::Object(map) => columns
                        .iter()
                        .map(|c| map.get(c).unwrap_or(&Value::Null))
                        .collect(),
                    scalar => vec![scalar],
                })
                .collect();
            (columns, rows)
        }
        Value::Object(map) => (
            vec!["name".into(), "value".into()],
            map.values().map(|v| vec![v]).collect(),
        ),
        other => return Err(format!("expected an array or an object, got `{other}`")),
    };
    let labels = spec.labels.clone().unwrap_or_else(|| columns.clone());
    if labels.len() != columns.len() {
        return Err(format!(
            "{} labels for {} columns",
            labels.len(),
            columns.len()
        ));
    }
    let id = spec
        .id
        .as_deref()
        .map_or(String::new(), |id| format!(" id=\"{}\"", sanitize_id(id)));
    let mut html =
        format!("<div class=\"table-wrapper\"><table class=\"gb-table\"{id}><thead><tr>");
    let keys: Vec<&String> = match value {
        Value::Object(map) => map.keys().collect(),
        _ => Vec::new(),
    };
    // An object's table has its keys as a first, textual column.
    let key_columns = usize::from(!keys.is_empty());
    for (i, label) in labels.iter().enumerate() {
        let numeric = i >= key_columns
            && !rows.is_empty()
            && rows.iter().all(|r| {
                r.get(i - key_columns)
                    .is_none_or(|v| v.is_number() || v.is_null())
            });
        let class = if numeric { " class=\"num\"" } else { "" };
        let label = crate::site::math_fix::header_labels(&inline_math(label)?);
        html.push_str(&format!("<th{class}>{label}</th>"));
    }
    html.push_str("</tr></thead><tbody>");
    for (i, row) in rows.iter().enumerate() {
        html.push_str("<tr>");
        if let Some(key) = keys.get(i) {
            html.push_str(&format!("<td>{}</td>", escape(key)));
        }
        for cell in row {
            html.push_str(&cell_html(cell, spec.digits));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    Ok(html)
}

fn cell_html(value: &Value, digits: usize) -> String {
    match value {
        Value::Number(n) => {
            let text = match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => format::count(i128::from(i)),
                (_, Some(u)) => format::count(i128::from(u)),
                _ => format::display(n.as_f64().unwrap_or(f64::NAN), digits),
            };
            format!("<td class=\"num\">{}</td>", escape(&text))
        }
        Value::String(s) => format!("<td>{}</td>", escape(s)),
        Value::Bool(b) => format!("<td>{}</td>", if *b { "yes" } else { "no" }),
        Value::Null => "<td>–</td>".to_string(),
        other => format!("<td>{}</td>", escape(&other.to_string())),
    }
}

/// Escape `text` for HTML, turning each `$…$` into inline MathML.
pub fn inline_math(text: &str) -> Result<String, String> {
    // Text and formulas in turn (text first and last), formulas as MathML.
    let mut parts: Vec<String> = Vec::new();
    for (i, part) in text.split('$').enumerate() {
        parts.push(if i % 2 == 1 {
            latex_to_mathml(part, false).map_err(|e| format!("in `${part}$`: {}", e.message))?
        } else {
            part.to_string()
        });
    }
    let mut html = String::new();
    let mut before = parts.first().cloned().unwrap_or_default();
    for pair in parts[1..].chunks(2) {
        let (mathml, after) = (&pair[0], pair.get(1).map_or("", String::as_str));
        match crate::site::markdown::glue(&before, mathml, after) {
            Some((kept, joined, rest)) => {
                html.push_str(&escape(kept));
                html.push_str(&joined);
                before = rest.to_string();
            }
            None => {
                html.push_str(&escape(&before));
                html.push_str(mathml);
                before = after.to_string();
            }
        }
    }
    html.push_str(&escape(&before));
    if text.matches('$').count() % 2 == 1 {
        return Err(format!("unbalanced `$` in `{text}`"));
    }
    Ok(html)
}

fn one_line(svg: &str) -> String {
    svg.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_from_array_of_objects() {
        let v =
            json!([{"t": 1, "g": -1.0, "w": 0.3}, {"t": 2, "g": -1.0, "w": 0.6000000000000001}]);
        let spec = TableSpec {
            rows: Some(1),
            columns: Some(vec!["t".into(), "w".into()]),
            labels: Some(vec!["$t$".into(), "w".into()]),
            digits: 3,
            id: None,
        };
        let html = table_html(&v, &spec).unwrap();
        assert!(
            html.contains("<th class=\"num\"><math aria-label=\"t\" alttext=\"t\"><mi>t</mi></math></th><th class=\"num\">w</th>"),
            "{html}"
        );
        assert!(
            html.contains("<td class=\"num\">1</td><td class=\"num\">0.3</td>"),
            "{html}"
        );
        assert!(!html.contains("0.6"));
    }

    #[test]
    fn lookup_follows_paths() {
        let v = json!({"a": {"b": [10, {"c": 5}]}});
        assert_eq!(lookup(&v, "a.b.1.c"), Some(&json!(5)));
        assert_eq!(lookup(&v, "a.x"), None);
        let context = tera::Context::from_value(v.clone()).unwrap();
        for path in ["a", "a.b.1.c", "a.b.0", "a.x", "a.", "", "x", "a.b.2"] {
            assert_eq!(lookup_in(&context, path), lookup(&v, path), "{path}");
        }
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fenced("x = 1", "python"), "```python\nx = 1\n```");
        let hostile = "# ```\n# <script>alert(1)</script>\n# ````";
        let block = fenced(hostile, "python");
        assert!(
            block.starts_with("`````python\n") && block.ends_with("\n`````"),
            "{block}"
        );
        let html = crate::site::markdown::render(&block, &mut |_, _, _| Ok(None))
            .unwrap()
            .html;
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script"),
            "{html}"
        );
    }

    #[test]
    fn inline_math_escapes_text() {
        assert_eq!(inline_math("a<b").unwrap(), "a&lt;b");
        assert!(inline_math("$x$ and $").is_err());
    }

    #[test]
    fn a_books_page_template_is_checked_and_sandboxed() {
        let book = tempfile::tempdir().unwrap();
        let own = book.path().join("templates");
        std::fs::create_dir_all(&own).unwrap();
        let deep = format!(
            "<p>\n{}x{}",
            "{% if a %}".repeat(40),
            "{% endif %}".repeat(40)
        );
        std::fs::write(own.join("page.html"), deep).unwrap();
        let err = format!("{:#}", page_templates(book.path()).err().unwrap());
        assert!(
            err.contains("page.html:2:") && err.contains("at most 32"),
            "{err}"
        );
        std::fs::write(own.join("page.html"), "{{ get_env(name=\"HOME\") }}").unwrap();
        let err = format!("{:#}", page_templates(book.path()).err().unwrap());
        assert!(
            err.contains("page.html:1:4: `get_env` is not available in gradbook templates"),
            "{err}"
        );
    }

    /// A book's own page template counts its loops, printed bytes and time like a chapter, per
    /// page: the budget starts afresh for every render, and an error points at the template.
    #[test]
    fn a_books_page_template_is_budgeted_per_page() {
        let book = tempfile::tempdir().unwrap();
        let own = book.path().join("templates");
        std::fs::create_dir_all(&own).unwrap();
        let nested = "<p>{{ page.title }}</p>\n{% for i in range(end=1000) %}{% for j in range(end=1000) %}.{% endfor %}{% endfor %}\n";
        std::fs::write(own.join("page.html"), nested).unwrap();
        let pages = page_templates(book.path()).unwrap();
        let context =
            tera::Context::from_value(serde_json::json!({"page": {"title": "T"}})).unwrap();
        let err = format!("{:#}", pages.render("page.html", &context).unwrap_err());
        assert!(
            err.contains("page.html:2:") && err.contains("loop iterations"),
            "{err}"
        );
        let small = "<p>{{ page.title }}</p>\n{% for i in range(end=60000) %}.{% endfor %}\n";
        std::fs::write(own.join("page.html"), small).unwrap();
        let pages = page_templates(book.path()).unwrap();
        for _ in 0..3 {
            let html = pages.render("page.html", &context).unwrap();
            assert!(html.starts_with("<p>T</p>"), "{html}");
        }
        let doubling = "{% set s = \"xx\" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}{{ s }}";
        std::fs::write(own.join("page.html"), doubling).unwrap();
        let pages = page_templates(book.path()).unwrap();
        let err = format!("{:#}", pages.render("page.html", &context).unwrap_err());
        assert!(err.contains("page.html:1:"), "{err}");
    }
}
