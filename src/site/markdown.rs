//! Markdown → HTML with pulldown-cmark: heading ids and anchors, `.md` links rewritten to
//! `.html`, `$…$`/`$$…$$` → MathML (math-core), fenced blocks handed to a callback, and the
//! plain text of each section collected for the search index.

use crate::diag::SpanError;
use crate::markup::escape;
use math_core::{LatexToMathML, MathCoreConfig, MathDisplay};
use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// A chapter rendered to HTML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// The HTML body.
    pub html: String,
    /// The sections, in order: the text before the first heading is a section with no id.
    pub sections: Vec<Section>,
}

/// A heading and the plain text up to the next heading (for search).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    /// The heading's id (empty for the text before the first heading).
    pub id: String,
    /// The heading's text.
    pub heading: String,
    /// The heading level (1–6; 0 before the first heading).
    pub level: u8,
    /// The plain text of the section.
    pub text: String,
}

/// Handles fenced code blocks it claims: `(info string, code, code's byte offset)` →
/// `Some(html)` to replace the block, `None` to leave it as code.
pub type FenceHandler<'a> = dyn FnMut(&str, &str, usize) -> Result<Option<String>, SpanError> + 'a;

static LATEX: LazyLock<Option<LatexToMathML>> =
    LazyLock::new(|| LatexToMathML::new(MathCoreConfig::default()).ok());

/// Longest formula, in bytes (the converter recurses once per nested argument, so length
/// bounds its stack).
pub const MAX_MATH_LEN: usize = 16 << 10;
/// Deepest nesting of `{…}`, `\left…\right` and `\begin…\end` in a formula.
pub const MAX_MATH_DEPTH: usize = 64;

/// Refuse a formula longer than [`MAX_MATH_LEN`] or nested deeper than [`MAX_MATH_DEPTH`].
fn check_math_size(latex: &str) -> Result<(), SpanError> {
    if latex.len() > MAX_MATH_LEN {
        return Err(SpanError::new(
            0..1,
            format!(
                "LaTeX error: this formula is {} bytes, more than the limit of {MAX_MATH_LEN}",
                latex.len()
            ),
        ));
    }
    let mut depth = 0usize;
    let bytes = latex.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (opens, closes, len) = match bytes[i] {
            b'\\' => {
                let name_len = latex[i + 1..]
                    .find(|c: char| !c.is_ascii_alphabetic())
                    .unwrap_or(latex.len() - i - 1);
                let name = &latex[i + 1..i + 1 + name_len];
                let len = 1 + name_len.max(1);
                match name {
                    "left" | "begin" => (true, false, len),
                    "right" | "end" => (false, true, len),
                    _ => (false, false, len),
                }
            }
            b'{' => (true, false, 1),
            b'}' => (false, true, 1),
            _ => (false, false, 1),
        };
        if opens {
            depth += 1;
            if depth > MAX_MATH_DEPTH {
                return Err(SpanError::new(
                    i..i + 1,
                    format!(
                        "LaTeX error: braces, `\\left` and `\\begin` nested more than {MAX_MATH_DEPTH} deep"
                    ),
                ));
            }
        }
        if closes {
            depth = depth.saturating_sub(1);
        }
        i += len.min(bytes.len() - i);
        while !latex.is_char_boundary(i) {
            i += 1;
        }
    }
    Ok(())
}

/// Convert LaTeX to MathML; the error's span is a byte range within `latex`.
pub fn latex_to_mathml(latex: &str, display: bool) -> Result<String, SpanError> {
    check_math_size(latex)?;
    let converter = LATEX
        .as_ref()
        .ok_or_else(|| SpanError::new(0..0, "the LaTeX converter failed to start"))?;
    let mode = if display {
        MathDisplay::Block
    } else {
        MathDisplay::Inline
    };
    // math-core 0.7 panics on a few malformed inputs (a bare `&` outside an environment, for
    // one) instead of returning an error; a typo in a chapter must not crash the build.
    // Numbers printed by `num` (`−2.845×10⁻⁵`, `100 000`) are read as LaTeX; when that changed
    // the text, an error points at the whole formula.
    let source = crate::format::latex(latex);
    let converted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        converter.convert_with_local_state(&source, mode)
    }));
    match converted {
        Ok(Ok(result)) => Ok(crate::site::math_fix::with_alttext(
            &crate::site::math_fix::repair(&result.mathml),
            latex,
        )),
        Ok(Err(e)) if source != latex => {
            Err(SpanError::new(0..latex.len(), format!("LaTeX error: {e}")))
        }
        Ok(Err(e)) => Err(SpanError::new(e.0.clone(), format!("LaTeX error: {e}"))),
        Err(_) => Err(SpanError::new(
            0..latex.len(),
            "LaTeX error: this formula could not be converted (check each `&` and `\\\\` stands directly in an environment such as `aligned`, not inside braces)",
        )),
    }
}

