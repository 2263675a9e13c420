//! Incremental rebuilds for `gradbook serve`: each computation's result is cached by a hash of
//! its kind and text, a chapter is re-rendered only when its source, a result it read while it
//! last rendered (recorded by the template engine, not guessed from its text) or the book's
//! settings changed, and only pages whose body or navigation changed are rewrapped.
//!
//! An update has two phases, so that `serve` can show an edited page before the book-wide files
//! are redone: [`Session::update_pages`] (chapter pages) and [`Session::update_shared`] (print
//! page, search index, table of contents, assets, standalone figures). Each changes the site in
//! place, file by file, and reports the files whose bytes changed.
//!
//! Hashes use std's `DefaultHasher`: they only live as long as the process, so their
//! instability across runs does not matter.

mod pages;

use crate::compute::Outcome;
use crate::site::book::Book;
use crate::site::build::{self, RenderOptions};
use crate::site::cache::Cache;
use crate::site::chapter::{self, Inputs};
use crate::site::markdown::Rendered;
use crate::site::output::SiteFiles;
use anyhow::Result;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The standalone files of one figure: (site path, bytes).
type FigureFiles = Vec<(String, Vec<u8>)>;

/// A book kept in memory between rebuilds, with everything that can be reused.
pub struct Session {
    root: PathBuf,
    options: RenderOptions,
    results: HashMap<String, CachedResult>,
    inputs: Option<(u64, BTreeMap<String, u64>, Inputs)>,
    chapters: HashMap<String, CachedChapter>,
    figures: HashMap<(String, String), (u64, FigureFiles)>,
    templates: Option<(u64, Arc<crate::site::templates::PageTemplates>)>,
    pages_key: Option<u64>,
    site: SiteFiles,
    /// The book's persistent results cache (outcomes survive restarts of `serve`).
    cache: Cache,
    /// The chapter pages of the site (the rest are shared files and figures).
    page_paths: BTreeSet<String>,
    /// The shared files of the site.
    shared_paths: BTreeSet<String>,
    /// The standalone figures of the site.
    figure_paths: BTreeSet<String>,
    /// What [`Session::update_shared`] needs from the last [`Session::update_pages`].
    pending: Option<Pending>,
}

/// The book as the pages were last updated, and whether the shared files must be redone.
struct Pending {
    book: Book,
    tera: Arc<crate::site::templates::PageTemplates>,
    shared: bool,
}

/// A computation's outcome and the hashes of its input and of its JSON.
struct CachedResult {
    input: u64,
    outcome: Outcome,
    json: u64,
}

/// A rendered chapter and what it was rendered from.
struct CachedChapter {
    source: u64,
    settings: u64,
    deps: Deps,
    rendered: Rendered,
    figures: BTreeSet<(String, String)>,
    wrapped: bool,
}

/// What one rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebuild {
    /// Computations run (stems), because they were new or their file changed.
    pub recomputed: Vec<String>,
    /// Chapters rendered again (paths under the book's `src`).
    pub rerendered: Vec<String>,
    /// Pages wrapped again in the page template.
    pub rewrapped: usize,
    /// Site files whose bytes changed, were added or removed.
    pub changed: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// What the second phase of an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedUpdate {
    /// Site files whose bytes changed, were added or removed.
    pub changed: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl fmt::Display for SharedUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ms: book-wide files ({})",
            self.elapsed.as_millis(),
            if self.changed.is_empty() {
                "none changed".to_string()
            } else {
                self.changed.join(", ")
            }
        )
    }
}

impl fmt::Display for Rebuild {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |items: &[String]| {
            if items.is_empty() {
                "none".to_string()
            } else {
                items.join(", ")
            }
        };
        write!(
            f,
            "{} ms: recomputed {}; re-rendered {}; rewrapped {} page(s); {} file(s) changed",
            self.elapsed.as_millis(),
            list(&self.recomputed),
            list(&self.rerendered),
            self.rewrapped,
            self.changed.len()
        )
    }
}

/// What a chapter read while it rendered, with the version (hash of the JSON) each result had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deps {
    /// These names, each with its result's version then (0: no result of that name).
    Names(BTreeMap<String, u64>),
    /// Every result (the chapter used `results`, the map of all of them): the versions of all.
    Everything(BTreeMap<String, u64>),
}

impl Deps {
    /// The dependencies recorded in `reads`, at the versions in `versions`.
    pub fn of(reads: &BTreeSet<String>, versions: &BTreeMap<String, u64>) -> Deps {
        if crate::site::templates::reads_every_result(reads) {
            return Deps::Everything(versions.clone());
        }
        Deps::Names(
            reads
                .iter()
                .map(|name| (name.clone(), versions.get(name).copied().unwrap_or(0)))
                .collect(),
        )
    }

