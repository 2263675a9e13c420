//! `SUMMARY.md` in mdBook's syntax: prefix chapters, numbered chapters (nested), part titles,
//! separators, suffix chapters and draft chapters, with `line:column` errors.

use crate::diag::SpanError;

/// One line of the table of contents, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A chapter (prefix, numbered, suffix or draft).
    Chapter(ChapterEntry),
    /// A `---` separator.
    Separator,
    /// A `# Part title` heading between numbered sections.
    PartTitle(String),
}

/// A chapter as listed in SUMMARY.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterEntry {
    /// The link text.
    pub name: String,
    /// The Markdown file relative to the book's `src`, or `None` for a draft chapter.
    pub path: Option<String>,
    /// Section number (`[2, 1]` prints as `2.1.`); empty for prefix and suffix chapters.
    pub number: Vec<u32>,
    /// Nesting depth (0 for top level).
    pub depth: usize,
    /// Byte range of the link in SUMMARY.md (for errors about the file it names).
    pub span: std::ops::Range<usize>,
}

impl ChapterEntry {
    /// The number as shown (`2.1.`), or an empty string.
    pub fn number_label(&self) -> String {
        self.number.iter().map(|n| format!("{n}.")).collect()
    }
}

/// A parsed SUMMARY.md.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// The `# Title` at the top, if any.
    pub title: Option<String>,
    /// Every entry in reading order.
    pub entries: Vec<Entry>,
    /// What mdBook accepts and leaves out (text after a chapter's link): byte range and message.
    pub warnings: Vec<(std::ops::Range<usize>, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Prefix,
    Numbered,
    Suffix,
}

