//! mdBook's link directives, expanded before anything else reads a chapter: `{{#include}}`
//! with line ranges and anchors, `{{#rustdoc_include}}`, `{{#playground}}` (and its old name
//! `{{#playpen}}`), `{{#title}}`, and the `\{{#…}}` escape, with mdBook 0.5's semantics.
//!
//! Unlike mdBook, which logs a failed directive and leaves its text in the page, a directive
//! that cannot be expanded is an error located in the file that holds it. Included files must
//! lie inside the book folder, or inside the git work tree holding the book (mdBook's own guide
//! includes its repository's examples), never in a hidden file or folder, and includes nest at
//! most [`MAX_DEPTH`] deep.

use crate::diag::Diagnostic;
use crate::site::suggest;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// The deepest nesting of included files (mdBook's limit).
pub const MAX_DEPTH: usize = 10;

/// A chapter after its directives were expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// The Markdown with every directive replaced.
    pub text: String,
    /// The page title a `{{#title …}}` asked for.
    pub title: Option<String>,
}

/// Where included files may come from.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The book folder, resolved.
    book: PathBuf,
    /// The folder files may be read from: the book folder, or the git work tree holding it.
    outer: PathBuf,
}

impl Scope {
    /// The scope of the book rooted at `root`: its folder, widened to the git work tree that
    /// holds it (a folder with `.git`) unless that is `/` or the home folder.
    pub fn of_book(root: &Path) -> std::io::Result<Scope> {
        let book = root.canonicalize()?;
        let home = std::env::var_os("HOME").and_then(|h| PathBuf::from(h).canonicalize().ok());
        let outer = book
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .filter(|dir| dir.parent().is_some() && Some(*dir) != home.as_deref())
            .unwrap_or(&book)
            .to_path_buf();
        Ok(Scope { book, outer })
    }

    /// `path` resolved, if it may be included; otherwise why not.
    fn check(&self, path: &Path) -> Result<PathBuf, String> {
        let real = path.canonicalize().map_err(|e| {
            let hint = self
                .meant(path)
                .map(|(near, only_case)| suggest::hint(near.display(), only_case));
            format!(
                "cannot read `{}`: {e}{}",
                path.display(),
                hint.unwrap_or_default()
            )
        })?;
        if real.starts_with(&self.book) {
            return Ok(real);
        }
        let Ok(inside) = real.strip_prefix(&self.outer) else {
            return Err(format!(
                "`{}` is outside the book folder{}: gradbook includes only files of the book",
                path.display(),
                if self.outer == self.book {
                    ""
                } else {
                    " and its git work tree"
                }
            ));
        };
        let hidden = inside.components().any(|c| match c {
            Component::Normal(name) => name.to_string_lossy().starts_with('.'),
            _ => false,
        });
        if hidden {
            return Err(format!(
                "`{}` is a hidden file outside the book folder: gradbook does not include it",
                path.display()
            ));
        }
        Ok(real)
    }

    /// The file in missing `path`'s folder it was most likely meant to name, and whether it
    /// differs only in case; only a folder files may be included from is listed.
    fn meant(&self, path: &Path) -> Option<(PathBuf, bool)> {
        let folder = path.parent()?.canonicalize().ok()?;
        self.check(&folder).ok()?;
        let (name, only_case) = suggest::meant_name(&folder, path.file_name()?.to_str()?)?;
        Some((path.with_file_name(name), only_case))
    }
}

/// Expand every directive of `source`, the chapter file `file` (as named in messages), whose
/// relative paths start at `dir` (the chapter's folder on disk).
pub fn expand(
    source: &str,
    file: &Path,
    dir: &Path,
    scope: &Scope,
) -> Result<Expanded, Diagnostic> {
    let mut title = None;
    let origin = Origin {
        file,
        whole: source,
    };
    let text = replace_all(source, dir, 0, &origin, scope, &mut title)?;
    Ok(Expanded { text, title })
}

/// The file a text came from, to locate errors in it.
struct Origin<'a> {
    file: &'a Path,
    whole: &'a str,
}

impl Origin<'_> {
    /// A diagnostic at the directive `link` (found in `text`, a part of this file).
    fn error(&self, text: &str, link: &Range<usize>, message: &str) -> Diagnostic {
        let needle = &text[link.clone()];
        let start = if std::ptr::eq(text, self.whole) {
            link.start
        } else {
            self.whole.find(needle).unwrap_or(0)
        };
        Diagnostic::at(self.file, self.whole, start..start + needle.len(), message)
    }
}

