//! The whole build: load the book, run every computation, render every page, write the site.

use crate::compute::Outcome;
use crate::figure;
use crate::figure::export::{self, Format};
use crate::site::assets;
use crate::site::authoring::edition::{self, Edition};
use crate::site::authoring::{marker, numbering};
use crate::site::book::{Book, Chapter};
use crate::site::cache::Cache;
use crate::site::chapter::{self, Inputs};
use crate::site::markdown::Rendered;
use crate::site::output::{self, Sink, SiteFiles};
use crate::site::print;
use crate::site::search;
use crate::site::templates;
use crate::site::toc;
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options that change what pages contain.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// A `<script>` the dev server injects into every page (never set by `build`).
    pub live_reload_script: Option<String>,
    /// Leave every `::: {.solution}` out (the student edition).
    pub without_solutions: bool,
    /// Chapter templates already parsed (see [`chapter::parse_ahead_while`]).
    pub parsed: std::sync::Arc<std::sync::Mutex<chapter::Parsed>>,
}

/// What a build did, for the summary line.
#[derive(Debug, Clone)]
pub struct BuildReport {
    /// HTML pages written.
    pub pages: usize,
    /// Distinct figures drawn (and written as standalone files when enabled).
    pub figures: usize,
    /// Computations run or taken from the results cache.
    pub computations: usize,
    /// Of those, how many came from the results cache.
    pub cached: usize,
    /// Wall time of the whole build.
    pub elapsed: Duration,
    /// Where the site went.
    pub dest: PathBuf,
}

/// Build the book at `root` into `dest` (default: `build.build-dir` from book.toml), both
/// relative paths being taken from the book root as mdBook does.
pub fn build(root: &Path, dest: Option<&Path>) -> Result<BuildReport> {
    build_edition(root, dest, None)
}

/// [`build`] one edition of the book (`None`: the solutions edition), into its own output
/// folder unless `dest` is given.
pub fn build_edition(
    root: &Path,
    dest: Option<&Path>,
    edition: Option<&str>,
) -> Result<BuildReport> {
    let start = Instant::now();
    let mut book = Book::load(root)?;
    let edition = Edition::resolve(&book.config, edition)?;
    edition.apply(&mut book);
    let dest = guard_destination(&book, dest)?;
    book.preprocess()?;
    let cache = Cache::for_book(&book.root);
    let compat = crate::site::mdbook::Compat::of(&book.config);
    // Templates are parsed ahead only where there is work to overlap.
    let (outcomes, parsed) = if book.computations.is_empty() {
        (run_computations_with(&book, &cache), chapter::Parsed::new())
    } else {
        chapter::parse_ahead_while(&book.chapters, edition.solutions, &compat, || {
            run_computations_with(&book, &cache)
        })
    };
    let outcomes = outcomes?;
    let computations = outcomes.len();
    let options = RenderOptions {
        without_solutions: !edition.solutions,
        parsed: std::sync::Arc::new(std::sync::Mutex::new(parsed)),
        ..RenderOptions::default()
    };
    let (pages, figures) =
        output::write_streaming(&dest, |sink| render_into(&book, outcomes, &options, sink))?;
    Ok(BuildReport {
        pages,
        figures,
        computations,
        cached: cache.hits(),
        elapsed: start.elapsed(),
        dest: dest.shown,
    })
}

/// The checked destination of `book`'s site: `-d DEST` when given, else `build-dir`; refused
/// before anything is computed when it would overwrite the book or a folder that is not a site.
fn guard_destination(book: &Book, dest: Option<&Path>) -> Result<output::Destination> {
    let (requested, origin) = match dest {
        Some(dest) => (dest, "-d"),
        None => (
            book.config.build.build_dir.as_path(),
            "build-dir in book.toml",
        ),
    };
    let protected = output::Protected::of_book(book)?;
    let dest = output::Destination::check(&book.root, requested, origin, &protected)?;
    output::ensure_replaceable(&dest)?;
    Ok(dest)
}

/// Run every computation of the book (in parallel), taking unchanged results from the
/// book's results cache; the first failure, in file order, is returned as a located
/// diagnostic.
pub fn run_computations(book: &Book) -> Result<BTreeMap<String, Outcome>> {
    run_computations_with(book, &Cache::for_book(&book.root))
}

