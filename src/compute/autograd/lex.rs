//! Tokens of the `comp_tree.py` dialect, with byte spans for diagnostics.
//!
//! Python's rules where the dialect meets them: `#` comments, implicit line joining inside
//! brackets, indentation only after a line ending in `:` (blocks of `for` and `with`, as
//! `Indent`/`Dedent` tokens), decimal `int`/`float` literals with underscores between
//! digits. Everything else Python would accept but the dialect does not (strings, `//`, `;`,
//! backslash continuation, …) is an error naming the construct.

use crate::diag::SpanError;
use std::ops::Range;

/// A token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword.
    Name(String),
    /// A number literal; `int` when written without `.` or exponent.
    Number { value: f64, int: bool },
    /// Punctuation: `+ - * / ** @ ( ) [ ] , . = : < > <= >= += -= *= /=`.
    Punct(&'static str),
    /// End of a logical line.
    Newline,
    /// The start of an indented block.
    Indent,
    /// The end of an indented block.
    Dedent,
    /// End of input.
    End,
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// What it is.
    pub tok: Tok,
    /// Byte range in the source.
    pub span: Range<usize>,
}

/// Split `src` into tokens.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, SpanError> {
    let bytes = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut open: Vec<(u8, usize)> = Vec::new();
    // Python accepts a UTF-8 byte-order mark at the start of a file; so do we.
    let mut i = if src.starts_with('\u{feff}') { 3 } else { 0 };
    let mut line_start = true;
    // Widths of the open blocks' indentation (Python's indentation stack).
    let mut levels: Vec<usize> = vec![0];
    while i < bytes.len() {
        let c = bytes[i];
        if line_start && open.is_empty() {
            let indent_end = i + bytes[i..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\x0c'))
                .count();
            let rest = bytes.get(indent_end).copied();
            if !matches!(rest, None | Some(b'\n' | b'\r' | b'#')) {
                indentation(&mut out, &mut levels, i..indent_end)?;
            }
            i = indent_end;
            line_start = false;
            continue;
        }
        match c {
            b' ' | b'\t' | b'\x0c' | b'\r' => i += 1,
            b'#' => i += bytes[i..].iter().take_while(|&&b| b != b'\n').count(),
            b'\n' => {
                if open.is_empty() && out.last().is_some_and(|t| t.tok != Tok::Newline) {
                    out.push(Token {
                        tok: Tok::Newline,
                        span: i..i + 1,
                    });
                }
                line_start = true;
                i += 1;
            }
            b'0'..=b'9' => i = number(src, i, &mut out)?,
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number(src, i, &mut out)?
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let len = bytes[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                out.push(Token {
                    tok: Tok::Name(src[i..i + len].to_string()),
                    span: i..i + len,
                });
                i += len;
            }
            _ => i = punct(src, i, &mut out, &mut open)?,
        }
    }
    if let Some(&(b, at)) = open.last() {
        return Err(SpanError::new(
            at..at + 1,
            format!("`{}` is never closed", b as char),
        ));
    }
    if out.last().is_some_and(|t| t.tok != Tok::Newline) {
        out.push(Token {
            tok: Tok::Newline,
            span: src.len()..src.len(),
        });
    }
    if out.last().is_some_and(|t| t.tok == Tok::Newline)
        && out
            .iter()
            .rev()
            .nth(1)
            .is_some_and(|t| t.tok == Tok::Punct(":"))
    {
        return Err(SpanError::new(
            src.len()..src.len(),
            "expected an indented block after the `:`",
        ));
    }
    for _ in 1..levels.len() {
        out.push(Token {
            tok: Tok::Dedent,
            span: src.len()..src.len(),
        });
    }
    out.push(Token {
        tok: Tok::End,
        span: src.len()..src.len(),
    });
    Ok(out)
}

