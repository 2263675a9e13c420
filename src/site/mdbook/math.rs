//! Math as mdBook authors write it for MathJax: with `mathjax-support = true`, `\\( … \\)`
//! (inline) and `\\[ … \\]` (display) in prose become MathML like gradbook's `$…$`.
//!
//! Each formula is converted before the Markdown pass (errors are located in the chapter) and
//! stands in the Markdown as a placeholder, replaced by its MathML once the Markdown is HTML,
//! so Markdown never rewrites the MathML.

use crate::diag::SpanError;
use crate::markup::escape;
use crate::site::markdown::{self, Rendered};
use pulldown_cmark::{Event, Options, Parser};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Opens and closes a placeholder (private-use code points); the formula's index is between.
const OPEN: char = '\u{E001}';
const CLOSE: char = '\u{E002}';
/// The same, percent-encoded as pulldown-cmark writes them in a link's or an image's URL.
const OPEN_IN_URL: &str = "%EE%80%81";
const CLOSE_IN_URL: &str = "%EE%80%82";

/// A chapter's Markdown with its mdBook-delimited formulas taken out.
#[derive(Debug, Clone, Default)]
pub struct Formulas {
    /// The Markdown, each formula replaced by a placeholder.
    pub text: String,
    /// Each formula, by placeholder index.
    converted: Vec<Formula>,
    /// What every placeholder of this chapter has between its opening and its index (see
    /// [`tag_of`]), so that no placeholder-like text the author pasted is taken for one.
    tag: String,
}

/// One converted formula.
#[derive(Debug, Clone)]
struct Formula {
    mathml: String,
    /// Its plain text: the words of the search index, and the formula inside an attribute.
    words: String,
    /// Its LaTeX as mdBook's Markdown leaves it, which mdBook's heading ids are made from.
    latex: String,
    display: bool,
}

