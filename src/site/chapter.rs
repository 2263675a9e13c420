//! One chapter from source to HTML: Tera (results, `num`, `figure`, `table`) first, then
//! Markdown with math and `autograd` fences. Errors name the chapter file and line. Each chapter
//! renders on its own thread with a large stack, within the template budgets.

use crate::compute::{self, Kind, Outcome};
use crate::diag::{Diagnostic, SpanError};
use crate::figure;
use crate::figure::diagram::Engine;
use crate::site::authoring;
use crate::site::book::Chapter;
use crate::site::highlight;
use crate::site::markdown::{self, Rendered};
use crate::site::mdbook::{self, literal};
use crate::site::templates::budget::Budget;
use crate::site::templates::{self, FigureState, Reads, instrument, scan};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Everything computed once per build that chapters draw on.
#[derive(Clone)]
pub struct Inputs {
    /// Outcomes by stem.
    pub outcomes: Arc<BTreeMap<String, Outcome>>,
    /// The Tera context: every outcome's JSON under its stem, `book`, and `results` with all
    /// of them for the chapters that read it; built once, as it is the largest value of a
    /// build (chapters and the `table` function all read this one copy).
    pub context: templates::ChapterContext,
    /// Default significant digits.
    pub digits: usize,
    /// Every (stem, kind) of figure drawn so far.
    pub used_figures: Arc<Mutex<BTreeSet<(String, String)>>>,
    /// The names chapters read while rendering (give each chapter its own to learn its
    /// dependencies).
    pub reads: Reads,
    /// Render `::: {.solution}` blocks (false for the student edition, which blanks them
    /// before anything else reads the chapter).
    pub solutions: bool,
    /// The layout of the diagrams (the book's `gradbook.layout`).
    pub layout: Engine,
    /// The book's mdBook settings (template rule, math delimiters, Markdown extensions).
    pub compat: mdbook::Compat,
    /// How code blocks render (`[output.html.code]`).
    pub code: Arc<crate::site::highlight::CodeConfig>,
    /// The book's highlight cache (disabled unless the book's root is known).
    pub highlights: Arc<highlight::cache::Cache>,
    /// Figures kept between renders of these inputs (`serve`; a build draws each once).
    pub figures: Option<Arc<templates::FigureMemo>>,
    /// Chapter templates parsed while the computations ran (see [`parse_ahead_while`]);
    /// each is taken out when its chapter renders.
    pub parsed: Arc<Mutex<Parsed>>,
}

impl Inputs {
    /// Build the inputs from the outcomes.
    pub fn new(outcomes: BTreeMap<String, Outcome>, book: Value, digits: usize) -> Inputs {
        let outcomes = Arc::new(outcomes);
        Inputs {
            context: templates::ChapterContext::new(outcomes.clone(), book),
            outcomes,
            digits,
            used_figures: Arc::default(),
            reads: Arc::default(),
            solutions: true,
            layout: Engine::default(),
            compat: mdbook::Compat::default(),
            code: Arc::default(),
            highlights: Arc::default(),
            figures: None,
            parsed: Arc::default(),
        }
    }
}

/// The stack of the thread a chapter renders on: deep enough for every nesting the limits
/// allow (Tera, math-core and pulldown-cmark recurse).
const RENDER_STACK: usize = 64 << 20;

/// The prefix of every id a chapter's figures use (`q2-bump-html-`), unique per chapter so
/// that the print page, which holds every chapter, has no duplicate figure ids.
pub fn figure_prefix(chapter: &Chapter) -> String {
    format!(
        "{}-",
        markdown::slugify(&chapter.out_path().replace(['/', '.'], "-"))
    )
}

/// Render a chapter; the error is a located diagnostic. The work runs on a thread of its own
/// with a 64 MiB stack, so no nesting the limits let through can overflow it.
pub fn render(chapter: &Chapter, inputs: &Inputs) -> Result<Rendered, Diagnostic> {
    on_render_thread(chapter, || render_here(chapter, inputs))
}

/// Run only a chapter's templates (results, `num`, `figure`, `table`): the Markdown they
/// produce, figures already inline as HTML (what `gradbook mdbook` hands back to mdBook).
pub fn expand(chapter: &Chapter, inputs: &Inputs) -> Result<String, Diagnostic> {
    on_render_thread(chapter, || {
        expand_here(chapter, inputs, &figure_prefix(chapter))
    })
}

