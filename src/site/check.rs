//! `gradbook check`: run every computation and every claim (the studies' own and those written
//! in chapters with `claim(…)`), render the site and check its internal links and anchors,
//! collecting every failure with the file and line it comes from.

use crate::compute::{self, Outcome};
use crate::site::book::{Book, Chapter};
use crate::site::build::{self, Pages, RenderOptions};
use crate::site::chapter;
use crate::site::claims;
use crate::site::links;
use crate::site::output::SiteFiles;
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
    let book = Book::load(root)?;
    let mut report = CheckReport::default();
    let mut outcomes = BTreeMap::new();
    for c in &book.computations {
        report.computations += 1;
        match compute::run(c.kind, &c.source) {
            Ok(outcome) => {
                for claim in outcome.claims() {
                    report.claims += 1;
                    if !claim.holds {
                        let line = line_of(&c.source, &claim.statement);
                        report.problems.push(Problem {
                            location: Some(at(&c.file, line)),
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
        // The same link shows on a chapter's page, on index.html (a copy of the first chapter)
        // and on the print page: report it once, naming every page.
        let mut grouped: Vec<(links::Broken, Vec<String>)> = Vec::new();
        for broken in links.broken {
            match grouped
                .iter_mut()
                .find(|(b, _)| b.target == broken.target && b.problem == broken.problem)
            {
                Some((_, pages)) => pages.push(broken.page),
                None => grouped.push((broken, Vec::new())),
            }
        }
        for (broken, also) in grouped {
            let location = match chapter_of(&book, &broken.page) {
                Some(c) => at(&c.file, link_line(&c.source, &broken.target)),
                None => format!("{} (generated page)", broken.page),
            };
            let also = if also.is_empty() {
                String::new()
            } else {
                format!(" (also on {})", also.join(", "))
            };
            report.problems.push(Problem {
                location: Some(location),
                message: format!(
                    "broken link `{}` on {}{also}: {}",
                    broken.target, broken.page, broken.problem
                ),
            });
        }
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
                            location: Some(at(&c.file, claims::locate(&c.source, &claim.says, n))),
                            message: format!("claim fails: {}", claim.says),
                        });
                    }
                }
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

fn at(file: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    }
}

fn line_of(source: &str, needle: &str) -> Option<usize> {
    let pos = source.find(needle).filter(|_| !needle.is_empty())?;
    Some(source[..pos].matches('\n').count() + 1)
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

/// The line of a chapter's source where a link was written: as rendered, as the `.md` it came
/// from, or by its `#fragment`.
fn link_line(source: &str, target: &str) -> Option<usize> {
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
    candidates
        .iter()
        .filter(|c| !c.is_empty())
        .find_map(|c| line_of(source, &format!("({c}")).or_else(|| line_of(source, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_the_source() {
        let src = "# T\n\nsee [x](other.md#part)\nand [y](#here)\n";
        assert_eq!(link_line(src, "other.html#part"), Some(3));
        assert_eq!(link_line(src, "#here"), Some(4));
        assert_eq!(link_line(src, "nowhere.html"), None);
    }

    #[test]
    fn problems_print_their_location() {
        let p = Problem {
            location: Some(at(Path::new("content/a.md"), Some(3))),
            message: "claim fails: x".into(),
        };
        assert_eq!(p.to_string(), "content/a.md:3: claim fails: x");
    }
}