/// Take the `\\( … \\)` and `\\[ … \\]` formulas out of `source` (outside code) when
/// `enabled`; the error's span is in `source`. `options` are the ones the Markdown is rendered
/// with: when they make the chapter's `$…$` math too, a formula inside a `$…$` one is an
/// error (the two cannot nest).
pub fn delimiters(source: &str, enabled: bool, options: Options) -> Result<Formulas, SpanError> {
    let mut formulas = Formulas {
        text: String::with_capacity(source.len()),
        converted: Vec::new(),
        tag: String::new(),
    };
    if !enabled || !source.contains("\\\\") {
        formulas.text = source.to_string();
        return Ok(formulas);
    }
    formulas.tag = tag_of(source);
    let code = super::literal::code_ranges(source, true);
    // Each formula's span in `source`, by index.
    let mut spans = Vec::new();
    let mut i = 0;
    while i < source.len() {
        let rest = &source[i..];
        let display = rest.starts_with("\\\\[");
        if (display || rest.starts_with("\\\\(")) && !code.iter().any(|r| r.contains(&i)) {
            let close = if display { "\\\\]" } else { "\\\\)" };
            let body_start = i + 3;
            let Some(len) = closing(&source[body_start..], close) else {
                return Err(SpanError::new(
                    i..body_start,
                    format!(
                        "this formula is not closed: expected `{close}` before the paragraph ends"
                    ),
                ));
            };
            let raw = &source[body_start..body_start + len];
            let latex = unescape(raw);
            let mathml = markdown::latex_to_mathml(latex.trim(), display)
                .map_err(|e| SpanError::new(body_start..body_start + len, e.message))?;
            let index = formulas.converted.len();
            spans.push(i..body_start + len + close.len());
            formulas.converted.push(Formula {
                mathml,
                words: crate::site::search::math_text::plain(&latex),
                latex,
                display,
            });
            let tag = &formulas.tag;
            formulas
                .text
                .push_str(&format!("{OPEN}{tag}{index}{CLOSE}"));
            i = body_start + len + close.len();
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        formulas.text.push(c);
        i += c.len_utf8();
    }
    if options.contains(Options::ENABLE_MATH)
        && let Some(index) = formulas.first_in_dollar_math(options)
    {
        return Err(SpanError::new(
            spans[index].clone(),
            "this formula is inside a `$…$` formula: `$…$` and mdBook's `\\\\( … \\\\)` or `\\\\[ … \\\\]` cannot nest; write the whole formula with one of them",
        ));
    }
    Ok(formulas)
}

/// The tag of `source`'s placeholders: the start of its SHA-256, which text pasted into
/// `source` (as characters, entities or percent-encoded) cannot hold, since that would change
/// the hash.
fn tag_of(source: &str) -> String {
    let digest = Sha256::digest(source.as_bytes());
    let start: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{start}-")
}

/// The length of a formula's body up to `close`, which must come before a blank line.
fn closing(body: &str, close: &str) -> Option<usize> {
    let at = body.find(close)?;
    let blank = body[..at]
        .split('\n')
        .skip(1)
        .any(|line| line.trim().is_empty());
    (!blank).then_some(at)
}

/// The text MathJax would see: Markdown's backslash escapes (`\\`, `\_`, `\*` …) undone.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

impl Formulas {
    /// Put each formula's MathML in the rendered page and its words in the search text.
    pub fn finish(&self, rendered: &mut Rendered) {
        if self.converted.is_empty() {
            return;
        }
        // A header cell's formula also names the cell, as `$…$` does (see `math_fix`).
        let html = self.fill_html(&self.fill_urls(&rendered.html));
        rendered.html = crate::site::math_fix::label_table_heads(&html);
        for section in &mut rendered.sections {
            section.text = self.fill_text(&section.text, |f| &f.words);
            section.heading = self.fill_text(&section.heading, |f| &f.words);
            // A formula in a heading's own `{#id}` is in an attribute: its words, as in the page.
            section.id = self.fill_text(&section.id, |f| &f.words);
        }
    }

    /// `html` with each placeholder replaced: by the formula's MathML in text, with the
    /// punctuation around an inline formula kept on its line ([`markdown::glue`]), and by its
    /// escaped words inside a tag (an image's `alt`, a link's `title`), where markup would end
    /// the attribute.
    fn fill_html(&self, html: &str) -> String {
        let mut out = String::with_capacity(html.len());
        let mut markup = Markup::Text;
        let mut rest = html;
        while let Some((at, formula, after)) = self.next_placeholder(rest) {
            markup = markup.after(&rest[..at]);
            out.push_str(&rest[..at]);
            rest = after;
            let Some(formula) = formula else {
                continue;
            };
            if markup != Markup::Text {
                out.push_str(&escape(&formula.words));
                continue;
            }
            if formula.display {
                out.push_str(&formula.mathml);
                continue;
            }
            let text_start = out.rfind('>').map_or(0, |i| i + 1);
            let text_end = rest.find(['<', OPEN]).unwrap_or(rest.len());
            let glued = markdown::glue(&out[text_start..], &formula.mathml, &rest[..text_end])
                .map(|(kept, joined, left)| (text_start + kept.len(), joined, left.len()));
            match glued {
                Some((kept, joined, left)) => {
                    out.truncate(kept);
                    out.push_str(&joined);
                    rest = &rest[text_end - left..];
                }
                None => out.push_str(&formula.mathml),
            }
        }
        out.push_str(rest);
        out
    }

    /// The index of the first formula whose placeholder the Markdown, read with `options`,
    /// reads as part of a `$…$` (or `$$…$$`) formula, where it would be LaTeX, not a
    /// placeholder. (The render's own options: with others, `[^$…$]` is a footnote
    /// reference here and text with a formula in the page.)
    fn first_in_dollar_math(&self, options: Options) -> Option<usize> {
        let events = Parser::new_ext(&self.text, options).into_offset_iter();
        events
            .filter(|(event, _)| matches!(event, Event::InlineMath(_) | Event::DisplayMath(_)))
            .find_map(|(_, range)| {
                let mut rest = &self.text[range];
                while let Some((_, formula, after)) = self.next_placeholder(rest) {
                    if let Some(formula) = formula {
                        return self.converted.iter().position(|f| std::ptr::eq(f, formula));
                    }
                    rest = after;
                }
                None
            })
    }

    /// `html` with each placeholder that stands in a URL (percent-encoded inside a tag)
    /// replaced by what mdBook's Markdown leaves of its formula there, `\(x\)` or `\[x\]`,
    /// percent-encoded the same way.
    fn fill_urls<'h>(&self, html: &'h str) -> Cow<'h, str> {
        if !html.contains(OPEN_IN_URL) {
            return Cow::Borrowed(html);
        }
        let mut out = String::with_capacity(html.len());
        let mut markup = Markup::Text;
        let mut rest = html;
        while let Some(at) = rest.find(OPEN_IN_URL) {
            markup = markup.after(&rest[..at]);
            out.push_str(&rest[..at]);
            let after = &rest[at + OPEN_IN_URL.len()..];
            let formula = self
                .numbered(after, CLOSE_IN_URL)
                .filter(|_| markup != Markup::Text);
            match formula {
                Some((f, after)) => {
                    let (open, close) = if f.display { ("[", "]") } else { ("(", ")") };
                    let source = format!("\\{open}{}\\{close}", f.latex);
                    pulldown_cmark_escape::escape_href(&mut out, &source)
                        .expect("writing to a String cannot fail");
                    rest = after;
                }
                None => {
                    out.push_str(OPEN_IN_URL);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Cow::Owned(out)
    }

    /// The id of a heading whose text is `title`: mdBook's, made from the text with each
    /// formula as its LaTeX (`\\( \alpha_1 \\)` → `alpha_1`), so links written for mdBook
    /// still arrive.
    pub fn slug(&self, title: &str) -> String {
        markdown::slugify(&self.fill_text(title, |f| &f.latex))
    }

    /// `text` with each placeholder replaced by what `pick` takes from its formula.
    fn fill_text(&self, text: &str, pick: impl Fn(&Formula) -> &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some((at, formula, after)) = self.next_placeholder(rest) {
            out.push_str(&rest[..at]);
            out.push_str(formula.map_or("", &pick));
            rest = after;
        }
        out.push_str(rest);
        out
    }

    /// The next placeholder in `text`: where it starts, its formula and the text after it.
    /// Text that only looks like a placeholder (a pasted private-use character) is `None`
    /// with the text up to it: it stays as it is.
    fn next_placeholder<'t>(&self, text: &'t str) -> Option<(usize, Option<&Formula>, &'t str)> {
        let open = text.find(OPEN)?;
        let after = &text[open + OPEN.len_utf8()..];
        let mut close = [0; 4];
        let formula = self.numbered(after, CLOSE.encode_utf8(&mut close));
        Some(match formula {
            Some((formula, rest)) => (open, Some(formula), rest),
            None => (open + OPEN.len_utf8(), None, after),
        })
    }

    /// The formula whose placeholder `after` continues after its opening, up to `close`, and
    /// the text after the placeholder.
    fn numbered<'t>(&self, after: &'t str, close: &str) -> Option<(&Formula, &'t str)> {
        let numbered = after.strip_prefix(self.tag.as_str())?;
        let digits = numbered.bytes().take_while(u8::is_ascii_digit).count();
        let rest = numbered[digits..].strip_prefix(close)?;
        let formula = self
            .converted
            .get(numbered[..digits].parse::<usize>().ok()?)?;
        Some((formula, rest))
    }
}