fn replace_all(
    text: &str,
    dir: &Path,
    depth: usize,
    origin: &Origin<'_>,
    scope: &Scope,
    title: &mut Option<String>,
) -> Result<String, Diagnostic> {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for link in find_links(text) {
        out.push_str(&text[done..link.span.start]);
        done = link.span.end;
        let fail = |message: &str| origin.error(text, &link.span, message);
        let (path, spec, props) = match &link.kind {
            Kind::Escaped => {
                out.push_str(&text[link.span.start + 1..link.span.end]);
                continue;
            }
            Kind::Title(t) => {
                *title = Some((*t).to_string());
                continue;
            }
            Kind::File {
                path, spec, props, ..
            } => (path, spec, props),
        };
        if depth >= MAX_DEPTH {
            return Err(fail(&format!(
                "includes nested more than {MAX_DEPTH} deep: check for a file that includes itself"
            )));
        }
        let target = dir.join(path);
        let real = scope.check(&target).map_err(|why| fail(&why))?;
        let contents = crate::site::book::read_text(&real)
            .map_err(|e| fail(&format!("cannot read `{}`: {e:#}", target.display())))?;
        let Kind::File { directive, .. } = &link.kind else {
            continue;
        };
        let piece = match *directive {
            "include" => select(&contents, spec, false),
            "rustdoc_include" => select(&contents, spec, true),
            _ => playground(&contents, props),
        };
        let included_dir = real.parent().unwrap_or(Path::new("/")).to_path_buf();
        let shown = crate::site::book::display_path(&target);
        let inner = Origin {
            file: &shown,
            whole: &contents,
        };
        out.push_str(&replace_all(
            &piece,
            &included_dir,
            depth + 1,
            &inner,
            scope,
            title,
        )?);
    }
    out.push_str(&text[done..]);
    Ok(out)
}

/// What a directive does.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind<'a> {
    /// `\{{#…}}`: the text without its backslash.
    Escaped,
    /// `{{#title …}}`.
    Title(&'a str),
    /// `{{#include}}`, `{{#rustdoc_include}}`, `{{#playground}}`/`{{#playpen}}`.
    File {
        directive: &'a str,
        path: &'a str,
        spec: &'a str,
        props: Vec<&'a str>,
    },
}

/// One directive and its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Link<'a> {
    span: Range<usize>,
    kind: Kind<'a>,
}

/// The directives of `text` in order, as mdBook's pattern finds them: `\{{#` to the last
/// `}}` of its line, or `{{`, spaces, `#name`, spaces, arguments without `}`, `}}`. A
/// directive of another name is skipped whole.
fn find_links(text: &str) -> Vec<Link<'_>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if text[i..].starts_with("\\{{#") {
            let line_end = text[i..].find('\n').map_or(text.len(), |n| i + n);
            if let Some(close) = text[i + 4..line_end].rfind("}}") {
                let end = i + 4 + close + 2;
                found.push(Link {
                    span: i..end,
                    kind: Kind::Escaped,
                });
                i = end;
                continue;
            }
        }
        if text[i..].starts_with("{{")
            && let Some((end, kind)) = directive(text, i)
        {
            if let Some(kind) = kind {
                found.push(Link { span: i..end, kind });
            }
            i = end;
            continue;
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// The directive starting at `start` (`{{`): its end and, for a known name, what it does.
fn directive(text: &str, start: usize) -> Option<(usize, Option<Kind<'_>>)> {
    let after = &text[start + 2..];
    let hash = after.len() - after.trim_start().len();
    let rest = after[hash..].strip_prefix('#')?;
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let tail = &rest[name_len..];
    let gap = tail.len() - tail.trim_start().len();
    if gap == 0 {
        return None;
    }
    let args_start = &tail[gap..];
    let args_len = args_start.find('}').unwrap_or(args_start.len());
    if args_len == 0 || !args_start[args_len..].starts_with("}}") {
        return None;
    }
    let args = &args_start[..args_len];
    let end = text.len() - args_start.len() + args_len + 2;
    let mut words = args.split_whitespace();
    let kind = match (name, words.next()) {
        ("title", _) => Some(Kind::Title(args)),
        ("include" | "rustdoc_include" | "playground" | "playpen", Some(first)) => {
            let (path, spec) = first.split_once(':').unwrap_or((first, ""));
            Some(Kind::File {
                directive: if name == "playpen" {
                    "playground"
                } else {
                    name
                },
                path,
                spec,
                props: words.collect(),
            })
        }
        _ => None,
    };
    Some((end, kind))
}

/// Which lines an include takes: `start:end` (1-based, inclusive), `start:`, `:end`, `line`,
/// or an anchor name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Selection<'a> {
    /// Lines `start..end` (0-based, end excluded; `None` for open ends).
    Lines(Option<usize>, Option<usize>),
    /// The lines between `ANCHOR: name` and `ANCHOR_END: name`.
    Anchor(&'a str),
}

/// mdBook's reading of the part after the path: a number starts a range, an empty part leaves
/// it open, anything else names an anchor; a single number is that one line.
fn selection(spec: &str) -> Selection<'_> {
    let mut parts = spec.splitn(3, ':');
    let first = parts.next().unwrap_or("");
    let start = match first.parse::<usize>() {
        Ok(n) => Some(n.saturating_sub(1)),
        Err(_) if first.is_empty() => None,
        Err(_) => return Selection::Anchor(first),
    };
    let end = parts.next().map(str::parse::<usize>);
    match (start, end) {
        (Some(s), Some(Ok(e))) => Selection::Lines(Some(s), Some(e)),
        (Some(s), Some(Err(_))) => Selection::Lines(Some(s), None),
        (Some(s), None) => Selection::Lines(Some(s), Some(s + 1)),
        (None, Some(Ok(e))) => Selection::Lines(None, Some(e)),
        (None, _) => Selection::Lines(None, None),
    }
}