/// Punctuation that must not end a line when a formula follows it.
const OPENING: &[char] = &['(', '[', '{', '\'', '"', '‘', '“'];
/// Punctuation that must not start a line when it follows a formula.
const CLOSING: &[char] = &[
    ')', ']', '}', ',', '.', ';', ':', '!', '?', '\'', '"', '’', '”', '…',
];

/// Bytes of the opening punctuation that ends `before` (the text before a formula); straight
/// quotes count only when `straight_quotes` holds.
pub fn opening_len(before: &str, straight_quotes: bool) -> usize {
    let kept = before.trim_end_matches(|c| punctuation(OPENING, c, straight_quotes));
    before.len() - kept.len()
}

/// Bytes of the closing punctuation that starts `after` (the text after a formula), as
/// [`opening_len`] counts them.
pub fn closing_len(after: &str, straight_quotes: bool) -> usize {
    let rest = after.trim_start_matches(|c| punctuation(CLOSING, c, straight_quotes));
    after.len() - rest.len()
}

fn punctuation(set: &[char], c: char, straight_quotes: bool) -> bool {
    set.contains(&c) && (straight_quotes || !matches!(c, '\'' | '"'))
}

/// The span that keeps an inline formula's `mathml` on one line with the punctuation before
/// (`opening`) and after it (`closing`), both already HTML; styled inline too when the page
/// may lack gradbook's stylesheet (mdBook's theme).
pub fn nowrap_span(opening: &str, mathml: &str, closing: &str, inline_style: bool) -> String {
    let style = if inline_style {
        " style=\"white-space: nowrap\""
    } else {
        ""
    };
    format!("<span class=\"gb-nowrap\"{style}>{opening}{mathml}{closing}</span>")
}

/// Keep each inline formula on one line with the punctuation right before and after it
/// (`($x$),`; see [`glue`]): each formula's MathML in `events` is at an index of
/// `inline_math`, the text around it in the events beside it.
pub fn keep_punctuation_with_math(events: &mut [Event<'_>], inline_math: &[usize]) {
    for &i in inline_math {
        let text = |e: Option<&Event<'_>>| match e {
            Some(Event::Text(t)) => t.to_string(),
            _ => String::new(),
        };
        let before = text(i.checked_sub(1).and_then(|j| events.get(j)));
        let after = text(events.get(i + 1));
        let (Event::Html(mathml) | Event::InlineHtml(mathml)) = &events[i] else {
            continue;
        };
        let Some((kept, joined, rest)) = glue(&before, mathml, &after) else {
            continue;
        };
        let (kept, rest) = (kept.to_string(), rest.to_string());
        events[i] = match events[i] {
            Event::Html(_) => Event::Html(joined.into()),
            _ => Event::InlineHtml(joined.into()),
        };
        if i > 0 && matches!(events[i - 1], Event::Text(_)) {
            events[i - 1] = Event::Text(kept.into());
        }
        if matches!(events.get(i + 1), Some(Event::Text(_))) {
            events[i + 1] = Event::Text(rest.into());
        }
    }
}

/// An inline formula's `mathml` with the opening punctuation that ends the text `before` it and
/// the closing punctuation that starts the text `after` it, in one `white-space: nowrap` span
/// (`gb-nowrap`): (what is left of `before`, the span, what is left of `after`); `None` when
/// there is no such punctuation. A browser may break a line before or after a `<math>`
/// element, which would leave a `(` at the end of a line or start one with `),`.
pub fn glue<'t>(
    before: &'t str,
    mathml: &str,
    after: &'t str,
) -> Option<(&'t str, String, &'t str)> {
    let (opening, closing) = (opening_len(before, true), closing_len(after, true));
    if opening + closing == 0 {
        return None;
    }
    let (kept, opening) = before.split_at(before.len() - opening);
    let (closing, rest) = after.split_at(closing);
    let joined = nowrap_span(&escape(opening), mathml, &escape(closing), false);
    Some((kept, joined, rest))
}

