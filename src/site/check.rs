//! `gradbook check`: run every computation and every claim (the studies' own and those written
//! in chapters with `claim(…)`), re-evaluate every parameter set a chapter prints from its
//! printed digits, render the site and check its internal links and anchors, collecting every
//! failure with the file and line it comes from.

use crate::compute::Outcome;
use crate::diag::Diagnostic;
use crate::site::book::{Book, Chapter};
use crate::site::build::{self, Pages, RenderOptions};
use crate::site::cache::Cache;
use crate::site::chapter;
use crate::site::claims;
use crate::site::links;
use crate::site::output::SiteFiles;
use crate::site::print;
use crate::site::reproduce;
use crate::site::templates;
use anyhow::Result;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// One failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `file:line` (or `file`) it comes from, when the message does not say it already.
    pub location: Option<String>,
    /// What failed.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// What `check` looked at and what failed.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Computations run.
    pub computations: usize,
    /// Claims evaluated (studies' and chapters').
    pub claims: usize,
    /// Internal links and references checked (0 when a chapter did not render).
    pub links: usize,
    /// Every failure, in the order found.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Whether nothing failed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check the book at `root`; `Err` only when the book itself cannot be read.
pub fn check(root: &Path) -> Result<CheckReport> {
    let mut book = Book::load(root)?;
    book.preprocess()?;
    let mut report = CheckReport::default();
    let mut outcomes = BTreeMap::new();
    let cache = Cache::for_book(&book.root);
    for c in &book.computations {
        report.computations += 1;
        match cache.run(c.kind, &c.source) {
            Ok(outcome) => {
                for claim in outcome.claims() {
                    report.claims += 1;
                    if !claim.holds {
                        let found = offset_of(&c.source, &claim.statement);
                        report.problems.push(Problem {
                            location: Some(at(&c.file, &c.source, found)),
                            message: format!("claim fails: {} ({})", claim.statement, claim.detail),
                        });
                    }
                }
                outcomes.insert(c.stem.clone(), outcome);
            }
            Err(e) => report.problems.push(Problem {
                location: None,
                message: e.in_file(&c.file, &c.source).to_string(),
            }),
        }
    }
    if let Some(site) = render(&book, outcomes, &mut report)? {
        let links = links::check(&site);
        report.links = links.checked;
        report.problems.extend(link_problems(&book, links.broken));
    }
    Ok(report)
}

/// Render every chapter (collecting errors and chapter claims) and, when all rendered, the site.
fn render(
    book: &Book,
    outcomes: BTreeMap<String, Outcome>,
    report: &mut CheckReport,
) -> Result<Option<SiteFiles>> {
    let inputs = build::chapter_inputs(book, outcomes);
    let mut rendered = Vec::new();
    for c in &book.chapters {
        match chapter::render(c, &inputs) {
            Ok(r) => {
                for (n, claim) in claims::extract(&r.html).into_iter().enumerate() {
                    report.claims += 1;
                    if !claim.holds {
                        report.problems.push(Problem {
                            location: Some(at(
                                &c.file,
                                &c.source,
                                claims::locate(&c.source, &claim.says, n),
                            )),
                            message: format!("claim fails: {}", claim.says),
                        });
                    }
                }
                reproduce(book, c, &r.html, report);
                rendered.push(r);
            }
            Err(d) => report.problems.push(Problem {
                location: None,
                message: d.to_string(),
            }),
        }
    }
    if rendered.len() < book.chapters.len() {
        return Ok(None);
    }
    if let Err(d) =
        crate::site::authoring::numbering::number_book(&book.chapters, &mut rendered, None)
    {
        report.problems.push(Problem {
            location: None,
            message: d.to_string(),
        });
        return Ok(None);
    }
    let tera = templates::page_templates(&book.root)?;
    let options = RenderOptions::default();
    let pages = Pages::new(book, &tera, &options);
    let mut site = SiteFiles::default();
    for (i, r) in rendered.iter().enumerate() {
        for (path, html) in pages.chapter_pages(i, &r.html)? {
            site.add(path, html);
        }
    }
    pages.shared_files(&rendered, &mut site)?;
    Ok(Some(site))
}

