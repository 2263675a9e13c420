//! Editions: the solutions edition (the default) shows every `::: {.solution}` block; the
//! student edition removes them from the chapter sources before anything is rendered, so no
//! solution text, figure or number reaches any file of its site.

use crate::config::Config;
use crate::site::book::Book;
use crate::site::chapter::{self, Inputs};
use crate::site::markdown::Rendered;
use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// `[gradbook.editions.NAME]` in book.toml.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct EditionConfig {
    /// Whether the edition shows the solutions (default: every edition but `student`).
    pub solutions: Option<bool>,
    /// Where its site goes (default: `build-dir` for editions with solutions, `build-dir`
    /// followed by `-NAME` for the others).
    pub build_dir: Option<PathBuf>,
    /// The book title it shows instead of `book.title`.
    pub title: Option<String>,
}

/// An edition chosen for a build.
#[derive(Debug, Clone, PartialEq)]
pub struct Edition {
    /// Its name (`solutions`, `student`, or one declared in book.toml).
    pub name: String,
    /// Whether solutions are shown.
    pub solutions: bool,
    /// Its own output folder, relative to the book root.
    pub build_dir: PathBuf,
    /// Its own title, if any.
    pub title: Option<String>,
}

impl Edition {
    /// The edition `name` (default `solutions`): `solutions` and `student` always exist; others
    /// must be declared under `[gradbook.editions]`.
    pub fn resolve(config: &Config, name: Option<&str>) -> Result<Edition> {
        let name = name.unwrap_or("solutions");
        let declared = config.gradbook.editions.get(name);
        if declared.is_none() && name != "solutions" && name != "student" {
            let mut known = vec!["solutions".to_string(), "student".to_string()];
            known.extend(config.gradbook.editions.keys().cloned());
            known.sort();
            known.dedup();
            bail!(
                "no edition named `{name}`: expected one of {} (declare others under [gradbook.editions.NAME] in book.toml)",
                known.join(", ")
            );
        }
        let declared = declared.cloned().unwrap_or_default();
        let solutions = declared.solutions.unwrap_or(name != "student");
        let default_dir = if solutions {
            config.build.build_dir.clone()
        } else {
            let mut dir = config.build.build_dir.clone().into_os_string();
            dir.push(format!("-{name}"));
            PathBuf::from(dir)
        };
        Ok(Edition {
            name: name.to_string(),
            solutions,
            build_dir: declared.build_dir.unwrap_or(default_dir),
            title: declared.title,
        })
    }

    /// Apply the edition to a loaded book: its title and its output folder.
    pub fn apply(&self, book: &mut Book) {
        if let Some(title) = &self.title {
            book.config.book.title = title.clone();
        }
        book.config.build.build_dir = self.build_dir.clone();
    }
}

/// The labels of the complete book (solutions included), so an edition without solutions
/// shows every number the complete book shows. Renders every chapter with solutions, on
/// inputs of its own: nothing of this rendering reaches the site.
pub fn full_numbers(
    book: &Book,
    inputs: &Inputs,
) -> Result<super::numbering::Labels, crate::diag::Diagnostic> {
    let own = Inputs {
        used_figures: Arc::default(),
        reads: Arc::default(),
        solutions: true,
        ..inputs.clone()
    };
    let rendered: Vec<Rendered> = book
        .chapters
        .par_iter()
        .map(|c| chapter::render(c, &own))
        .collect::<Result<_, _>>()?;
    let html: Vec<&str> = rendered.iter().map(|r| r.html.as_str()).collect();
    super::numbering::collect(&book.chapters, &html)
}

/// The editions declared in book.toml, by name.
pub type Editions = BTreeMap<String, EditionConfig>;

/// Blank out every `::: {.solution}` and `::: {.solutions-only}` … `:::` block of a chapter's
/// source: each byte but line breaks becomes a space, so every offset and line number stays what
/// it was in the file.
pub fn strip_solutions(source: &str) -> String {
    strip_blocks(source, &[".solution", ".solutions-only"])
}

/// Blank out every `::: {.student-only}` block (text only the student edition shows).
pub fn strip_student_only(source: &str) -> String {
    strip_blocks(source, &[".student-only"])
}

/// Blank out every fenced div with one of `classes`, keeping offsets and line breaks.
fn strip_blocks(source: &str, classes: &[&str]) -> String {
    let mut out = String::with_capacity(source.len());
    let mut depth_in_solution: Option<usize> = None;
    let mut depth = 0usize;
    let mut fence: Option<(char, usize)> = None;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let body = trimmed.trim_end();
        let mut blank = depth_in_solution.is_some();
        if let Some((c, n)) = fence {
            let run = body.len() - body.trim_start_matches(c).len();
            if run >= n && body.trim_start_matches(c).is_empty() {
                fence = None;
            }
        } else if body.starts_with("```") || body.starts_with("~~~") {
            let c = body.chars().next().unwrap_or('`');
            fence = Some((c, body.len() - body.trim_start_matches(c).len()));
        } else if line.starts_with(":::") {
            let rest = body.trim_start_matches(':').trim();
            if rest.is_empty() {
                depth = depth.saturating_sub(1);
                if depth_in_solution == Some(depth) {
                    depth_in_solution = None;
                }
            } else {
                if depth_in_solution.is_none() && has_class(rest, classes) {
                    depth_in_solution = Some(depth);
                    blank = true;
                }
                depth += 1;
            }
        }
        if blank {
            for c in line.chars() {
                if c == '\n' {
                    out.push('\n');
                } else {
                    out.extend(std::iter::repeat_n(' ', c.len_utf8()));
                }
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Whether the attributes of a `:::` line name one of `classes` (`.name`, or a bare `name`).
fn has_class(rest: &str, classes: &[&str]) -> bool {
    let inner = rest.trim_start_matches('{').trim_end_matches('}');
    classes
        .iter()
        .any(|c| inner.split_whitespace().any(|w| w == *c) || rest == c.trim_start_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_are_blanked_keeping_offsets() {
        let src = "Q é?\n\n::: {.solution}\nAnswer é {{ x }}\n\n::: {.callout-note}\ninner\n:::\n```\n:::\n```\nstill\n:::\n\nAfter.\n";
        let out = strip_solutions(src);
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count());
        assert!(out.starts_with("Q é?\n\n"));
        assert!(out.ends_with("\nAfter.\n"));
        assert!(
            !out.contains("Answer") && !out.contains("inner") && !out.contains("still"),
            "{out}"
        );
    }
}