thread_local! {
    /// Whether this thread's stack is [`RENDER_STACK`] deep: a thread of the pool that
    /// [`deep_stack_pool`] configures.
    static DEEP_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A rayon pool whose threads have 64 MiB stacks and render chapters on their own
/// stack. The `gradbook` binary makes it the global pool, so that a build does not start
/// (and tear down) a thread per chapter: 500 for a book of 500 chapters.
pub fn deep_stack_pool() -> rayon::ThreadPoolBuilder {
    rayon::ThreadPoolBuilder::new()
        .stack_size(RENDER_STACK)
        .start_handler(|_| DEEP_STACK.with(|deep| deep.set(true)))
}

/// Run `work` for `chapter` on a thread with a [`RENDER_STACK`] stack: this one if it is
/// such a thread, else a new one.
fn on_render_thread<T: Send>(
    chapter: &Chapter,
    work: impl FnOnce() -> Result<T, Diagnostic> + Send,
) -> Result<T, Diagnostic> {
    if DEEP_STACK.with(|deep| deep.get()) {
        return work();
    }
    let failed = |what: &str| Diagnostic::at(&chapter.file, &chapter.source, 0..0, what);
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("gradbook-chapter".into())
            .stack_size(RENDER_STACK)
            .spawn_scoped(scope, work)
            .map_err(|e| {
                failed(&format!(
                    "could not start a thread to render this chapter: {e}"
                ))
            })?;
        worker.join().map_err(|_| {
            failed("internal error while rendering this chapter (a bug in gradbook)")
        })?
    })
}

fn render_here(chapter: &Chapter, inputs: &Inputs) -> Result<Rendered, Diagnostic> {
    let page_prefix = figure_prefix(chapter);
    let markdown_source = expand_here(chapter, inputs, &page_prefix)?;
    let formulas = mdbook::math::delimiters(
        &markdown_source,
        inputs.compat.mathjax,
        inputs.compat.markdown_options(),
    )
    .map_err(|e| locate(chapter, &markdown_source, &e))?;
    let markdown_source = formulas.text.clone();
    let mut fence_count = 0;
    let mut fences =
        |info: &str, code: &str, _offset: usize| -> Result<Option<String>, SpanError> {
            if markdown::language(info) != "autograd" {
                return Ok(Some(inputs.highlights.code_block(info, code, &inputs.code)));
            }
            fence_count += 1;
            let with_table = info.split_whitespace().any(|w| w == "table");
            autograd_fence(
                code,
                &format!("{page_prefix}a{fence_count}-"),
                with_table,
                inputs.digits,
                inputs.layout,
            )
            .map(Some)
            .map_err(|e| {
                SpanError::new(
                    e.span.clone(),
                    format!("in this `autograd` block: {}", e.message),
                )
            })
        };
    let mut rendered = markdown::render_slugged(
        &markdown_source,
        &mut fences,
        inputs.compat.markdown_options(),
        &|title| formulas.slug(title),
    )
    .map_err(|e| locate(chapter, &markdown_source, &e))?;
    formulas.finish(&mut rendered);
    Ok(rendered)
}

/// The Markdown a chapter's templates produce (see [`expand`]): the edition's blocks kept,
/// template syntax run where it is live, authoring blocks expanded.
fn expand_here(
    chapter: &Chapter,
    inputs: &Inputs,
    page_prefix: &str,
) -> Result<String, Diagnostic> {
    let state = FigureState {
        outcomes: inputs.outcomes.clone(),
        page_prefix: page_prefix.to_string(),
        count: 0,
        used: inputs.used_figures.clone(),
        layout: inputs.layout,
        digits: inputs.digits,
        memo: inputs.figures.clone(),
    };
    let protected = protected_source(chapter, inputs.solutions, &inputs.compat);
    let markdown_source = if literal::has_live_syntax(&protected) {
        run_tera(chapter, inputs, state, &protected)?
    } else {
        protected.replace(HEADING_ID_MARK, "{#")
    };
    let markdown_source = literal::restore(&markdown_source);
    authoring::blocks::expand(&markdown_source).map_err(|e| locate(chapter, &markdown_source, &e))
}

/// The chapter's source as its template is parsed: the edition's blocks left out, heading
/// ids and literal openers marked.
fn protected_source(chapter: &Chapter, solutions: bool, compat: &mdbook::Compat) -> String {
    let source = if solutions {
        authoring::edition::strip_student_only(&chapter.source)
    } else {
        authoring::edition::strip_solutions(&chapter.source)
    };
    literal::protect(&protect_heading_ids(&source), compat.templates)
}

/// Chapter templates parsed ahead, by chapter path.
pub type Parsed = BTreeMap<String, Ahead>;

/// One chapter's template parsed ahead, with what the render would otherwise work out again.
#[derive(Debug)]
pub struct Ahead {
    /// The protected source it was parsed from (a chapter whose source differs when it
    /// renders is parsed again).
    protected: String,
    /// The source's tags, within the nesting limits.
    tags: Vec<scan::Tag>,
    /// The parsed template.
    template: tera::Template,
}

/// At most this many chapters are parsed ahead, so that a large book's templates are not all
/// held at once.
const PARSE_AHEAD: usize = 64;

