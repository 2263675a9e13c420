//! Loading a book from disk: `book.toml`, `SUMMARY.md`, the chapter files and the
//! computation files (`*.py`, `*.toml` with a `kind`) under the book's `src` folder.

use crate::compute::Kind;
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::site::suggest;
use crate::site::summary::{self, Entry, Summary};
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A book read from disk, before anything is computed or rendered.
#[derive(Debug, Clone)]
pub struct Book {
    /// The book's root folder (where book.toml is).
    pub root: PathBuf,
    /// The parsed book.toml.
    pub config: Config,
    /// The table of contents.
    pub summary: Summary,
    /// Every chapter that has a file, in reading order.
    pub chapters: Vec<Chapter>,
    /// Every computation file, sorted by path.
    pub computations: Vec<ComputationFile>,
    /// Page titles set by `{{#title …}}`, by chapter path.
    pub page_titles: std::collections::BTreeMap<String, String>,
}

/// A chapter and its Markdown source.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Title from SUMMARY.md.
    pub name: String,
    /// Section number as shown (`2.1.`), empty for prefix and suffix chapters.
    pub number: String,
    /// Path relative to the book's `src` folder, with `/` separators (`q1/intro.md`).
    pub path: String,
    /// The file as named in messages (`content/q1/intro.md`).
    pub file: PathBuf,
    /// The Markdown (Tera template) source.
    pub source: String,
}

impl Chapter {
    /// The page's path in the site (`q1/intro.html`).
    pub fn out_path(&self) -> String {
        html_path(&self.path)
    }
}

/// A computation file and its text.
#[derive(Debug, Clone)]
pub struct ComputationFile {
    /// The file stem, which names the result in chapters (`bump` for `bump.toml`).
    pub stem: String,
    /// The file as named in messages.
    pub file: PathBuf,
    /// What it computes.
    pub kind: Kind,
    /// Its text.
    pub source: String,
}

/// The site path of a chapter file: `a/b.md` → `a/b.html`.
pub fn html_path(md_path: &str) -> String {
    match md_path.strip_suffix(".md") {
        Some(stem) => format!("{stem}.html"),
        None => md_path.to_string(),
    }
}

