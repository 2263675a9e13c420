//! The template rule: which `{{ … }}`, `{% … %}` and `{# … #}` of a chapter are template syntax.
//!
//! - In a plain mdBook book (book.toml has no `[gradbook]` table and the chapters are not in
//!   `content/`), none: chapters render exactly as mdBook renders them and never meet Tera.
//! - In a gradbook book, template syntax is live in prose (inline code included, so
//!   `` `{{ x.region }}` `` prints a computed name as code) but literal inside fenced and
//!   indented code blocks, after a backslash (`\{{`) and in mdBook directives (`{{#…}}`).
//!
//! Literal openers are replaced by marks of the same byte length before Tera runs (so every
//! offset into the chapter stays valid) and put back afterwards. A chapter with no live
//! opener left skips Tera entirely.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// Template openers and the two-byte marks (unassigned code points) that stand in for them
/// while they are literal.
const OPENERS: [(&str, &str); 3] = [("{{", "\u{0378}"), ("{%", "\u{0379}"), ("{#", "\u{0380}")];

/// `source` with every literal template opener replaced by its mark; `live` says whether the
/// book's chapters are templates at all.
pub fn protect(source: &str, live: bool) -> String {
    if !live {
        return mark(source, |_| true);
    }
    let blocks = code_ranges(source, false);
    mark(source, |at| {
        source[..at].ends_with('\\')
            || source[at..].starts_with("{{#")
            || blocks.iter().any(|b| b.contains(&at))
    })
}

/// Whether `protected` (from [`protect`]) still holds an opener Tera has to read.
pub fn has_live_syntax(protected: &str) -> bool {
    OPENERS.iter().any(|(opener, _)| protected.contains(opener))
}

/// Put the literal openers back.
pub fn restore(text: &str) -> String {
    if !OPENERS.iter().any(|(_, m)| text.contains(m)) {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (opener, mark) in OPENERS {
        out = out.replace(mark, opener);
    }
    out
}

/// Replace each opener at a byte offset where `literal(offset)` holds.
fn mark(source: &str, literal: impl Fn(usize) -> bool) -> String {
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < source.len() {
        let rest = &source[i..];
        if let Some((opener, mark)) = OPENERS.iter().find(|(o, _)| rest.starts_with(o))
            && literal(i)
        {
            out.push_str(mark);
            i += opener.len();
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The byte ranges of the fenced and indented code blocks of `source` (fences included) and,
/// with `inline`, of its inline code spans (backticks included).
pub fn code_ranges(source: &str, inline: bool) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (event, range) in Parser::new_ext(source, Options::all()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(_)) => start = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                if let Some(s) = start.take() {
                    ranges.push(s..range.end.max(s));
                }
            }
            Event::Code(_) if inline => ranges.push(range),
            _ => {}
        }
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_escapes_and_directives_are_literal_in_a_gradbook_book() {
        let source = "Value {{ x }} and `{{ y }}`.\n\n```rust\nprintln!(\"{{}}\");\n{% raw %}\n```\n\n    indented {{ z }}\n\nEscaped \\{{ w }} and {{#include nothing}}.\n";
        let protected = protect(source, true);
        assert_eq!(protected.len(), source.len());
        assert!(protected.starts_with("Value {{ x }} and `{{ y }}`."));
        for literal in [
            "println!(\"{{}}\")",
            "{% raw %}",
            "indented {{ z }}",
            "\\{{ w }}",
            "{{#include",
        ] {
            assert!(
                !protected.contains(literal),
                "{literal} left live: {protected}"
            );
        }
        assert!(has_live_syntax(&protected));
        assert_eq!(restore(&protected), source);
    }

    #[test]
    fn nothing_is_live_in_a_plain_mdbook_book() {
        let source = "Version: {{ mdbook-version }} {% if %} {# c #}\n";
        let protected = protect(source, false);
        assert!(!has_live_syntax(&protected));
        assert_eq!(restore(&protected), source);
    }
}
