//! Escaping for HTML, XML and SVG, and safe id prefixes: every page and figure writes
//! user-written text (names, labels, captions, expressions) through these two functions.

/// Escape text for HTML or XML content and attribute values (`& < > " '`); control
/// characters, which XML 1.0 forbids, become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Keep `[A-Za-z0-9_-]` of an id prefix, turning anything else into `-`.
pub fn sanitize_id(prefix: &str) -> String {
    prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("<a href='x'>&\"</a>\u{1}"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;\u{FFFD}"
        );
        assert_eq!(escape("tab\tok"), "tab\tok");
    }

    #[test]
    fn ids_keep_only_safe_characters() {
        assert_eq!(sanitize_id("q2-bump.html/f1 <x>"), "q2-bump-html-f1--x-");
    }
}
