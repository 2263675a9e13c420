//! mdBook 0.5's `book.toml` schema as gradbook reads it: which keys are implemented and which
//! are accepted with one warning each, naming the key and what gradbook does not do.
//!
//! Types and unknown keys are checked by the serde structs in `config.rs`; this pass only
//! walks the keys that were written, with their positions, to produce the warnings.

use crate::diag::SpanError;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// What gradbook does with an mdBook key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Behaves as in mdBook.
    Implemented,
    /// Accepted and ignored; the text says what is not supported.
    Warned(&'static str),
    /// A table whose own keys are listed.
    Table,
}

/// Every mdBook 0.5.4 key (plus the `author` and `multilingual` keys of older books), with its
/// status. A `*` stands for any one key (a redirect source, a renderer or preprocessor name).
pub const KEYS: &[(&str, Status)] = &[
    ("book", Status::Table),
    ("build", Status::Table),
    ("rust", Status::Table),
    ("output", Status::Table),
    ("output.html", Status::Table),
    ("output.html.fold", Status::Table),
    ("output.html.playground", Status::Table),
    ("output.html.code", Status::Table),
    ("output.html.code.hidelines", Status::Table),
    ("output.html.print", Status::Table),
    ("output.html.search", Status::Table),
    ("output.html.redirect", Status::Table),
    ("preprocessor", Status::Table),
    ("book.title", Status::Implemented),
    ("book.authors", Status::Implemented),
    ("book.description", Status::Implemented),
    ("book.src", Status::Implemented),
    ("book.language", Status::Implemented),
    ("book.text-direction", Status::Implemented),
    (
        "book.author",
        Status::Warned("ignored, as mdBook ignores it: list the authors in `authors = [...]`"),
    ),
    (
        "book.multilingual",
        Status::Warned("ignored, as mdBook ignores it: a book has one language"),
    ),
    ("build.build-dir", Status::Implemented),
    (
        "build.create-missing",
        Status::Warned(
            "gradbook never creates missing chapter files: a chapter listed in SUMMARY.md must exist",
        ),
    ),
    ("build.use-default-preprocessors", Status::Implemented),
    (
        "build.extra-watch-dirs",
        Status::Warned("`gradbook serve` watches the book's source and templates folders only"),
    ),
    (
        "rust.edition",
        Status::Warned(
            "there is no Rust playground or `mdbook test` in gradbook, so the edition is not used",
        ),
    ),
    ("output.html.theme", Status::Implemented),
    ("output.html.default-theme", Status::Implemented),
    ("output.html.preferred-dark-theme", Status::Implemented),
    ("output.html.smart-punctuation", Status::Implemented),
    ("output.html.definition-lists", Status::Implemented),
    ("output.html.admonitions", Status::Implemented),
    ("output.html.mathjax-support", Status::Implemented),
    ("output.html.additional-css", Status::Implemented),
    ("output.html.additional-js", Status::Implemented),
    ("output.html.fold.enable", Status::Implemented),
    ("output.html.fold.level", Status::Implemented),
    ("output.html.playground.copyable", Status::Implemented),
    (
        "output.html.playground.editable",
        Status::Warned(
            "there is no Rust playground: code blocks are not editable (a block marked `editable` is shown as written, as in mdBook)",
        ),
    ),
    (
        "output.html.playground.copy-js",
        Status::Warned("there is no Rust playground, so no editor scripts are copied"),
    ),
    (
        "output.html.playground.line-numbers",
        Status::Warned("there is no Rust playground: code blocks show no line numbers"),
    ),
    (
        "output.html.playground.runnable",
        Status::Warned("there is no Rust playground: code blocks are never runnable"),
    ),
    (
        "output.html.playpen",
        Status::Warned("the old name of `playground`; there is no Rust playground in gradbook"),
    ),
    ("output.html.code.hidelines.*", Status::Implemented),
    ("output.html.print.enable", Status::Implemented),
    ("output.html.print.page-break", Status::Implemented),
    ("output.html.no-section-label", Status::Implemented),
    ("output.html.search.enable", Status::Implemented),
    (
        "output.html.search.limit-results",
        Status::Warned("gradbook's search lists at most 20 results"),
    ),
    (
        "output.html.search.teaser-word-count",
        Status::Warned("gradbook's search teasers have a fixed length (180 characters)"),
    ),
    (
        "output.html.search.use-boolean-and",
        Status::Warned("gradbook's search always requires every word"),
    ),
    (
        "output.html.search.boost-title",
        Status::Warned("gradbook's search ranks results by its own fixed weights"),
    ),
    (
        "output.html.search.boost-hierarchy",
        Status::Warned("gradbook's search ranks results by its own fixed weights"),
    ),
    (
        "output.html.search.boost-paragraph",
        Status::Warned("gradbook's search ranks results by its own fixed weights"),
    ),
    (
        "output.html.search.expand",
        Status::Warned(
            "gradbook's search matches the last word typed as a prefix and the others as whole words",
        ),
    ),
    (
        "output.html.search.heading-split-level",
        Status::Warned("gradbook's search indexes every heading as its own section"),
    ),
    (
        "output.html.search.copy-js",
        Status::Warned("gradbook always writes its own search script"),
    ),
    (
        "output.html.search.chapter",
        Status::Warned("every chapter is indexed: per-chapter search settings are not supported"),
    ),
    ("output.html.git-repository-url", Status::Implemented),
    (
        "output.html.git-repository-icon",
        Status::Warned("the repository link always shows gradbook's own icon"),
    ),
    ("output.html.input-404", Status::Implemented),
    ("output.html.site-url", Status::Implemented),
    ("output.html.cname", Status::Implemented),
    ("output.html.edit-url-template", Status::Implemented),
    (
        "output.html.live-reload-endpoint",
        Status::Warned("ignored, as mdBook ignores it: `gradbook serve` sets up its own reload"),
    ),
    ("output.html.redirect.*", Status::Implemented),
    (
        "output.html.hash-files",
        Status::Warned("file names are not hashed: the site's assets keep their names"),
    ),
    (
        "output.html.sidebar-header-nav",
        Status::Warned("the sidebar lists chapters only, not the headings of the current page"),
    ),
    (
        "output.*",
        Status::Warned("gradbook writes only the HTML site: this renderer is not run"),
    ),
    ("preprocessor.links", Status::Implemented),
    ("preprocessor.index", Status::Implemented),
    ("preprocessor.*", Status::Implemented),
];