/// The included text: the selected lines joined by `\n` (no final newline). With an anchor,
/// anchor lines are dropped and only the first section is taken. With `rustdoc`, every line
/// outside the selection is kept behind `# ` (hidden in Rust blocks), anchor lines are dropped
/// and every section of the anchor is taken — all as mdBook does.
fn select(contents: &str, spec: &str, rustdoc: bool) -> String {
    let lines = contents.lines();
    let mut out: Vec<String> = Vec::new();
    match selection(spec) {
        Selection::Lines(start, end) => {
            let (start, end) = (start.unwrap_or(0), end.unwrap_or(usize::MAX));
            for (i, line) in lines.enumerate() {
                if i >= start && i < end {
                    out.push(line.to_string());
                } else if rustdoc {
                    out.push(format!("# {line}"));
                }
            }
        }
        Selection::Anchor(name) => {
            let mut inside = false;
            for line in lines {
                let opens = anchor_name(line, "ANCHOR:");
                let closes = anchor_name(line, "ANCHOR_END:");
                if inside {
                    if closes == Some(name) {
                        inside = false;
                        if !rustdoc {
                            break;
                        }
                    } else if opens.is_none() && closes.is_none() {
                        out.push(line.to_string());
                    }
                } else if opens == Some(name) {
                    inside = true;
                } else if rustdoc && opens.is_none() && closes.is_none() {
                    out.push(format!("# {line}"));
                }
            }
        }
    }
    out.join("\n")
}

/// The name after `marker` (`ANCHOR:` or `ANCHOR_END:`) and optional spaces on `line`, as
/// mdBook's `ANCHOR:\s*([\w_-]+)` finds it anywhere in the line.
fn anchor_name<'l>(line: &'l str, marker: &str) -> Option<&'l str> {
    let mut from = 0;
    while let Some(at) = line[from..].find(marker) {
        let start = from + at;
        let rest = line[start + marker.len()..].trim_start();
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        if len > 0 {
            return Some(&rest[..len]);
        }
        from = start + marker.len();
    }
    None
}