/// Re-evaluate every parameter set the chapter prints (see [`reproduce`](crate::site::reproduce)),
/// each counted as a claim.
fn reproduce(book: &Book, c: &Chapter, html: &str, report: &mut CheckReport) {
    let located = |n: usize| {
        let found = c
            .source
            .match_indices(reproduce::CLASS)
            .nth(n)
            .or_else(|| c.source.match_indices(reproduce::CLASS).last())
            .map(|(pos, _)| pos);
        Some(at(&c.file, &c.source, found))
    };
    match reproduce::extract(html) {
        Ok(sets) => {
            for (n, set) in sets.iter().enumerate() {
                report.claims += 1;
                if let Err(message) = reproduce::verify(set, &book.computations) {
                    report.problems.push(Problem {
                        location: located(n),
                        message,
                    });
                }
            }
        }
        Err(message) => report.problems.push(Problem {
            location: located(0),
            message,
        }),
    }
}

/// One problem per broken link. The same link shows on a chapter's page and on index.html (a
/// copy of the first chapter): it is reported once, naming every page. The print page repeats
/// every chapter (with links rewritten): its broken links are reported only where a chapter's
/// section has more of them than the chapter's own page, so only print-only breakage shows.
fn link_problems(book: &Book, broken: Vec<links::Broken>) -> Vec<Problem> {
    let (print, pages): (Vec<_>, Vec<_>) = broken.into_iter().partition(|b| b.page == "print.html");
    // Every broken link of a chapter's own page, a link written twice counted twice, as its
    // print section repeats it.
    let on_page = |c: &Chapter| pages.iter().filter(|b| b.page == c.out_path()).count();
    let on_page: Vec<usize> = book.chapters.iter().map(on_page).collect();
    let mut grouped: Vec<(links::Broken, Vec<String>)> = Vec::new();
    for b in pages {
        match grouped
            .iter_mut()
            .find(|(g, _)| g.target == b.target && g.problem == b.problem)
        {
            // Each other page once (a link written twice is one problem).
            Some((g, also)) => {
                if g.page != b.page && !also.contains(&b.page) {
                    also.push(b.page);
                }
            }
            None => grouped.push((b, Vec::new())),
        }
    }
    let mut problems = Vec::new();
    for (b, also) in &grouped {
        let location = match chapter_of(book, &b.page) {
            Some(c) => at(&c.file, &c.source, link_offset(&c.source, &b.target)),
            None => format!("{} (generated page)", b.page),
        };
        let also = if also.is_empty() {
            String::new()
        } else {
            format!(" (also on {})", also.join(", "))
        };
        problems.push(Problem {
            location: Some(location),
            message: format!(
                "broken link `{}` on {}{also}: {}",
                b.target, b.page, b.problem
            ),
        });
    }
    let chapter_of_section = |s: &Option<String>| {
        book.chapters
            .iter()
            .find(|c| s.as_deref() == Some(print::section_id(c).as_str()))
    };
    for b in &print {
        let chapter = chapter_of_section(&b.section);
        let in_print = print
            .iter()
            .filter(|p| chapter_of_section(&p.section).map(|c| &c.path) == chapter.map(|c| &c.path))
            .count();
        let on_page = chapter.map_or(0, |c| {
            let index = book.chapters.iter().position(|o| o.path == c.path);
            index.map_or(0, |i| on_page[i])
        });
        if in_print > on_page {
            let location = match chapter {
                Some(c) => format!("{} (print page)", c.file.display()),
                None => "print.html (generated page)".to_string(),
            };
            problems.push(Problem {
                location: Some(location),
                message: format!("broken link `{}` on print.html: {}", b.target, b.problem),
            });
        }
    }
    problems
}

/// `file:line:column` of the byte offset `found` in `file`'s `source`, or the file alone.
fn at(file: &Path, source: &str, found: Option<usize>) -> String {
    match found {
        Some(pos) => {
            let d = Diagnostic::at(file, source, pos..pos, "");
            format!("{}:{}:{}", file.display(), d.line, d.column)
        }
        None => file.display().to_string(),
    }
}

