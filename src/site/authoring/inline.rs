//! Inline Markdown for text written outside paragraphs — captions, callout titles, theorem
//! names: code spans, emphasis, links and `$…$` math, with `@id` references. Raw HTML stays
//! text, so a hostile caption cannot become markup.

use super::{is_label, marker};
use crate::markup::check_url;
use crate::site::markdown::{keep_punctuation_with_math, latex_to_mathml};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Render `text` as one line of inline HTML.
pub fn render(text: &str) -> Result<String, String> {
    let marked = mark_refs(text);
    let options = Options::ENABLE_MATH | Options::ENABLE_STRIKETHROUGH;
    let mut events = Vec::new();
    // Inside a link whose target is refused: its depth, while its events are skipped.
    let mut refused: Option<usize> = None;
    let mut depth = 0usize;
    // Where each formula's MathML stands in `events`.
    let mut formulas = Vec::new();
    for (event, range) in Parser::new_ext(&marked, options).into_offset_iter() {
        if let Some(level) = refused {
            match event {
                Event::Start(Tag::Link { .. }) => depth += 1,
                Event::End(TagEnd::Link) => {
                    depth -= 1;
                    if depth == level {
                        refused = None;
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Event::Text(_) | Event::Code(_) | Event::HardBreak => events.push(event),
            Event::SoftBreak => events.push(Event::Text(" ".into())),
            Event::Html(h) | Event::InlineHtml(h) => events.push(Event::Text(h)),
            Event::InlineMath(tex) | Event::DisplayMath(tex) => {
                let mathml = latex_to_mathml(&tex, false)
                    .map_err(|e| format!("in `${tex}$`: {}", e.message))?;
                events.push(Event::InlineHtml(mathml.into()));
                formulas.push(events.len() - 1);
            }
            Event::Start(Tag::Emphasis | Tag::Strong | Tag::Strikethrough) => events.push(event),
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {
                events.push(event)
            }
            Event::Start(Tag::Link { ref dest_url, .. }) => {
                if check_url(dest_url).is_ok() {
                    depth += 1;
                    events.push(event);
                } else {
                    // A link to a refused target (`javascript:`…) is shown as the text it is.
                    events.push(Event::Text(marked[range].to_string().into()));
                    refused = Some(depth);
                    depth += 1;
                }
            }
            Event::End(TagEnd::Link) => {
                depth = depth.saturating_sub(1);
                events.push(event);
            }
            Event::End(TagEnd::Paragraph) => events.push(Event::Text(" ".into())),
            _ => {}
        }
    }
    keep_punctuation_with_math(&mut events, &formulas);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    Ok(html.trim().replace('\n', " "))
}

/// Replace `@fig-x`, `[@fig-x]`, `\eqref{eq-x}` and `\ref{…}` outside code spans and `$…$`
/// math in one line of Markdown by reference placeholders. An `@` after a letter or digit (an
/// e-mail address) or before an unknown prefix is left as it is.
pub fn mark_refs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        if rest.starts_with('`') {
            let ticks = rest.len() - rest.trim_start_matches('`').len();
            let fence = &rest[..ticks];
            let end = rest[ticks..]
                .find(fence)
                .map_or(rest.len(), |e| ticks + e + ticks);
            out.push_str(&rest[..end]);
            i += end;
            continue;
        }
        if rest.starts_with('$') && !rest.starts_with("$$") {
            let end = rest[1..].find('$').map_or(1, |e| e + 2);
            out.push_str(&rest[..end]);
            i += end;
            continue;
        }
        let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'@');
        if before_ok && let Some((consumed, text)) = reference_at(rest) {
            out.push_str(&text);
            i += consumed;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A reference at the start of `text`: the bytes it takes and its placeholder.
fn reference_at(text: &str) -> Option<(usize, String)> {
    for (open, close, paren) in [
        ("[@", "]", false),
        ("@", "", false),
        ("\\eqref{", "}", true),
        ("\\ref{", "}", false),
    ] {
        let Some(after) = text.strip_prefix(open) else {
            continue;
        };
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        let id = after[..len].trim_end_matches(['-', '_']);
        if !is_label(id) {
            continue;
        }
        let used = if close.is_empty() {
            open.len() + id.len()
        } else if after[id.len()..].starts_with(close) {
            open.len() + id.len() + close.len()
        } else {
            continue;
        };
        let placeholder = if paren {
            marker::parenthesised(id)
        } else {
            marker::reference(id)
        };
        return Some((used, placeholder));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_take_inline_markdown_and_math() {
        let html = render("The `loss` of *Adam* on $f(x)$, see [docs](https://e.org).").unwrap();
        assert!(html.contains("<code>loss</code>"), "{html}");
        assert!(html.contains("<em>Adam</em>"), "{html}");
        assert!(html.contains("<math"), "{html}");
        assert!(
            html.contains("<a href=\"https://e.org\">docs</a>"),
            "{html}"
        );
        assert!(!html.contains("<p>"), "{html}");
    }

    #[test]
    fn hostile_captions_stay_text() {
        let html = render("<script>alert(1)</script> <img src=x onerror=y>").unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let link = render("see [x](javascript:alert(1)) now").unwrap();
        assert_eq!(link, "see [x](javascript:alert(1)) now");
        // Not a formula to pulldown-cmark (its braces do not match): shown as the text it is.
        assert_eq!(render("bad $\\frac{a$").unwrap(), "bad $\\frac{a$");
        assert!(render("bad $\\nosuchcommand{a}$").is_err());
    }

    #[test]
    fn references_are_marked_outside_code_and_math() {
        let m = mark_refs(
            "See @fig-a, [@tbl-b] and \\eqref{eq-c}; `@fig-d` $@fig-e$ a@fig-f.org @foo-x @fig-g.",
        );
        assert!(m.contains(&marker::reference("fig-a")), "{m}");
        assert!(m.contains(&marker::reference("tbl-b")), "{m}");
        assert!(m.contains(&marker::parenthesised("eq-c")), "{m}");
        assert!(m.contains("`@fig-d`"), "{m}");
        assert!(m.contains("$@fig-e$"), "{m}");
        assert!(m.contains("a@fig-f.org"), "{m}");
        assert!(m.contains("@foo-x"), "{m}");
        assert!(
            m.contains(&format!("{}.", marker::reference("fig-g"))),
            "{m}"
        );
    }
}
