//! Escaping for HTML, XML, SVG and Markdown, and safe id prefixes: every page and figure
//! writes user-written text (names, labels, captions, expressions, settings strings) through
//! these functions.

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

/// Escape text that is pasted into a chapter's Markdown (the chapter templates' autoescape):
/// HTML's characters as [`escape`] does, and every character Markdown (or the math and
/// heading-attribute syntax on top of it) reads as markup as a numeric character reference,
/// which CommonMark prints as the character and never parses as markup. A leading `-`, `+`,
/// `=` or `N.` that could start a list, rule or heading at the start of a line is escaped too.
/// Private-use characters (gradbook's stand-ins for markup while a chapter renders) become
/// references too. Digits, letters, `.`, `,`, `-` and spaces are kept, so numbers read the same.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let leading_digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let line_start_marker = i == 0
            && matches!(c, '-' | '+' | '=')
            && !next.is_some_and(|n| n.is_ascii_digit() || n == '.');
        let ordered_marker =
            i == leading_digits && i > 0 && c == '.' && !next.is_some_and(|n| n.is_ascii_digit());
        match c {
            '&' | '<' | '>' | '"' | '\'' => out.push_str(&escape(c.encode_utf8(&mut [0; 4]))),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '#' | '|' | '~' | '$'
            | '!' | '\n' | '\r' => out.push_str(&format!("&#{};", c as u32)),
            // Private-use characters stand in for markup while a chapter renders.
            '\u{E000}'..='\u{F8FF}' => out.push_str(&format!("&#{};", c as u32)),
            _ if line_start_marker || ordered_marker => out.push_str(&format!("&#{};", c as u32)),
            c if (c as u32) < 0x20 && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Check that a link target is safe to put in an `href`: a relative link, or one of the
/// schemes `http`, `https` and `mailto` (in any case). Control characters and surrounding
/// spaces, which browsers drop before reading the scheme, are refused too. The error says why.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.chars().any(char::is_control) || url.trim() != url {
        return Err(format!(
            "`{}` contains spaces around it or control characters: expected a plain URL",
            url.escape_debug()
        ));
    }
    match url_scheme(url) {
        Some(scheme)
            if !["http", "https", "mailto"].contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            Err(format!(
                "`{url}` uses the scheme `{scheme}:`: expected an http, https or mailto link, or a relative one"
            ))
        }
        _ => Ok(()),
    }
}

/// The scheme of a URL (`javascript` of `javascript:x`), or `None` for a relative link.
pub fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    is_scheme.then_some(scheme)
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
    fn markdown_escape_leaves_no_markup() {
        assert_eq!(
            escape_markdown("[x](javascript:alert(1))"),
            "&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;"
        );
        assert_eq!(
            escape_markdown("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert&#40;1&#41;&gt;"
        );
        assert_eq!(
            escape_markdown("*a* _b_ `c` $d$"),
            "&#42;a&#42; &#95;b&#95; &#96;c&#96; &#36;d&#36;"
        );
        assert_eq!(escape_markdown("a\n# h"), "a&#10;&#35; h");
        assert_eq!(escape_markdown("- item"), "&#45; item");
        assert_eq!(escape_markdown("12. item"), "12&#46; item");
        assert_eq!(escape_markdown("a\u{E000}b"), "a&#57344;b");
        // Numbers and ordinary prose are unchanged.
        for kept in ["-1.5", "2.5e-7", "0.35", "h1 → h3, slope −1/2", "x-y"] {
            assert_eq!(escape_markdown(kept), kept);
        }
    }

    #[test]
    fn markdown_escape_survives_markdown() {
        let hostile = "[x](javascript:alert(1)) <script>alert(1)</script> *e* `c`";
        let html =
            crate::site::markdown::render(&escape_markdown(hostile), &mut |_, _, _| Ok(None))
                .map(|r| r.html)
                .unwrap_or_default();
        assert!(
            !html.contains("<a") && !html.contains("<script") && !html.contains("<em"),
            "{html}"
        );
        assert!(html.contains("javascript"), "{html}");
    }

    #[test]
    fn urls_allow_only_web_and_mail_schemes() {
        for ok in [
            "https://x.org/a",
            "HTTP://x",
            "mailto:a@b",
            "a/b.html",
            "../x#y",
            "/abs",
            "a/b:c",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript:x",
            "vbscript:x",
            "data:text/html,x",
            "java\tscript:x",
            " javascript:x",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(
            check_url("javascript:alert(1)")
                .unwrap_err()
                .contains("`javascript:`")
        );
    }

    #[test]
    fn ids_keep_only_safe_characters() {
        assert_eq!(sanitize_id("q2-bump.html/f1 <x>"), "q2-bump-html-f1--x-");
    }
}