/// The byte offset of the first `needle` in `source`.
fn offset_of(source: &str, needle: &str) -> Option<usize> {
    source.find(needle).filter(|_| !needle.is_empty())
}

/// The chapter whose page is `page` (`index.html` is also the first chapter's).
fn chapter_of<'b>(book: &'b Book, page: &str) -> Option<&'b Chapter> {
    book.chapters
        .iter()
        .find(|c| c.out_path() == page)
        .or_else(|| {
            (page == "index.html")
                .then(|| book.chapters.first())
                .flatten()
        })
}

/// Where in a chapter's source a link was written (a byte offset, at its target): as
/// rendered, as the `.md` it came from, or by its `#fragment`.
fn link_offset(source: &str, target: &str) -> Option<usize> {
    let (path, fragment) = target
        .split_once('#')
        .map_or((target, None), |(p, f)| (p, Some(f)));
    let md = path.strip_suffix(".html").map(|stem| format!("{stem}.md"));
    let mut candidates = vec![target.to_string()];
    if let Some(md) = &md {
        candidates.push(fragment.map_or(md.clone(), |f| format!("{md}#{f}")));
        candidates.push(md.clone());
    }
    if let Some(f) = fragment {
        candidates.push(format!("#{f}"));
    }
    candidates.iter().filter(|c| !c.is_empty()).find_map(|c| {
        offset_of(source, &format!("({c}"))
            .map(|at| at + 1)
            .or_else(|| offset_of(source, c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_the_source() {
        let src = "# T\n\nsee [x](other.md#part)\nand [y](#here)\n";
        assert_eq!(link_offset(src, "other.html#part"), src.find("other.md"));
        assert_eq!(link_offset(src, "#here"), src.find("#here"));
        assert_eq!(link_offset(src, "nowhere.html"), None);
        let at = |target| at(Path::new("c.md"), src, link_offset(src, target));
        assert_eq!(at("other.html#part"), "c.md:3:9");
        assert_eq!(at("nowhere.html"), "c.md");
    }

    fn broken(page: &str, target: &str, section: Option<String>) -> links::Broken {
        links::Broken {
            page: page.into(),
            target: target.into(),
            problem: "gone".into(),
            section,
        }
    }

    #[test]
    fn print_page_breakage_is_reported_only_when_it_is_its_own() {
        let chapter = |path: &str| Chapter {
            name: path.into(),
            number: String::new(),
            path: path.into(),
            file: Path::new("content").join(path),
            source: "[x](gone.md)\n".to_string(),
        };
        let book = Book {
            root: ".".into(),
            config: Default::default(),
            summary: Default::default(),
            chapters: vec![chapter("a.md"), chapter("b.md")],
            computations: Vec::new(),
            page_titles: Default::default(),
        };
        let section = |i: usize| Some(print::section_id(&book.chapters[i]));
        let problems = link_problems(
            &book,
            vec![
                broken("a.html", "gone.html", None),
                broken("index.html", "gone.html", None),
                broken("print.html", "#chapter-gone", section(0)),
                broken("print.html", "#only-in-print", section(1)),
                // A link written twice in a chapter is broken twice on its page and twice in
                // its print section (the Rustonomicon's `[trpl]: ../book/index.html`).
                broken("a.html", "../up.html", None),
                broken("a.html", "../up.html", None),
                broken("print.html", "../up.html", section(0)),
                broken("print.html", "../up.html", section(0)),
            ],
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "content/a.md:1:5: broken link `gone.html` on a.html (also on index.html): gone",
                "content/a.md: broken link `../up.html` on a.html: gone",
                "content/b.md (print page): broken link `#only-in-print` on print.html: gone",
            ]
        );
    }

    #[test]
    fn problems_print_their_location() {
        let p = Problem {
            location: Some(at(Path::new("content/a.md"), "x\n\n  é y", Some(7))),
            message: "claim fails: x".into(),
        };
        assert_eq!(p.to_string(), "content/a.md:3:4: claim fails: x");
    }
}