    /// Whether every result read still has the version it had.
    pub fn unchanged(&self, versions: &BTreeMap<String, u64>) -> bool {
        match self {
            Deps::Everything(then) => then == versions,
            Deps::Names(then) => then
                .iter()
                .all(|(name, v)| versions.get(name).copied().unwrap_or(0) == *v),
        }
    }
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Session {
    /// A session for the book at `root`; nothing is read until [`Session::update`].
    pub fn new(root: &Path, options: RenderOptions) -> Session {
        Session {
            root: root.to_path_buf(),
            options,
            results: HashMap::new(),
            inputs: None,
            chapters: HashMap::new(),
            figures: HashMap::new(),
            templates: None,
            pages_key: None,
            site: SiteFiles::default(),
            cache: Cache::for_book(root),
            page_paths: BTreeSet::new(),
            shared_paths: BTreeSet::new(),
            figure_paths: BTreeSet::new(),
            pending: None,
        }
    }

    /// The last site that built without errors.
    pub fn site(&self) -> &SiteFiles {
        &self.site
    }

    /// Read the book again and bring the whole site up to date, redoing only what changed: both
    /// phases, [`Session::update_pages`] then [`Session::update_shared`]. On error the previous
    /// site is kept (and what was computed is cached for the next attempt).
    pub fn update(&mut self) -> Result<Rebuild> {
        let mut report = self.update_pages()?;
        let shared = self.update_shared()?;
        report.changed.extend(shared.changed);
        report.changed.sort();
        report.changed.dedup();
        report.elapsed += shared.elapsed;
        Ok(report)
    }

    /// The first phase: read the book again, recompute and re-render what changed and update the
    /// chapter pages. On error nothing of the site changes.
    pub fn update_pages(&mut self) -> Result<Rebuild> {
        let start = Instant::now();
        // Book-wide files owed by an update whose second phase did not run yet.
        let owed = self.pending.as_ref().is_some_and(|p| p.shared);
        let mut book = Book::load(&self.root)?;
        book.preprocess()?;
        let mut report = Rebuild {
            recomputed: self.compute(&book)?,
            ..Rebuild::default()
        };
        let inputs = self.inputs(&book);
        report.rerendered = self.render_chapters(&book, &inputs)?;
        let tera = self.page_templates(&book)?;
        let shared = self.assemble(&book, &tera, &mut report)? || owed;
        for cached in self.chapters.values_mut() {
            cached.wrapped = true;
        }
        self.pending = Some(Pending { book, tera, shared });
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// The second phase, after [`Session::update_pages`]: the files every chapter feeds (print
    /// page, search index), the table of contents, the assets and the standalone figures.
    pub fn update_shared(&mut self) -> Result<SharedUpdate> {
        let start = Instant::now();
        let Some(pending) = self.pending.take() else {
            return Ok(SharedUpdate::default());
        };
        let changed = self.shared_files(&pending)?;
        Ok(SharedUpdate {
            changed,
            elapsed: start.elapsed(),
        })
    }

    /// Run the computations whose input changed; returns their stems.
    fn compute(&mut self, book: &Book) -> Result<Vec<String>> {
        let stale: Vec<_> = book
            .computations
            .iter()
            .filter(|c| {
                self.results
                    .get(&c.stem)
                    .is_none_or(|r| r.input != hash_of(&(c.kind, &c.source)))
            })
            .collect();
        let cache = &self.cache;
        let fresh: Vec<Result<(String, CachedResult)>> = stale
            .par_iter()
            .map(|c| {
                let outcome = cache
                    .run(c.kind, &c.source)
                    .map_err(|e| e.in_file(&c.file, &c.source))?;
                let json = hash_of(&outcome.to_json().to_string());
                Ok((
                    c.stem.clone(),
                    CachedResult {
                        input: hash_of(&(c.kind, &c.source)),
                        outcome,
                        json,
                    },
                ))
            })
            .collect();
        self.results
            .retain(|stem, _| book.computations.iter().any(|c| c.stem == *stem));
        let mut first_error = None;
        let mut recomputed = Vec::new();
        for result in fresh {
            match result {
                Ok((stem, cached)) => {
                    recomputed.push(stem.clone());
                    self.results.insert(stem, cached);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(recomputed), Err)
    }

    /// The chapters' inputs, rebuilt only when a result's JSON or the book's settings changed.
    fn inputs(&mut self, book: &Book) -> Inputs {
        let settings = hash_of(&format!(
            "{:?}{:?}{:?}{:?}",
            book.config.book,
            book.config.gradbook,
            crate::site::mdbook::Compat::of(&book.config),
            book.config.output.html.code
        ));
        let versions: BTreeMap<String, u64> = self
            .results
            .iter()
            .map(|(s, r)| (s.clone(), r.json))
            .collect();
        if let Some((s, v, inputs)) = &self.inputs
            && *s == settings
            && *v == versions
        {
            return inputs.clone();
        }
        let outcomes = self
            .results
            .iter()
            .map(|(s, r)| (s.clone(), r.outcome.clone()))
            .collect();
        let mut inputs = build::chapter_inputs(book, outcomes);
        inputs.figures = Some(Arc::default());
        self.inputs = Some((settings, versions, inputs.clone()));
        inputs
    }

    /// Re-render every chapter whose source, settings or the results it read changed.
    fn render_chapters(&mut self, book: &Book, inputs: &Inputs) -> Result<Vec<String>> {
        let settings = self.inputs.as_ref().map_or(0, |(s, _, _)| *s);
        let versions: BTreeMap<String, u64> = self
            .results
            .iter()
            .map(|(s, r)| (s.clone(), r.json))
            .collect();
        let todo: Vec<(usize, u64)> = book
            .chapters
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let source = hash_of(&c.source);
                let fresh = self.chapters.get(&c.path).is_some_and(|old| {
                    old.source == source
                        && old.settings == settings
                        && old.deps.unchanged(&versions)
                });
                (!fresh).then_some((i, source))
            })
            .collect();
        let rendered: Vec<_> = todo
            .par_iter()
            .map(|(i, _)| {
                let own = Inputs {
                    used_figures: Arc::default(),
                    reads: Arc::default(),
                    ..inputs.clone()
                };
                let result = chapter::render(&book.chapters[*i], &own);
                let figures = own
                    .used_figures
                    .lock()
                    .map(|f| f.clone())
                    .unwrap_or_default();
                let reads = own.reads.lock().map(|r| r.clone()).unwrap_or_default();
                result.map(|r| (r, figures, Deps::of(&reads, &versions)))
            })
            .collect();
        self.chapters
            .retain(|path, _| book.chapters.iter().any(|c| c.path == *path));
        let mut first_error = None;
        let mut done = Vec::new();
        for ((i, source), result) in todo.into_iter().zip(rendered) {
            let path = book.chapters[i].path.clone();
            match result {
                Ok((rendered, figures, deps)) => {
                    let cached = CachedChapter {
                        source,
                        settings,
                        deps,
                        rendered,
                        figures,
                        wrapped: false,
                    };
                    self.chapters.insert(path.clone(), cached);
                    done.push(path);
                }
                Err(e) => {
                    self.chapters.remove(&path);
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(done), |e| Err(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn deps_follow_the_versions_of_what_was_read() {
        let v1 = BTreeMap::from([("bump".to_string(), 1), ("net".to_string(), 7)]);
        let deps = Deps::of(&set(&["bump", "loop"]), &v1);
        assert!(deps.unchanged(&v1));
        let mut net_changed = v1.clone();
        net_changed.insert("net".into(), 8);
        assert!(deps.unchanged(&net_changed), "net was not read");
        let mut bump_changed = v1.clone();
        bump_changed.insert("bump".into(), 2);
        assert!(!deps.unchanged(&bump_changed));
        // A name that was no result then (0) becomes one: the chapter is stale.
        let mut new_loop = v1.clone();
        new_loop.insert("loop".into(), 3);
        assert!(!deps.unchanged(&new_loop));
    }

    #[test]
    fn reading_results_depends_on_everything() {
        let v1 = BTreeMap::from([("bump".to_string(), 1)]);
        let deps = Deps::of(&set(&["results"]), &v1);
        let mut added = v1.clone();
        added.insert("tiny".into(), 5);
        assert!(deps.unchanged(&v1));
        assert!(!deps.unchanged(&added));
    }

    #[test]
    fn a_prose_edit_gives_the_site_a_full_render_gives() {
        // The default book (labels and numbered cross-references included), in a temporary
        // copy: a session's site after a prose edit against a full render of the edited book.
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let root = tmp.path();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(repo.join("book.toml"), root.join("book.toml")).expect("book.toml");
        std::fs::create_dir(root.join("content")).expect("content/");
        for entry in std::fs::read_dir(repo.join("content"))
            .expect("content/")
            .flatten()
        {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), root.join("content").join(entry.file_name()))
                    .expect("a chapter");
            }
        }
        let options = RenderOptions::default();
        let mut session = Session::new(root, options.clone());
        session.update().expect("the book builds");
        let chapter = root.join("content/q1-skip-connections.md");
        let text = std::fs::read_to_string(&chapter).expect("the chapter");
        std::fs::write(&chapter, format!("{text}\nA sentence added.\n")).expect("editing");
        let report = session.update().expect("the edit builds");
        assert_eq!(report.rerendered, ["q1-skip-connections.md"]);
        let mut book = Book::load(root).expect("the book loads");
        book.preprocess().expect("preprocessing");
        let outcomes =
            build::run_computations_with(&book, &Cache::for_book(root)).expect("results");
        let (full, _, _) = build::render_site(&book, outcomes, &options).expect("a full render");
        assert_eq!(
            session.site().files.keys().collect::<Vec<_>>(),
            full.files.keys().collect::<Vec<_>>()
        );
        for (path, bytes) in &full.files {
            assert!(
                session.site().files.get(path) == Some(bytes),
                "{path} differs"
            );
        }
    }
}
