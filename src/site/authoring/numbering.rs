//! Book-wide numbering: every label a chapter defines gets a number per chapter and kind
//! (`Figure 2.3`: chapter 2, third labelled figure), and every reference placeholder becomes a
//! link to its label's page and anchor. Unknown and duplicate labels are located errors.

use super::{kind_word, marker};
use crate::diag::Diagnostic;
use crate::markup::escape;
use crate::site::book::Chapter;
use crate::site::markdown::Rendered;
use crate::site::toc::path_to_root;
use std::collections::BTreeMap;

/// Where a label is defined and the number it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The index of its chapter in book order.
    pub chapter: usize,
    /// The number (`2.3`, or the author's `\tag`, which holds no HTML-special character).
    pub number: String,
}

/// Every label of a book, by id.
pub type Labels = BTreeMap<String, Target>;

/// One placeholder: its letter, its label, and the tag text of a `T`.
struct Placeholder<'a> {
    letter: char,
    id: &'a str,
    tag: &'a str,
}

/// Split `text` into plain runs and placeholders; `Err` names a malformed one.
fn pieces(text: &str) -> Result<Vec<Result<&str, Placeholder<'_>>>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker::OPEN) {
        out.push(Ok(&rest[..at]));
        let after = &rest[at + marker::OPEN.len_utf8()..];
        let end = after
            .find(marker::CLOSE)
            .ok_or("a reference placeholder is not closed (the character U+E020 is reserved)")?;
        let inner = &after[..end];
        let mut parts = inner.splitn(3, '|');
        let letter = parts.next().and_then(|l| l.chars().next()).unwrap_or('?');
        let id = parts.next().unwrap_or("");
        let tag = parts.next().unwrap_or("");
        if !matches!(letter, 'D' | 'T' | 'R' | 'Q') || !super::is_label(id) {
            return Err(
                "a malformed reference placeholder (the characters U+E020 and U+E021 are reserved)"
                    .into(),
            );
        }
        out.push(Err(Placeholder { letter, id, tag }));
        rest = &after[end + marker::CLOSE.len_utf8()..];
    }
    out.push(Ok(rest));
    Ok(out)
}

/// The prefix of numbers in chapter `chapter` (`2.` for chapter `2.`, nothing when the
/// chapter has no number).
fn chapter_prefix(chapter: &Chapter) -> String {
    let n = chapter.number.trim().trim_end_matches('.');
    if n.is_empty() {
        String::new()
    } else {
        format!("{n}.")
    }
}

/// A located error in `chapter` at the `nth` place (from the end when `last`) its source
/// mentions `needle`.
fn error_at(chapter: &Chapter, needles: &[String], last: bool, message: &str) -> Diagnostic {
    let found = needles.iter().find_map(|n| {
        let mut hits = chapter.source.match_indices(n.as_str());
        let hit = if last { hits.last() } else { hits.next() };
        hit.map(|(at, _)| at..at + n.len())
    });
    Diagnostic::at(
        &chapter.file,
        &chapter.source,
        found.unwrap_or(0..0),
        message,
    )
}

/// A located error at the first reserved character that `chapter`'s source holds (a
/// malformed placeholder was pasted, since those gradbook writes are well formed).
fn reserved_at(chapter: &Chapter, message: &str) -> Diagnostic {
    let reserved = [marker::OPEN, marker::CLOSE].map(String::from);
    error_at(chapter, &reserved, false, message)
}

