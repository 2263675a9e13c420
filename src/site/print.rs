//! The print page: every chapter in one document. Heading and footnote ids are prefixed per
//! chapter so none repeats, and links between chapters become links within the page.

use crate::markup::escape;
use crate::site::book::Chapter;
use crate::site::chapter::figure_prefix;
use crate::site::output::Sink;
use anyhow::Result;
use std::collections::HashMap;

/// The print page's path in the site.
pub const PATH: &str = "print.html";

/// The print-page section of every chapter by its site path (`q2-bump.html` →
/// `chapter-q2-bump`), looked up once per link instead of searching every chapter.
type Sections = HashMap<String, String>;

/// What the print template is given as the page's content while the page is streamed: the
/// chapters' sections take its place. It holds a `<`, so an escaped use of the content does
/// not match it.
pub const PLACEHOLDER: &str = "<gradbook-print-body/>";

/// Bytes of sections gathered before they are appended to the site's `print.html`.
const FLUSH_AT: usize = 64 << 10;

/// The id of a chapter's section on the print page (`chapter-q2-bump`).
pub fn section_id(chapter: &Chapter) -> String {
    format!(
        "chapter-{}",
        chapter
            .out_path()
            .trim_end_matches(".html")
            .replace('/', "-")
    )
}

/// The print page (`print.html`) being written into a site one chapter at a time, in book
/// order, so that no chapter's HTML is kept until the page is complete. The page template is
/// rendered once with [`PLACEHOLDER`] as its content; when the placeholder comes out exactly
/// once, what precedes it is written at once and the sections follow it as they come. A book's
/// own template that uses the content otherwise gets the whole body at the end instead.
pub struct Writer {
    sections: Sections,
    /// What follows the body, when the page is streamed.
    tail: Option<String>,
    /// Sections not yet appended (the whole body when the page is not streamed).
    pending: String,
}

impl Writer {
    /// Start the print page of `chapters`, whose template rendered with [`PLACEHOLDER`] as
    /// content gave `page` (`None`: render it whole at the end).
    pub fn start(chapters: &[Chapter], page: Option<&str>, site: &mut dyn Sink) -> Result<Writer> {
        let mut parts = page.into_iter().flat_map(|p| p.split(PLACEHOLDER));
        let tail = match (parts.next(), parts.next(), parts.next()) {
            (Some(head), Some(tail), None) => {
                site.put(PATH, head.as_bytes())?;
                Some(tail.to_string())
            }
            _ => None,
        };
        Ok(Writer {
            sections: chapters
                .iter()
                .map(|c| (c.out_path(), section_id(c)))
                .collect(),
            tail,
            pending: String::new(),
        })
    }

    /// Add the section of `chapter`, whose page body is `html` (the next chapter in book
    /// order).
    pub fn add(&mut self, chapter: &Chapter, html: &str, site: &mut dyn Sink) -> Result<()> {
        let out = &mut self.pending;
        out.push_str("<section class=\"print-chapter\" id=\"");
        out.push_str(&escape(&section_id(chapter)));
        out.push_str("\">");
        let html = crate::site::authoring::open_all_details(html);
        rewrite(&html, chapter, &self.sections, out);
        out.push_str("</section>\n");
        if self.tail.is_some() && self.pending.len() >= FLUSH_AT {
            site.append(PATH, self.pending.as_bytes())?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Complete the page; `render` draws the whole page from the whole body when the page was
    /// not streamed.
    pub fn finish(
        mut self,
        site: &mut dyn Sink,
        render: impl FnOnce(&str) -> Result<String>,
    ) -> Result<()> {
        match self.tail {
            Some(tail) => {
                self.pending.push_str(&tail);
                site.append(PATH, self.pending.as_bytes())
            }
            None => site.put(PATH, render(&self.pending)?.as_bytes()),
        }
    }
}

/// Prefix `id="…"` and `href="#…"` of one chapter with its section id, leaving figure ids
/// (already unique per chapter) alone, and point links to other chapters at their sections;
/// the result is added to `out`.
fn rewrite(html: &str, chapter: &Chapter, sections: &Sections, out: &mut String) {
    let own = section_id(chapter);
    let keep = figure_prefix(chapter);
    let mut attributes = Attributes::new(html);
    let mut cursor = 0;
    while let Some((attr, value_start)) = attributes.next_from(cursor) {
        out.push_str(&html[cursor..value_start]);
        let tail = &html[value_start..];
        let end = tail.find('"').unwrap_or(tail.len());
        let value = &tail[..end];
        let new_value = match attr {
            Attr::Id if !value.starts_with(&keep) => format!("{own}-{value}"),
            Attr::Href => link_target(value, chapter, sections, &own, &keep),
            Attr::Src if !value.contains(':') && !value.starts_with('/') => {
                resolve(&chapter.out_path(), value)
            }
            _ => value.to_string(),
        };
        out.push_str(&new_value);
        cursor = value_start + end;
    }
    out.push_str(&html[cursor..]);
}

#[derive(Clone, Copy)]
enum Attr {
    Id,
    Href,
    Src,
}

/// The ` id="`, ` href="` and ` src="` of a page in order. Each pattern's next occurrence is
/// remembered until the cursor passes it, so the page is scanned once per pattern (searching
/// every pattern again after each attribute made long pages quadratic).
struct Attributes<'a> {
    html: &'a str,
    /// Per pattern: where its first occurrence at or after the last search starts (`None`
    /// once there is none).
    next: [Option<usize>; 3],
}

/// The attributes rewritten, with what they are.
const PATTERNS: [(&str, Attr); 3] = [
    (" id=\"", Attr::Id),
    (" href=\"", Attr::Href),
    (" src=\"", Attr::Src),
];

impl<'a> Attributes<'a> {
    fn new(html: &'a str) -> Self {
        Attributes {
            html,
            next: PATTERNS.map(|(pattern, _)| html.find(pattern)),
        }
    }

