//! Footnotes as mdBook 0.5 renders them: numbered by first reference, each reference a
//! `<sup class="footnote-reference" id="fr-NAME-N">`, and every definition moved to one list at
//! the end of the chapter (`<ol class="footnote-definition">`, `<li id="footnote-NAME">`) with a
//! backlink `↩` (`↩2`, … for later references) to each place that cites it. A definition no
//! text refers to is dropped, as in mdBook.

use crate::markup::escape;
use pulldown_cmark::{CowStr, Event, Tag, TagEnd};
use std::collections::HashMap;

/// Rewrite a chapter's events: references become links with ids, definitions move to the end.
pub fn rearrange(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    if !events
        .iter()
        .any(|e| matches!(e, Event::FootnoteReference(_)))
    {
        return events;
    }
    let mut out = Vec::with_capacity(events.len());
    let mut numbers: HashMap<String, (usize, usize)> = HashMap::new();
    let mut definitions: Vec<(String, Vec<Event<'_>>)> = Vec::new();
    let mut current: Option<(String, Vec<Event<'_>>)> = None;
    let mut last_was_reference = false;
    for event in events {
        if let Some((name, body)) = &mut current {
            if matches!(event, Event::End(TagEnd::FootnoteDefinition)) {
                let name = std::mem::take(name);
                let body = std::mem::take(body);
                current = None;
                if !definitions.iter().any(|(n, _)| *n == name) {
                    definitions.push((name, body));
                }
                continue;
            }
            if let Event::FootnoteReference(ref_name) = &event {
                body.push(reference(&mut numbers, ref_name, false));
                continue;
            }
            body.push(event);
            continue;
        }
        match event {
            Event::Start(Tag::FootnoteDefinition(name)) => {
                current = Some((name.to_string(), Vec::new()));
                last_was_reference = false;
            }
            Event::FootnoteReference(name) => {
                out.push(reference(&mut numbers, &name, last_was_reference));
                last_was_reference = true;
            }
            other => {
                last_was_reference = false;
                out.push(other);
            }
        }
    }
    let mut used: Vec<(usize, String, Vec<Event<'_>>)> = definitions
        .into_iter()
        .filter_map(|(name, body)| numbers.get(&name).map(|(n, _)| (*n, name, body)))
        .collect();
    if used.is_empty() {
        return out;
    }
    used.sort_by_key(|(n, _, _)| *n);
    out.push(Event::Html(
        "<hr>\n<ol class=\"footnote-definition\">".into(),
    ));
    for (_, name, mut body) in used {
        let count = numbers.get(&name).map_or(1, |(_, c)| *c);
        let links: String = (1..=count)
            .map(|usage| {
                let nth = if usage == 1 {
                    String::new()
                } else {
                    usage.to_string()
                };
                format!(" <a href=\"#fr-{}-{usage}\">↩{nth}</a>", escape(&name))
            })
            .collect();
        match body.iter().rposition(|e| matches!(e, Event::End(_))) {
            Some(at) if matches!(body[at], Event::End(TagEnd::Paragraph)) => {
                body.insert(at, Event::Html(links.into()));
            }
            _ => body.push(Event::Html(links.into())),
        }
        out.push(Event::Html(
            format!("<li id=\"footnote-{}\">", escape(&name)).into(),
        ));
        out.extend(body);
        out.push(Event::Html("</li>\n".into()));
    }
    out.push(Event::Html("</ol>\n".into()));
    out
}

/// The HTML of one reference to footnote `name`, numbering it on first use; a reference right
/// after another is separated by a space, as in mdBook.
fn reference<'a>(
    numbers: &mut HashMap<String, (usize, usize)>,
    name: &CowStr<'_>,
    after_reference: bool,
) -> Event<'a> {
    let next = numbers.len() + 1;
    let entry = numbers.entry(name.to_string()).or_insert((next, 0));
    entry.1 += 1;
    let (number, count) = *entry;
    let name = escape(name);
    let space = if after_reference { " " } else { "" };
    Event::Html(
        format!(
            "{space}<sup class=\"footnote-reference\" id=\"fr-{name}-{count}\"><a href=\"#footnote-{name}\">{number}</a></sup>"
        )
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use crate::site::markdown;

    fn html(source: &str) -> String {
        markdown::render(source, &mut |_, _, _| Ok(None))
            .unwrap()
            .html
    }

    #[test]
    fn definitions_move_to_the_end_with_backlinks() {
        let out = html(
            "Text[^b] and[^a] again[^b].\n\n[^a]: First *a*.\n\n[^b]: Second.\n\n[^unused]: Never cited.\n\nAfter.\n",
        );
        assert!(out.contains("<sup class=\"footnote-reference\" id=\"fr-b-1\"><a href=\"#footnote-b\">1</a></sup>"), "{out}");
        assert!(
            out.contains("id=\"fr-a-1\"><a href=\"#footnote-a\">2</a>"),
            "{out}"
        );
        assert!(
            out.contains("id=\"fr-b-2\"><a href=\"#footnote-b\">1</a>"),
            "{out}"
        );
        let list = out
            .find("<ol class=\"footnote-definition\">")
            .expect("a list");
        assert!(list > out.find("<p>After.</p>").expect("text"), "{out}");
        let b = out.find("<li id=\"footnote-b\">").expect("b");
        let a = out.find("<li id=\"footnote-a\">").expect("a");
        assert!(b < a, "numbered by first reference: {out}");
        assert!(
            out.contains("<p>Second. <a href=\"#fr-b-1\">↩</a> <a href=\"#fr-b-2\">↩2</a></p>"),
            "{out}"
        );
        assert!(!out.contains("Never cited"), "{out}");
    }
}
