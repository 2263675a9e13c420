//! mdBook's hidden lines in code blocks: Rust's `# ` lines (with `##` for a literal `#`), a
//! `hidelines=PREFIX` class or an `[output.html.code.hidelines]` prefix for other languages,
//! and the hidden `fn main() { … }` wrapper mdBook puts around a runnable Rust example.

use std::collections::BTreeMap;

/// One line of a code block as shown, and whether mdBook hides it by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line's text (with its `\n`, except where mdBook drops the last one).
    pub text: String,
    /// Hidden until the reader asks to see hidden lines.
    pub hidden: bool,
}

/// The lines of `code` (a fenced block whose language is `language` and whose other info words
/// are `classes`), hidden where mdBook hides them; `hidelines` maps a language to its prefix.
pub fn split(
    language: &str,
    classes: &[&str],
    code: &str,
    hidelines: &BTreeMap<String, String>,
) -> Vec<Line> {
    if language == "rust" {
        return rust(code);
    }
    let prefix = classes
        .iter()
        .find_map(|c| c.strip_prefix("hidelines="))
        .or_else(|| hidelines.get(language).map(String::as_str));
    match prefix {
        Some(prefix) => with_prefix(code, prefix),
        None => vec![Line {
            text: code.to_string(),
            hidden: false,
        }],
    }
}

/// What mdBook's `[output.html.playground]` says about Rust blocks: `runnable = false` makes
/// none an example unless marked `mdbook-runnable`; `editable = true` shows a block marked
/// `editable` as written (mdBook's editor holds the code itself, unwrapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Playground {
    /// `runnable` (mdBook's default: on).
    pub runnable: bool,
    /// `editable` (mdBook's default: off).
    pub editable: bool,
}

impl Default for Playground {
    fn default() -> Self {
        Playground {
            runnable: true,
            editable: false,
        }
    }
}

impl Playground {
    /// Whether mdBook treats a block as a runnable playground example (`<pre
    /// class="playground">`): Rust, and runnable and not `ignore`, `noplayground` or
    /// `noplaypen`, or marked `mdbook-runnable`.
    pub fn is_example(&self, language: &str, classes: &[&str]) -> bool {
        let has = |class: &str| classes.contains(&class);
        language == "rust"
            && ((self.runnable && !has("ignore") && !has("noplayground") && !has("noplaypen"))
                || has("mdbook-runnable"))
    }

    /// Whether mdBook wraps an example without `fn main` in a hidden one: every example but
    /// an `editable` block when the playground is editable.
    pub fn wraps(&self, language: &str, classes: &[&str]) -> bool {
        self.is_example(language, classes) && !(self.editable && classes.contains(&"editable"))
    }
}

/// Rust lines: `#` then a space or the line's end hides the line (the `# ` is dropped); `##`
/// shows a literal `#`; `#!` and `#[` are attributes and stay. The last line loses its `\n`.
fn rust(code: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut lines = code.lines().peekable();
    while let Some(line) = lines.next() {
        let newline = if lines.peek().is_none() { "" } else { "\n" };
        let indent_len = line.len() - line.trim_start().len();
        let (indent, rest) = line.split_at(indent_len);
        let line = match rest.strip_prefix('#') {
            Some(after) if after.starts_with('#') => Line {
                text: format!("{indent}{after}{newline}"),
                hidden: false,
            },
            Some(after) if after.is_empty() || after.starts_with(' ') => Line {
                text: format!(
                    "{indent}{}{newline}",
                    after.strip_prefix(' ').unwrap_or(after)
                ),
                hidden: true,
            },
            _ => Line {
                text: format!("{line}{newline}"),
                hidden: false,
            },
        };
        out.push(line);
    }
    out
}

/// Lines whose first non-blank text is `prefix` are hidden, without the prefix; every line
/// keeps a `\n`.
fn with_prefix(code: &str, prefix: &str) -> Vec<Line> {
    code.lines()
        .map(|line| match line.find(prefix) {
            Some(at) if line.trim_start().starts_with(prefix) => Line {
                text: format!("{}{}\n", &line[..at], &line[at + prefix.len()..]),
                hidden: true,
            },
            _ => Line {
                text: format!("{line}\n"),
                hidden: false,
            },
        })
        .collect()
}