/// A key gradbook accepts but does not honour, with its position in book.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The span of the key.
    pub span: Range<usize>,
    /// `key: what is not supported`.
    pub message: String,
}

/// The status of the key whose path from the top of book.toml is `keys`; `None` when the
/// schema does not list it (serde has refused it already).
pub fn status(keys: &[&str]) -> Option<Status> {
    KEYS.iter()
        .find(|(pattern, _)| matches(pattern, keys))
        .map(|(_, status)| *status)
}

/// Whether `keys` is `pattern` (dotted), a `*` matching any one key.
fn matches(pattern: &str, keys: &[&str]) -> bool {
    let wants: Vec<&str> = pattern.split('.').collect();
    wants.len() == keys.len() && wants.iter().zip(keys).all(|(w, k)| *w == "*" || w == k)
}

/// One warning for every key of `source` that gradbook accepts without honouring it, in
/// the order the keys appear. The `[gradbook]` table is gradbook's own and never warned.
pub fn warnings(source: &str) -> Result<Vec<Warning>, SpanError> {
    let table = DeTable::parse(source).map_err(crate::compute::toml_error)?;
    let mut found = Vec::new();
    walk(table.get_ref(), &mut Vec::new(), &mut found);
    found.sort_by_key(|w| w.span.start);
    Ok(found)
}

fn walk<'a>(table: &'a DeTable<'_>, path: &mut Vec<&'a str>, found: &mut Vec<Warning>) {
    for (key, value) in table {
        path.push(key.get_ref().as_ref());
        match status(path) {
            Some(Status::Warned(why)) => found.push(Warning {
                span: key.span(),
                message: format!("{}: {why}", path.join(".")),
            }),
            Some(Status::Table) => {
                if let DeValue::Table(inner) = value.get_ref() {
                    walk(inner, path, found);
                }
            }
            Some(Status::Implemented) | None => {}
        }
        path.pop();
    }
}

/// Map an mdBook theme name to gradbook's two themes: `light` and `rust` are light, `coal`,
/// `navy` and `ayu` are dark. `None` for a name mdBook does not have either.
pub fn theme(name: &str) -> Option<&'static str> {
    match name {
        "light" | "rust" => Some("light"),
        "dark" | "coal" | "navy" | "ayu" => Some("dark"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_one_key_per_star() {
        let of = |path: &str| status(&path.split(' ').collect::<Vec<_>>());
        assert_eq!(
            of("output html redirect /a/b.html"),
            Some(Status::Implemented)
        );
        assert!(matches!(of("output linkcheck"), Some(Status::Warned(_))));
        assert_eq!(of("output html"), Some(Status::Table));
        assert_eq!(of("output html nosuch"), None);
        assert_eq!(of("gradbook"), None);
        assert_eq!(of("preprocessor links"), Some(Status::Implemented));
        assert_eq!(of("preprocessor admonish"), Some(Status::Implemented));
    }

    #[test]
    fn each_unsupported_key_warns_once_at_its_position() {
        let src = "[book]\ntitle = \"t\"\n\n[output.html]\nhash-files = true\n\n[output.html.search]\nenable = true\nlimit-results = 20\n\n[output.linkcheck]\nfollow = true\n\n[preprocessor.guide-helper]\ncommand = \"x\"\n\n[gradbook]\ndigits = 4\n";
        let found = warnings(src).unwrap();
        let keys: Vec<&str> = found
            .iter()
            .map(|w| w.message.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(
            keys,
            [
                "output.html.hash-files",
                "output.html.search.limit-results",
                "output.linkcheck",
            ]
        );
        assert_eq!(&src[found[0].span.clone()], "hash-files");
        assert_eq!(&src[found[1].span.clone()], "limit-results");
        assert!(
            found[0].message.contains("not hashed"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn mdbook_theme_names_map_to_light_or_dark() {
        assert_eq!(theme("navy"), Some("dark"));
        assert_eq!(theme("rust"), Some("light"));
        assert_eq!(theme("sepia"), None);
    }
}