/// Parse the text of a SUMMARY.md.
pub fn parse(source: &str) -> Result<Summary, SpanError> {
    let mut summary = Summary::default();
    let mut phase = Phase::Prefix;
    // Indentation of each open list level, and the counter at each level.
    let mut indents: Vec<usize> = Vec::new();
    let mut counters: Vec<u32> = Vec::new();
    let mut in_comment = false;
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        let trimmed = text.trim_start();
        let indent = text.len() - trimmed.len();
        let at = |col: usize| start + col;
        if in_comment {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.starts_with("<!--") {
            in_comment = !trimmed.contains("-->");
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix('#') {
            let title = heading.trim_start_matches('#').trim().to_string();
            if title.is_empty() {
                return Err(SpanError::new(at(indent)..at(text.len()), "empty heading"));
            }
            if summary.title.is_none() && summary.entries.is_empty() {
                summary.title = Some(title);
            } else if phase == Phase::Suffix {
                return Err(SpanError::new(
                    at(indent)..at(text.len()),
                    "a part title cannot follow the suffix chapters",
                ));
            } else {
                summary.entries.push(Entry::PartTitle(title));
                if phase == Phase::Prefix {
                    phase = Phase::Numbered;
                }
            }
            continue;
        }
        if is_separator(trimmed) {
            summary.entries.push(Entry::Separator);
            continue;
        }
        let list_item = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "));
        let (content, content_col) = match list_item {
            Some(rest) => (rest.trim_start(), text.len() - rest.trim_start().len()),
            None => (trimmed, indent),
        };
        let (name, path, link_len) = parse_link(content).map_err(|(col, msg)| {
            SpanError::new(at(content_col + col)..at(content_col + col + 1), msg)
        })?;
        let rest = content[link_len..].trim();
        if !rest.is_empty() {
            let col = content_col
                + link_len
                + (content[link_len..].len() - content[link_len..].trim_start().len());
            let span = at(col)..at(text.len());
            // mdBook reads a list item's first link and skips the rest; a line of its own
            // gives a chapter per link, which gradbook does not follow.
            if list_item.is_none() && rest.contains("](") {
                return Err(SpanError::new(
                    span,
                    format!("unexpected text `{rest}` after the link: expected one link per line"),
                ));
            }
            summary.warnings.push((
                span,
                format!(
                    "text `{rest}` after the link is not shown: the table of contents shows the link alone, as in mdBook"
                ),
            ));
        }
        let span = at(content_col)..at(content_col + link_len);
        if list_item.is_some() {
            if phase == Phase::Suffix {
                return Err(SpanError::new(
                    at(indent)..at(indent + 1),
                    "numbered chapters cannot follow suffix chapters",
                ));
            }
            phase = Phase::Numbered;
            while indents.last().is_some_and(|&i| indent < i) {
                indents.pop();
                counters.pop();
            }
            match indents.last() {
                Some(&i) if indent == i => {}
                Some(_) => {
                    if !has_chapter_at_depth(&summary, indents.len() - 1) {
                        return Err(SpanError::new(
                            at(indent)..at(indent + 1),
                            "nested item without a parent chapter",
                        ));
                    }
                    indents.push(indent);
                    counters.push(0);
                }
                None => {
                    indents.push(indent);
                    counters.push(0);
                }
            }
            if let Some(last) = counters.last_mut() {
                *last += 1;
            }
            summary.entries.push(Entry::Chapter(ChapterEntry {
                name,
                path,
                number: counters.clone(),
                depth: indents.len() - 1,
                span,
            }));
        } else {
            if indent > 0 {
                return Err(SpanError::new(
                    at(indent)..at(indent + 1),
                    "prefix and suffix chapters cannot be nested: expected `- [Title](file.md)` for a numbered chapter",
                ));
            }
            if path.is_none() {
                return Err(SpanError::new(
                    span,
                    "prefix and suffix chapters cannot be drafts: give a file",
                ));
            }
            if phase == Phase::Numbered {
                phase = Phase::Suffix;
            }
            summary.entries.push(Entry::Chapter(ChapterEntry {
                name,
                path,
                number: Vec::new(),
                depth: 0,
                span,
            }));
        }
    }
    Ok(summary)
}

fn has_chapter_at_depth(summary: &Summary, depth: usize) -> bool {
    matches!(summary.entries.last(), Some(Entry::Chapter(c)) if c.depth == depth && !c.number.is_empty())
}

fn is_separator(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3 && compact.chars().all(|c| c == '-')
}

/// A chapter title's text as mdBook reads it from the link: the Markdown's text and code
/// spans, its markup dropped (`` [`dead_code`](…) `` is `dead_code`, `[*A* &amp; B](…)` is
/// `A & B`), as the sidebar, the page's title and the search show it.
fn plain_title(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let link = format!("[{markdown}](x)");
    let mut title = String::new();
    let mut inside = false;
    for event in Parser::new(&link) {
        match event {
            // A link inside the title is read first (links do not nest): keep it as written.
            Event::Start(Tag::Link { dest_url, .. }) if !inside => {
                if &*dest_url != "x" {
                    break;
                }
                inside = true;
            }
            Event::End(TagEnd::Link) if inside => return title.trim().to_string(),
            Event::Text(t) | Event::Code(t) if inside => title.push_str(&t),
            Event::SoftBreak | Event::HardBreak if inside => title.push(' '),
            _ => {}
        }
    }
    // Not read as one link (brackets that do not pair as Markdown's do, a link inside): as
    // written.
    markdown.to_string()
}

/// Parse `[name](path)` at the start of `text`: (name, path or None, bytes consumed).
/// Errors give the byte column in `text` and a message.
fn parse_link(text: &str) -> Result<(String, Option<String>, usize), (usize, String)> {
    if !text.starts_with('[') {
        return Err((
            0,
            format!("expected a link like `[Title](file.md)`, found `{text}`"),
        ));
    }
    let mut depth = 0;
    let mut close = None;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or((
        text.len().saturating_sub(1),
        "unclosed `[`: expected `]` after the chapter title".to_string(),
    ))?;
    let name = text[1..close].trim();
    if name.is_empty() {
        return Err((0, "empty chapter title".into()));
    }
    let name = plain_title(name);
    let after = &text[close + 1..];
    if !after.starts_with('(') {
        return Err((close + 1, "expected `(file.md)` right after `]`".into()));
    }
    let end = after.find(')').ok_or((
        text.len().saturating_sub(1),
        "unclosed `(`: expected `)` after the file name".to_string(),
    ))?;
    let target = after[1..end].trim();
    let path = if target.is_empty() {
        None
    } else {
        if let Some(scheme) = crate::markup::url_scheme(target) {
            return Err((
                close + 2,
                format!(
                    "`{target}` is a `{scheme}:` URL: expected a Markdown file inside the book's src folder, such as `chapter.md`"
                ),
            ));
        }
        if target.chars().any(|c| c.is_control() || c == '\\') {
            return Err((
                close + 2,
                format!(
                    "`{}` contains a backslash or a control character: expected a path with `/` separators",
                    target.escape_debug()
                ),
            ));
        }
        if target.starts_with('/') || target.contains("://") || target.split('/').any(|p| p == "..")
        {
            return Err((
                close + 2,
                format!("`{target}` must be a relative path inside the book's src folder"),
            ));
        }
        if !target.ends_with(".md") {
            return Err((
                close + 2,
                format!("`{target}` is not a Markdown file: expected a path ending in .md"),
            ));
        }
        // As mdBook reads it (a path joined to the src folder): `./` segments and doubled
        // slashes name the same file (the Rustonomicon lists `./vec/vec.md`).
        Some(crate::site::book::joined_path(target))
    };
    Ok((name, path, close + 1 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapters(s: &Summary) -> Vec<(String, String, usize)> {
        s.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Chapter(c) => Some((c.name.clone(), c.number_label(), c.depth)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn full_syntax() {
        let src = "# Summary\n\n[Intro](intro.md)\n\n# Part A\n- [One](one.md)\n  - [One.a](one/a.md)\n  - [One.b]()\n- [Two](two.md)\n---\n# Part B\n- [Three](three.md)\n\n[Credits](credits.md)\n";
        let s = parse(src).unwrap();
        assert_eq!(s.title.as_deref(), Some("Summary"));
        assert_eq!(
            chapters(&s),
            vec![
                ("Intro".into(), "".into(), 0),
                ("One".into(), "1.".into(), 0),
                ("One.a".into(), "1.1.".into(), 1),
                ("One.b".into(), "1.2.".into(), 1),
                ("Two".into(), "2.".into(), 0),
                ("Three".into(), "3.".into(), 0),
                ("Credits".into(), "".into(), 0),
            ]
        );
        assert!(s.entries.contains(&Entry::Separator));
        assert!(s.entries.contains(&Entry::PartTitle("Part B".into())));
    }

    #[test]
    fn dot_segments_and_doubled_slashes_name_the_same_file() {
        let s = parse("[Intro](./intro.md)\n- [Vec](./vec/vec.md)\n  - [Raw](vec/./raw.md)\n  - [Drop](vec//drop.md)\n").unwrap();
        let paths: Vec<&str> = s
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Chapter(c) => c.path.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(
            paths,
            ["intro.md", "vec/vec.md", "vec/raw.md", "vec/drop.md"]
        );
    }

    #[test]
    fn text_after_a_link_is_left_out_with_a_warning() {
        // The async book's SUMMARY.md has `- [Cancellation …](…/cancellation.md) (cancellation
        // safety)`; mdBook reads the link and skips the rest.
        let src = "[Intro](intro.md) (start here)\n- [A](a.md) (cancellation safety)\n  - [B](b.md) [C](c.md)\n";
        let s = parse(src).unwrap();
        assert_eq!(
            chapters(&s),
            [
                ("Intro".into(), "".into(), 0),
                ("A".into(), "1.".into(), 0),
                ("B".into(), "1.1.".into(), 1)
            ]
        );
        let shown: Vec<(&str, &str)> = s
            .warnings
            .iter()
            .map(|(span, m)| (&src[span.clone()], m.as_str()))
            .collect();
        assert_eq!(shown.len(), 3);
        assert_eq!(shown[0].0, "(start here)");
        assert_eq!(shown[1].0, "(cancellation safety)");
        assert_eq!(shown[2].0, "[C](c.md)");
        assert!(shown[1].1.contains("is not shown"), "{}", shown[1].1);
    }

    #[test]
    fn titles_are_their_markdown_text_as_mdbook_reads_them() {
        let s = parse("- [`dead_code`](a.md)\n- [*A* &amp; **B**](b.md)\n- [1. Intro \\[x\\]](c.md)\n- [a [nested] b](d.md)\n- [<span>html</span> t](e.md)\n").unwrap();
        let names: Vec<String> = chapters(&s).into_iter().map(|c| c.0).collect();
        assert_eq!(
            names,
            [
                "dead_code",
                "A & B",
                "1. Intro [x]",
                "a [nested] b",
                "html t"
            ]
        );
        // A link inside the title: the title as written (the pages escape it).
        let s = parse("- [A [x](javascript:alert(1)) b](a.md)\n").unwrap();
        assert_eq!(chapters(&s)[0].0, "A [x](javascript:alert(1)) b");
    }

    #[test]
    fn errors_have_positions() {
        let cases = [
            (
                "- [A](a.md)\n[B](b.md)\n- [C](c.md)\n",
                3,
                "cannot follow suffix",
            ),
            ("- [A(a.md)\n", 1, "unclosed `[`"),
            ("- [A] (a.md)\n", 1, "expected `(file.md)`"),
            ("- [A](a.txt)\n", 1, "not a Markdown file"),
            ("just text\n", 1, "expected a link"),
            ("- [A](a.md)\n\n  [B](b.md)\n", 3, "cannot be nested"),
            ("[A](a.md) [B](b.md)\n", 1, "one link per line"),
            ("[A](../a.md)\n", 1, "relative path"),
            (
                "# S\n\n- [X](javascript:alert%281%29//a.md)\n",
                3,
                "`javascript:` URL",
            ),
            ("- [X](data:text/html,a.md)\n", 1, "`data:` URL"),
            ("- [X](a\\b.md)\n", 1, "backslash"),
        ];
        for (src, line, needle) in cases {
            let err = parse(src).unwrap_err();
            let d = err.in_file(std::path::Path::new("SUMMARY.md"), src);
            assert_eq!(d.line, line, "{src:?}: {}", d);
            assert!(d.message.contains(needle), "{src:?}: {}", d.message);
        }
    }
}
