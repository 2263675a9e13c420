//! A light scanner of Tera source: where each `{{ … }}`, `{% … %}` and `{# … #}` tag stands,
//! so that limits can be checked before Tera parses anything and Tera's position-less errors
//! can be mapped back to the chapter's own line and column.

use std::ops::Range;

/// How deep `{% if %}`, `{% for %}`, `{% macro %}`, `{% filter %}` and `{% block %}` may nest.
pub const MAX_BLOCK_DEPTH: usize = 32;
/// How deep `(` and `[` may nest inside one tag.
pub const MAX_BRACKET_DEPTH: usize = 32;
/// How deep calls (`f(a=g(b=…))`: functions, macros, filters with arguments) may nest inside one
/// tag: Tera's parser backtracks on each level, so its time grows about 3× per level (8 deep
/// takes 0.2 s, 12 deep minutes).
pub const MAX_CALL_DEPTH: usize = 6;
/// Most operators (`+`, `~`, `|`, `==`, `and`, `not`, …) in one tag: Tera nests each in the
/// syntax tree, so a long chain is as deep as a nested one.
pub const MAX_OPERATORS: usize = 256;

/// What kind of tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ … }}`
    Expr,
    /// `{% word … %}`, with its first word (`for`, `endif`, `set`, …).
    Stmt(String),
    /// `{# … #}`
    Comment,
}

/// One tag of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Which kind.
    pub kind: TagKind,
    /// The whole tag, delimiters included.
    pub range: Range<usize>,
    /// The text between the delimiters (and the whitespace-control `-`s).
    pub inner: Range<usize>,
}

/// A limit broken in the source, with the byte range of the offending tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanError {
    /// Where.
    pub span: Range<usize>,
    /// What is wrong and what is allowed.
    pub message: String,
}

/// Every tag of `source`, in order; the inside of `{% raw %}` blocks is text. An unclosed tag
/// ends the scan (Tera reports it with its own position).
pub fn tags(source: &str) -> Vec<Tag> {
    let bytes = source.as_bytes();
    let mut tags = Vec::new();
    let mut at = 0;
    let mut in_raw = false;
    while let Some(rel) = source[at..].find('{') {
        let start = at + rel;
        let open = bytes.get(start + 1).copied();
        let close: &[u8] = match open {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            Some(b'#') => b"#}",
            _ => {
                at = start + 1;
                continue;
            }
        };
        let body_start = start + 2;
        let Some(end) = find_close(bytes, body_start, close, open == Some(b'#')) else {
            // A tag that never closes is still checked: Tera fails on it, but only after
            // parsing it, and its parser's time grows with the nesting inside.
            if !in_raw && open != Some(b'#') {
                let inner = body_start..source.len();
                let kind = match open {
                    Some(b'{') => TagKind::Expr,
                    _ => TagKind::Stmt(first_word(&source[inner.clone()]).to_string()),
                };
                tags.push(Tag {
                    kind,
                    range: start..source.len(),
                    inner,
                });
            }
            break;
        };
        let inner = trim_dash(bytes, body_start, end);
        let range = start..end + 2;
        let kind = match open {
            Some(b'{') => TagKind::Expr,
            Some(b'#') => TagKind::Comment,
            _ => TagKind::Stmt(first_word(&source[inner.clone()]).to_string()),
        };
        at = range.end;
        if in_raw {
            if kind == TagKind::Stmt("endraw".into()) {
                in_raw = false;
                tags.push(Tag { kind, range, inner });
            }
            continue;
        }
        if kind == TagKind::Stmt("raw".into()) {
            in_raw = true;
        }
        tags.push(Tag { kind, range, inner });
    }
    tags
}

/// The end of a tag's body (the position of `close`), skipping quoted strings in code tags.
fn find_close(bytes: &[u8], from: usize, close: &[u8], comment: bool) -> Option<usize> {
    let mut i = from;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if !comment && matches!(b, b'"' | b'\'' | b'`') => quote = Some(b),
            None if bytes[i..].starts_with(close) => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

fn trim_dash(bytes: &[u8], start: usize, end: usize) -> Range<usize> {
    let start = if bytes.get(start) == Some(&b'-') {
        start + 1
    } else {
        start
    };
    let end = if end > start && bytes.get(end - 1) == Some(&b'-') {
        end - 1
    } else {
        end
    };
    start..end
}

fn first_word(text: &str) -> &str {
    let text = text.trim_start();
    let len = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..len]
}