    /// The first attribute that starts at or after `cursor`: which, and where its value
    /// starts.
    fn next_from(&mut self, cursor: usize) -> Option<(Attr, usize)> {
        for (next, (pattern, _)) in self.next.iter_mut().zip(PATTERNS) {
            if next.is_some_and(|at| at < cursor) {
                *next = self.html[cursor..].find(pattern).map(|j| cursor + j);
            }
        }
        self.next
            .iter()
            .zip(PATTERNS)
            .filter_map(|(next, (pattern, attr))| next.map(|at| (at, attr, at + pattern.len())))
            .min_by_key(|(at, _, _)| *at)
            .map(|(_, attr, value)| (attr, value))
    }
}

fn link_target(
    value: &str,
    chapter: &Chapter,
    sections: &Sections,
    own: &str,
    keep: &str,
) -> String {
    // `[text]()`: the chapter's own page, so its own section.
    if value.is_empty() {
        return format!("#{own}");
    }
    if let Some(anchor) = value.strip_prefix('#') {
        return if anchor.starts_with(keep) {
            value.to_string()
        } else {
            format!("#{own}-{anchor}")
        };
    }
    if value.contains(':') || value.starts_with('/') {
        return value.to_string();
    }
    let (path, anchor) = value
        .split_once('#')
        .map_or((value, None), |(p, a)| (p, Some(a)));
    // A query (`?highlight=…`) is for the page it opens; a chapter is a section of this one.
    let (path, query) = path
        .split_once('?')
        .map_or((path, None), |(p, q)| (p, Some(q)));
    let resolved = resolve(&chapter.out_path(), path);
    match sections.get(&resolved) {
        Some(section) => match anchor {
            Some(a) => format!("#{section}-{a}"),
            None => format!("#{section}"),
        },
        // A file of the site (an image, a download): from the print page at the site root.
        None => {
            let mut target = resolved;
            for (mark, part) in [('?', query), ('#', anchor)] {
                if let Some(part) = part {
                    target.push(mark);
                    target.push_str(part);
                }
            }
            target
        }
    }
}

/// Resolve `link` relative to the page at site path `from` (`a/b.html` + `../c.html` →
/// `c.html`). A link that climbs above the site's folder keeps climbing from the print page
/// (`../std/x.html` on a page at the root leads to the site's neighbour, as in a book
/// published beside others), and a folder's trailing `/` is kept.
fn resolve(from: &str, link: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    let mut above = 0;
    for piece in link.split('/') {
        match piece {
            "." | "" => {}
            ".." => {
                if parts.pop().is_none() {
                    above += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut resolved = "../".repeat(above) + &parts.join("/");
    if link.ends_with('/') && !parts.is_empty() {
        resolved.push('/');
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::output::SiteFiles;
    use std::path::PathBuf;

    fn chapter(path: &str) -> Chapter {
        Chapter {
            name: path.into(),
            number: String::new(),
            path: path.into(),
            file: PathBuf::from(path),
            source: String::new(),
        }
    }

    /// The print page of `chapters` with bodies `html`, from a template printing the content
    /// between a head and a tail paragraph.
    fn body(chapters: &[Chapter], html: &[&str]) -> String {
        let mut site = SiteFiles::default();
        let page = format!("<p>head</p>{PLACEHOLDER}<p>tail</p>");
        let mut writer = Writer::start(chapters, Some(&page), &mut site).unwrap();
        for (chapter, html) in chapters.iter().zip(html) {
            writer.add(chapter, html, &mut site).unwrap();
        }
        writer.finish(&mut site, |_| unreachable!()).unwrap();
        String::from_utf8(site.files.remove(PATH).unwrap()).unwrap()
    }

    #[test]
    fn a_template_that_does_not_print_the_content_once_gets_the_whole_body() {
        let chapters = [chapter("a.md"), chapter("b.md")];
        let mut site = SiteFiles::default();
        let page = format!("{PLACEHOLDER}{PLACEHOLDER}");
        let mut writer = Writer::start(&chapters, Some(&page), &mut site).unwrap();
        writer.add(&chapters[0], "<p>A</p>", &mut site).unwrap();
        writer.add(&chapters[1], "<p>B</p>", &mut site).unwrap();
        assert!(site.files.is_empty(), "nothing written before the end");
        writer
            .finish(&mut site, |body| Ok(format!("[{body}]")))
            .unwrap();
        assert_eq!(
            site.files[PATH],
            b"[<section class=\"print-chapter\" id=\"chapter-a\"><p>A</p></section>\n<section class=\"print-chapter\" id=\"chapter-b\"><p>B</p></section>\n]"
        );
    }

    #[test]
    fn ids_are_unique_per_chapter() {
        let chapters = [chapter("a.md"), chapter("sub/b.md")];
        let a = "<h2 id=\"q\"><a class=\"header\" href=\"#q\">Q</a></h2><svg id=\"a-html-f1-svg\"><use href=\"#a-html-f1-x\"/></svg><a href=\"sub/b.html#q\">b</a>";
        let b = "<h2 id=\"q\"><a class=\"header\" href=\"#q\">Q</a></h2><a href=\"../a.html\">a</a><a href=\"https://e.org/#x\">e</a><a href=\"\">here</a><a href=\"../a.html?highlight=q#q\">hl</a><a href=\"../f.pdf?page=2#x\">pdf</a>";
        let html = body(&chapters, &[a, b]);
        assert!(html.starts_with("<p>head</p><section class=\"print-chapter\" id=\"chapter-a\">"));
        assert!(html.ends_with("</section>\n<p>tail</p>"));
        assert!(html.contains("<h2 id=\"chapter-a-q\"><a class=\"header\" href=\"#chapter-a-q\">"));
        assert!(html.contains("<h2 id=\"chapter-sub-b-q\">"));
        assert!(html.contains("id=\"a-html-f1-svg\""), "figure ids kept");
        assert!(
            html.contains("href=\"#a-html-f1-x\""),
            "figure references kept"
        );
        assert!(html.contains("href=\"#chapter-sub-b-q\">b</a>"));
        assert!(html.contains("href=\"#chapter-a\">a</a>"));
        assert!(html.contains("href=\"https://e.org/#x\""));
        // A query: dropped for a chapter's section, kept for a file of the site.
        assert!(html.contains("href=\"#chapter-a-q\">hl</a>"), "{html}");
        assert!(html.contains("href=\"f.pdf?page=2#x\">pdf</a>"), "{html}");
        // `[here]()` is the chapter's own page.
        assert!(html.contains("href=\"#chapter-sub-b\">here</a>"), "{html}");
    }

    #[test]
    fn resolves_relative_links() {
        assert_eq!(resolve("a/b.html", "../c.html"), "c.html");
        assert_eq!(resolve("x.html", "d/e.html"), "d/e.html");
        assert_eq!(resolve("x.html", "./d/./e.html"), "d/e.html");
        // Above the site's folder (the Rustonomicon links `../std/…` beside it).
        assert_eq!(resolve("x.html", "../std/a.html"), "../std/a.html");
        assert_eq!(resolve("v/x.html", "../../std/a.html"), "../std/a.html");
        assert_eq!(resolve("v/x.html", "../../../a/../b.html"), "../../b.html");
        assert_eq!(resolve("v/x.html", "../docs/"), "docs/");
        assert_eq!(resolve("x.html", "../"), "../");
    }

    #[test]
    fn attributes_are_found_in_order_as_by_searching_every_pattern_again() {
        // The remembered scan against the plain one (each pattern searched again from the
        // cursor after every attribute), on a page with many attributes of each kind.
        let mut page = String::from("<p>π é</p>");
        for i in 0..200 {
            page.push_str(&format!(
                "<a id=\"i{i}\" href=\"#h{i}\"><img src=\"s{i}.png\"></a> text{}",
                if i % 7 == 0 { " id=\"" } else { "" }
            ));
        }
        page.push_str(" href=\"unterminated");
        let naive = |text: &str| -> Option<(usize, usize)> {
            PATTERNS
                .iter()
                .enumerate()
                .filter_map(|(k, (p, _))| text.find(p).map(|i| (i, k)))
                .min()
        };
        let mut scan = Attributes::new(&page);
        let mut cursor = 0;
        let mut found = 0;
        loop {
            let want = naive(&page[cursor..]);
            let got = scan.next_from(cursor);
            match (want, got) {
                (None, None) => break,
                (Some((at, k)), Some((attr, value))) => {
                    let start = cursor + at + PATTERNS[k].0.len();
                    assert_eq!(value, start);
                    assert_eq!(
                        std::mem::discriminant(&attr),
                        std::mem::discriminant(&PATTERNS[k].1)
                    );
                    let end = page[start..].find('"').unwrap_or(page.len() - start);
                    cursor = start + end;
                    found += 1;
                }
                (want, got) => panic!(
                    "at {cursor}: plain scan {want:?}, remembered scan {:?}",
                    got.map(|g| g.1)
                ),
            }
        }
        assert!(found >= 600);
    }
}