/// Keep the default panic report for real bugs but stay quiet about panics inside math-core
/// and Tera, which [`latex_to_mathml`] and [`crate::site::templates::render_caught`] turn into
/// ordinary located errors.
pub fn silence_caught_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let caught = info.location().is_some_and(|l| {
            let file = l.file();
            file.contains("math-core") || file.contains("/tera-")
        });
        if !caught {
            default(info);
        }
    }));
}

/// The heading id for `text`: lowercase words joined by `-` (mdBook's rule).
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            slug.extend(c.to_lowercase());
        } else if c.is_whitespace() {
            slug.push('-');
        }
    }
    slug
}

/// The Markdown extensions every gradbook chapter has.
pub const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS)
    .union(Options::ENABLE_HEADING_ATTRIBUTES)
    .union(Options::ENABLE_MATH);

/// Render `source` (Markdown after Tera) to HTML. Errors carry a byte range in `source`.
pub fn render(source: &str, fences: &mut FenceHandler<'_>) -> Result<Rendered, SpanError> {
    render_with(source, fences, OPTIONS)
}

/// [`render`] with the given pulldown-cmark extensions (mdBook's settings pick them).
pub fn render_with(
    source: &str,
    fences: &mut FenceHandler<'_>,
    options: Options,
) -> Result<Rendered, SpanError> {
    render_slugged(source, fences, options, &slugify)
}