/// Where HTML read so far stands: in text, in a tag, in a quoted attribute value or in a
/// comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    Text,
    /// In a tag; `true` right after an `=` (a quote then opens a value).
    Tag(bool),
    Quoted(char),
    /// In a comment; the `-` just read (`-->` closes it).
    Comment(u8),
}

impl Markup {
    /// The state after reading `html`. A `<` starts a tag only before a letter, `/` or `!`
    /// (text's own `<` is escaped; in raw HTML `a < b` stays text).
    fn after(self, html: &str) -> Markup {
        let mut state = self;
        for (i, c) in html.char_indices() {
            state = match state {
                Markup::Text if c == '<' => {
                    let next = html[i + 1..].chars().next();
                    if html[i..].starts_with("<!--") {
                        Markup::Comment(0)
                    } else if next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!')
                    {
                        Markup::Tag(false)
                    } else {
                        Markup::Text
                    }
                }
                Markup::Text => Markup::Text,
                Markup::Tag(_) if c == '>' => Markup::Text,
                Markup::Tag(true) if c == '"' || c == '\'' => Markup::Quoted(c),
                Markup::Tag(equals) if c.is_whitespace() => Markup::Tag(equals),
                Markup::Tag(_) => Markup::Tag(c == '='),
                Markup::Quoted(q) if c == q => Markup::Tag(false),
                Markup::Quoted(q) => Markup::Quoted(q),
                Markup::Comment(dashes) if c == '>' && dashes >= 2 => Markup::Text,
                Markup::Comment(dashes) if c == '-' => Markup::Comment(dashes.saturating_add(1)),
                Markup::Comment(_) => Markup::Comment(0),
            };
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(source: &str) -> Rendered {
        let formulas = delimiters(source, true, markdown::OPTIONS).unwrap();
        let mut rendered = markdown::render(&formulas.text, &mut |_, _, _| Ok(None)).unwrap();
        formulas.finish(&mut rendered);
        rendered
    }

    /// A plain mdBook book's options: `$` is text.
    fn dollars_as_text() -> Options {
        let mut options = markdown::OPTIONS;
        options.remove(Options::ENABLE_MATH);
        options
    }

    fn render_with_dollars_as_text(source: &str) -> String {
        let formulas = delimiters(source, true, dollars_as_text()).unwrap();
        let options = dollars_as_text();
        let mut rendered =
            markdown::render_with(&formulas.text, &mut |_, _, _| Ok(None), options).unwrap();
        formulas.finish(&mut rendered);
        rendered.html
    }

    fn render(source: &str) -> String {
        finished(source).html
    }

    #[test]
    fn mdbook_delimiters_become_mathml() {
        let html = render(
            "Inline \\\\( \\int x \\, dx \\\\) and\n\n\\\\[ \\mu = \\frac{1}{N} \\sum_{i=0} x_i \\\\]\n\n`\\\\( code \\\\)`\n",
        );
        assert_eq!(html.matches("<math").count(), 2, "{html}");
        assert!(html.contains("display=\"block\""), "{html}");
        assert!(html.contains("<code>\\\\( code \\\\)</code>"), "{html}");
        // `\\,` is a thin space in LaTeX: the doubled backslash was undone.
        assert!(!html.contains("\\,"), "{html}");
    }

    #[test]
    fn punctuation_stays_with_a_formula_and_attributes_get_its_words() {
        let m = |tex| markdown::latex_to_mathml(tex, false).unwrap();
        let html = render(
            "Units (\\\\( s \\\\)), then \\\\( x \\\\) alone.\n\n\
             ![curve \\\\( y_0 \\\\)](c.png \"at \\\\( z \\\\)\")\n\n\
             <div title=\"a > b \\\\(v\\\\)\">(\\\\(v\\\\))</div>\n\n\
             <!-- don't \\\\(c\\\\) -->\n\n\
             \\\\[ d \\\\].\n",
        );
        let (s, x, v) = (m("s"), m("x"), m("v"));
        assert!(
            html.contains(&format!(
                "Units <span class=\"gb-nowrap\">({s}),</span> then {x} alone."
            )),
            "{html}"
        );
        // Inside a tag, MathML would end the attribute: the formula reads as its words.
        assert!(
            html.contains("<img src=\"c.png\" alt=\"curve y_0\" title=\"at z\" />"),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "<div title=\"a > b v\"><span class=\"gb-nowrap\">({v})</span></div>"
            )),
            "{html}"
        );
        // An apostrophe in a comment opens no attribute value; display math stays a block.
        assert!(html.contains("<!-- don't c -->"), "{html}");
        assert!(html.contains("display=\"block\""), "{html}");
        assert_eq!(html.matches("gb-nowrap").count(), 2, "{html}");
        let table = render("| \\\\( h \\\\) |\n|---|\n| \\\\( c \\\\) |\n");
        assert!(
            table.contains("<th><math aria-label=\"h\" alttext=\"h\">"),
            "{table}"
        );
        assert!(table.contains("<td><math alttext=\"c\">"), "{table}");
        assert_eq!(html.matches("<math").count(), 4, "{html}");
    }

