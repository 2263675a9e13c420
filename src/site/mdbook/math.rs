//! Math as mdBook authors write it for MathJax: with `mathjax-support = true`, `\\( … \\)`
//! (inline) and `\\[ … \\]` (display) in prose become MathML like gradbook's `$…$`.
//!
//! Each formula is converted before the Markdown pass (errors are located in the chapter) and
//! stands in the Markdown as a placeholder, replaced by its MathML once the Markdown is HTML,
//! so Markdown never rewrites the MathML.

use crate::diag::SpanError;
use crate::site::markdown::{self, Rendered};

/// Opens and closes a placeholder (private-use code points); the formula's index is between.
const OPEN: char = '\u{E001}';
const CLOSE: char = '\u{E002}';

/// A chapter's Markdown with its mdBook-delimited formulas taken out.
#[derive(Debug, Clone, Default)]
pub struct Formulas {
    /// The Markdown, each formula replaced by a placeholder.
    pub text: String,
    /// The MathML and the searchable words of each formula, by placeholder index.
    converted: Vec<(String, String)>,
}

/// Take the `\\( … \\)` and `\\[ … \\]` formulas out of `source` (outside code) when
/// `enabled`; the error's span is in `source`.
pub fn delimiters(source: &str, enabled: bool) -> Result<Formulas, SpanError> {
    let mut formulas = Formulas {
        text: String::with_capacity(source.len()),
        converted: Vec::new(),
    };
    if !enabled || !source.contains("\\\\") {
        formulas.text = source.to_string();
        return Ok(formulas);
    }
    let code = super::literal::code_ranges(source, true);
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
            formulas
                .converted
                .push((mathml, crate::site::search::math_text::plain(&latex)));
            formulas.text.push_str(&format!("{OPEN}{index}{CLOSE}"));
            i = body_start + len + close.len();
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        formulas.text.push(c);
        i += c.len_utf8();
    }
    Ok(formulas)
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
        rendered.html = self.fill(&rendered.html, |(mathml, _)| mathml);
        for section in &mut rendered.sections {
            section.text = self.fill(&section.text, |(_, words)| words);
            section.heading = self.fill(&section.heading, |(_, words)| words);
        }
    }

    fn fill(&self, text: &str, pick: impl Fn(&(String, String)) -> &String) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find(OPEN) {
            out.push_str(&rest[..open]);
            let after = &rest[open + OPEN.len_utf8()..];
            let Some(close) = after.find(CLOSE) else {
                out.push_str(&rest[open..]);
                return out;
            };
            match after[..close]
                .parse::<usize>()
                .ok()
                .and_then(|i| self.converted.get(i))
            {
                Some(formula) => out.push_str(pick(formula)),
                None => out.push_str(&rest[open..open + OPEN.len_utf8() + close + 3]),
            }
            rest = &after[close + CLOSE.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str) -> String {
        let formulas = delimiters(source, true).unwrap();
        let mut rendered = markdown::render(&formulas.text, &mut |_, _, _| Ok(None)).unwrap();
        formulas.finish(&mut rendered);
        rendered.html
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
    fn off_unless_enabled_and_errors_are_located() {
        let source = "a \\\\( x \\\\)";
        assert_eq!(delimiters(source, false).unwrap().text, source);
        let err = delimiters("ok\n\\\\( \\nosuch{x} \\\\)", true).unwrap_err();
        assert!(err.message.contains("nosuch"), "{}", err.message);
        assert_eq!(err.span.start, 6);
        let err = delimiters("\\\\( x\n\nmore", true).unwrap_err();
        assert!(err.message.contains("not closed"), "{}", err.message);
    }
}