/// [`render_with`], a heading's id made by `slug` from its text (unless the heading sets one).
pub fn render_slugged(
    source: &str,
    fences: &mut FenceHandler<'_>,
    options: Options,
    slug: &dyn Fn(&str) -> String,
) -> Result<Rendered, SpanError> {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut sections = vec![Section::default()];
    let mut used_ids = HeadingIds::default();
    let mut heading: Option<(usize, u8)> = None; // (index in events, level)
    let mut fence: Option<(String, String, usize)> = None;
    let mut indented_code = false;
    // The lines of the raw HTML block being read.
    let mut html_block: Option<String> = None;
    // Formulas in a table's header row also get an `aria-label` (see `math_fix`).
    let mut in_table_head = false;
    // Where each inline formula's MathML stands in `events`.
    let mut inline_math = Vec::new();
    // Inside an image, whose text is its `alt` attribute, a formula is its plain text.
    let mut in_image = 0usize;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        if let Some((lang, code, start)) = &mut fence {
            match event {
                Event::Text(text) => {
                    if code.is_empty() {
                        *start = range.start;
                    }
                    code.push_str(&text);
                }
                Event::End(TagEnd::CodeBlock) => {
                    let (info, code, start) = (lang.clone(), code.clone(), *start);
                    fence = None;
                    match fences(&info, &code, start)? {
                        Some(html) => events.push(Event::Html(html.into())),
                        None => push_code(&mut events, language(&info), code),
                    }
                }
                _ => {}
            }
            continue;
        }
        let text_of = |s: &str, sections: &mut Vec<Section>| {
            if let Some(section) = sections.last_mut() {
                section.text.push_str(s);
            }
        };
        match &event {
            Event::Start(Tag::TableHead) => in_table_head = true,
            Event::End(TagEnd::TableHead) => in_table_head = false,
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((events.len(), level as u8));
                sections.push(Section {
                    level: level as u8,
                    ..Section::default()
                });
                events.push(event);
            }
            Event::End(TagEnd::Heading(_)) => {
                let Some((start, level)) = heading.take() else {
                    continue;
                };
                let Event::Start(Tag::Heading { id, classes, .. }) = &events[start] else {
                    continue;
                };
                let title = sections
                    .last()
                    .map(|s| s.text.trim().to_string())
                    .unwrap_or_default();
                let base = id
                    .as_ref()
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| slug(&title));
                let id = used_ids.unique(&base);
                let class_attr = if classes.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{}\"", escape(&classes.join(" ")))
                };
                events[start] = Event::Html(
                    format!(
                        "<h{level} id=\"{}\"{class_attr}><a class=\"header\" href=\"#{}\">",
                        escape(&id),
                        escape(&id)
                    )
                    .into(),
                );
                events.push(Event::Html(format!("</a></h{level}>\n").into()));
                if let Some(section) = sections.last_mut() {
                    section.heading = title;
                    section.id = id;
                    section.text.clear();
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                fence = Some((info.trim().to_string(), String::new(), range.end));
            }
            Event::InlineMath(ref tex) | Event::DisplayMath(ref tex) => {
                let display = matches!(event, Event::DisplayMath(_));
                let offset = range.start + source[range.clone()].find(tex.as_ref()).unwrap_or(0);
                let mathml = latex_to_mathml(tex, display).map_err(|e| {
                    SpanError::new(
                        offset + e.span.start..offset + e.span.end.max(e.span.start + 1),
                        e.message,
                    )
                })?;
                let words = crate::site::search::math_text::plain(tex);
                text_of(&words, &mut sections);
                if in_image > 0 {
                    events.push(Event::Text(words.into()));
                    continue;
                }
                let mathml = if in_table_head {
                    crate::site::math_fix::header_label(&mathml)
                } else {
                    mathml
                };
                events.push(Event::Html(mathml.into()));
                if !display {
                    inline_math.push(events.len() - 1);
                }
            }
            Event::Start(Tag::Image { ref dest_url, .. }) => {
                check_link(dest_url, true, range.clone())?;
                events.push(event);
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                check_link(&dest_url, false, range.clone())?;
                events.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url: rewrite_link(dest_url),
                    title,
                    id,
                }));
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Indented)) => {
                indented_code = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                indented_code = false;
                events.push(event);
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                if matches!(event, Event::Text(_))
                    && !indented_code
                    && options.contains(Options::ENABLE_MATH)
                {
                    stray_formula(source, range.clone())?;
                }
                text_of(t, &mut sections);
                events.push(event);
            }
            Event::SoftBreak | Event::HardBreak => {
                text_of(" ", &mut sections);
                events.push(event);
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell) => {
                text_of(" ", &mut sections);
                events.push(event);
            }
            Event::Start(Tag::HtmlBlock) => {
                events.push(event);
                html_block = Some(String::new());
            }
            Event::Html(ref html) if html_block.is_some() => {
                html_block.get_or_insert_default().push_str(html);
            }
            Event::End(TagEnd::HtmlBlock) => {
                // The block's lines together, so that a tag written over several lines is
                // read whole.
                let html = html_block.take().unwrap_or_default();
                events.push(Event::Html(raw_html_links(&html).into()));
                events.push(event);
            }
            Event::InlineHtml(ref html) => {
                events.push(Event::InlineHtml(raw_html_links(html).into()));
            }
            other => events.push(other),
        }
    }
    keep_punctuation_with_math(&mut events, &inline_math);
    let events = crate::site::mdbook::footnotes::rearrange(events);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    for section in &mut sections {
        section.text = section
            .text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    sections.retain(|s| !s.id.is_empty() || !s.text.is_empty());
    Ok(Rendered { html, sections })
}

/// Refuse a `$` in text that starts what is clearly a formula (`$\frac…`, `${…`): pulldown-cmark
/// left it as text because its braces or its closing `$` do not match. A `$` before a number or
/// a space (a price) is text.
fn stray_formula(source: &str, range: std::ops::Range<usize>) -> Result<(), SpanError> {
    let Some(text) = source.get(range.clone()) else {
        return Ok(());
    };
    let bytes = source.as_bytes();
    for (i, _) in text.match_indices('$') {
        let at = range.start + i;
        let escaped = at > 0 && bytes[at - 1] == b'\\';
        // After `$$` (never a price) the formula may start on the next line.
        let double = bytes.get(at + 1) == Some(&b'$');
        let next = bytes[at + 1..]
            .iter()
            .find(|b| **b != b'$' && !(double && b.is_ascii_whitespace()));
        if !escaped && matches!(next, Some(b'\\' | b'{')) {
            return Err(SpanError::new(
                at..at + 1,
                "this `$` starts a formula that was not converted: a `$…$` formula needs balanced `{…}` and a closing `$` in the same paragraph (write `\\$` for a dollar sign)",
            ));
        }
    }
    Ok(())
}

/// The language of a fence's info string (`python`, `autograd table` → `autograd`).
pub fn language(info: &str) -> &str {
    info.split([' ', ',', '{']).next().unwrap_or("")
}