/// [`run_computations`] with the results cache `cache`.
pub fn run_computations_with(book: &Book, cache: &Cache) -> Result<BTreeMap<String, Outcome>> {
    let results: Vec<Result<(String, Outcome)>> = book
        .computations
        .par_iter()
        .map(|c| {
            cache
                .run(c.kind, &c.source)
                .map(|o| (c.stem.clone(), o))
                .map_err(|e| e.in_file(&c.file, &c.source).into())
        })
        .collect();
    results.into_iter().collect()
}

/// Render every page of the site from the outcomes: (files, page count, figure count).
pub fn render_site(
    book: &Book,
    outcomes: BTreeMap<String, Outcome>,
    options: &RenderOptions,
) -> Result<(SiteFiles, usize, usize)> {
    let mut site = SiteFiles::default();
    let (pages, figures) = render_into(book, outcomes, options, &mut site)?;
    Ok((site, pages, figures))
}

/// Chapters rendered (in parallel) at a time before their pages are written: bounds the pages
/// held in memory.
const RENDER_WINDOW: usize = 16;

/// Render every page of the site from the outcomes into `sink`, each page as soon as it is
/// wrapped: (page count, figure count).
pub fn render_into(
    book: &Book,
    outcomes: BTreeMap<String, Outcome>,
    options: &RenderOptions,
    sink: &mut dyn Sink,
) -> Result<(usize, usize)> {
    // The page templates do not depend on the results: parsed while the results convert.
    let (mut inputs, tera) = rayon::join(
        || chapter_inputs(book, outcomes),
        || templates::page_templates(&book.root),
    );
    let tera = tera?;
    inputs.solutions = !options.without_solutions;
    inputs.parsed = options.parsed.clone();
    let search = book.config.output.html.search.enable;
    let render = |chapters: &[Chapter]| {
        chapters
            .par_iter()
            .map(|c| {
                let mut page = chapter::render(c, &inputs)?;
                if !search {
                    // Only the search index reads them.
                    page.sections = Vec::new();
                }
                Ok(page)
            })
            .collect::<Result<Vec<_>, crate::diag::Diagnostic>>()
    };
    let pages = Pages::new(book, &tera, options);
    let mut book_wide = pages.book_wide(sink)?;
    let mut count = 0;
    let mut write = |i: usize, page: &Rendered, sink: &mut dyn Sink| -> Result<()> {
        for (path, html) in pages.chapter_pages(i, &page.html)? {
            sink.put(&path, html.as_bytes())?;
            count += 1;
        }
        book_wide.add(page, sink)
    };
    // A page without numbering placeholders is final as rendered, and is written (and
    // dropped) as soon as the pages before it are; from the first page that needs the book's
    // labels on, pages are kept until every chapter has been rendered.
    let mut rendered: Vec<Rendered> = Vec::with_capacity(book.chapters.len());
    let mut first_kept = None;
    for window in book.chapters.chunks(RENDER_WINDOW) {
        for page in render(window)? {
            let i = rendered.len();
            if first_kept.is_none() && !page.html.contains(marker::OPEN) {
                write(i, &page, sink)?;
                rendered.push(Rendered::default());
            } else {
                first_kept.get_or_insert(i);
                rendered.push(page);
            }
        }
    }
    let full = if options.without_solutions {
        Some(edition::full_numbers(book, &inputs)?)
    } else {
        None
    };
    if let Some(first) = first_kept {
        numbering::number_book(&book.chapters, &mut rendered, full.as_ref())?;
        for (i, page) in rendered.into_iter().enumerate().skip(first) {
            write(i, &page, sink)?;
        }
    }
    let used = inputs
        .used_figures
        .lock()
        .map(|u| u.clone())
        .unwrap_or_default();
    // The standalone figures are drawn (in parallel) while the book-wide files are written.
    let outcomes = inputs.outcomes.clone();
    let (finished, standalone) = std::thread::scope(|scope| {
        let drawn = scope.spawn(|| {
            if !book.config.gradbook.standalone_figures {
                return Ok(Vec::new());
            }
            used.par_iter()
                .map(|(stem, kind)| standalone_figure(book, &outcomes, stem, kind))
                .collect::<Result<Vec<_>>>()
        });
        let finished = book_wide.finish(sink);
        (finished, drawn.join())
    });
    count += finished?;
    let standalone = standalone.map_err(|_| {
        anyhow::anyhow!("internal error while drawing the standalone figures (a bug in gradbook)")
    })??;
    for (path, bytes) in standalone.iter().flatten() {
        sink.put(path, bytes)?;
    }
    // The results' JSON is the largest value of a build: freed off the build's path.
    rayon::spawn(move || drop((inputs, outcomes)));
    Ok((count, used.len()))
}