/// Indent/Dedent tokens for a logical line starting with the whitespace `span`: deeper only
/// right after a line ending in `:`, shallower only back to an enclosing block's width.
fn indentation(
    out: &mut Vec<Token>,
    levels: &mut Vec<usize>,
    span: Range<usize>,
) -> Result<(), SpanError> {
    let width = span.len();
    let current = levels.last().copied().unwrap_or(0);
    let opens = out.len() >= 2
        && out.last().is_some_and(|t| t.tok == Tok::Newline)
        && out[out.len() - 2].tok == Tok::Punct(":");
    if opens {
        if width <= current {
            return Err(SpanError::new(
                span,
                "expected an indented block after the `:`",
            ));
        }
        levels.push(width);
        out.push(Token {
            tok: Tok::Indent,
            span,
        });
        return Ok(());
    }
    if width > current {
        return Err(SpanError::new(
            span,
            "unexpected indent: only the body of a `for` or `with` block is indented",
        ));
    }
    while levels.last().is_some_and(|&l| l > width) {
        levels.pop();
        out.push(Token {
            tok: Tok::Dedent,
            span: span.clone(),
        });
    }
    if levels.last() != Some(&width) {
        return Err(SpanError::new(
            span,
            "unindent does not match any outer indentation level",
        ));
    }
    Ok(())
}

/// Punctuation at `i`; returns the position after it.
fn punct(
    src: &str,
    i: usize,
    out: &mut Vec<Token>,
    open: &mut Vec<(u8, usize)>,
) -> Result<usize, SpanError> {
    let bytes = src.as_bytes();
    let two = src.get(i..i + 2).unwrap_or("");
    let err = |len: usize, msg: &str| Err(SpanError::new(i..i + len, msg.to_string()));
    match two {
        "**" => {
            out.push(Token {
                tok: Tok::Punct("**"),
                span: i..i + 2,
            });
            return Ok(i + 2);
        }
        "//" => return err(2, "floor division `//` is not part of the dialect"),
        "==" | "!=" => return err(2, "only the comparisons < > <= >= are part of the dialect"),
        "<=" | ">=" | "+=" | "-=" | "*=" | "/=" => {
            let tok = match two {
                "<=" => "<=",
                ">=" => ">=",
                "+=" => "+=",
                "-=" => "-=",
                "*=" => "*=",
                _ => "/=",
            };
            out.push(Token {
                tok: Tok::Punct(tok),
                span: i..i + 2,
            });
            return Ok(i + 2);
        }
        _ => {}
    }
    let c = bytes[i];
    let tok = match c {
        b'+' => "+",
        b'-' => "-",
        b'*' => "*",
        b'/' => "/",
        b',' => ",",
        b'.' => ".",
        b'=' => "=",
        b':' => ":",
        b'@' => "@",
        b'<' => "<",
        b'>' => ">",
        b'(' | b'[' => {
            open.push((c, i));
            if c == b'(' { "(" } else { "[" }
        }
        b')' | b']' => {
            let want = if c == b')' { b'(' } else { b'[' };
            match open.pop() {
                Some((b, _)) if b == want => {}
                _ => return err(1, &format!("unmatched `{}`", c as char)),
            }
            if c == b')' { ")" } else { "]" }
        }
        b'\'' | b'"' => return err(1, "strings are not part of the dialect"),
        b';' => return err(1, "one statement per line: `;` is not part of the dialect"),
        b'\\' => {
            return err(
                1,
                "backslash line continuation is not supported: wrap the expression in parentheses",
            );
        }
        b'%' | b'&' | b'|' | b'^' | b'~' | b'!' => {
            return err(
                1,
                &format!(
                    "the operator `{}` is not part of the dialect (use + - * / ** @)",
                    c as char
                ),
            );
        }
        b'{' | b'}' => {
            return err(1, &format!("`{}` is not part of the dialect", c as char));
        }
        _ => {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(SpanError::new(
                i..i + ch.len_utf8(),
                format!("unexpected character `{ch}`"),
            ));
        }
    };
    out.push(Token {
        tok: Tok::Punct(tok),
        span: i..i + 1,
    });
    Ok(i + 1)
}

