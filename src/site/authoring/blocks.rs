//! The authoring syntax of a chapter's Markdown (after Tera), turned into HTML blocks around
//! Markdown: fenced divs (`::: {.callout-note}`, `::: {#thm-x}`, `::: {.proof}`,
//! `::: {.question}`, `::: {.solution}`, `::: {#fig-x}`, `::: {#tbl-x}`), GitHub alerts
//! (`> [!NOTE]`), labelled display equations (`$$…$$ {#eq-x}`, `\label`, `\tag`), labelled
//! images (`![caption](src){#fig-x}`), table captions (`: caption {#tbl-x}`) and `@id`
//! references. Numbers are placeholders until the whole book is numbered.

use super::inline::{mark_refs, render as inline};
use super::{Attributes, is_label, kind_word, marker};
use crate::diag::SpanError;
use crate::markup::escape;

/// The callout kinds (Quarto's five; GitHub's CAUTION maps to its own).
const CALLOUTS: &[(&str, &str)] = &[
    ("note", "Note"),
    ("tip", "Tip"),
    ("warning", "Warning"),
    ("important", "Important"),
    ("caution", "Caution"),
];

/// An open fenced div: how to close it, where it opened (output line, source offset).
struct Open {
    kind: Kind,
    out_line: usize,
    offset: usize,
}

