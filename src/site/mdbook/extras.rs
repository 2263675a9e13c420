//! The files of an mdBook site besides its pages: the book's static files, `CNAME`, redirect
//! pages, the theme's favicons, and the 404 page's Markdown (`input-404`).

use crate::site::book::Book;
use crate::site::markdown;
use crate::site::mdbook::{Compat, redirect, statics};
use crate::site::output::Sink;
use anyhow::{Context, Result};
use std::path::PathBuf;

/// The redirect page script.
const REDIRECT_SCRIPT: &[u8] = include_bytes!("../../../templates/js/redirect.js");

/// Add the static files (under what is already in `site`), `CNAME`, the redirect pages and
/// the theme's favicons to `site`. An edition without solutions publishes no computation
/// file (script or study): what a solution computes must not reach its site.
pub fn add(book: &Book, site: &mut dyn Sink, without_solutions: bool) -> Result<()> {
    let html = &book.config.output.html;
    let computations: Vec<PathBuf> = if without_solutions {
        book.computations
            .iter()
            .filter_map(|c| c.file.canonicalize().ok())
            .collect()
    } else {
        Vec::new()
    };
    statics::add(
        &book.root,
        &book.src_dir(),
        &book.root.join(&book.config.build.build_dir),
        &computations,
        site,
    )?;
    if let Some(cname) = &html.cname {
        site.put("CNAME", format!("{cname}\n").as_bytes())?;
    }
    let pages = redirect::pages(&html.redirect, |p| site.contains(p))
        .map_err(|why| anyhow::anyhow!("{}: {why}", book.root.join("book.toml").display()))?;
    if !pages.is_empty() || redirect::has_fragments(&html.redirect) {
        site.put(redirect::SCRIPT_PATH, REDIRECT_SCRIPT)?;
    }
    for page in pages {
        site.put(&page.path, page.html.as_bytes())?;
    }
    for name in ["favicon.svg", "favicon.png"] {
        let file = theme_dir(book).join(name);
        if file.is_file() {
            crate::site::book::inside_book(&book.root, &file)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            site.put(name, &bytes)?;
        }
    }
    Ok(())
}

/// Whether the theme folder has a `favicon.png` (the pages then link it too).
pub fn has_png_favicon(book: &Book) -> bool {
    theme_dir(book).join("favicon.png").is_file()
}

/// The theme folder: `output.html.theme`, or `theme/` in the book.
fn theme_dir(book: &Book) -> PathBuf {
    book.root.join(
        book.config
            .output
            .html
            .theme
            .clone()
            .unwrap_or_else(|| PathBuf::from("theme")),
    )
}

/// The 404 page: its site path and body. With `input-404` (or a `404.md` in `src`), that
/// Markdown rendered as mdBook renders it (no templates or directives); otherwise `fallback`.
pub fn not_found(book: &Book, fallback: &str) -> Result<(String, String)> {
    let configured = book.config.output.html.input_404.clone();
    let name = configured.clone().unwrap_or_else(|| "404.md".to_string());
    let file = book.src_dir().join(&name);
    let out = name.replace(".md", ".html");
    if configured.is_none() && !file.is_file() {
        return Ok((out, fallback.to_string()));
    }
    let source = crate::site::book::read_book_text(&book.root, &file)
        .with_context(|| format!("output.html.input-404 = \"{name}\""))?;
    let options = Compat::of(&book.config).markdown_options();
    let rendered = markdown::render_with(&source, &mut |_, _, _| Ok(None), options)
        .map_err(|e| e.in_file(&file, &source))?;
    Ok((out, rendered.html))
}

/// One warning for each file of the theme folder gradbook does not use (everything but the
/// favicons and the files `additional` names, the book's `additional-css` and
/// `additional-js`, which many books keep there): mdBook's Handlebars templates, stylesheets
/// and scripts are written for mdBook's page markup.
pub fn theme_warnings(
    root: &std::path::Path,
    theme: Option<&std::path::Path>,
    additional: &[&std::path::Path],
) -> Vec<String> {
    let dir = root.join(theme.unwrap_or(std::path::Path::new("theme")));
    let used: Vec<std::path::PathBuf> = additional.iter().map(|p| root.join(p)).collect();
    let mut files = Vec::new();
    let mut todo = vec![dir.clone()];
    while let Some(folder) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(path);
            } else if !used.contains(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter_map(|file| {
            let name = file.strip_prefix(root).unwrap_or(&file).display().to_string();
            let why = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
                _ if name.ends_with("favicon.svg") || name.ends_with("favicon.png") => return None,
                "hbs" => "mdBook's Handlebars templates are not used: gradbook draws its pages with its own templates (override them in `templates/`)",
                "css" => "mdBook's stylesheets style mdBook's page markup, not gradbook's: add your CSS with `output.html.additional-css`",
                "js" => "mdBook's scripts work on mdBook's page markup, not gradbook's: add your scripts with `output.html.additional-js`",
                _ => "gradbook uses only `favicon.svg` and `favicon.png` from the theme folder",
            };
            Some(format!("{name}: {why}"))
        })
        .collect()
}