/// A `/`-separated path as mdBook reads it once joined to a folder: `.` segments, doubled
/// slashes and a leading `/` change nothing (`./vec//vec.md` is `vec/vec.md`).
pub fn joined_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Strip a leading `./` so messages name `content/x.md` rather than `./content/x.md`.
pub fn display_path(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

/// Read text, naming the file in the error (and the line and column of the first byte that is
/// not UTF-8). A leading byte order mark is dropped; line endings are left as they are (every
/// parser of gradbook reads `\r\n` as a line end).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let shown_path = display_path(path);
    if let Some((encoding, first_line)) = utf16_first_line(&bytes) {
        return Err(Diagnostic::at(
            &shown_path,
            &first_line,
            0..0,
            &format!(
                "this file is {encoding} text (it starts with a {encoding} byte order mark): expected UTF-8 text; save it as UTF-8"
            ),
        )
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|err| {
        let valid = err.utf8_error().valid_up_to();
        let line_end = err.as_bytes()[valid..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(err.as_bytes().len(), |i| valid + i);
        let shown = String::from_utf8_lossy(&err.as_bytes()[..line_end]).into_owned();
        Diagnostic::at(
            &shown_path,
            &shown,
            valid..valid + 1,
            "this file is not valid UTF-8: expected UTF-8 text",
        )
    })?;
    Ok(match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The encoding and the first line of text that starts with a UTF-16 byte order mark, as
/// editors that save "Unicode" text write it.
fn utf16_first_line(bytes: &[u8]) -> Option<(&'static str, String)> {
    let (encoding, unit): (_, fn([u8; 2]) -> u16) = match bytes {
        [0xFF, 0xFE, ..] => ("UTF-16LE", u16::from_le_bytes),
        [0xFE, 0xFF, ..] => ("UTF-16BE", u16::from_be_bytes),
        _ => return None,
    };
    let units = bytes[2..].chunks_exact(2).map(|b| unit([b[0], b[1]]));
    let line = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .take_while(|&c| c != '\n')
        .collect::<String>();
    Some((encoding, line.trim_end_matches('\r').to_string()))
}

/// [`read_text`] of a file of the book rooted at `root`, refusing a file that is (or lies
/// behind) a symbolic link leading out of the book.
pub fn read_book_text(root: &Path, path: &Path) -> Result<String> {
    inside_book(root, path)?;
    read_text(path)
}

/// `path` with every symbolic link resolved, if it lies inside the book folder `root` (also
/// resolved). A path that leads out of the book is an error naming the link and its target.
pub fn inside_book(root: &Path, path: &Path) -> Result<PathBuf> {
    let root_real = root
        .canonicalize()
        .with_context(|| format!("reading {}", root.display()))?;
    let real = path
        .canonicalize()
        .with_context(|| format!("reading {}", path.display()))?;
    if real.starts_with(&root_real) {
        return Ok(real);
    }
    // Name the link that leaves the book: the first component of `path` that is a link.
    let mut link = PathBuf::new();
    for part in path.components() {
        link.push(part);
        if link.is_symlink() {
            break;
        }
    }
    anyhow::bail!(
        "{}: this symbolic link leads to {}, outside the book folder {}: gradbook reads only files inside the book",
        display_path(&link).display(),
        real.display(),
        root_real.display()
    )
}

/// The file in `path`'s folder that `path` was most likely meant to name, and whether it
/// differs only in case ([`suggest::meant_name`]); only a folder inside the book rooted at
/// `root` is listed.
fn meant_file(root: &Path, path: &Path) -> Option<(PathBuf, bool)> {
    let folder = path.parent()?;
    inside_book(root, folder).ok()?;
    let (name, only_case) = suggest::meant_name(folder, path.file_name()?.to_str()?)?;
    Some((folder.join(name), only_case))
}

impl Book {
    /// Read the book rooted at `root`.
    pub fn load(root: &Path) -> Result<Book> {
        if !root.is_dir() {
            anyhow::bail!("{}: no such book folder", root.display());
        }
        let config = Config::load(root)?;
        let src = display_path(&root.join(&config.book.src));
        let summary_file = src.join("SUMMARY.md");
        let summary_source = read_book_text(root, &summary_file)?;
        let summary = summary::parse(&summary_source)
            .map_err(|e| e.in_file(&summary_file, &summary_source))?;
        for (span, message) in &summary.warnings {
            crate::diag::Diagnostic::warn(&summary_file, &summary_source, span.clone(), message);
        }
        let mut chapters = Vec::new();
        // The paths listed so far (a set: a list made loading quadratic in the chapters).
        let mut listed: HashSet<&str> = HashSet::new();
        for entry in &summary.entries {
            let Entry::Chapter(c) = entry else { continue };
            let Some(path) = &c.path else { continue };
            let file = src.join(path);
            let problem = if !file.is_file() {
                let missing = format!("chapter file `{}` does not exist", file.display());
                Some(match meant_file(root, &file) {
                    Some((near, only_case)) => missing + &suggest::hint(near.display(), only_case),
                    None => missing,
                })
            } else if !listed.insert(path.as_str()) {
                Some(format!("`{path}` is listed twice"))
            } else {
                inside_book(root, &file).err().map(|e| e.to_string())
            };
            if let Some(message) = problem {
                let at = c.span.clone();
                return Err(Diagnostic::at(&summary_file, &summary_source, at, &message).into());
            }
            let source = read_text(&file)?;
            chapters.push(Chapter {
                name: c.name.clone(),
                number: if config.output.html.no_section_label {
                    String::new()
                } else {
                    c.number_label()
                },
                path: path.clone(),
                source,
                file,
            });
        }
        let computations = find_computations(root, &src)?;
        Ok(Book {
            root: root.to_path_buf(),
            config,
            summary,
            chapters,
            computations,
            page_titles: std::collections::BTreeMap::new(),
        })
    }

    /// Run the book's preprocessors in mdBook's order: the built-in `links` (link directives)
    /// and `index` (`README.md` → `index.md`) unless `use-default-preprocessors = false`, and
    /// every `[preprocessor.*]` program through mdBook's protocol, so a program ordered
    /// `before = ["links"]` sees the directives and one ordered after sees their expansion.
    pub fn preprocess(&mut self) -> Result<()> {
        let preprocessors = self.config.preprocessor.clone();
        crate::site::mdbook::preprocess::run(self, &preprocessors)
    }

    /// mdBook's `links` preprocessor: expand `{{#include}}` and the other link directives of
    /// every chapter, and take the `{{#title}}` page titles.
    pub fn expand_links(&mut self) -> Result<()> {
        let scope = crate::site::mdbook::links::Scope::of_book(&self.root)
            .with_context(|| format!("reading {}", self.root.display()))?;
        for chapter in &mut self.chapters {
            let dir = chapter.file.parent().unwrap_or(Path::new("."));
            let expanded =
                crate::site::mdbook::links::expand(&chapter.source, &chapter.file, dir, &scope)?;
            chapter.source = expanded.text;
            if let Some(title) = expanded.title {
                self.page_titles.insert(chapter.path.clone(), title);
            }
        }
        Ok(())
    }

    /// mdBook's `index` preprocessor: every `README.md` chapter becomes its folder's index page.
    pub fn rename_readmes(&mut self) {
        crate::site::mdbook::index::rename_readmes(
            &mut self.summary,
            &mut self.chapters,
            &mut self.page_titles,
        );
    }

    /// The folder with SUMMARY.md, as named in messages.
    pub fn src_dir(&self) -> PathBuf {
        display_path(&self.root.join(&self.config.book.src))
    }
}

/// Every `*.py` and `*.toml`-with-`kind` file under `src`, sorted by path.
pub fn find_computations(root: &Path, src: &Path) -> Result<Vec<ComputationFile>> {
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    walk(root, src, &mut visited, &mut files)?;
    files.sort();
    let mut found: Vec<ComputationFile> = Vec::new();
    for file in files {
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if extension != "py" && extension != "toml" {
            continue;
        }
        let source = read_book_text(root, &file)?;
        let Some(kind) =
            Kind::of_file(extension, &source).map_err(|e| e.in_file(&file, &source))?
        else {
            continue;
        };
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if let Some(other) = found.iter().find(|c| c.stem == stem) {
            anyhow::bail!(
                "{} and {} both define the computation `{stem}`: results are named by file stem, so stems must be unique",
                other.file.display(),
                file.display()
            );
        }
        found.push(ComputationFile {
            stem,
            file,
            kind,
            source,
        });
    }
    Ok(found)
}

/// Collect the files under `dir`, skipping hidden ones. A folder reached a second time (through
/// a symbolic link such as `a -> .`) is not walked again; a link leaving the book is an error.
fn walk(
    root: &Path,
    dir: &Path,
    visited: &mut HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    if !visited.insert(inside_book(root, dir)?) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk(root, &path, visited, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_paths() {
        assert_eq!(html_path("a/b.md"), "a/b.html");
        assert_eq!(html_path("intro.md"), "intro.html");
    }

    #[test]
    fn read_text_drops_a_bom_and_locates_bad_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.md");
        std::fs::write(&file, "\u{FEFF}# Title\r\nbody\r\n").unwrap();
        assert_eq!(read_text(&file).unwrap(), "# Title\r\nbody\r\n");
        std::fs::write(&file, b"ok\nab\xffc\n").unwrap();
        let err = read_text(&file).unwrap_err().to_string();
        assert!(err.contains("t.md:2:3:"), "{err}");
        // Text saved as "Unicode" (UTF-16 with its byte order mark) is named as such, its
        // first line shown decoded.
        for (bom, unit) in [
            ([0xFF, 0xFE], u16::to_le_bytes as fn(u16) -> [u8; 2]),
            ([0xFE, 0xFF], u16::to_be_bytes),
        ] {
            let mut bytes = bom.to_vec();
            bytes.extend("# Café\r\nbody\n".encode_utf16().flat_map(unit));
            std::fs::write(&file, bytes).unwrap();
            let err = format!("{:#}", read_text(&file).unwrap_err());
            assert!(err.contains("t.md:1:1: this file is UTF-16"), "{err}");
            assert!(err.contains("save it as UTF-8"), "{err}");
            assert!(err.contains("| # Café\n"), "{err}");
        }
    }

    #[test]
    fn a_chapter_listed_in_another_case_or_with_a_typo_is_suggested() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path();
        std::fs::create_dir_all(book.join("src")).unwrap();
        std::fs::write(book.join("book.toml"), "[book]\ntitle = \"T\"\n").unwrap();
        std::fs::write(book.join("src/SUMMARY.md"), "# S\n\n- [A](Intro.md)\n").unwrap();
        std::fs::write(book.join("src/intro.md"), "# A\n").unwrap();
        let err = format!("{:#}", Book::load(book).unwrap_err());
        assert!(
            err.contains("SUMMARY.md:3:3: chapter file `")
                && err.contains(
                    "src/Intro.md` does not exist (file names are case-sensitive): did you mean `"
                )
                && err.contains("src/intro.md`?"),
            "{err}"
        );
        std::fs::write(book.join("src/SUMMARY.md"), "# S\n\n- [A](intor.md)\n").unwrap();
        let err = format!("{:#}", Book::load(book).unwrap_err());
        assert!(
            err.contains("src/intor.md` does not exist: did you mean `")
                && err.contains("src/intro.md`?"),
            "{err}"
        );
        std::fs::remove_file(book.join("src/intro.md")).unwrap();
        let err = format!("{:#}", Book::load(book).unwrap_err());
        assert!(err.contains("src/intor.md` does not exist\n"), "{err}");
    }

    #[test]
    fn links_out_of_the_book_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let book = dir.path().join("book");
        std::fs::create_dir_all(book.join("content")).unwrap();
        std::fs::write(dir.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), book.join("content/leak.md"))
            .unwrap();
        std::os::unix::fs::symlink(".", book.join("content/again")).unwrap();
        let err = read_book_text(&book, &book.join("content/leak.md"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("content/leak.md: this symbolic link leads to"),
            "{err}"
        );
        let inside = inside_book(&book, &book.join("content/again/again")).unwrap();
        assert_eq!(inside, book.join("content").canonicalize().unwrap());
        let mut files = Vec::new();
        // `again -> .` is walked once; the leaking link is listed and refused when read.
        walk(
            &book,
            &book.join("content"),
            &mut HashSet::new(),
            &mut files,
        )
        .unwrap();
        assert_eq!(files, vec![book.join("content/leak.md")]);
    }

    #[test]
    fn display_path_strips_dot() {
        assert_eq!(
            display_path(Path::new("./content/x.md")),
            PathBuf::from("content/x.md")
        );
    }
}