/// A Rust example without `fn main` wrapped as mdBook does: inner attributes first, then the
/// code inside a hidden `fn main() { … }`, with a hidden `#![allow(unused)]`.
pub fn wrap_rust_main(code: &str) -> Option<String> {
    if code.contains("fn main") || code.contains("quick_main!") {
        return None;
    }
    let (attrs, body) = split_inner_attributes(code);
    let newline = if body.is_empty() || body.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(format!(
        "# #![allow(unused)]\n{attrs}# fn main() {{\n{body}{newline}# }}"
    ))
}

/// The leading run of blank lines and `#![…]` lines (unless it is only blank), and the rest.
fn split_inner_attributes(code: &str) -> (&str, &str) {
    let mut end = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.starts_with("#![") || line.trim().is_empty() {
            end += line.len();
        } else {
            break;
        }
    }
    if code[..end].trim().is_empty() {
        ("", code)
    } else {
        code.split_at(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(lines: &[Line]) -> Vec<(&str, bool)> {
        lines.iter().map(|l| (l.text.as_str(), l.hidden)).collect()
    }

    #[test]
    fn rust_hash_space_lines_are_hidden_and_double_hash_is_literal() {
        let lines = split(
            "rust",
            &[],
            "# use std::io;\n#\n##[derive]\n#[test]\n#![allow(x)]\n  # indented\nfn f() {}\n",
            &BTreeMap::new(),
        );
        assert_eq!(
            shown(&lines),
            [
                ("use std::io;\n", true),
                ("\n", true),
                ("#[derive]\n", false),
                ("#[test]\n", false),
                ("#![allow(x)]\n", false),
                ("  indented\n", true),
                ("fn f() {}", false),
            ]
        );
    }

    #[test]
    fn prefixes_come_from_the_block_or_the_book() {
        let book = BTreeMap::from([("python".to_string(), "~".to_string())]);
        let lines = split("python", &[], "~import os\nprint(1)", &book);
        assert_eq!(
            shown(&lines),
            [("import os\n", true), ("print(1)\n", false)]
        );
        let lines = split("python", &["hidelines=!!!"], "  !!!x = 1\n~y\n", &book);
        assert_eq!(shown(&lines), [("  x = 1\n", true), ("~y\n", false)]);
        let lines = split("c", &[], "# include\n", &book);
        assert_eq!(shown(&lines), [("# include\n", false)]);
    }

    #[test]
    fn runnable_rust_is_wrapped_in_a_hidden_main() {
        assert_eq!(
            wrap_rust_main("let x = 1;").as_deref(),
            Some("# #![allow(unused)]\n# fn main() {\nlet x = 1;\n# }")
        );
        assert_eq!(
            wrap_rust_main("\n#![allow(foo)]\n\nlet x = 1;\n").as_deref(),
            Some("# #![allow(unused)]\n\n#![allow(foo)]\n\n# fn main() {\nlet x = 1;\n# }")
        );
        assert_eq!(wrap_rust_main("fn main() {}\n"), None);
        let default = Playground::default();
        assert!(default.is_example("rust", &["should_panic"]));
        assert!(!default.is_example("rust", &["ignore"]));
        assert!(!default.is_example("python", &[]));
        assert!(default.wraps("rust", &["editable"]));
        // `[output.html.playground] runnable = false`: only `mdbook-runnable` blocks.
        let off = Playground {
            runnable: false,
            editable: false,
        };
        assert!(!off.is_example("rust", &[]));
        assert!(off.is_example("rust", &["mdbook-runnable"]));
        assert!(off.is_example("rust", &["ignore", "mdbook-runnable"]));
        // `editable = true` (Rust by Example): an `editable` block is shown as written.
        let editable = Playground {
            runnable: true,
            editable: true,
        };
        assert!(editable.is_example("rust", &["editable"]));
        assert!(!editable.wraps("rust", &["editable"]));
        assert!(editable.wraps("rust", &[]));
    }
}