/// A number literal at `start`; returns the position after it.
fn number(src: &str, start: usize, out: &mut Vec<Token>) -> Result<usize, SpanError> {
    let bytes = src.as_bytes();
    let digits = |mut j: usize| {
        while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'_') {
            j += 1;
        }
        j
    };
    let mut j = digits(start);
    let mut int = true;
    if bytes.get(j) == Some(&b'.') {
        int = false;
        j = digits(j + 1);
    }
    if matches!(bytes.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(bytes.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if bytes.get(k).is_some_and(u8::is_ascii_digit) {
            int = false;
            j = digits(k);
        }
    }
    let end = j + bytes[j..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let text = &src[start..end];
    let bad = |msg: &str| Err(SpanError::new(start..end, format!("{msg}: `{text}`")));
    if end > j {
        return if text.starts_with("0x") || text.starts_with("0o") || text.starts_with("0b") {
            bad("only decimal numbers are supported")
        } else {
            bad("invalid number literal")
        };
    }
    if text.contains("__") || text.ends_with('_') || text.contains("_.") || text.contains("._") {
        return bad("invalid underscore in number literal");
    }
    if int
        && text.len() > 1
        && text.starts_with('0')
        && text.bytes().any(|b| b != b'0' && b != b'_')
    {
        return bad("leading zeros in decimal integer literals are not permitted");
    }
    let Ok(value) = text.replace('_', "").parse::<f64>() else {
        return bad("invalid number literal");
    };
    if !value.is_finite() {
        return bad("number too large for float64");
    }
    out.push(Token {
        tok: Tok::Number { value, int },
        span: start..end,
    });
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src)
            .map(|t| t.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn numbers_names_and_punctuation() {
        let toks = kinds("y = 2 ** x1 * .5e1 # c\n");
        assert_eq!(
            toks,
            vec![
                Tok::Name("y".into()),
                Tok::Punct("="),
                Tok::Number {
                    value: 2.0,
                    int: true
                },
                Tok::Punct("**"),
                Tok::Name("x1".into()),
                Tok::Punct("*"),
                Tok::Number {
                    value: 5.0,
                    int: false
                },
                Tok::Newline,
                Tok::End
            ]
        );
    }

    #[test]
    fn blocks_indent_and_dedent() {
        let toks = kinds("for t in range(2):\n    y = t\n\n    # c\n    z = y\nw = 1\n");
        let blocks: Vec<&Tok> = toks
            .iter()
            .filter(|t| matches!(t, Tok::Indent | Tok::Dedent))
            .collect();
        assert_eq!(blocks, [&Tok::Indent, &Tok::Dedent]);
        let nested = kinds("with a:\n  for t in b:\n    y = t\n");
        assert_eq!(nested.iter().filter(|t| **t == Tok::Dedent).count(), 2);
        assert!(
            lex("for t in b:\ny = 1")
                .unwrap_err()
                .message
                .contains("indented block")
        );
        assert!(
            lex("for t in b:\n    y = 1\n  z = 2")
                .unwrap_err()
                .message
                .contains("unindent")
        );
        assert!(
            lex("for t in b:")
                .unwrap_err()
                .message
                .contains("indented block")
        );
    }

    #[test]
    fn newlines_inside_brackets_are_joined() {
        let toks = kinds("y = (a +\n  b)\nz = y");
        assert_eq!(toks.iter().filter(|t| **t == Tok::Newline).count(), 2);
    }

    #[test]
    fn errors_point_at_the_construct() {
        let e = lex("a = 1\nb = a // 2").unwrap_err();
        assert_eq!(e.span, 12..14);
        assert!(lex("  a = 1").unwrap_err().message.contains("indent"));
        assert!(lex("a = (1").unwrap_err().message.contains("never closed"));
        assert!(lex("a = 1_000").is_ok());
        assert!(lex("\u{feff}import torch\n").is_ok());
        assert!(lex("a = 1__0").is_err());
        assert!(lex("a = 0x1f").unwrap_err().message.contains("decimal"));
        assert!(
            lex("a = é")
                .unwrap_err()
                .message
                .contains("unexpected character")
        );
    }
}