    #[test]
    fn a_heading_with_formulas_gets_mdbooks_id() {
        // mdBook sees `\( \alpha_1 \)` in the heading's text and keeps `alpha_1` of it; the
        // formula's index must not become part of the id.
        let formulas = delimiters(
            "# About \\\\( \\alpha\\_1 \\\\) and \\\\(x\\\\)\n",
            true,
            markdown::OPTIONS,
        )
        .unwrap();
        let mut rendered = markdown::render_slugged(
            &formulas.text,
            &mut |_, _, _| Ok(None),
            markdown::OPTIONS,
            &|title| formulas.slug(title),
        )
        .unwrap();
        formulas.finish(&mut rendered);
        assert!(
            rendered
                .html
                .starts_with("<h1 id=\"about--alpha_1--and-x\">"),
            "{}",
            rendered.html
        );
        assert_eq!(rendered.sections[0].heading, "About α_1 and x");
        // A formula in the heading's own id is in an attribute: its words, in the page and in
        // the section the search index links to.
        let own_id = finished("# T {#a\\\\(x\\\\)}\n");
        assert!(own_id.html.starts_with("<h1 id=\"ax\">"), "{}", own_id.html);
        assert_eq!(own_id.sections[0].id, "ax");
    }

    #[test]
    fn pasted_placeholder_characters_stay_text() {
        // Each pasted form of a placeholder, with the index of a formula on the page: as
        // characters, as entities and percent-encoded in a URL.
        let pasted = "\u{E001}7\u{E002} \u{E001} \u{E001}0\u{E002} \u{E001}0-0\u{E002}";
        let url = "%EE%80%810-0%EE%80%82";
        let html = render(&format!(
            "a {pasted} &#xE001;0-0&#xE002; [l]({url}) \\\\( x \\\\)"
        ));
        assert!(
            html.contains(&format!(
                "a {pasted} \u{E001}0-0\u{E002} <a href=\"{url}\">l</a> <math"
            )),
            "{html}"
        );
        assert_eq!(html.matches("<math").count(), 1, "{html}");
    }