/// Refuse sources that nest blocks or brackets deeper, or chain more operators, than the limits
/// (deep nesting overflows the parser's and the renderer's stack).
pub fn check_nesting(source: &str, tags: &[Tag]) -> Result<(), ScanError> {
    let mut depth = 0usize;
    for tag in tags {
        if let TagKind::Stmt(word) = &tag.kind {
            match word.as_str() {
                "if" | "for" | "macro" | "filter" | "block" => {
                    depth += 1;
                    if depth > MAX_BLOCK_DEPTH {
                        return Err(ScanError {
                            span: tag.range.clone(),
                            message: format!(
                                "`{{% {word} %}}` nested {depth} deep: blocks may nest at most {MAX_BLOCK_DEPTH} deep"
                            ),
                        });
                    }
                }
                "endif" | "endfor" | "endmacro" | "endfilter" | "endblock" => {
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
        }
        if tag.kind != TagKind::Comment {
            check_expression(source, tag.inner.clone())?;
        }
    }
    Ok(())
}

fn check_expression(source: &str, inner: Range<usize>) -> Result<(), ScanError> {
    let text = &source[inner.clone()];
    let mut depth = 0usize;
    // For each open bracket, whether it opens a call (a `(` right after a name).
    let mut opened: Vec<bool> = Vec::new();
    let mut calls = 0usize;
    let mut previous = ' ';
    let mut operators = 0usize;
    let mut quote: Option<char> = None;
    let mut word = 0..0;
    for (i, c) in text.char_indices() {
        let after = std::mem::replace(&mut previous, c);
        let in_word = quote.is_none() && (c.is_alphanumeric() || c == '_');
        if !in_word && !word.is_empty() {
            if matches!(&text[word.clone()], "and" | "or" | "not" | "in" | "is") {
                operators += 1;
            }
            word = 0..0;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' => {
                    let call = c == '(' && (after.is_alphanumeric() || after == '_');
                    opened.push(call);
                    calls += usize::from(call);
                    if calls > MAX_CALL_DEPTH {
                        let at = inner.start + i;
                        return Err(ScanError {
                            span: at..at + 1,
                            message: format!(
                                "calls nested {calls} deep: at most {MAX_CALL_DEPTH} levels of calls inside one another in one tag; compute the inner ones with `{{% set %}}` first"
                            ),
                        });
                    }
                    depth += 1;
                    if depth > MAX_BRACKET_DEPTH {
                        let at = inner.start + i;
                        return Err(ScanError {
                            span: at..at + 1,
                            message: format!(
                                "brackets nested {depth} deep: at most {MAX_BRACKET_DEPTH} levels of `(` and `[` in one tag"
                            ),
                        });
                    }
                }
                ')' | ']' => {
                    depth = depth.saturating_sub(1);
                    calls -= usize::from(opened.pop().unwrap_or(false));
                }
                '+' | '-' | '*' | '/' | '%' | '~' | '|' | '<' | '>' | '=' | '!' => operators += 1,
                _ if in_word => {
                    if word.is_empty() {
                        word = i..i;
                    }
                    word.end = i + c.len_utf8();
                }
                _ => {}
            },
        }
        if operators > MAX_OPERATORS {
            let at = inner.start + i;
            return Err(ScanError {
                span: at..at + c.len_utf8(),
                message: format!(
                    "more than {MAX_OPERATORS} operators in one tag: split the expression with `{{% set %}}`"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TagKind> {
        tags(source).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn finds_tags_and_skips_raw_and_strings() {
        let src = "a {{ x ~ \"}}\" }} {%- for i in y -%}{# c %} #}{% raw %}{{ no }}{% endraw %}{% endfor %}";
        assert_eq!(
            kinds(src),
            vec![
                TagKind::Expr,
                TagKind::Stmt("for".into()),
                TagKind::Comment,
                TagKind::Stmt("raw".into()),
                TagKind::Stmt("endraw".into()),
                TagKind::Stmt("endfor".into()),
            ]
        );
        let t = &tags(src)[1];
        assert_eq!(&src[t.inner.clone()], " for i in y ");
        assert_eq!(&src[tags(src)[0].range.clone()], "{{ x ~ \"}}\" }}");
    }

    #[test]
    fn deep_blocks_are_refused_at_the_first_tag_too_deep() {
        let ok = "{% if a %}".repeat(MAX_BLOCK_DEPTH) + &"{% endif %}".repeat(MAX_BLOCK_DEPTH);
        assert!(check_nesting(&ok, &tags(&ok)).is_ok());
        let deep = "{% if a %}".repeat(MAX_BLOCK_DEPTH + 1);
        let err = check_nesting(&deep, &tags(&deep)).unwrap_err();
        assert_eq!(err.span.start, "{% if a %}".len() * MAX_BLOCK_DEPTH);
        assert!(err.message.contains("at most 32"), "{}", err.message);
        // Siblings do not add up.
        let siblings = "{% for i in x %}{% endfor %}".repeat(100);
        assert!(check_nesting(&siblings, &tags(&siblings)).is_ok());
    }

    #[test]
    fn a_tag_that_never_closes_is_checked_too() {
        let deep = format!(
            "# One\n\n{{{{ {}1`{} }}}}\n",
            "f(a=".repeat(12),
            ")".repeat(12)
        );
        let err = check_nesting(&deep, &tags(&deep)).unwrap_err();
        assert!(err.message.contains("calls nested"), "{}", err.message);
    }

    #[test]
    fn deep_calls_are_refused_but_shallow_ones_and_parentheses_are_not() {
        let calls = |n: usize| format!("{{{{ {}1{} }}}}", "f(a=".repeat(n), ")".repeat(n));
        let ok = calls(MAX_CALL_DEPTH);
        assert!(check_nesting(&ok, &tags(&ok)).is_ok());
        let deep = calls(MAX_CALL_DEPTH + 1);
        let err = check_nesting(&deep, &tags(&deep)).unwrap_err();
        assert_eq!(err.span.start, 3 + 4 * MAX_CALL_DEPTH + 1);
        assert!(err.message.contains("calls nested"), "{}", err.message);
        let side_by_side = format!("{{{{ {} }}}}", "f(a=1) ~ ".repeat(20) + "1");
        assert!(check_nesting(&side_by_side, &tags(&side_by_side)).is_ok());
        let parens = format!("{{{{ {}1{} }}}}", "(".repeat(20), ")".repeat(20));
        assert!(check_nesting(&parens, &tags(&parens)).is_ok());
    }

    #[test]
    fn deep_brackets_are_refused_but_brackets_in_strings_are_not() {
        let deep = format!("{{{{ {}1 }}}}", "(".repeat(MAX_BRACKET_DEPTH + 1));
        let err = check_nesting(&deep, &tags(&deep)).unwrap_err();
        assert_eq!(err.span.start, 3 + MAX_BRACKET_DEPTH);
        let quoted = format!("{{{{ \"{}\" }}}}", "(".repeat(100));
        assert!(check_nesting(&quoted, &tags(&quoted)).is_ok());
    }

    #[test]
    fn long_operator_chains_are_refused() {
        let ok = format!("{{{{ 1{} }}}}", " + 1".repeat(MAX_OPERATORS));
        assert!(check_nesting(&ok, &tags(&ok)).is_ok());
        for chain in [" + 1", " and true", " | abs", " ~ s"] {
            let long = format!("{{{{ 1{} }}}}", chain.repeat(MAX_OPERATORS + 1));
            let err = check_nesting(&long, &tags(&long)).unwrap_err();
            assert!(
                err.message.contains("more than 256 operators"),
                "{chain}: {}",
                err.message
            );
        }
        let words = format!("{{{{ {} }}}}", "notable ".repeat(300));
        assert!(
            check_nesting(&words, &tags(&words)).is_ok(),
            "`not` inside a word"
        );
        let strings = format!("{{{{ \"{}\" }}}}", "+".repeat(1000));
        assert!(check_nesting(&strings, &tags(&strings)).is_ok());
    }
}
