//! gradbook inside mdBook: `gradbook mdbook` speaks mdBook's preprocessor protocol, so an
//! mdBook book that adds `[preprocessor.gradbook]` gets gradbook's computations in a normal
//! `mdbook build`. The computations (`*.py`, `*.toml` with a `kind`) under the book's `src`
//! run once; every chapter's templates (`{{ … | num }}`, `figure(…)`, `table(…)`) are
//! expanded, `autograd` fences become their backward graph and `$…$`/`$$…$$` become MathML,
//! all as inline HTML in the Markdown mdBook then renders.

use crate::config::Config;
use crate::diag::SpanError;
use crate::markup::escape;
use crate::site::book::{self, Book, Chapter};
use crate::site::build;
use crate::site::chapter::{self, Inputs};
use crate::site::markdown;
use crate::site::summary::Summary;
use anyhow::{Context, Result};
use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book as MdBook, BookItem};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::io::{Read, Write};

/// The renderers whose output can hold gradbook's inline HTML (SVG figures, MathML).
pub const SUPPORTED: [&str; 2] = ["html", "markdown"];

/// `gradbook mdbook supports RENDERER`.
pub fn supports(renderer: &str) -> bool {
    SUPPORTED.contains(&renderer)
}

/// Read `[context, book]` from `input`, write the processed book to `output`.
pub fn run(input: impl Read, output: impl Write) -> Result<()> {
    let (context, mut md_book) = mdbook_preprocessor::parse_input(input)
        .context("reading mdBook's [context, book] JSON on standard input")?;
    if !context.mdbook_version.starts_with("0.5.") {
        eprintln!(
            "warning: gradbook speaks mdBook 0.5's protocol; this is mdBook {}",
            context.mdbook_version
        );
    }
    process(&context, &mut md_book)?;
    serde_json::to_writer(output, &md_book).context("writing the book as JSON")?;
    Ok(())
}

/// Run the computations and expand every chapter of `md_book` in place.
pub fn process(context: &PreprocessorContext, md_book: &mut MdBook) -> Result<()> {
    let src = context.config.book.src.clone();
    let digits: usize = context
        .config
        .get("preprocessor.gradbook.digits")
        .context("reading [preprocessor.gradbook] digits in book.toml")?
        .unwrap_or(6);
    if !(1..=17).contains(&digits) {
        anyhow::bail!(
            "book.toml: [preprocessor.gradbook] digits = {digits} is out of range: expected 1 to 17"
        );
    }
    let mut config = Config::default();
    config.book.title = context.config.book.title.clone().unwrap_or_default();
    config.book.src.clone_from(&src);
    config.gradbook.digits = toml::Spanned::new(0..0, digits);
    // Chapters handed over by mdBook asked for gradbook: their template syntax is live.
    config.has_gradbook_table = true;
    let src_dir = context.root.join(&src);
    let gb_book = Book {
        root: context.root.clone(),
        computations: book::find_computations(&context.root, &src_dir)?,
        config,
        summary: Summary::default(),
        chapters: Vec::new(),
        page_titles: Default::default(),
    };
    let outcomes = build::run_computations(&gb_book)?;
    let inputs = build::chapter_inputs(&gb_book, outcomes);
    let mut failure = None;
    for_each_chapter(&mut md_book.items, &mut |md| {
        if failure.is_some() {
            return;
        }
        let Some(path) = md.path.clone() else {
            return;
        };
        let chapter = Chapter {
            name: md.name.clone(),
            number: String::new(),
            path: path.to_string_lossy().replace('\\', "/"),
            file: book::display_path(
                &src.join(md.source_path.as_deref().unwrap_or(path.as_path())),
            ),
            source: std::mem::take(&mut md.content),
        };
        match expand(&chapter, &inputs) {
            Ok(text) => md.content = text,
            Err(e) => {
                md.content = chapter.source;
                failure = Some(e);
            }
        }
    });
    failure.map_or(Ok(()), Err)
}

/// Visit every chapter, depth first.
fn for_each_chapter(
    items: &mut [BookItem],
    visit: &mut dyn FnMut(&mut mdbook_preprocessor::book::Chapter),
) {
    for item in items {
        if let BookItem::Chapter(chapter) = item {
            visit(chapter);
            for_each_chapter(&mut chapter.sub_items, visit);
        }
    }
}