    #[test]
    fn a_formula_in_a_url_is_its_text_as_mdbook_leaves_it() {
        // pulldown-cmark percent-encodes a URL, and mdBook's Markdown leaves `\(x\)` of a
        // formula there; in the title the formula reads as its words.
        let html = render(
            "[a](q?f=\\\\( x^2 \\\\)&g='\\\\[y\\\\]') ![b](i\\\\(z\\\\).png)\n\n\
             [r]: https://e.org/\\\\(w\\\\) \"at \\\\(t\\\\)\"\n\n[r]\n",
        );
        assert!(
            html.contains(
                "<a href=\"q?f=%5C(%20x^2%20%5C)&amp;g=&#x27;%5C%5By%5C%5D&#x27;\">a</a>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"i%5C(z%5C).png\" alt=\"b\" />"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://e.org/%5C(w%5C)\" title=\"at t\">r</a>"),
            "{html}"
        );
        assert!(!html.contains("%EE"), "{html}");
    }

    #[test]
    fn off_unless_enabled_and_errors_are_located() {
        let source = "a \\\\( x \\\\)";
        assert_eq!(
            delimiters(source, false, markdown::OPTIONS).unwrap().text,
            source
        );
        let err = delimiters("ok\n\\\\( \\nosuch{x} \\\\)", true, markdown::OPTIONS).unwrap_err();
        assert!(err.message.contains("nosuch"), "{}", err.message);
        assert_eq!(err.span.start, 6);
        let err = delimiters("\\\\( x\n\nmore", true, markdown::OPTIONS).unwrap_err();
        assert!(err.message.contains("not closed"), "{}", err.message);
        // Inside `$…$` a placeholder would be LaTeX: an error at the mdBook formula, unless
        // `$` is not math in the book (a plain mdBook book's dollars are text).
        let source = "Text $a \\\\(x\\\\) b$ and \\\\(y\\\\).";
        let err = delimiters(source, true, markdown::OPTIONS).unwrap_err();
        assert_eq!(&source[err.span.clone()], "\\\\(x\\\\)");
        // A `[^…]` that names no footnote is text, and its `$…$` math (fuzz seed 16).
        let in_label = "# Notes[^$\\\\(y\\\\)$]\n";
        let err = delimiters(in_label, true, markdown::OPTIONS).unwrap_err();
        assert_eq!(&in_label[err.span.clone()], "\\\\(y\\\\)");
        assert!(err.message.contains("cannot nest"), "{}", err.message);
        let html = render_with_dollars_as_text(source);
        assert!(html.starts_with("<p>Text $a <math"), "{html}");
    }
}