/// What every chapter is rendered from: the outcomes, the book's metadata and its digits.
pub fn chapter_inputs(book: &Book, outcomes: BTreeMap<String, Outcome>) -> Inputs {
    let mut inputs = Inputs::new(
        outcomes,
        book_json(book),
        *book.config.gradbook.digits.get_ref(),
    );
    inputs.layout = book.config.gradbook.layout;
    inputs.compat = crate::site::mdbook::Compat::of(&book.config);
    let html = &book.config.output.html;
    inputs.code = std::sync::Arc::new(crate::site::highlight::CodeConfig {
        playground: crate::site::mdbook::hidelines::Playground {
            runnable: html.playground.runnable.unwrap_or(true),
            editable: html.playground.editable.unwrap_or(false),
        },
        ..html.code.clone()
    });
    inputs.highlights =
        std::sync::Arc::new(crate::site::highlight::cache::Cache::for_book(&book.root));
    inputs
}

/// Where a figure's standalone file goes: `figures/<stem>-<kind>.<ext>`, with any `/` of a
/// variant kind (`paths/literal/b1`) turned into `-` so every figure sits in one folder.
pub fn standalone_figure_path(stem: &str, kind: &str, format: Format) -> String {
    format!(
        "figures/{stem}-{}.{}",
        kind.replace('/', "-"),
        format.extension()
    )
}

/// The standalone files of one figure (`figures/<stem>-<kind>.svg`, `.png`, `.pdf`, as the
/// book's `standalone-formats` ask), in the book's `standalone-theme`; none if the figure
/// does not exist.
pub fn standalone_figure(
    book: &Book,
    outcomes: &BTreeMap<String, Outcome>,
    stem: &str,
    kind: &str,
) -> Result<Vec<(String, Vec<u8>)>> {
    let settings = &book.config.gradbook;
    let Some(svg) = outcomes.get(stem).and_then(|o| {
        let prefix = format!("{stem}-{}-", kind.replace('/', "-"));
        let digits = crate::format::Digits(*settings.digits.get_ref());
        figure::draw_with_digits(o, kind, &prefix, settings.layout, digits)
    }) else {
        return Ok(Vec::new());
    };
    let mut formats = settings.standalone_formats.clone();
    formats.sort();
    formats.dedup();
    formats
        .into_iter()
        .map(|format| {
            let path = standalone_figure_path(stem, kind, format);
            let bytes = export::render(
                &svg,
                format,
                settings.standalone_theme,
                *settings.standalone_scale.get_ref(),
            )
            .with_context(|| format!("writing the standalone figure {path}"))?;
            Ok((path, bytes))
        })
        .collect()
}

/// The book's metadata as templates and chapters see it (`book.title`, …).
fn book_json(book: &Book) -> Value {
    let config = &book.config;
    json!({
        "title": config.book.title,
        "description": config.book.description,
        "authors": config.book.authors,
        "language": config.book.language,
        "text_direction": config.book.text_direction.get_ref(),
    })
}

/// Wraps rendered chapters into pages: one chapter at a time (so a dev server can redo just
/// one), then the files every chapter feeds (print page, search index) and the fixed ones.
pub struct Pages<'a> {
    book: &'a Book,
    tera: &'a templates::PageTemplates,
    book_json: Value,
    options: &'a RenderOptions,
}

impl<'a> Pages<'a> {
    /// A page writer for `book` with its page templates.
    pub fn new(
        book: &'a Book,
        tera: &'a templates::PageTemplates,
        options: &'a RenderOptions,
    ) -> Self {
        Pages {
            book,
            tera,
            book_json: book_json(book),
            options,
        }
    }

    /// The pages of chapter `i` whose body is `html`: its own page, and `index.html` for the
    /// first chapter when that is not already its path.
    pub fn chapter_pages(&self, i: usize, html: &str) -> Result<Vec<(String, String)>> {
        let chapter = &self.book.chapters[i];
        let path = chapter.out_path();
        if is_shared_path(&path) {
            anyhow::bail!(
                "{}: its page would be {path}, a file gradbook writes for the whole book; rename the chapter",
                chapter.file.display()
            );
        }
        let mut out = Vec::new();
        if i == 0 && path != "index.html" {
            out.push((
                "index.html".to_string(),
                self.chapter_page(i, "index.html", html)?,
            ));
        }
        let page = self.chapter_page(i, &path, html)?;
        out.push((path, page));
        Ok(out)
    }