/// One chapter for mdBook: its templates expanded, then its `autograd` fences and formulas
/// replaced by HTML. Errors are located in the chapter's file.
fn expand(chapter: &Chapter, inputs: &Inputs) -> Result<String> {
    let text = chapter::expand(chapter, inputs)?;
    let prefix = chapter::figure_prefix(chapter);
    inline_html(&text, &prefix, inputs.digits)
        .map_err(|e| chapter::locate(chapter, &text, &e).into())
}

/// `text` with every `autograd` fence replaced by its figure (a block of HTML) and every
/// formula by MathML (inline HTML whose text cannot be read as Markdown).
pub fn inline_html(text: &str, prefix: &str, digits: usize) -> Result<String, SpanError> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH;
    let mut replacements: Vec<Replacement> = Vec::new();
    let mut fence: Option<(std::ops::Range<usize>, String, bool)> = None;
    let mut fences = 0;
    // Inside an image, whose text becomes its `alt` attribute, a formula is its plain text.
    let mut in_image = 0usize;
    // The text just before the current event, and the inline formula just before it.
    let mut text_before: Option<std::ops::Range<usize>> = None;
    let mut formula_before: Option<usize> = None;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let (last_text, last_formula) = (text_before.take(), formula_before.take());
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if markdown::language(&info) == "autograd" =>
            {
                let table = info.split_whitespace().any(|w| w == "table");
                fence = Some((range, String::new(), table));
            }
            Event::Text(code) if fence.is_some() => {
                if let Some((_, body, _)) = fence.as_mut() {
                    body.push_str(&code);
                }
            }
            Event::End(TagEnd::CodeBlock) if fence.is_some() => {
                let Some((range, code, table)) = fence.take() else {
                    continue;
                };
                fences += 1;
                let html = chapter::autograd_fence(
                    &code,
                    &format!("{prefix}a{fences}-"),
                    table,
                    digits,
                    crate::figure::diagram::Engine::default(),
                )
                .map_err(|e| {
                    SpanError::new(
                        range.clone(),
                        format!("in this `autograd` block: {}", e.message),
                    )
                })?;
                replacements.push(Replacement::new(range, format!("{}\n\n", html.trim_end())));
            }
            Event::InlineMath(ref tex) if in_image > 0 => {
                let words = crate::site::search::math_text::plain(tex);
                replacements.push(Replacement::new(range, inert(&escape(&words))));
            }
            Event::InlineMath(ref tex) | Event::DisplayMath(ref tex) => {
                let display = matches!(event, Event::DisplayMath(_));
                let mathml = markdown::latex_to_mathml(tex, display)
                    .map_err(|e| SpanError::new(range.clone(), e.message))?;
                let mut replacement = Replacement::new(range.clone(), inert(&mathml));
                if !display {
                    replacement.opening = last_text
                        .filter(|before| before.end == range.start)
                        .map_or(0, |before| opening_punctuation(text, before));
                    formula_before = Some(replacements.len());
                }
                replacements.push(replacement);
            }
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            Event::Text(_) => {
                if let Some(formula) = last_formula
                    .map(|i| &mut replacements[i])
                    .filter(|f| f.range.end == range.start)
                {
                    formula.closing = markdown::closing_len(&text[range.clone()], false);
                }
                text_before = Some(range);
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for Replacement {
        range,
        html,
        opening,
        closing,
    } in replacements
    {
        out.push_str(&text[at..range.start - opening]);
        if opening + closing == 0 {
            out.push_str(&html);
        } else {
            let before = &text[range.start - opening..range.start];
            let after = &text[range.end..range.end + closing];
            out.push_str(&markdown::nowrap_span(
                &inert(before),
                &html,
                &inert(after),
                true,
            ));
        }
        at = range.end + closing;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// A stretch of the chapter's Markdown and the HTML that replaces it; an inline formula keeps
/// the `opening` bytes of punctuation before it and the `closing` bytes after it on its line,
/// in one `white-space: nowrap` span (see [`markdown::glue`]; styled inline, since mdBook's theme
/// has no rule for gradbook's class).
struct Replacement {
    range: std::ops::Range<usize>,
    html: String,
    opening: usize,
    closing: usize,
}

impl Replacement {
    fn new(range: std::ops::Range<usize>, html: String) -> Replacement {
        Replacement {
            range,
            html,
            opening: 0,
            closing: 0,
        }
    }
}

/// Bytes of opening punctuation that end the Markdown text `before` a formula in `text`, kept
/// with the formula. Straight quotes stay out, here and after a formula: mdBook's smart
/// punctuation reads them from what is beside them. Punctuation after a backslash is not
/// counted (the backslash escapes it).
fn opening_punctuation(text: &str, before: std::ops::Range<usize>) -> usize {
    let opening = markdown::opening_len(&text[before.clone()], false);
    if text[..before.end - opening].ends_with('\\') {
        return 0;
    }
    opening
}

/// MathML whose text holds no character Markdown would act on: `*`, `_`, `` ` ``, `~`, `[`,
/// `]`, `\` and `$` outside tags become numeric character references, and line breaks spaces.
fn inert(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len());
    let mut in_tag = false;
    for c in mathml.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(c);
            }
            '>' => {
                in_tag = false;
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            '*' | '_' | '`' | '~' | '[' | ']' | '\\' | '$' if !in_tag => {
                out.push_str(&format!("&#{};", u32::from(c)));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_and_formulas_become_html_and_the_rest_stays_markdown() {
        let text = "# T\n\nLet $a_1 * b_2$ be.\n\n```autograd\nimport torch\nx = torch.tensor([0.5], requires_grad=True)\ny = torch.sin(x) * x\n```\nafter\n\n```python\n$x$\n```\n";
        let out = inline_html(text, "p-", 6).unwrap();
        assert!(out.starts_with("# T\n\nLet <math alttext="), "{out}");
        // The formula's source survives only as the alttext attribute, which Markdown leaves.
        assert!(
            !out.replace("alttext=\"a_1 * b_2\"", "").contains("a_1"),
            "{out}"
        );
        assert!(out.contains("<figure class=\"gb-figure gb-fit\""), "{out}");
        let after = &out[out.find("</figure>\n\n").unwrap() + 9..];
        assert!(after.trim_start().starts_with("after\n"), "{out}");
        assert!(out.ends_with("```python\n$x$\n```\n"), "{out}");
        let figure = &out[out.find("<figure").unwrap()..out.find("</figure>").unwrap()];
        assert!(
            !figure.contains("\n\n"),
            "a blank line would end mdBook's HTML block"
        );
    }

    #[test]
    fn punctuation_stays_with_a_formula_and_an_image_gets_its_words() {
        let m = |tex| inert(&markdown::latex_to_mathml(tex, false).unwrap());
        let (s, x, y) = (m("s"), m("x"), m("y"));
        let out = inline_html(
            "Units ($s$), then $x$ alone; \"$y$\" \\($x$), [$y$](u.md).\n\n![curve $x_0$](c.png)\n",
            "p-",
            6,
        )
        .unwrap();
        assert!(
            out.contains(&format!(
                "Units <span class=\"gb-nowrap\" style=\"white-space: nowrap\">({s}),</span> then {x} alone;"
            )),
            "{out}"
        );
        // Straight quotes are left to mdBook's smart punctuation, an escaped `(` to its
        // backslash and link brackets to the link; the `)` after the formula still joins it.
        assert!(
            out.contains(&format!(
                " \"{y}\" \\(<span class=\"gb-nowrap\" style=\"white-space: nowrap\">{x}),</span>"
            )),
            "{out}"
        );
        assert!(out.contains(&format!("[{y}](u.md).")), "{out}");
        // An image's text is its `alt` attribute: the formula reads as its words there.
        assert!(out.contains("![curve x&#95;0](c.png)"), "{out}");
        let html = markdown::render(&out, &mut |_, _, _| Ok(None))
            .unwrap()
            .html;
        assert!(html.contains("alt=\"curve x_0\""), "{html}");
        assert!(
            html.contains(&format!(
                "<span class=\"gb-nowrap\" style=\"white-space: nowrap\">({s}),</span>"
            )),
            "{html}"
        );
    }

    #[test]
    fn mathml_text_cannot_be_read_as_markdown() {
        assert_eq!(
            inert("<mi mathvariant=\"normal\">*_`~</mi>\n<mo>[\\]$</mo>"),
            "<mi mathvariant=\"normal\">&#42;&#95;&#96;&#126;</mi> <mo>&#91;&#92;&#93;&#36;</mo>"
        );
    }

    #[test]
    fn a_bad_formula_is_located() {
        let err = inline_html("ok\n\nsee $\\nosuch{x}$\n", "p-", 6).unwrap_err();
        assert_eq!(err.span.start, 8);
        assert!(err.message.contains("LaTeX"), "{}", err.message);
    }

    #[test]
    fn renderers() {
        assert!(supports("html") && supports("markdown") && !supports("epub"));
    }
}
