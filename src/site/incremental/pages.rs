//! The page side of an incremental rebuild: page templates reparsed only when the book's own
//! change, pages rewrapped only when their chapter or the navigation changed, the book-wide
//! files redone only when a page was, standalone figures redrawn only when their result
//! changed. Only the files made anew are compared with the site's.

use super::{Pending, Rebuild, Session, hash_of};
use crate::site::assets;
use crate::site::authoring::numbering;
use crate::site::book::Book;
use crate::site::build::{self, Pages};
use crate::site::markdown::Rendered;
use crate::site::output::SiteFiles;
use crate::site::templates;
use anyhow::Result;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Session {
    /// The page templates, parsed again only when the book's own `templates/` files changed.
    pub(super) fn page_templates(&mut self, book: &Book) -> Result<Arc<templates::PageTemplates>> {
        let own: Vec<Option<Vec<u8>>> = assets::TEMPLATES
            .iter()
            .map(|(name, _)| std::fs::read(book.root.join("templates").join(name)).ok())
            .collect();
        let key = hash_of(&own);
        if let Some((k, tera)) = &self.templates
            && *k == key
        {
            return Ok(tera.clone());
        }
        let tera = Arc::new(templates::page_templates(&book.root)?);
        self.templates = Some((key, tera.clone()));
        Ok(tera)
    }

    /// Rewrap the chapters that changed (every one when navigation, settings or templates
    /// changed) and put their pages into the site; returns whether the book-wide files must be
    /// redone.
    pub(super) fn assemble(
        &mut self,
        book: &Book,
        tera: &templates::PageTemplates,
        report: &mut Rebuild,
    ) -> Result<bool> {
        let templates_key = self.templates.as_ref().map_or(0, |(k, _)| *k);
        let names: Vec<(&str, &str, &str)> = book
            .chapters
            .iter()
            .map(|c| (c.name.as_str(), c.number.as_str(), c.path.as_str()))
            .collect();
        // Only the pages' HTML is numbered here (the sections, for search, are numbered with
        // the book-wide files): numbering reads every page's HTML and changes only its own.
        let mut numbered = Vec::new();
        for c in &book.chapters {
            let cached = self
                .chapters
                .get(&c.path)
                .ok_or_else(|| anyhow::anyhow!("internal: chapter {} was not rendered", c.path))?;
            numbered.push(Rendered {
                html: cached.rendered.html.clone(),
                sections: Vec::new(),
            });
        }
        // Numbers and cross-references span chapters: a label's number is part of every page.
        let labels = numbering::number_book(&book.chapters, &mut numbered, None)?;
        let key = hash_of(&(
            format!("{:?}{:?}{labels:?}", book.summary, book.config),
            names,
            templates_key,
        ));
        let all = self.pages_key != Some(key);
        let any_unwrapped = self.chapters.values().any(|c| !c.wrapped);
        let pages = Pages::new(book, tera, &self.options);
        let mut fresh = SiteFiles::default();
        for (i, c) in book.chapters.iter().enumerate() {
            let wrapped = self.chapters.get(&c.path).is_some_and(|c| c.wrapped);
            if all || !wrapped {
                for (path, html) in pages.chapter_pages(i, &numbered[i].html)? {
                    fresh.add(path, html);
                    report.rewrapped += 1;
                }
            }
        }
        // When every page was made, those no longer made are gone.
        report.changed = replace(&mut self.site, &mut self.page_paths, fresh, all);
        self.pages_key = Some(key);
        Ok(all || any_unwrapped)
    }

    /// The book-wide files (when a page changed) and the standalone figures, put into the site;
    /// returns the paths whose bytes changed.
    pub(super) fn shared_files(&mut self, pending: &Pending) -> Result<Vec<String>> {
        let mut changed = Vec::new();
        if pending.shared {
            let book = &pending.book;
            let mut rendered = book
                .chapters
                .iter()
                .map(|c| {
                    self.chapters
                        .get(&c.path)
                        .map(|cached| cached.rendered.clone())
                        .ok_or_else(|| {
                            anyhow::anyhow!("internal: chapter {} was not rendered", c.path)
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            numbering::number_book(&book.chapters, &mut rendered, None)?;
            let pages = Pages::new(book, &pending.tera, &self.options);
            let mut files = SiteFiles::default();
            pages.shared_files(&rendered, &mut files)?;
            changed.extend(replace(&mut self.site, &mut self.shared_paths, files, true));
        }
        let figures = self.standalone_figures(&pending.book)?;
        changed.extend(replace(
            &mut self.site,
            &mut self.figure_paths,
            figures,
            true,
        ));
        changed.sort();
        Ok(changed)
    }

    /// The standalone files of every figure a chapter uses, drawn or reused.
    fn standalone_figures(&mut self, book: &Book) -> Result<SiteFiles> {
        let mut site = SiteFiles::default();
        let settings = &book.config.gradbook;
        if !settings.standalone_figures {
            return Ok(site);
        }
        let used: BTreeSet<(String, String)> = self
            .chapters
            .values()
            .flat_map(|c| c.figures.iter().cloned())
            .collect();
        let outcomes = self
            .inputs
            .as_ref()
            .map(|(_, _, i)| i.outcomes.clone())
            .unwrap_or_default();
        self.figures.retain(|key, _| used.contains(key));
        let look = format!(
            "{:?}{:?}{} digits {}",
            settings.standalone_formats,
            settings.standalone_theme,
            settings.standalone_scale.get_ref(),
            settings.digits.get_ref()
        );
        for (stem, kind) in used {
            let json = self.results.get(&stem).map_or(0, |r| r.json);
            let version = hash_of(&format!("{json}{look}"));
            let key = (stem.clone(), kind.clone());
            let files = match self.figures.get(&key) {
                Some((v, files)) if *v == version => files.clone(),
                _ => {
                    let files = build::standalone_figure(book, &outcomes, &stem, &kind)?;
                    self.figures.insert(key, (version, files.clone()));
                    files
                }
            };
            for (path, bytes) in files {
                site.add(path, bytes);
            }
        }
        Ok(site)
    }
}

/// Put `files` into `site` and their paths into `known` (the paths of this kind of file the
/// site has); when `complete`, the files of `known` that `files` lacks are removed. Returns the
/// paths whose bytes changed, were added or removed, sorted. Only `files` are compared.
pub(super) fn replace(
    site: &mut SiteFiles,
    known: &mut BTreeSet<String>,
    files: SiteFiles,
    complete: bool,
) -> Vec<String> {
    let mut changed = Vec::new();
    if complete {
        let gone: Vec<String> = known
            .iter()
            .filter(|p| !files.files.contains_key(*p))
            .cloned()
            .collect();
        for path in gone {
            known.remove(&path);
            if site.files.remove(&path).is_some() {
                changed.push(path);
            }
        }
    }
    for (path, bytes) in files.files {
        known.insert(path.clone());
        if site.files.get(&path) != Some(&bytes) {
            changed.push(path.clone());
            site.files.insert(path, bytes);
        }
    }
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_reports_added_removed_and_modified() {
        let mut site = SiteFiles::default();
        let mut known = BTreeSet::new();
        let mut first = SiteFiles::default();
        for (p, v) in [("same", "1"), ("gone", "1"), ("edit", "1")] {
            first.add(p, v);
        }
        site.add("other-kind", "x");
        assert_eq!(
            replace(&mut site, &mut known, first, true),
            ["edit", "gone", "same"]
        );
        let mut second = SiteFiles::default();
        for (p, v) in [("same", "1"), ("edit", "2"), ("new", "1")] {
            second.add(p, v);
        }
        let partial = replace(&mut site.clone(), &mut known.clone(), second.clone(), false);
        assert_eq!(partial, ["edit", "new"], "a partial update removes nothing");
        assert_eq!(
            replace(&mut site, &mut known, second, true),
            ["edit", "gone", "new"]
        );
        let paths: Vec<&String> = site.files.keys().collect();
        assert_eq!(paths, ["edit", "new", "other-kind", "same"]);
        assert_eq!(known.len(), 3);
    }
}