    /// The print page, the 404 page, the table of contents (data and page), the search index,
    /// the static assets and the book's extra CSS and JS, from every chapter's rendering (in
    /// book order); returns the pages added.
    pub fn shared_files(&self, rendered: &[Rendered], site: &mut dyn Sink) -> Result<usize> {
        let mut book_wide = self.book_wide(site)?;
        for page in rendered {
            book_wide.add(page, site)?;
        }
        book_wide.finish(site)
    }

    /// Start the files every chapter feeds, to be given each chapter's rendering in book order
    /// ([`BookWide::add`]) and completed with the book's other shared files
    /// ([`BookWide::finish`]).
    pub fn book_wide(&self, site: &mut dyn Sink) -> Result<BookWide<'_, 'a>> {
        let book = self.book;
        let print = if book.config.output.html.print.enable {
            // A book's own templates may use the content otherwise than printing it once.
            let own_templates = assets::TEMPLATES
                .iter()
                .any(|(name, _)| book.root.join("templates").join(name).is_file());
            let page = if own_templates {
                None
            } else {
                Some(self.special_page(print::PATH, print::PLACEHOLDER, "Print")?)
            };
            Some(print::Writer::start(&book.chapters, page.as_deref(), site)?)
        } else {
            None
        };
        Ok(BookWide {
            pages: self,
            print,
            docs: Vec::new(),
            next: 0,
        })
    }

    /// The 404 page, the table of contents (data and page), the search index of `docs`, the
    /// static assets and the book's extra CSS and JS; returns the pages added.
    fn other_shared_files(&self, docs: &[search::Doc], site: &mut dyn Sink) -> Result<usize> {
        let book = self.book;
        let config = &book.config;
        let mut pages = 0;
        let not_found = "<h1 id=\"page-not-found\">Page not found</h1>\n<p>This page does not exist. Try the table of contents or the search box.</p>\n";
        let (not_found_path, not_found) = crate::site::mdbook::extras::not_found(book, not_found)?;
        let html = self.special_page("404.html", &not_found, "Page not found")?;
        site.put(&not_found_path, html.as_bytes())?;
        pages += 1;
        let numbered = !config.output.html.no_section_label;
        site.put(
            toc::DATA_PATH,
            toc::data_script(
                &book.summary,
                numbered,
                crate::site::mdbook::fold::level(&config.output.html.fold),
            )
            .as_bytes(),
        )?;
        let contents = toc::page_body(&book.summary, numbered);
        let html = self.toc_page(&contents)?;
        site.put(toc::PAGE_PATH, html.as_bytes())?;
        pages += 1;
        if config.output.html.search.enable {
            site.put("searchindex.js", search::index_script(docs).as_bytes())?;
        }
        for (path, bytes) in assets::STATIC {
            site.put(path, bytes)?;
        }
        for extra in config
            .output
            .html
            .additional_css
            .iter()
            .chain(&config.output.html.additional_js)
        {
            let file = book.root.join(extra);
            crate::site::book::inside_book(&book.root, &file)?;
            let bytes = std::fs::read(&file)
                .with_context(|| format!("reading {} (listed in book.toml)", file.display()))?;
            site.put(&extra.to_string_lossy().replace('\\', "/"), &bytes)?;
        }
        crate::site::mdbook::extras::add(book, site, self.options.without_solutions)?;
        Ok(pages)
    }
}

/// The files every chapter feeds, filled one chapter at a time in book order: the print page
/// (written as it grows) and the search index's documents; see [`Pages::book_wide`].
pub struct BookWide<'p, 'a> {
    pages: &'p Pages<'a>,
    print: Option<print::Writer>,
    docs: Vec<search::Doc>,
    /// The index of the next chapter.
    next: usize,
}

impl BookWide<'_, '_> {
    /// Add the next chapter's rendering.
    pub fn add(&mut self, page: &Rendered, site: &mut dyn Sink) -> Result<()> {
        let chapter = self
            .pages
            .book
            .chapters
            .get(self.next)
            .context("internal: more renderings than chapters")?;
        self.next += 1;
        if let Some(print) = &mut self.print {
            print.add(chapter, &page.html, site)?;
        }
        if self.pages.book.config.output.html.search.enable {
            self.docs.extend(search::docs(
                &chapter.name,
                &chapter.out_path(),
                &page.sections,
            ));
        }
        Ok(())
    }