/// Run `work` while another thread parses the templates of `chapters` (as the `solutions`
/// edition with `compat` renders them), in order, until `work` returns: a chapter's template
/// does not depend on the results, so a build parses while its computations run. Chapters
/// without template syntax, over the nesting limits or with a syntax error are left to the
/// render, which reports the error.
pub fn parse_ahead_while<T: Send>(
    chapters: &[Chapter],
    solutions: bool,
    compat: &mdbook::Compat,
    work: impl FnOnce() -> T + Send,
) -> (T, Parsed) {
    let done = AtomicBool::new(false);
    let parse = || parse_until(chapters, solutions, compat, &done);
    std::thread::scope(|scope| {
        // The parser recurses as deep as the nesting limits allow: the render thread's stack.
        let parser = std::thread::Builder::new()
            .name("gradbook-parse".into())
            .stack_size(RENDER_STACK)
            .spawn_scoped(scope, parse);
        let out = work();
        done.store(true, Ordering::Relaxed);
        // Without the thread (or if it failed), every chapter is parsed when it renders.
        let parsed = parser.ok().and_then(|p| p.join().ok()).unwrap_or_default();
        (out, parsed)
    })
}

/// The templates of `chapters` parsed in order until `done` is set (see
/// [`parse_ahead_while`]).
fn parse_until(
    chapters: &[Chapter],
    solutions: bool,
    compat: &mdbook::Compat,
    done: &AtomicBool,
) -> Parsed {
    let mut parsed = Parsed::new();
    for chapter in chapters {
        if parsed.len() == PARSE_AHEAD || done.load(Ordering::Relaxed) {
            break;
        }
        let protected = protected_source(chapter, solutions, compat);
        if !literal::has_live_syntax(&protected) {
            continue;
        }
        let Ok(tags) = nested_tags(&protected) else {
            continue;
        };
        if let Ok(template) = tera::Template::new(&chapter.path, None, &protected) {
            let ahead = Ahead {
                protected,
                tags,
                template,
            };
            parsed.insert(chapter.path.clone(), ahead);
        }
    }
    parsed
}

/// The tags of `protected`, if they are within the nesting limits.
fn nested_tags(protected: &str) -> Result<Vec<scan::Tag>, scan::ScanError> {
    let tags = scan::tags(protected);
    scan::check_nesting(protected, &tags)?;
    Ok(tags)
}

/// Run the chapter's template (`protected`: heading ids and literal openers marked) through
/// the sandboxed Tera within the budgets; the Markdown it prints, heading ids restored.
fn run_tera(
    chapter: &Chapter,
    inputs: &Inputs,
    state: FigureState,
    protected: &str,
) -> Result<String, Diagnostic> {
    let protected = protected.to_string();
    let budget = Arc::new(Budget::default());
    let mut tera = templates::chapter_engine(
        state,
        inputs.context.clone(),
        inputs.digits,
        &inputs.reads,
        &budget,
    );
    // The marks keep every byte offset, so a span in `protected` is one in the source.
    let at = |span: Range<usize>, message: &str| {
        Diagnostic::at(&chapter.file, &chapter.source, span, message)
    };
    let name = chapter.path.clone();
    let ahead = inputs
        .parsed
        .lock()
        .ok()
        .and_then(|mut parsed| parsed.remove(&name))
        .filter(|ahead| ahead.protected == protected);
    let tags = match ahead {
        Some(ahead) => {
            tera.templates.insert(name.clone(), ahead.template);
            tera.build_inheritance_chains()
                .and_then(|()| tera.check_macro_files())
                .map_err(|e| tera_diagnostic(chapter, inputs, &e))?;
            ahead.tags
        }
        None => {
            let tags = nested_tags(&protected).map_err(|e| at(e.span, &e.message))?;
            tera.add_raw_template(&name, &protected)
                .map_err(|e| tera_diagnostic(chapter, inputs, &e))?;
            tags
        }
    };
    let safe = instrument::SafeNames::of(&tera);
    let mut context = inputs.context.plain();
    let positions = match tera.templates.get_mut(&name) {
        Some(template) => {
            let found = instrument::instrument(&mut template.ast, &protected, &tags, &safe)
                .map_err(|e| at(e.span, &e.message))?;
            template.macros = template
                .ast
                .iter()
                .filter_map(|n| match n {
                    tera::ast::Node::MacroDefinition(_, m, _) => Some((m.name.clone(), m.clone())),
                    _ => None,
                })
                .collect();
            context = inputs.context.reading(&found.names);
            if let Ok(mut reads) = inputs.reads.lock() {
                reads.extend(found.names);
            }
            found.positions
        }
        None => Vec::new(),
    };
    let markdown_source = templates::render_caught(&tera, &name, &context)
        .map_err(|e| {
            let position = budget.current().and_then(|p| positions.get(p)).cloned();
            match position {
                Some(range) if !range.is_empty() => {
                    let message = render_message(inputs, &e);
                    let needle = templates::backticked(&message).unwrap_or_default();
                    at(
                        templates::needle_in_tag(&protected, range, &needle),
                        &message,
                    )
                }
                _ => tera_diagnostic(chapter, inputs, &e),
            }
        })?
        .replace(HEADING_ID_MARK, "{#");
    Ok(markdown_source)
}

