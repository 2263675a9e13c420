//! The page side of an incremental rebuild: page templates reparsed only when the book's own
//! change, pages rewrapped only when their chapter or the navigation changed, standalone figures
//! redrawn only when their result changed.

use super::{Rebuild, Session, hash_of};
use crate::site::assets;
use crate::site::authoring::numbering;
use crate::site::book::Book;
use crate::site::build::{self, Pages};
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

    /// The new site: the previous one with changed chapters rewrapped and the shared files
    /// redone, or everything wrapped again when navigation, settings or templates changed.
    pub(super) fn assemble(
        &mut self,
        book: &Book,
        tera: &templates::PageTemplates,
        report: &mut Rebuild,
    ) -> Result<SiteFiles> {
        let templates_key = self.templates.as_ref().map_or(0, |(k, _)| *k);
        let names: Vec<(&str, &str, &str)> = book
            .chapters
            .iter()
            .map(|c| (c.name.as_str(), c.number.as_str(), c.path.as_str()))
            .collect();
        let mut numbered = Vec::new();
        for c in &book.chapters {
            let cached = self
                .chapters
                .get(&c.path)
                .ok_or_else(|| anyhow::anyhow!("internal: chapter {} was not rendered", c.path))?;
            numbered.push(cached.rendered.clone());
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
        let mut site = if all {
            SiteFiles::default()
        } else {
            self.site.clone()
        };
        let pages = Pages::new(book, tera, &self.options);
        let shared = all || any_unwrapped;
        for (i, c) in book.chapters.iter().enumerate() {
            let wrapped = self.chapters.get(&c.path).is_some_and(|c| c.wrapped);
            if all || !wrapped {
                for (path, html) in pages.chapter_pages(i, &numbered[i].html)? {
                    site.add(path, html);
                    report.rewrapped += 1;
                }
            }
        }
        if shared {
            pages.shared_files(&numbered, &mut site)?;
        }
        self.standalone_figures(book, &mut site)?;
        self.pages_key = Some(key);
        Ok(site)
    }

    /// Draw (or reuse) the standalone files of every figure a chapter uses; drop the others.
    fn standalone_figures(&mut self, book: &Book, site: &mut SiteFiles) -> Result<()> {
        site.files.retain(|path, _| !path.starts_with("figures/"));
        let settings = &book.config.gradbook;
        if !settings.standalone_figures {
            return Ok(());
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
            "{:?}{:?}{}",
            settings.standalone_formats,
            settings.standalone_theme,
            settings.standalone_scale.get_ref()
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
        Ok(())
    }
}

/// The paths whose bytes differ between two sites (added, removed or changed).
pub(super) fn changed_files(old: &SiteFiles, new: &SiteFiles) -> Vec<String> {
    let paths: BTreeSet<&String> = old.files.keys().chain(new.files.keys()).collect();
    paths
        .into_iter()
        .filter(|p| old.files.get(*p) != new.files.get(*p))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_files_lists_added_removed_and_modified() {
        let mut a = SiteFiles::default();
        a.add("same", "1");
        a.add("gone", "1");
        a.add("edit", "1");
        let mut b = SiteFiles::default();
        b.add("same", "1");
        b.add("edit", "2");
        b.add("new", "1");
        assert_eq!(changed_files(&a, &b), vec!["edit", "gone", "new"]);
    }
}