    /// Complete the print page and write every other shared file; returns the pages added.
    pub fn finish(self, site: &mut dyn Sink) -> Result<usize> {
        let pages = self.pages;
        let mut count = 0;
        if let Some(print) = self.print {
            print.finish(site, |body| pages.special_page(print::PATH, body, "Print"))?;
            count += 1;
        }
        Ok(count + pages.other_shared_files(&self.docs, site)?)
    }
}

/// Whether a site path is one of the book-wide files (print page, 404 page, table of contents,
/// search index, assets), which no chapter's page may replace.
fn is_shared_path(path: &str) -> bool {
    [
        "print.html",
        "404.html",
        "searchindex.js",
        toc::PAGE_PATH,
        toc::DATA_PATH,
    ]
    .contains(&path)
        || assets::STATIC.iter().any(|(p, _)| *p == path)
}

/// What differs from one page to the next.
struct PageSpec<'p> {
    template: &'p str,
    page: Value,
    root: String,
    active: Option<String>,
    prev: Option<Value>,
    next: Option<Value>,
    is_print: bool,
}

impl Pages<'_> {
    /// Chapter `index` as the page at site path `path`.
    fn chapter_page(&self, index: usize, path: &str, content: &str) -> Result<String> {
        let book = self.book;
        let chapter = &book.chapters[index];
        let root = toc::path_to_root(path);
        let link =
            |c: &Chapter| json!({"title": c.name, "link": format!("{root}{}", c.out_path())});
        let edit_url = book.config.output.html.edit_url_template.as_ref().map(|t| {
            t.replace(
                "{path}",
                &format!(
                    "{}/{}",
                    book.config.book.src.display(),
                    // The file's own name: a README.md chapter is published as index.html.
                    chapter
                        .file
                        .strip_prefix(book.src_dir())
                        .map_or(chapter.path.clone(), |p| p
                            .to_string_lossy()
                            .replace('\\', "/"))
                ),
            )
        });
        self.render(PageSpec {
            template: "page.html",
            page: json!({
                "title": chapter.name,
                "number": chapter.number,
                "path": path,
                "content": content,
                "edit_url": edit_url,
                "full_title": book.page_titles.get(&chapter.path),
                "fragment_map": crate::site::mdbook::redirect::fragment_map(path, &book.config.output.html.redirect),
            }),
            prev: index.checked_sub(1).map(|i| link(&book.chapters[i])),
            next: book.chapters.get(index + 1).map(link),
            active: Some(chapter.out_path()),
            root,
            is_print: false,
        })
    }

    /// A page that is not a chapter (`print.html`, `404.html`), drawn by the template of the
    /// same name at the site root.
    fn special_page(&self, path: &str, content: &str, title: &str) -> Result<String> {
        self.render(PageSpec {
            template: path,
            page: json!({"title": title, "number": "", "path": path, "content": content, "edit_url": null}),
            root: String::new(),
            active: None,
            prev: None,
            next: None,
            is_print: path == "print.html",
        })
    }

    /// The table-of-contents page (`toc.html`, the sidebar's fallback without JavaScript),
    /// drawn by the chapter template at the site root.
    fn toc_page(&self, content: &str) -> Result<String> {
        self.render(PageSpec {
            template: "page.html",
            page: json!({"title": "Table of contents", "number": "", "path": toc::PAGE_PATH, "content": content, "edit_url": null}),
            root: String::new(),
            active: None,
            prev: None,
            next: None,
            is_print: false,
        })
    }

    fn render(&self, spec: PageSpec<'_>) -> Result<String> {
        let html = &self.book.config.output.html;
        let context = json!({
            "book": self.book_json,
            "page": spec.page,
            "path_to_root": spec.root,
            "toc": toc::placeholder(spec.active.as_deref(), &spec.root),
            "prev": spec.prev,
            "next": spec.next,
            "theme": {"default": html.default_theme.get_ref(), "preferred_dark": html.preferred_dark_theme.get_ref()},
            "git_repository_url": html.git_repository_url,
            "search_enabled": html.search.enable,
            "print_enabled": html.print.enable,
            "additional_css": html.additional_css,
            "additional_js": html.additional_js,
            "copyable": html.playground.copyable.unwrap_or(true),
            "print_page_break": html.print.page_break.unwrap_or(true),
            "is_print": spec.is_print,
            "site_url": html.site_url,
            "favicon_png": crate::site::mdbook::extras::has_png_favicon(self.book),
            "live_reload_script": self.options.live_reload_script,
        });
        let context = tera::Context::from_value(context).context("building the page context")?;
        let template = spec.template;
        self.tera.render(template, &context)
    }
}