enum Kind {
    /// Closed by this HTML.
    Plain(&'static str),
    /// A numbered figure or table whose caption is `caption=` or the last paragraph.
    Float { id: String, caption: Option<String> },
}

/// Expand the authoring syntax of `source`; errors carry a byte range in `source`.
pub fn expand(source: &str) -> Result<String, SpanError> {
    let lines: Vec<(usize, &str)> = source
        .split_inclusive('\n')
        .scan(0, |at, line| {
            let start = *at;
            *at += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let (offset, line) = lines[i];
        let span = |msg: String| SpanError::new(offset..offset + line.len().max(1), msg);
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some((c, n)) = fence {
            let run = trimmed.len() - trimmed.trim_start_matches(c).len();
            if run >= n && trimmed.trim_start_matches(c).trim().is_empty() {
                fence = None;
            }
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if indent <= 3 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            let c = trimmed.chars().next().unwrap_or('`');
            fence = Some((c, trimmed.len() - trimmed.trim_start_matches(c).len()));
            out.push(line.to_string());
            i += 1;
            continue;
        }
        if indent == 0 && trimmed.starts_with(":::") {
            let rest = trimmed.trim_start_matches(':').trim();
            if rest.is_empty() {
                let open = stack
                    .pop()
                    .ok_or_else(|| span("this `:::` closes no block".into()))?;
                close(&mut out, open).map_err(span)?;
            } else {
                let attrs = div_attributes(rest).map_err(span)?;
                let kind = open_div(&mut out, &attrs).map_err(span)?;
                stack.push(Open {
                    kind,
                    out_line: out.len(),
                    offset,
                });
            }
            i += 1;
            continue;
        }
        if indent <= 3
            && let Some(kind) = alert_kind(trimmed)
        {
            let title = trimmed[trimmed.find(']').map_or(0, |e| e + 1)..].trim();
            let mut body = String::new();
            let first = offset;
            i += 1;
            while i < lines.len() && lines[i].1.trim_start().starts_with('>') {
                let inner = lines[i].1.trim_start()[1..].strip_prefix(' ');
                body.push_str(inner.unwrap_or(&lines[i].1.trim_start()[1..]));
                body.push('\n');
                i += 1;
            }
            let inner = expand(&body).map_err(|e| SpanError::new(first..first + 1, e.message))?;
            let attrs = Attributes {
                classes: vec![format!("callout-{kind}")],
                pairs: if title.is_empty() {
                    Vec::new()
                } else {
                    vec![("title".into(), title.to_string())]
                },
                id: None,
            };
            let kind =
                open_div(&mut out, &attrs).map_err(|m| SpanError::new(first..first + 1, m))?;
            out.push(inner);
            close(
                &mut out,
                Open {
                    kind,
                    out_line: 0,
                    offset: first,
                },
            )
            .map_err(|m| SpanError::new(first..first + 1, m))?;
            continue;
        }
        if indent <= 3 && trimmed.starts_with("$$") {
            let end = if trimmed[2..].contains("$$") {
                Some(i)
            } else {
                (i + 1..lines.len()).find(|&j| lines[j].1.contains("$$"))
            };
            if let Some(end) = end {
                let block: Vec<&str> = lines[i..=end].iter().map(|(_, l)| *l).collect();
                equation(&mut out, &block.join("\n"))
                    .map_err(|m| SpanError::new(offset..lines[end].0 + lines[end].1.len(), m))?;
                i = end + 1;
                continue;
            }
        }
        if indent <= 3
            && trimmed.starts_with("![")
            && trimmed.ends_with('}')
            && let Some(at) = trimmed.rfind("){#")
        {
            let attrs = Attributes::parse(&trimmed[at + 2..trimmed.len() - 1]).map_err(span)?;
            if let Some(id) = attrs.id.as_deref().filter(|id| id.starts_with("fig-")) {
                image_figure(&mut out, &trimmed[..at + 1], id).map_err(span)?;
                i += 1;
                continue;
            }
        }
        if indent <= 3
            && trimmed.starts_with(": ")
            && trimmed.ends_with('}')
            && let Some(at) = trimmed.rfind("{#")
        {
            let attrs = Attributes::parse(&trimmed[at + 1..trimmed.len() - 1]).map_err(span)?;
            if let Some(id) = attrs.id.as_deref().filter(|id| id.starts_with("tbl-")) {
                table_caption(&mut out, trimmed[2..at].trim(), id).map_err(span)?;
                i += 1;
                continue;
            }
        }
        if trimmed.starts_with('<') {
            out.push(line.to_string());
        } else {
            out.push(mark_refs(line));
        }
        i += 1;
    }
    if let Some(open) = stack.pop() {
        return Err(SpanError::new(
            open.offset..open.offset + 3,
            "this `:::` block is never closed (expected a line `:::`)",
        ));
    }
    let mut text = out.join("\n");
    if source.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// Whether a source line ends in authoring attributes `{#…}` that Tera must not read as a
/// comment: a `:::` line, a display equation's closing `$$`, a labelled image or a table
/// caption.
pub fn has_attributes(line: &str) -> bool {
    let t = line.trim();
    t.starts_with(":::")
        || (t.ends_with('}')
            && (t.contains("$$ {#")
                || t.contains("$${#")
                || t.contains("){#")
                || t.starts_with(": ")))
}

/// The kind of a GitHub alert line `> [!NOTE]`, lowercase.
fn alert_kind(line: &str) -> Option<&'static str> {
    let rest = line.strip_prefix('>')?.trim_start().strip_prefix("[!")?;
    let end = rest.find(']')?;
    let word = rest[..end].to_ascii_lowercase();
    CALLOUTS.iter().find(|(k, _)| *k == word).map(|(k, _)| *k)
}

/// The attributes of a fenced div's opening line: `{…}` or one bare class name.
fn div_attributes(rest: &str) -> Result<Attributes, String> {
    match rest.strip_prefix('{') {
        Some(inner) => {
            let inner = inner
                .strip_suffix('}')
                .ok_or("expected `}` at the end of the `:::` line")?;
            Attributes::parse(inner)
        }
        None => Attributes::parse(&format!(".{rest}")),
    }
}

/// The value of `collapse=`: `None` when absent.
fn collapse(attrs: &Attributes) -> Result<Option<bool>, String> {
    match attrs.get("collapse") {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(format!(
            "collapse=\"{other}\": expected \"true\" or \"false\""
        )),
    }
}

/// ` id="…"` for an id, or nothing.
fn id_attr(id: Option<&str>) -> String {
    id.map_or(String::new(), |id| format!(" id=\"{}\"", escape(id)))
}

/// Write the opening HTML of a fenced div; returns how to close it.
fn open_div(out: &mut Vec<String>, attrs: &Attributes) -> Result<Kind, String> {
    let title = attrs.get("title").map(inline).transpose()?;
    let id = attrs.id.as_deref();
    out.push(String::new());
    if let Some((kind, word)) = CALLOUTS
        .iter()
        .find(|(k, _)| attrs.has_class(&format!("callout-{k}")))
    {
        let title = title.unwrap_or_else(|| word.to_string());
        let class = format!("gb-callout gb-callout-{kind}");
        let kind = match collapse(attrs)? {
            Some(collapsed) => {
                let open = if collapsed { "" } else { " open" };
                out.push(format!(
                    "<details class=\"{class}\"{}{open}>\n<summary class=\"gb-callout-title\">{title}</summary>",
                    id_attr(id)
                ));
                Kind::Plain("</details>")
            }
            None => {
                out.push(format!(
                    "<div class=\"{class}\"{}>\n<div class=\"gb-callout-title\">{title}</div>",
                    id_attr(id)
                ));
                Kind::Plain("</div>")
            }
        };
        out.push(String::new());
        return Ok(kind);
    }
    if attrs.has_class("solution") {
        let open = if collapse(attrs)? == Some(true) {
            ""
        } else {
            " open"
        };
        let title = title.unwrap_or_else(|| "Solution".to_string());
        out.push(format!(
            "<details class=\"gb-solution\"{}{open}>\n<summary>{title}</summary>",
            id_attr(id)
        ));
        out.push(String::new());
        return Ok(Kind::Plain("</details>"));
    }
    if attrs.has_class("question") {
        out.push(format!("<section class=\"gb-question\"{}>", id_attr(id)));
        if let Some(title) = title {
            out.push(format!(
                "<p class=\"gb-block-title\"><strong>{title}</strong></p>"
            ));
        }
        out.push(String::new());
        return Ok(Kind::Plain("</section>"));
    }
    if attrs.has_class("proof") {
        let name = attrs.get("name").map(inline).transpose()?;
        let name = name.map_or(String::new(), |n| format!(" ({n})"));
        out.push(format!(
            "<div class=\"gb-proof\"{}>\n<p class=\"gb-theorem-title\"><em>Proof{name}.</em></p>",
            id_attr(id)
        ));
        out.push(String::new());
        return Ok(Kind::Plain("<p class=\"gb-qed\">∎</p></div>"));
    }
    if let Some(id) = id.filter(|id| is_label(id)) {
        let prefix = id.split('-').next().unwrap_or("");
        if prefix == "fig" || prefix == "tbl" {
            let caption = attrs.get("caption").map(str::to_string);
            if prefix == "fig" {
                out.push(format!("<figure class=\"gb-float\" id=\"{id}\">"));
            } else {
                out.push(format!("<div class=\"gb-table\" id=\"{id}\">"));
            }
            out.push(String::new());
            return Ok(Kind::Float {
                id: id.to_string(),
                caption,
            });
        }
        if prefix == "eq" {
            return Err(format!(
                "`#{id}`: label an equation after its `$$…$$` (`$$ … $$ {{#{id}}}`)"
            ));
        }
        let word = kind_word(id).unwrap_or("Theorem");
        let name = attrs
            .get("name")
            .or(attrs.get("title"))
            .map(inline)
            .transpose()?;
        let name = name.map_or(String::new(), |n| format!(" ({n})"));
        out.push(format!(
            "<div class=\"gb-theorem gb-{prefix}\" id=\"{id}\">\n<p class=\"gb-theorem-title\"><strong>{word} {}</strong>{name}.</p>",
            marker::definition(id)
        ));
        out.push(String::new());
        return Ok(Kind::Plain("</div>"));
    }
    let classes = attrs.classes.join(" ");
    let class = if classes.is_empty() {
        String::new()
    } else {
        format!(" class=\"{}\"", escape(&classes))
    };
    out.push(format!("<div{}{class}>", id_attr(id)));
    out.push(String::new());
    Ok(Kind::Plain("</div>"))
}

/// Write the closing HTML of a fenced div (for a figure or table, with its caption).
fn close(out: &mut Vec<String>, open: Open) -> Result<(), String> {
    match open.kind {
        Kind::Plain(html) => {
            out.push(String::new());
            out.push(html.to_string());
            out.push(String::new());
        }
        Kind::Float { id, caption } => {
            let caption = match caption {
                Some(c) => Some(c),
                None => last_paragraph(out, open.out_line),
            };
            let caption = caption.as_deref().map(inline).transpose()?;
            let word = kind_word(&id).unwrap_or("Figure");
            let text = match caption {
                Some(c) => format!("{word} {}: {c}", marker::definition(&id)),
                None => format!("{word} {}", marker::definition(&id)),
            };
            out.push(String::new());
            if id.starts_with("fig-") {
                out.push(format!("<figcaption>{text}</figcaption></figure>"));
            } else {
                out.insert(
                    open.out_line,
                    format!("<div class=\"gb-caption\">{text}</div>"),
                );
                out.push("</div>".into());
            }
            out.push(String::new());
        }
    }
    Ok(())
}

/// Remove and return the last Markdown paragraph written since output line `from` (not an
/// HTML block, a fence or a table).
fn last_paragraph(out: &mut Vec<String>, from: usize) -> Option<String> {
    while out.len() > from && out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    let mut start = out.len();
    while start > from && !out[start - 1].trim().is_empty() {
        start -= 1;
    }
    let para = &out[start..];
    let plain = !para.is_empty()
        && para.iter().all(|l| {
            let t = l.trim_start();
            !(t.starts_with('<')
                || t.starts_with('|')
                || t.starts_with("```")
                || t.starts_with("$$"))
        });
    if !plain {
        return None;
    }
    let text = para.join(" ");
    out.truncate(start);
    Some(text)
}

/// A labelled image `![caption](src){#fig-x}` as a numbered figure.
fn image_figure(out: &mut Vec<String>, image: &str, id: &str) -> Result<(), String> {
    if !is_label(id) {
        return Err(format!("`#{id}` is not a figure label (`#fig-name`)"));
    }
    let alt_end = image.rfind("](").unwrap_or(2);
    let caption = inline(&image[2..alt_end])?;
    out.push(String::new());
    out.push(format!("<figure class=\"gb-float\" id=\"{id}\">"));
    out.push(String::new());
    out.push(image.to_string());
    out.push(String::new());
    out.push(format!(
        "<figcaption>Figure {}: {caption}</figcaption></figure>",
        marker::definition(id)
    ));
    out.push(String::new());
    Ok(())
}

/// `: caption {#tbl-x}` after a pipe table: wrap the table just written with its caption.
fn table_caption(out: &mut Vec<String>, caption: &str, id: &str) -> Result<(), String> {
    if !is_label(id) {
        return Err(format!("`#{id}` is not a table label (`#tbl-name`)"));
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    let mut start = out.len();
    while start > 0 && !out[start - 1].trim().is_empty() {
        start -= 1;
    }
    if start == out.len() || !out[start].trim_start().starts_with('|') {
        return Err("a table caption `: … {#tbl-…}` must follow a pipe table".into());
    }
    let caption = inline(caption)?;
    out.insert(start, String::new());
    out.insert(
        start,
        format!(
            "<div class=\"gb-table\" id=\"{id}\">\n<div class=\"gb-caption\">Table {}: {caption}</div>",
            marker::definition(id)
        ),
    );
    out.insert(start, String::new());
    out.push(String::new());
    out.push("</div>".into());
    out.push(String::new());
    Ok(())
}

/// A display equation (`$$…$$` over one or more lines, maybe followed by `{#eq-x}`): with a
/// label or `\tag`, wrapped with its number; else written as it was.
fn equation(out: &mut Vec<String>, block: &str) -> Result<(), String> {
    let open = block.find("$$").unwrap_or(0);
    let close = block.rfind("$$").unwrap_or(block.len());
    if close <= open + 1 {
        out.push(block.to_string());
        return Ok(());
    }
    let mut tex = block[open + 2..close].to_string();
    let after = block[close + 2..].trim();
    let mut id = None;
    if let Some(inner) = after.strip_prefix('{').and_then(|a| a.strip_suffix('}')) {
        id = Attributes::parse(inner)?.id;
    } else if !after.is_empty() {
        out.push(block.to_string());
        return Ok(());
    }
    if let Some(label) = take_command(&mut tex, "label") {
        if id.is_some() {
            return Err("an equation has both `{#…}` and `\\label{…}`: keep one".into());
        }
        id = Some(label);
    }
    let tag = take_command(&mut tex, "tag");
    if let Some(tag) = &tag
        && !tag
            .chars()
            .all(|c| c.is_alphanumeric() || " .-*'′+".contains(c))
    {
        return Err(format!(
            "`\\tag{{{tag}}}`: a tag holds letters, digits, spaces and `.-*'+`"
        ));
    }
    if let Some(id) = &id
        && !(is_label(id) && id.starts_with("eq-"))
    {
        return Err(format!("`{id}` is not an equation label (`eq-name`)"));
    }
    let number = match (&id, &tag) {
        (Some(id), Some(tag)) => marker::tagged(id, tag),
        (None, Some(tag)) => tag.clone(),
        (Some(id), None) => marker::definition(id),
        (None, None) => {
            out.push(block.to_string());
            return Ok(());
        }
    };
    out.push(String::new());
    out.push(format!(
        "<div class=\"gb-equation\"{}>",
        id_attr(id.as_deref())
    ));
    out.push(String::new());
    out.push(format!("$${}$$", tex.trim()));
    out.push(String::new());
    out.push(format!("<div class=\"gb-eqno\">({number})</div></div>"));
    out.push(String::new());
    Ok(())
}

/// Remove `\name{arg}` from `tex` and return `arg`.
fn take_command(tex: &mut String, name: &str) -> Option<String> {
    let pattern = format!("\\{name}{{");
    let at = tex.find(&pattern)?;
    let start = at + pattern.len();
    let end = start + tex[start..].find('}')?;
    let arg = tex[start..end].trim().to_string();
    tex.replace_range(at..end + 1, "");
    Some(arg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        let expanded = expand(markdown).unwrap();
        let mut fences = |_: &str, _: &str, _: usize| Ok(None);
        crate::site::markdown::render(&expanded, &mut fences)
            .unwrap()
            .html
    }

    #[test]
    fn quarto_callouts_render_with_titles_and_collapse() {
        let h = html("::: {.callout-tip title=\"Use *this*\"}\nBody **text**.\n:::\n");
        assert!(
            h.contains("<div class=\"gb-callout gb-callout-tip\">"),
            "{h}"
        );
        assert!(
            h.contains("<div class=\"gb-callout-title\">Use <em>this</em></div>"),
            "{h}"
        );
        assert!(h.contains("<p>Body <strong>text</strong>.</p>"), "{h}");
        let h = html("::: {.callout-warning collapse=\"true\"}\nHidden.\n:::\n");
        assert!(
            h.contains("<details class=\"gb-callout gb-callout-warning\">"),
            "{h}"
        );
        assert!(
            h.contains("<summary class=\"gb-callout-title\">Warning</summary>"),
            "{h}"
        );
        assert!(h.contains("</details>"), "{h}");
    }

    #[test]
    fn github_alerts_are_callouts() {
        let h = html("> [!CAUTION]\n> Mind the `step`.\n>\n> Second.\n\nAfter.\n");
        assert!(
            h.contains("<div class=\"gb-callout gb-callout-caution\">"),
            "{h}"
        );
        assert!(
            h.contains("<div class=\"gb-callout-title\">Caution</div>"),
            "{h}"
        );
        assert!(h.contains("<p>Mind the <code>step</code>.</p>"), "{h}");
        assert!(h.contains("<p>Second.</p>"), "{h}");
        assert!(!h.contains("blockquote"), "{h}");
        assert!(h.contains("<p>After.</p>"), "{h}");
        let h = html("> [!INFO]\n> not an alert\n");
        assert!(h.contains("<blockquote>"), "{h}");
    }

    #[test]
    fn theorems_proofs_and_solutions() {
        let h = html(
            "::: {#thm-a name=\"Slopes $m$\"}\nIt holds.\n:::\n\n::: {.proof}\nBecause.\n:::\n\n::: {.solution collapse=\"true\"}\nAnswer 42.\n:::\n",
        );
        assert!(
            h.contains("<div class=\"gb-theorem gb-thm\" id=\"thm-a\">"),
            "{h}"
        );
        assert!(
            h.contains(&format!(
                "<strong>Theorem {}</strong> (Slopes <math",
                marker::definition("thm-a")
            )),
            "{h}"
        );
        assert!(h.contains("<em>Proof.</em>"), "{h}");
        assert!(
            h.contains("<details class=\"gb-solution\">\n<summary>Solution</summary>"),
            "{h}"
        );
        assert!(h.contains("<p>Answer 42.</p>"), "{h}");
    }

    #[test]
    fn figures_tables_and_equations_get_number_placeholders() {
        let h = html(
            "![A *cat*](cat.svg){#fig-cat}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: Two `cells` {#tbl-two}\n\n$$\nx = 1 \\label{eq-one}\n$$\n\n$$ y = 2 $$ {#eq-two}\n\n$$ z \\tag{A} $$\n\n::: {#fig-div}\n![](d.svg)\n\nThe *caption*.\n:::\n",
        );
        assert!(
            h.contains(&format!(
                "<figcaption>Figure {}: A <em>cat</em></figcaption>",
                marker::definition("fig-cat")
            )),
            "{h}"
        );
        assert!(
            h.contains(&format!(
                "<div class=\"gb-caption\">Table {}: Two <code>cells</code></div>",
                marker::definition("tbl-two")
            )),
            "{h}"
        );
        assert!(h.contains("<table>"), "{h}");
        assert!(
            h.contains("<div class=\"gb-equation\" id=\"eq-one\">"),
            "{h}"
        );
        assert!(
            h.contains(&format!("({})", marker::definition("eq-one"))),
            "{h}"
        );
        assert!(
            h.contains(&format!("({})", marker::definition("eq-two"))),
            "{h}"
        );
        assert!(h.contains("<div class=\"gb-eqno\">(A)</div>"), "{h}");
        assert!(
            h.contains(&format!(
                "<figcaption>Figure {}: The <em>caption</em>.</figcaption>",
                marker::definition("fig-div")
            )),
            "{h}"
        );
        assert!(!h.contains("\\label"), "{h}");
    }

    #[test]
    fn malformed_blocks_are_located_errors() {
        let e = expand("a\n\n::: {.note\nb\n:::\n").unwrap_err();
        assert_eq!(e.span.start, 3);
        let e = expand("a\n::: {.callout-note}\nb\n").unwrap_err();
        assert!(e.message.contains("never closed"), "{}", e.message);
        assert_eq!(e.span.start, 2);
        let e = expand("x\n:::\n").unwrap_err();
        assert!(e.message.contains("closes no block"));
        assert!(expand("::: {.callout-note collapse=maybe}\n:::\n").is_err());
    }

    #[test]
    fn code_fences_are_left_alone() {
        let src = "```\n::: {.callout-note}\n@fig-x\n```\n";
        assert_eq!(expand(src).unwrap(), src);
    }
}