/// Collect every label the chapters define (their HTML in book order) and number them.
pub fn collect(chapters: &[Chapter], html: &[&str]) -> Result<Labels, Diagnostic> {
    let mut labels = Labels::new();
    for (index, (chapter, page)) in chapters.iter().zip(html).enumerate() {
        let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
        let prefix = chapter_prefix(chapter);
        let pieces = pieces(page).map_err(|m| reserved_at(chapter, &m))?;
        for piece in pieces {
            let Err(p) = piece else { continue };
            let number = match p.letter {
                'D' => {
                    let kind = p.id.split('-').next().unwrap_or("");
                    let n = counters.entry(kind).or_default();
                    *n += 1;
                    format!("{prefix}{n}")
                }
                'T' => p.tag.to_string(),
                _ => continue,
            };
            if let Some(first) = labels.get(p.id) {
                let where_ = &chapters[first.chapter].file;
                return Err(error_at(
                    chapter,
                    &[
                        format!("#{}", p.id),
                        format!("\"{}\"", p.id),
                        p.id.to_string(),
                    ],
                    first.chapter == index,
                    &format!(
                        "the label `{}` is defined twice (first in {}): every label must be unique in the book",
                        p.id,
                        where_.display()
                    ),
                ));
            }
            labels.insert(
                p.id.to_string(),
                Target {
                    chapter: index,
                    number,
                },
            );
        }
    }
    Ok(labels)
}

