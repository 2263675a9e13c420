//! mdBook's preprocessor protocol, as data: a gradbook book as mdBook's `Book` JSON (chapters
//! nested as in SUMMARY.md, with their numbers and parents), the `PreprocessorContext` built
//! from book.toml, and the chapters of a book a preprocessor handed back.

use crate::site::book::{self, Book};
use crate::site::summary::Entry;
use anyhow::{Context, Result};
use mdbook_preprocessor::PreprocessorContext;
use mdbook_preprocessor::book::{Book as MdBook, BookItem, Chapter as MdChapter, SectionNumber};
use std::path::{Path, PathBuf};

/// The renderer gradbook is: mdBook's `html`.
pub const RENDERER: &str = "html";

/// The table keys of book.toml that are gradbook's alone: mdBook 0.5 refuses unknown tables,
/// so preprocessors get book.toml without them.
const OWN_TABLES: &[&str] = &["gradbook"];

/// `book` as mdBook's `Book`: every SUMMARY.md entry in order, chapters nested by depth,
/// chapter text as read from disk.
pub fn to_mdbook(book: &Book) -> MdBook {
    let mut top: Vec<BookItem> = Vec::new();
    // The chain of open chapters: (depth, chapter).
    let mut open: Vec<(usize, MdChapter)> = Vec::new();
    let close_to = |depth: usize, open: &mut Vec<(usize, MdChapter)>, top: &mut Vec<BookItem>| {
        while open.last().is_some_and(|(d, _)| *d >= depth) {
            if let Some((_, chapter)) = open.pop() {
                match open.last_mut() {
                    Some((_, parent)) => parent.sub_items.push(BookItem::Chapter(chapter)),
                    None => top.push(BookItem::Chapter(chapter)),
                }
            }
        }
    };
    for entry in &book.summary.entries {
        match entry {
            Entry::Chapter(c) => {
                close_to(c.depth, &mut open, &mut top);
                let content = c
                    .path
                    .as_ref()
                    .and_then(|p| book.chapters.iter().find(|ch| ch.path == *p))
                    .map(|ch| ch.source.clone())
                    .unwrap_or_default();
                let chapter = MdChapter {
                    name: c.name.clone(),
                    content,
                    number: (!c.number.is_empty()).then(|| SectionNumber::new(c.number.clone())),
                    sub_items: Vec::new(),
                    path: c.path.as_ref().map(PathBuf::from),
                    source_path: c.path.as_ref().map(PathBuf::from),
                    parent_names: open.iter().map(|(_, p)| p.name.clone()).collect(),
                };
                open.push((c.depth, chapter));
            }
            Entry::Separator | Entry::PartTitle(_) => {
                close_to(0, &mut open, &mut top);
                top.push(match entry {
                    Entry::PartTitle(title) => BookItem::PartTitle(title.clone()),
                    _ => BookItem::Separator,
                });
            }
        }
    }
    close_to(0, &mut open, &mut top);
    MdBook::new_with_items(top)
}

/// The context a preprocessor receives: the book root, book.toml without gradbook's own
/// tables, the renderer `html` and mdBook's version.
pub fn context(book: &Book) -> Result<PreprocessorContext> {
    let path = book.root.join("book.toml");
    let text = if path.exists() {
        book::read_book_text(&book.root, &path)?
    } else {
        String::new()
    };
    let config = mdbook_config(&text).with_context(|| {
        format!(
            "{}: mdBook cannot read this book.toml, and preprocessors receive it as mdBook reads it",
            path.display()
        )
    })?;
    let root = book
        .root
        .canonicalize()
        .unwrap_or_else(|_| book.root.clone());
    Ok(PreprocessorContext::new(root, config, RENDERER.into()))
}

/// book.toml as mdBook's `Config`, gradbook's own tables left out.
fn mdbook_config(text: &str) -> Result<mdbook_preprocessor::config::Config> {
    let mut table: toml::Table = toml::from_str(text)?;
    for own in OWN_TABLES {
        table.remove(*own);
    }
    let text = toml::to_string(&table)?;
    text.parse()
}

/// Take back what a preprocessor changed: the text and title of every chapter of `book`,
/// matched by its path under `src`. A chapter the preprocessor dropped keeps its text;
/// chapters it added (gradbook builds the pages SUMMARY.md lists) are named in the error.
pub fn apply(book: &mut Book, processed: &MdBook, name: &str) -> Result<()> {
    for item in processed.iter() {
        let BookItem::Chapter(chapter) = item else {
            continue;
        };
        let Some(path) = chapter.source_path.as_ref().or(chapter.path.as_ref()) else {
            continue;
        };
        let path = slashed(path);
        match book.chapters.iter_mut().find(|c| c.path == path) {
            Some(own) => {
                own.source.clone_from(&chapter.content);
                own.name.clone_from(&chapter.name);
            }
            None => anyhow::bail!(
                "the preprocessor `{name}` added the chapter `{path}`, which SUMMARY.md does not list: gradbook keeps SUMMARY.md's chapters"
            ),
        }
    }
    Ok(())
}

/// A relative path with `/` separators, as chapters name their files.
fn slashed(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