/// Stands in for `{#` in heading attributes while Tera runs (Tera reads `{#` as a comment):
/// an unassigned code point, which no text holds, of the same byte length as `{#`.
const HEADING_ID_MARK: &str = "\u{0381}";

/// Hide the `{#id}` of heading attributes (`## Title {#id .class}`) and of the authoring
/// syntax (`::: {#thm-x}`, `$$ … $$ {#eq-x}`, `![…](…){#fig-x}`, `: … {#tbl-x}`) from Tera. A
/// `{#` that is closed by `#}` on the same line is a Tera comment and is left alone.
fn protect_heading_ids(source: &str) -> String {
    source
        .split_inclusive('\n')
        .map(|line| {
            let is_heading =
                line.trim_start().starts_with('#') || authoring::blocks::has_attributes(line);
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
pub fn autograd_fence(
    code: &str,
    prefix: &str,
    with_table: bool,
    digits: usize,
    layout: Engine,
) -> Result<String, SpanError> {
    let outcome = compute::run(Kind::Autograd, code)?;
    let kind = figure::kinds(&outcome)
        .first()
        .copied()
        .unwrap_or("backward-graph");
    let svg = figure::draw_with_digits(
        &outcome,
        kind,
        prefix,
        layout,
        crate::format::Digits(digits),
    )
    .ok_or_else(|| SpanError::new(0..0, "this script has no figure"))?;
    let table_id = format!("{prefix}nodes");
    let svg = if with_table {
        crate::site::described::link(&svg, &table_id)
    } else {
        svg
    };
    let mut html = super::figure_frame::frame(
        &format!("{prefix}figure"),
        &svg.replace("\n\n", "\n"),
        None,
        "",
    ) + "\n";
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
            id: Some(table_id),
        };
        let table = templates::table_html(&nodes, &spec).map_err(|e| SpanError::new(0..0, e))?;
        html.push_str(&table);
        html.push('\n');
    }
    Ok(html)
}

/// Map an error in the Tera output back to the chapter's source: Tera can change line counts,
/// so the offending text is looked up in the source first.
pub fn locate(chapter: &Chapter, rendered: &str, err: &SpanError) -> Diagnostic {
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
    templates::locate_tera_error(
        &chapter.file,
        &chapter.source,
        err,
        &render_message(inputs, err),
    )
}

/// The useful line of a Tera render error (the innermost cause), with the known names when a
/// variable is missing.
fn render_message(inputs: &Inputs, err: &tera::Error) -> String {
    let text = templates::tera_error_text(err);
    let innermost = text.lines().last().unwrap_or("template error").trim();
    if innermost.contains("not found in context") {
        let known: Vec<&str> = inputs
            .outcomes
            .keys()
            .map(String::as_str)
            .filter(|stem| !["results", "book"].contains(stem))
            .chain(["results", "book"])
            .collect();
        let known = known.join(", ");
        format!("{innermost}: expected one of the results ({known}) or a loop variable")
    } else {
        innermost.to_string()
    }
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

    /// The inputs of one small autograd result, `g`.
    fn inputs_with_a_result() -> Inputs {
        let script =
            "import torch\nx = torch.tensor([2.0], requires_grad=True)\ny = x * x\ny.backward()\n";
        let outcome = compute::run(Kind::Autograd, script).expect("the script runs");
        let outcomes = BTreeMap::from([("g".to_string(), outcome)]);
        Inputs::new(outcomes, serde_json::json!({"title": "T"}), 6)
    }

    /// `results` (every result again) is made only for a chapter that reads it, and then
    /// holds what each result's own name holds: in expressions, in loops, in the whole
    /// context and in `table(of=…)` paths.
    #[test]
    fn results_is_there_for_the_chapters_that_read_it() {
        let inputs = inputs_with_a_result();
        let plain = render(&chapter("{{ g.grads.x }}\n"), &inputs).unwrap().html;
        assert!(plain.contains("4"), "{plain}");
        assert!(inputs.context.plain().get("results").is_none());
        assert!(
            !inputs.context.made_results(),
            "made for a chapter that does not read it"
        );
        for (with, without) in [
            ("{{ results.g.grads.x }}", "{{ g.grads.x }}"),
            (
                "{% for k, v in results %}{{ k }}={{ v.grads.x }};{% endfor %}",
                "g={{ g.grads.x }};",
            ),
            (
                "{{ table(of=\"results.g.counts\") }}",
                "{{ table(of=\"g.counts\") }}",
            ),
            ("{{ results is defined }}", "true"),
        ] {
            let inputs = inputs_with_a_result();
            let got = render(&chapter(&format!("{with}\n")), &inputs)
                .unwrap()
                .html;
            let want = render(&chapter(&format!("{without}\n")), &inputs)
                .unwrap()
                .html;
            assert_eq!(got, want, "{with}");
        }
        let inputs = inputs_with_a_result();
        assert!(
            render(&chapter("{{ results is defined }}\n"), &inputs)
                .unwrap()
                .html
                .contains("true")
        );
        assert!(
            render(&chapter("{{ gone is defined }}\n"), &inputs)
                .unwrap()
                .html
                .contains("false")
        );
        assert!(inputs.context.made_results());
        let inputs = inputs_with_a_result();
        let whole = render(&chapter("{{ __tera_context }}\n"), &inputs)
            .unwrap()
            .html;
        assert!(whole.contains("\"results\": {"), "{whole}");
    }

    /// `{% set %}` of a plain name refers to the value (nothing new is made, so the value
    /// limit does not apply and later reads do not copy it); a computed value is checked.
    #[test]
    fn a_set_of_a_plain_name_refers_and_a_computed_value_is_checked() {
        let big = "x".repeat(3 << 20);
        let book = serde_json::json!({"title": "T", "big": big, "rows": [{"x": 1}, {"x": 2}]});
        let inputs = Inputs::new(BTreeMap::new(), book, 6);
        let source = "{% set b = book.big %}{% set_global r = book.rows %}\
                      {{ b | length }}: {% for row in r %}{{ row.x }};{% endfor %}\n";
        let html = render(&chapter(source), &inputs).unwrap().html;
        assert!(html.contains("3145728: 1;2;"), "{html}");
        for computed in ["book.big ~ \"\"", "book.big | lower"] {
            let source = format!("{{% set b = {computed} %}}{{{{ b | length }}}}\n");
            let err = render(&chapter(&source), &inputs).unwrap_err().to_string();
            assert!(err.contains("limit of 2097152 bytes"), "{computed}: {err}");
        }
    }

    /// Printed values are escaped exactly where Tera's autoescape would escape them (and in
    /// `~` concatenations of names too), although the byte count moved the escaping out of Tera.
    #[test]
    fn printed_text_is_escaped_unless_marked_safe() {
        let book = serde_json::json!({"title": "<b>*T*</b>"});
        let inputs = Inputs::new(BTreeMap::new(), book, 6);
        let source = "a {{ book.title }}\n\nb {{ book.title | safe }}\n\nc {{ \"\" ~ book.title }}\n\nd {{ book.title | upper }}\n\ne {{ book.title | safe | lower }}\n\nf {{ 1.5 | num }}\n";
        let html = render(&chapter(source), &inputs).unwrap().html;
        assert!(html.contains("<p>b <b><em>T</em></b></p>"), "{html}");
        for line in ["a ", "c ", "d ", "e "] {
            let at = html
                .find(&format!("<p>{line}"))
                .unwrap_or_else(|| panic!("{html}"));
            let paragraph = &html[at..at + html[at..].find("</p>").unwrap_or(0)];
            assert!(!paragraph[3..].contains('<'), "{line}: {paragraph}");
            assert!(!paragraph.contains("<em>"), "{line}: {paragraph}");
        }
        assert!(html.contains("<p>f 1.5</p>"), "{html}");
    }

    /// A chapter renders on the thread of a deep-stack pool that asks for it, and on a
    /// thread of its own (with a deep stack) anywhere else; the page is the same.
    #[test]
    fn chapters_render_on_deep_stack_pool_threads_and_on_their_own_elsewhere() {
        let ch = chapter("# T\n\n{{ 2 * 3 }}\n");
        let thread_of_render = || on_render_thread(&ch, || Ok(std::thread::current().id()));
        let pool = deep_stack_pool().num_threads(1).build().unwrap();
        let (worker, rendered_on) =
            pool.install(|| (std::thread::current().id(), thread_of_render().unwrap()));
        assert_eq!(rendered_on, worker, "rendered on the pool's thread");
        let here = std::thread::current().id();
        assert_ne!(
            thread_of_render().unwrap(),
            here,
            "rendered on a thread of its own"
        );
        let plain = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (worker, rendered_on) =
            plain.install(|| (std::thread::current().id(), thread_of_render().unwrap()));
        assert_ne!(
            rendered_on, worker,
            "a pool with ordinary stacks spawns a thread"
        );
        let on_pool = pool.install(|| render(&ch, &inputs()).unwrap().html);
        assert_eq!(on_pool, render(&ch, &inputs()).unwrap().html);
        assert!(on_pool.contains('6'), "{on_pool}");
    }

    /// Templates parsed ahead are exactly what rendering parses: the same page, whether the
    /// chapter's template was parsed ahead, parsed from a different source (a chapter edited
    /// since, parsed again) or not parsed ahead at all; plain chapters and chapters with a
    /// syntax error are left to the render, which reports the error as before.
    #[test]
    fn templates_parsed_ahead_render_as_parsed_at_render_time() {
        let live = chapter("# T\n\n{% set x = 3 %}{{ x * 2 }} and {{ book.title }}\n");
        let compat = mdbook::Compat::default();
        let (ran, _) = parse_ahead_while(std::slice::from_ref(&live), true, &compat, || 7);
        assert_eq!(ran, 7);
        let running = AtomicBool::new(false);
        let parsed = parse_until(std::slice::from_ref(&live), true, &compat, &running);
        assert_eq!(parsed.len(), 1, "the chapter was parsed ahead");
        let stopped = AtomicBool::new(true);
        assert!(parse_until(std::slice::from_ref(&live), true, &compat, &stopped).is_empty());
        let fresh = render(&live, &inputs()).unwrap().html;
        let mut ahead = inputs();
        ahead.parsed = Arc::new(Mutex::new(parsed));
        assert_eq!(render(&live, &ahead).unwrap().html, fresh);
        assert!(fresh.contains("6 and T"), "{fresh}");

        let mut edited = live.clone();
        edited.source = "{{ 2 + 2 }}\n".into();
        assert!(render(&edited, &ahead).unwrap().html.contains("<p>4</p>"));

        let plain = chapter("# Plain\n\nNo template here.\n");
        let broken = chapter("{{ 1 + }}\n");
        let chapters = [plain, broken.clone()];
        let parsed = parse_until(&chapters, true, &compat, &running);
        assert!(parsed.is_empty(), "{:?}", parsed.keys());
        let mut ahead = inputs();
        ahead.parsed = Arc::new(Mutex::new(parsed));
        assert_eq!(
            render(&broken, &ahead).unwrap_err().to_string(),
            render(&broken, &inputs()).unwrap_err().to_string()
        );
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

    #[test]
    fn render_errors_carry_the_line_of_the_tag_that_failed() {
        let d = render(
            &chapter("# T\n\n{% for i in [1, 2] %}\nrow {{ i }}\n{% endfor %}\n\n{% if true %}\n{{ throw(message=\"stop here\") }}\n{% endif %}\n"),
            &inputs(),
        )
        .unwrap_err();
        assert_eq!((d.line, d.column), (8, 1), "{d}");
        assert!(d.message.contains("stop here"), "{d}");
    }

    /// An error after a macro returned is the calling tag's, not the macro definition's; an
    /// error inside the macro is the failing tag's inside it.
    #[test]
    fn errors_after_a_macro_call_carry_the_callers_line() {
        let macros = "{% macro m() %}1{% endmacro m %}\n{% macro bad() %}\n{{ nosuch }}\n{% endmacro bad %}\n";
        let d = render(
            &chapter(&format!("{macros}x\n{{{{ range(end=self::m()) }}}}\n")),
            &inputs(),
        )
        .unwrap_err();
        assert_eq!(d.line, 6, "{d}");
        assert!(d.message.contains("range"), "{d}");
        let d = render(
            &chapter(&format!(
                "{macros}{{{{ self::m() }}}}\n{{{{ self::bad() }}}}\n"
            )),
            &inputs(),
        )
        .unwrap_err();
        assert_eq!(d.line, 3, "{d}");
        assert!(d.message.contains("nosuch"), "{d}");
    }

    /// The shapes Tera 1.20 panics on (fuzz findings) are refused, and arithmetic with no
    /// number as its result is an error, each at its tag: (source, line, column, message).
    #[test]
    fn arithmetic_tera_cannot_do_is_an_error_at_its_tag() {
        let huge = format!("1{}.5", "0".repeat(320));
        let cases = [
            (
                "{% macro m() %}1{% endmacro m %}\nA {{ 2 * self::m() }}\n".to_string(),
                2,
                10,
                "`self::m()` is a macro call",
            ),
            (
                "{% macro m() %}1{% endmacro m %}\n{% if self::m() >= 1 %}y{% endif %}\n".into(),
                2,
                7,
                "`self::m()` is a macro call",
            ),
            (
                format!("x\n{{{{ 1 + {huge} }}}}\n"),
                2,
                8,
                "this number is too large",
            ),
            (
                "{% set x = \"1e308\" | float %}\n\n{{ x - 1 + x }}\n".into(),
                3,
                1,
                "a sum or difference beyond ±1.8×10³⁰⁸",
            ),
            ("x\n{{ 1 / 0 }}\n".into(), 2, 1, "no number as its result"),
            // Arithmetic taken as true or false, or compared for equality: Tera made no
            // number false there, and unequal to everything.
            (
                "{% set b = 0 %}\n{% if 1 / b %}t{% endif %}\n".into(),
                2,
                1,
                "no number as its result",
            ),
            (
                "{% set b = 0 %}\n{% if false %}{% elif 2 > 1 and 1 / b %}t{% endif %}\n".into(),
                2,
                15,
                "no number as its result",
            ),
            (
                "{% set b = 0 %}\n{{ 1 / b == 0 }}\n".into(),
                2,
                1,
                "no number as its result",
            ),
            (
                "{% set b = 0 %}\n{% if not 1 / b in [1] %}x{% endif %}\n".into(),
                2,
                1,
                "no number as its result",
            ),
            // An `elif`'s errors are its own, not its `if`'s; Tera's modulo message is plain.
            (
                "{% if false %}\n{% elif nosuch > 1 %}y{% endif %}\n".into(),
                2,
                9,
                "`nosuch` not found",
            ),
            (
                "x\n{% if false %}{% elif 5 % 0 %}{% endif %}\n".into(),
                2,
                25,
                "a modulo by zero: the right side of this `%` is 0",
            ),
            (
                "{% set big = \"1e308\" | float %}\n{% set r = big * 10 %}\n".into(),
                2,
                1,
                "no number as its result",
            ),
        ];
        for (source, line, column, message) in cases {
            let d = render(&chapter(&source), &inputs()).unwrap_err();
            assert_eq!((d.line, d.column), (line, column), "{source}: {d}");
            assert!(d.message.contains(message), "{source}: {d}");
            assert!(!d.message.contains(templates::TERA_FAILED), "{d}");
        }
        // What Tera can do still works: a macro's output made a number, finite arithmetic.
        let ok = "{% macro m() %}4{% endmacro m %}{{ self::m() | int + 1 }} {{ 7 / 2 }} {{ 2.5 * 4 }} {% set q = 3 - 1 %}{{ q }} {{ self::m() == 4 }} \
                  {% if 7 % 2 %}odd{% endif %} {% if not 4 % 2 %}even{% endif %} {{ 2 / 4 == 0.5 }} \
                  {% if 0.0 * 3 %}a{% elif 3 - 3 %}b{% elif 1 - 3 %}c{% endif %}";
        let r = render(&chapter(ok), &inputs()).unwrap();
        assert!(
            r.html.contains("5 3.5 10 2 false odd even true c"),
            "{}",
            r.html
        );
    }

    #[test]
    fn errors_after_heading_ids_keep_their_columns() {
        let d = render(
            &chapter("# Title {#mine}\n\n## Also {#two} {{ nosuch }}\n"),
            &inputs(),
        )
        .unwrap_err();
        assert_eq!((d.line, d.column), (3, 19), "{d}");
        let d = render(
            &chapter("## A {#x} {{ get_env(name=\"HOME\") }}\n"),
            &inputs(),
        )
        .unwrap_err();
        assert_eq!((d.line, d.column), (1, 14), "{d}");
    }

    #[test]
    fn reads_are_recorded_from_names_and_computed_stems() {
        let own = inputs();
        render(
            &chapter("{% set s = \"ti\" ~ \"ny\" %}{{ book.title }} {% if bump is defined %}{{ bump.x }}{% endif %}{% for k, v in results %}{% endfor %}"),
            &own,
        )
        .unwrap();
        let reads = own.reads.lock().unwrap().clone();
        for name in ["book", "bump", "results"] {
            assert!(reads.contains(name), "{name} missing from {reads:?}");
        }
        let own = inputs();
        let d = render(
            &chapter("{{ table(of=\"ti\" ~ \"ny\" ~ \".steps\") }}"),
            &own,
        )
        .unwrap_err();
        assert!(d.message.contains("tiny.steps"), "{d}");
        assert!(own.reads.lock().unwrap().contains("tiny"));
    }

    #[test]
    fn the_deepest_nesting_the_limits_allow_renders() {
        let depth = scan::MAX_BLOCK_DEPTH - 1;
        let brackets = scan::MAX_BRACKET_DEPTH - 1;
        let expr = format!("{}1{}", "(".repeat(brackets), ")".repeat(brackets));
        let body = format!(
            "{}{{{{ {expr} }}}}{{% if n > 0 %}}{{{{ self::f(n=n - 1) }}}}{{% endif %}}{}",
            "{% if true %}".repeat(depth - 1),
            "{% endif %}".repeat(depth - 1)
        );
        let source = format!(
            "{{% macro f(n) %}}{body}{{% endmacro f %}}\n\n{{{{ self::f(n={}) }}}}\n",
            templates::budget::MAX_MACRO_DEPTH - 1
        );
        let r = render(&chapter(&source), &inputs()).unwrap();
        assert_eq!(
            r.html.matches('1').count(),
            templates::budget::MAX_MACRO_DEPTH
        );
    }

    #[test]
    fn macros_loops_and_sets_still_work_when_instrumented() {
        let r = render(
            &chapter("{% macro sq(x) %}{{ x * x }}{% endmacro sq %}\n{%- set total = 0 -%}\n{% for i in range(end=4) -%}\n{{ self::sq(x=i) }},\n{%- endfor %}\n{% for i in [] %}x{% else %}empty{% endfor %}\n"),
            &inputs(),
        )
        .unwrap();
        assert!(r.html.contains("0,1,4,9,"), "{}", r.html);
        assert!(r.html.contains("empty"), "{}", r.html);
    }

    #[test]
    fn printed_bytes_and_loop_text_are_budgeted() {
        let grow = "{% set s = \"xxxxxxxxxx\" %}".to_string()
            + &"{% set s = s | replace(from=\"x\", to=\"xxxxxxxxxx\") %}".repeat(5);
        let d = render(
            &chapter(&format!(
                "{grow}\n\n{{% for i in range(end=20) %}}{{{{ s }}}}{{% endfor %}}\n"
            )),
            &inputs(),
        )
        .unwrap_err();
        assert!(
            d.message
                .contains("printed more than the limit of 16777216 bytes"),
            "{d}"
        );
        assert_eq!(d.line, 3, "{d}");
        let text = "y".repeat(1000);
        let d = render(
            &chapter(&format!(
                "a\n{{% for i in range(end=100000) %}}{text}{{% endfor %}}\n"
            )),
            &inputs(),
        )
        .unwrap_err();
        assert!(d.message.contains("printed more than the limit"), "{d}");
        assert_eq!(d.line, 2, "{d}");
    }

    #[test]
    fn long_concatenations_and_reserved_names_are_refused() {
        let terms = vec!["s"; 40].join(" ~ ");
        let d = render(
            &chapter(&format!("{{% set s = \"a\" %}}\n{{{{ {terms} }}}}\n")),
            &inputs(),
        )
        .unwrap_err();
        assert!(
            d.message.contains("40 terms joined with `~`: at most 32"),
            "{d}"
        );
        assert_eq!(d.line, 2, "{d}");
        let d = render(&chapter("{{ __gb_loop(p=0) }}"), &inputs()).unwrap_err();
        assert!(d.message.contains("reserved"), "{d}");
    }

    /// Random nested chapter text: leaves (valid, failing and hostile) inside `for`, `if` and
    /// `filter` blocks, and now and then a broken fragment.
    fn random_body(rng: &mut rand_chacha::ChaCha8Rng, depth: usize) -> String {
        use rand::Rng;
        const LEAVES: &[&str] = &[
            "{{ i }}",
            "{{ book.title }}",
            "{%- set x = 1 -%}",
            "{{ x ~ \"a\" }}",
            "{{ self::m(a=1) }}",
            "text ",
            "\n",
            "\n## H {#id}\n",
            "{# c #}",
            "{% raw %}{{ }}{% endraw %}",
            " $x$ ",
            " $\\frac{a$ ",
            "{{ nosuch }}",
            "{{ throw(message=\"boom\") }}",
            "{{ get_env(name=\"X\") }}",
            "{{ [1, 2] | join(sep=\",\") }}",
        ];
        const BROKEN: &[&str] = &["{{", "%}", "{#", "\"}}\"", "{% endif %}", "{% break %}"];
        let n = rng.random_range(1..6);
        let mut out = String::new();
        for _ in 0..n {
            let pick = rng.random_range(0..100);
            if pick < 3 {
                out.push_str(BROKEN[rng.random_range(0..BROKEN.len())]);
            } else if pick < 30 && depth < 4 {
                let inner = random_body(rng, depth + 1);
                out.push_str(&match rng.random_range(0..3) {
                    0 => format!("{{% for i in range(end=3) %}}\n{inner}{{% endfor %}}"),
                    1 => format!("{{% if true %}}{inner}\n{{% else %}}{inner}{{% endif %}}"),
                    _ => format!("{{% filter upper %}}{inner}{{% endfilter %}}"),
                });
            } else {
                out.push_str(LEAVES[rng.random_range(0..LEAVES.len())]);
            }
        }
        out
    }

    /// Random chapters (see [`random_body`]): the render never panics, and a failing `throw` or
    /// a missing variable is reported on a line that holds it (the scanner and Tera's syntax
    /// tree agree on which tag is which).
    #[test]
    fn random_chapters_never_panic_and_point_at_the_failing_tag() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut located = 0;
        for case in 0..1000 {
            let source = format!(
                "{{% macro m(a) %}}{}{{% endmacro m %}}\n{}",
                random_body(&mut rng, 3),
                random_body(&mut rng, 0)
            );
            let Err(d) = render(&chapter(&source), &inputs()) else {
                continue;
            };
            assert!(
                !d.message.contains("internal error"),
                "case {case}: {source:?}: {d}"
            );
            assert!(
                d.line >= 1 && d.line <= source.lines().count() + 1,
                "{source:?}: {d}"
            );
            if d.message == "boom" {
                located += 1;
                assert!(
                    d.source_line.contains("throw("),
                    "case {case}: {source:?}: {d}"
                );
            }
            if d.message.contains("`nosuch` not found") {
                located += 1;
                assert!(
                    d.source_line.contains("nosuch"),
                    "case {case}: {source:?}: {d}"
                );
            }
        }
        assert!(located > 80, "only {located} located render errors");
    }
}