/// What a placeholder becomes: HTML in a page (`html`), or plain text for the search index.
fn replace(
    chapters: &[Chapter],
    index: usize,
    text: &str,
    numbers: &Labels,
    present: &Labels,
    html: bool,
) -> Result<String, Diagnostic> {
    let chapter = &chapters[index];
    let pieces = pieces(text).map_err(|m| reserved_at(chapter, &m))?;
    let mut out = String::with_capacity(text.len());
    for piece in pieces {
        let p = match piece {
            Ok(plain) => {
                out.push_str(plain);
                continue;
            }
            Err(p) => p,
        };
        let unknown = |why: &str| {
            error_at(
                chapter,
                &[format!("@{}", p.id), format!("{{{}}}", p.id)],
                false,
                &format!("`@{}` {why}", p.id),
            )
        };
        let Some(target) = numbers.get(p.id) else {
            let known: Vec<&str> = numbers.keys().map(String::as_str).collect();
            return Err(unknown(&format!(
                "refers to no label in the book (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        let number = target.number.clone();
        let shown = match p.letter {
            'D' | 'T' => {
                out.push_str(&number);
                continue;
            }
            'Q' => format!("({number})"),
            _ => {
                let word = kind_word(p.id).unwrap_or("");
                if p.id.starts_with("eq-") {
                    format!("{word} ({number})")
                } else {
                    format!("{word} {number}")
                }
            }
        };
        let Some(here) = present.get(p.id) else {
            // Point at the reference this edition kept, not at one inside a solution (the
            // blanked source keeps every offset).
            let kept = super::edition::strip_solutions(&chapter.source);
            let span = [format!("@{}", p.id), format!("{{{}}}", p.id)]
                .iter()
                .find_map(|n| kept.find(n.as_str()).map(|at| at..at + n.len()))
                .unwrap_or(0..0);
            return Err(Diagnostic::at(
                &chapter.file,
                &chapter.source,
                span,
                &format!(
                    "`@{}` refers to a label inside a solution, which this edition leaves out",
                    p.id
                ),
            ));
        };
        if !html {
            out.push_str(&shown);
            continue;
        }
        let page = if here.chapter == index {
            String::new()
        } else {
            format!(
                "{}{}",
                path_to_root(&chapter.out_path()),
                chapters[here.chapter].out_path()
            )
        };
        out.push_str(&format!(
            "<a class=\"gb-xref\" href=\"{}#{}\">{shown}</a>",
            escape(&page),
            p.id
        ));
    }
    Ok(out)
}

/// Number the book: collect the labels of `rendered` and replace every placeholder in the
/// pages and their search text. `numbers` are the labels of the complete book when this is an
/// edition that leaves parts out (so every number is the one the full book shows); a
/// reference to a label this edition lacks is an error. Returns the labels found here.
pub fn number_book(
    chapters: &[Chapter],
    rendered: &mut [Rendered],
    numbers: Option<&Labels>,
) -> Result<Labels, Diagnostic> {
    let html: Vec<&str> = rendered.iter().map(|r| r.html.as_str()).collect();
    let present = collect(chapters, &html)?;
    let numbers = numbers.unwrap_or(&present);
    for (index, page) in rendered.iter_mut().enumerate() {
        if !page.html.contains(marker::OPEN) {
            continue;
        }
        page.html = replace(chapters, index, &page.html, numbers, &present, true)?;
        for section in &mut page.sections {
            section.text = replace(chapters, index, &section.text, numbers, &present, false)?;
            section.heading = replace(chapters, index, &section.heading, numbers, &present, false)?;
        }
    }
    Ok(present)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::markdown::Section;
    use std::path::PathBuf;

    fn chapter(number: &str, path: &str, source: &str) -> Chapter {
        Chapter {
            name: path.into(),
            number: number.into(),
            path: path.into(),
            file: PathBuf::from(format!("content/{path}")),
            source: source.into(),
        }
    }

    fn page(html: &str) -> Rendered {
        Rendered {
            html: html.into(),
            sections: vec![Section {
                text: html.into(),
                ..Section::default()
            }],
        }
    }

    #[test]
    fn numbers_per_chapter_and_kind_with_links_across_chapters() {
        let chapters = [chapter("1.", "a.md", ""), chapter("2.", "sub/b.md", "")];
        let d = marker::definition;
        let r = marker::reference;
        let mut pages = [
            page(&format!(
                "{} {} {} {}",
                d("fig-a"),
                d("tbl-a"),
                d("fig-b"),
                r("fig-c")
            )),
            page(&format!(
                "{} {} {} {}{}",
                d("fig-c"),
                marker::tagged("eq-t", "A"),
                d("eq-u"),
                marker::parenthesised("eq-u"),
                r("fig-b")
            )),
        ];
        let labels = number_book(&chapters, &mut pages, None).unwrap();
        assert_eq!(labels["fig-b"].number, "1.2");
        assert_eq!(labels["tbl-a"].number, "1.1");
        assert_eq!(labels["fig-c"].number, "2.1");
        assert_eq!(labels["eq-t"].number, "A");
        assert_eq!(labels["eq-u"].number, "2.1");
        assert_eq!(
            pages[0].html,
            "1.1 1.1 1.2 <a class=\"gb-xref\" href=\"sub/b.html#fig-c\">Figure 2.1</a>"
        );
        assert_eq!(
            pages[1].html,
            "2.1 A 2.1 <a class=\"gb-xref\" href=\"#eq-u\">(2.1)</a><a class=\"gb-xref\" href=\"../a.html#fig-b\">Figure 1.2</a>"
        );
        assert_eq!(pages[1].sections[0].text, "2.1 A 2.1 (2.1)Figure 1.2");
    }

    #[test]
    fn unknown_and_duplicate_labels_are_located() {
        let chapters = [chapter("1.", "a.md", "x\n\nsee @fig-nope.\n")];
        let mut pages = [page(&marker::reference("fig-nope"))];
        let e = number_book(&chapters, &mut pages, None).unwrap_err();
        assert_eq!((e.line, e.column), (3, 5), "{e}");
        assert!(e.message.contains("refers to no label"), "{e}");
        let src = "![a](a.svg){#fig-a}\n\n![b](b.svg){#fig-a}\n";
        let chapters = [chapter("1.", "a.md", src)];
        let d = marker::definition("fig-a");
        let mut pages = [page(&format!("{d}{d}"))];
        let e = number_book(&chapters, &mut pages, None).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("defined twice"), "{e}");
    }

    #[test]
    fn an_edition_keeps_the_full_books_numbers() {
        let chapters = [chapter("1.", "a.md", "@fig-b @fig-a")];
        let full = Labels::from([
            (
                "fig-a".to_string(),
                Target {
                    chapter: 0,
                    number: "1.1".into(),
                },
            ),
            (
                "fig-b".to_string(),
                Target {
                    chapter: 0,
                    number: "1.2".into(),
                },
            ),
        ]);
        let mut pages = [page(&format!(
            "{} {}",
            marker::definition("fig-b"),
            marker::reference("fig-b")
        ))];
        number_book(&chapters, &mut pages, Some(&full)).unwrap();
        assert!(pages[0].html.starts_with("1.2 <a"), "{}", pages[0].html);
        let mut pages = [page(&marker::reference("fig-a"))];
        let e = number_book(&chapters, &mut pages, Some(&full)).unwrap_err();
        assert!(e.message.contains("inside a solution"), "{e}");
    }
}