/// `{{#playground file attrs…}}`: the file as a `rust` code block with the attributes.
fn playground(contents: &str, props: &[&str]) -> String {
    let kind = if props.is_empty() { "rust" } else { "rust," };
    let newline = if contents.ends_with('\n') { "" } else { "\n" };
    format!("```{kind}{}\n{contents}{newline}```\n", props.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = "Lorem\nipsum\ndolor\nsit\namet";

    #[test]
    fn line_ranges_follow_mdbook() {
        assert_eq!(select(LINES, "2:3", false), "ipsum\ndolor");
        assert_eq!(select(LINES, "4:", false), "sit\namet");
        assert_eq!(select(LINES, ":3", false), "Lorem\nipsum\ndolor");
        assert_eq!(select(LINES, "", false), LINES);
        assert_eq!(select(LINES, "3", false), "dolor");
        assert_eq!(select(LINES, "5:4", false), "");
        assert_eq!(select(LINES, ":100", false), LINES);
    }

    #[test]
    fn anchors_follow_mdbook() {
        let s = "Lorem\nipsum\nANCHOR: test\ndolor\nsit\namet\nANCHOR_END: test\nlorem\nipsum";
        assert_eq!(select(s, "test", false), "dolor\nsit\namet");
        assert_eq!(select(s, "something", false), "");
        let s = "Lorem\nANCHOR:    test2\nipsum\nANCHOR: test\ndolor\nsit\namet\nANCHOR_END: test\nlorem\nANCHOR_END:test2\nipsum";
        assert_eq!(select(s, "test2", false), "ipsum\ndolor\nsit\namet\nlorem");
        assert_eq!(select(s, "test", false), "dolor\nsit\namet");
    }

    #[test]
    fn rustdoc_include_hides_the_rest() {
        assert_eq!(
            select(LINES, "2:3", true),
            "# Lorem\nipsum\ndolor\n# sit\n# amet"
        );
        // Every anchor line is dropped, whichever anchor it names.
        let s = "Lorem\nANCHOR: other\nipsum\nANCHOR: test\ndolor\nANCHOR_END: test\nlorem\nANCHOR_END: other";
        assert_eq!(select(s, "test", true), "# Lorem\n# ipsum\ndolor\n# lorem");
    }

    #[test]
    fn directives_are_found_as_mdbooks_pattern_finds_them() {
        // An escape runs to the last `}}` of its line, as mdBook's pattern does.
        let text = "a {{#include x.rs:2:5}} b \\{{#include y.rs}} {{#include z.rs}}\nc {{ #playground p.rs editable }} {{#title My  Title}} {{#other q}} {{ book.title }}";
        let links = find_links(text);
        let kinds: Vec<_> = links.iter().map(|l| &text[l.span.clone()]).collect();
        assert_eq!(
            kinds,
            [
                "{{#include x.rs:2:5}}",
                "\\{{#include y.rs}} {{#include z.rs}}",
                "{{ #playground p.rs editable }}",
                "{{#title My  Title}}",
            ]
        );
        assert_eq!(
            links[0].kind,
            Kind::File {
                directive: "include",
                path: "x.rs",
                spec: "2:5",
                props: vec![]
            }
        );
        assert_eq!(links[3].kind, Kind::Title("My  Title"));
    }

    fn book() -> (tempfile::TempDir, Scope) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("book");
        std::fs::create_dir_all(root.join("src/sub")).unwrap();
        std::fs::write(
            root.join("src/sub/code.rs"),
            "// ANCHOR: main\nfn main() {}\n// ANCHOR_END: main\n",
        )
        .unwrap();
        std::fs::write(
            root.join("src/part.md"),
            "Part {{#include sub/code.rs:main}}\n",
        )
        .unwrap();
        std::fs::write(root.join("src/self.md"), "{{#include self.md}}").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
        let scope = Scope::of_book(&root).unwrap();
        (dir, scope)
    }

    #[test]
    fn includes_nest_from_the_included_files_folder() {
        let (dir, scope) = book();
        let src = dir.path().join("book/src");
        let source = "# T\n{{#title Shown}}\n{{#include part.md}}\n\\{{#include part.md}}\n";
        let e = expand(source, Path::new("src/c.md"), &src, &scope).unwrap();
        assert_eq!(e.text, "# T\n\nPart fn main() {}\n{{#include part.md}}\n");
        assert_eq!(e.title.as_deref(), Some("Shown"));
    }

    #[test]
    fn failures_are_located_in_the_including_file() {
        let (dir, scope) = book();
        let src = dir.path().join("book/src");
        let d = expand(
            "ok\n\nsee {{#include nosuch.rs}}\n",
            Path::new("src/c.md"),
            &src,
            &scope,
        )
        .unwrap_err();
        assert_eq!((d.line, d.column), (3, 5), "{d}");
        assert!(d.message.contains("nosuch.rs"), "{d}");
        assert!(!d.message.contains("did you mean"), "{d}");
        for (typo, hint) in [
            (
                "sub/Code.rs",
                "(file names are case-sensitive): did you mean `",
            ),
            ("sub/cdoe.rs", ": did you mean `"),
        ] {
            let d = expand(
                &format!("{{{{#include {typo}}}}}"),
                Path::new("src/c.md"),
                &src,
                &scope,
            )
            .unwrap_err();
            assert!(
                d.message.contains(hint) && d.message.ends_with("sub/code.rs`?"),
                "{d}"
            );
        }
        let d = expand(
            "{{#include ../../secret.txt}}",
            Path::new("src/c.md"),
            &src,
            &scope,
        )
        .unwrap_err();
        assert!(d.message.contains("outside the book folder"), "{d}");
        let d = expand(
            "x\n{{#include self.md}}",
            Path::new("src/c.md"),
            &src,
            &scope,
        )
        .unwrap_err();
        assert!(d.message.contains("nested more than 10"), "{d}");
        assert!(d.file.ends_with("self.md"), "{d}");
    }
}