fn push_code<'a>(events: &mut Vec<Event<'a>>, lang: &str, code: String) {
    let open = if lang.is_empty() {
        "<pre><code>".to_string()
    } else {
        format!("<pre><code class=\"language-{}\">", escape(lang))
    };
    events.push(Event::Html(open.into()));
    events.push(Event::Html(escape(&code).into()));
    events.push(Event::Html("</code></pre>\n".into()));
}

/// The heading ids of one page so far, and for each base the next suffix to try, so that many
/// headings with the same text get their ids in linear time (`a`, `a-1`, `a-2`, …).
#[derive(Default)]
struct HeadingIds {
    used: HashSet<String>,
    next_suffix: HashMap<String, usize>,
}

impl HeadingIds {
    /// A page-unique id for a heading whose slug is `base`.
    fn unique(&mut self, base: &str) -> String {
        let base = if base.is_empty() { "section" } else { base };
        if self.used.insert(base.to_string()) {
            return base.to_string();
        }
        let n = self.next_suffix.entry(base.to_string()).or_insert(1);
        loop {
            let id = format!("{base}-{n}");
            *n += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// Refuse a link or image whose target could run script: only relative links and `http`,
/// `https` and `mailto` URLs are allowed (and, for images, `data:image/png|jpeg|gif|webp`).
fn check_link(url: &str, image: bool, at: std::ops::Range<usize>) -> Result<(), SpanError> {
    let raster = ["png", "jpeg", "gif", "webp"]
        .iter()
        .any(|kind| url.starts_with(&format!("data:image/{kind};")));
    if image && raster {
        return Ok(());
    }
    crate::markup::check_url(url).map_err(|why| SpanError::new(at, format!("link target {why}")))
}

/// Raw HTML with the links of its `<a>` tags to chapters pointed at their pages, as mdBook
/// 0.5 does (`<a href="x.md#a">` → `x.html#a`; see [`rewrite_link`]).
fn raw_html_links(html: &str) -> String {
    if !html.contains(".md") {
        return html.to_string();
    }
    crate::site::html::rewrite_attributes(html, "a", &["href", "xlink:href"], |value| {
        let rewritten = rewrite_link(value.into());
        (&*rewritten != value).then(|| rewritten.to_string())
    })
    .unwrap_or_else(|| html.to_string())
}

/// Relative links to chapters (`x.md`, `x.md#a`, `x.md?highlight=y#a`) point at their pages
/// (`x.html`, `x.html#a`, `x.html?highlight=y#a`).
fn rewrite_link(url: CowStr<'_>) -> CowStr<'_> {
    if url.contains("://")
        || url.starts_with('/')
        || url.starts_with('#')
        || url.starts_with("mailto:")
    {
        return url;
    }
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let (path, rest) = url.split_at(end);
    match path.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html{rest}").into(),
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> Rendered {
        render(s, &mut |_, _, _| Ok(None)).unwrap()
    }

    #[test]
    fn script_links_are_located_errors() {
        for (src, at) in [
            ("text\n\nsee [x](javascript:alert(1)) here\n", 10),
            ("<vbscript:msgbox(1)>\n", 0),
            ("![i](data:text/html,x)\n", 0),
            ("[r]\n\n[r]: JAVASCRIPT:alert(1)\n", 0),
        ] {
            let err = render(src, &mut |_, _, _| Ok(None)).unwrap_err();
            assert_eq!(err.span.start, at, "{src:?}: {}", err.message);
            assert!(
                err.message
                    .contains("expected an http, https or mailto link"),
                "{}",
                err.message
            );
        }
        let ok =
            md("[a](b.md) [c](https://x.org) <mailto:a@b.c> ![p](data:image/png;base64,AA==)\n");
        assert!(ok.html.contains("href=\"b.html\""), "{}", ok.html);
    }

    /// A line may not end with the `(` before an inline formula nor start with the `),` after
    /// it: they share a `white-space: nowrap` span; a formula between spaces, display math and
    /// the search text are left as they were.
    #[test]
    fn punctuation_around_a_formula_stays_with_it() {
        let r = md("for linear units ($s = 1$), and $x$ alone; $$y$$\n");
        let x = latex_to_mathml("x", false).unwrap();
        let s = latex_to_mathml("s = 1", false).unwrap();
        assert!(
            r.html.contains(&format!(
                "units <span class=\"gb-nowrap\">({s}),</span> and {x} alone;"
            )),
            "{}",
            r.html
        );
        assert_eq!(r.html.matches("gb-nowrap").count(), 1, "{}", r.html);
        assert!(r.sections[0].text.contains("), and"), "{:?}", r.sections);
        // Captions and `figure()` captions too; `"` is escaped inside the span.
        let caption = crate::site::authoring::inline::render("The chain $y$. Next").unwrap();
        let y = latex_to_mathml("y", false).unwrap();
        assert!(
            caption.contains(&format!("<span class=\"gb-nowrap\">{y}.</span> Next")),
            "{caption}"
        );
        let quoted = crate::site::templates::inline_math("say \"$y$\" now ($x$)").unwrap();
        assert!(
            quoted.contains(&format!(
                "say <span class=\"gb-nowrap\">&quot;{y}&quot;</span> now <span class=\"gb-nowrap\">({x})</span>"
            )),
            "{quoted}"
        );
    }

    #[test]
    fn a_formula_in_an_image_description_is_its_plain_text() {
        // An `alt` attribute holds text only: the formula reads as its words there, and
        // stays MathML elsewhere on the page.
        let r = md("![the curve $\\sigma'(x)$ near $x_0$](c.png) and $x_0$\n");
        let x0 = latex_to_mathml("x_0", false).unwrap();
        assert!(
            r.html.contains(&format!(
                "<img src=\"c.png\" alt=\"the curve σ&#39;(x) near x_0\" /> and {x0}"
            )),
            "{}",
            r.html
        );
        assert_eq!(r.html.matches("<math").count(), 1, "{}", r.html);
    }

    #[test]
    fn headings_get_unique_ids_and_anchors() {
        let r = md("# Hello World\n\ntext\n\n## Hello World\n\n## Custom {#mine}\n");
        assert!(r.html.contains(
            "<h1 id=\"hello-world\"><a class=\"header\" href=\"#hello-world\">Hello World</a></h1>"
        ));
        assert!(r.html.contains("id=\"hello-world-1\""));
        assert!(r.html.contains("id=\"mine\""));
        assert_eq!(r.sections[0].text, "text");
    }

    #[test]
    fn repeated_headings_skip_ids_already_taken() {
        let r = md("# A\n\n# A-1\n\n# A\n\n# A\n\n# A-2\n");
        let ids: Vec<&str> = r.sections.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "a-1", "a-2", "a-3", "a-2-1"]);
    }

    #[test]
    fn math_becomes_mathml() {
        let r = md("Inline $x^2$ and\n\n$$\n\\frac{a}{b}\n$$\n");
        assert!(
            r.html
                .contains("<math alttext=\"x^2\"><msup><mi>x</mi><mn>2</mn></msup></math>"),
            "{}",
            r.html
        );
        assert!(
            r.html
                .contains("<math alttext=\"\\frac{a}{b}\" display=\"block\"><mfrac>"),
            "{}",
            r.html
        );
    }

    #[test]
    fn bad_latex_points_at_it() {
        let src = "line one\n\nsee $\\nosuchcommand{x}$ here\n";
        let err = render(src, &mut |_, _, _| Ok(None)).unwrap_err();
        let d = err.in_file(std::path::Path::new("c.md"), src);
        assert_eq!(d.line, 3);
        assert!(d.message.contains("LaTeX"), "{}", d.message);
    }

    #[test]
    fn converter_panics_become_errors() {
        let err = latex_to_mathml("a & b", false).unwrap_err();
        assert!(err.message.contains("LaTeX error"), "{}", err.message);
    }

    #[test]
    fn md_links_are_rewritten() {
        let r = md("[a](q1.md) [b](dir/q2.md#x) [c](https://e.org/x.md) [d](#top)\n");
        assert!(r.html.contains("href=\"q1.html\""));
        assert!(r.html.contains("href=\"dir/q2.html#x\""));
        assert!(r.html.contains("href=\"https://e.org/x.md\""));
        assert!(r.html.contains("href=\"#top\""));
        // A query (mdBook's search highlight, as the rustc dev guide links) stays, before
        // the fragment; only a path ending in `.md` changes.
        let r = md("[e](q3.md?highlight=%22a%22#y) [f](q4.md?x) [g](a.md.txt#b.md)\n");
        assert!(
            r.html.contains("href=\"q3.html?highlight=%22a%22#y\""),
            "{}",
            r.html
        );
        assert!(r.html.contains("href=\"q4.html?x\""), "{}", r.html);
        assert!(r.html.contains("href=\"a.md.txt#b.md\""), "{}", r.html);
        // In raw HTML too, as in mdBook 0.5: inline, and a block's tag over two lines.
        let r = md(
            "<a href=\"b.md#x\">raw</a> text\n\n<div>\n<a class=\"c\"\n   href='./d.md'>d</a> <a href=\"https://e.org/x.md\">e</a>\n</div>\n\n`<a href=\"f.md\">`\n",
        );
        assert!(
            r.html.contains("<a href=\"b.html#x\">raw</a>"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<a class=\"c\"\n   href='./d.html'>d</a>"),
            "{}",
            r.html
        );
        assert!(r.html.contains("href=\"https://e.org/x.md\""), "{}", r.html);
        assert!(
            r.html.contains("&lt;a href=\"f.md\"&gt;"),
            "code stays: {}",
            r.html
        );
    }

    #[test]
    fn fences_can_be_replaced() {
        let src = "```autograd table\nx = 1\n```\n\n```python\na<b\n```\n";
        let r = render(src, &mut |info, code, offset| {
            assert_eq!(&src[offset..offset + code.len()], code);
            Ok((language(info) == "autograd")
                .then(|| format!("<div>{info}: {}</div>", code.trim())))
        })
        .unwrap();
        assert!(r.html.contains("<div>autograd table: x = 1</div>"));
        assert!(r.html.contains("<code class=\"language-python\">a&lt;b"));
    }

    #[test]
    fn unbalanced_formula_is_an_error_but_prices_are_text() {
        let src = "line\n\nit costs $5 and $10; see $\\frac{a$ here\n";
        let err = render(src, &mut |_, _, _| Ok(None)).unwrap_err();
        assert_eq!(err.span.start, src.find("$\\frac").unwrap());
        assert!(err.message.contains("balanced"), "{}", err.message);
        let d = err.in_file(std::path::Path::new("c.md"), src);
        assert_eq!((d.line, d.column), (3, 26));
        let prices = md(
            "It costs $5, or $ 10 for two, and \\$\\alpha is literal.\n\n    $\\frac{a$ in code\n",
        );
        assert!(prices.html.contains("$5, or $ 10"), "{}", prices.html);
        assert!(
            prices.html.contains("<pre><code>$\\frac{a$"),
            "{}",
            prices.html
        );
        assert!(render("`$\\frac{a$` in code\n", &mut |_, _, _| Ok(None)).is_ok());
        let broken_display = "$$\n\\frac{a}{b\n$$\n";
        let err = render(broken_display, &mut |_, _, _| Ok(None)).unwrap_err();
        assert_eq!(err.span.start, 0, "{}", err.message);
    }

    #[test]
    fn deep_or_long_formulas_are_refused_before_conversion() {
        let deep = format!("{}a{}", "\\frac{".repeat(65), "}{b}".repeat(65));
        let err = latex_to_mathml(&deep, true).unwrap_err();
        assert!(
            err.message.contains("nested more than 64"),
            "{}",
            err.message
        );
        let ok = format!("{}a{}", "\\frac{".repeat(30), "}{b}".repeat(30));
        assert!(latex_to_mathml(&ok, true).is_ok());
        let arrows = "\\leftarrow ".repeat(100) + &"\\rightarrow ".repeat(100);
        assert!(
            latex_to_mathml(&arrows, false).is_ok(),
            "arrows are not \\left"
        );
        let long = "\\sqrt ".repeat(200_000) + "a";
        assert!(
            latex_to_mathml(&long, true)
                .unwrap_err()
                .message
                .contains("limit of 16384")
        );
    }

    #[test]
    fn deep_markdown_nesting_renders() {
        let quotes = format!("{} deep\n", ">".repeat(10_000));
        assert!(md(&quotes).html.contains("deep"));
        let list: String = (0..2000)
            .map(|i| format!("{}- item\n", "  ".repeat(i)))
            .collect();
        assert!(md(&list).html.contains("item"));
    }
}
