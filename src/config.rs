//! `book.toml`: mdBook 0.5's whole schema plus our own `[gradbook]` table, validated.
//!
//! Unknown keys and wrong types are errors that name the key and its line; values outside
//! their allowed range are errors that name the key and the range. mdBook keys gradbook does
//! not honour are accepted with one warning each (`site::mdbook::schema`).

use crate::diag::{Diagnostic, SpanError};
use crate::figure::export::Format;
use crate::figure::theme::Theme;
use crate::site::mdbook::schema;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The whole `book.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `[book]`: metadata.
    pub book: BookConfig,
    /// `[build]`: where the site goes.
    pub build: BuildConfig,
    /// `[rust]`: mdBook's Rust settings (accepted, not used).
    pub rust: RustConfig,
    /// `[output]`: renderer settings (`html` is gradbook's; others are accepted, not run).
    pub output: OutputConfig,
    /// `[preprocessor.NAME]`: mdBook preprocessors to run on the chapters.
    pub preprocessor: crate::site::mdbook::preprocess::Preprocessors,
    /// `[gradbook]`: our own settings.
    pub gradbook: GradbookConfig,
    /// Whether book.toml has a `[gradbook]` table (a gradbook book: templates are live).
    #[serde(skip)]
    pub has_gradbook_table: bool,
    /// Whether book.toml sets `book.src` (otherwise [`Config::load`] picks the folder).
    #[serde(skip)]
    pub src_is_set: bool,
    /// The mdBook keys accepted without being honoured, located in book.toml.
    #[serde(skip)]
    pub warnings: Vec<crate::site::mdbook::schema::Warning>,
}

/// `[book]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BookConfig {
    /// The book's title (page titles, sidebar header).
    pub title: String,
    /// The authors, shown in the page metadata.
    pub authors: Vec<String>,
    /// A one-line description for the `<meta name="description">` tag.
    pub description: String,
    /// The `lang` attribute of every page.
    pub language: String,
    /// The folder with SUMMARY.md, chapters and computations, relative to the book root.
    pub src: PathBuf,
    /// Text direction: `ltr` or `rtl`.
    pub text_direction: Spanned<String>,
    /// The single-author key of old books (ignored, as mdBook ignores it).
    pub author: Option<toml::Value>,
    /// mdBook 0.3's `multilingual` flag (ignored, as mdBook ignores it).
    pub multilingual: Option<bool>,
}

impl Default for BookConfig {
    fn default() -> Self {
        Self {
            title: "Untitled book".into(),
            authors: Vec::new(),
            description: String::new(),
            language: "en".into(),
            src: PathBuf::from("src"),
            text_direction: Spanned::new(0..0, "ltr".into()),
            author: None,
            multilingual: None,
        }
    }
}

/// `[build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildConfig {
    /// Where the site is written, relative to the book root.
    pub build_dir: PathBuf,
    /// mdBook creates missing chapter files; gradbook never does (accepted, warned).
    pub create_missing: bool,
    /// Expand mdBook's link directives (`{{#include}}` …) and name `README.md` pages
    /// `index.html`, as mdBook's default `links` and `index` preprocessors do.
    pub use_default_preprocessors: bool,
    /// Extra folders `mdbook serve` watches (accepted, warned).
    pub extra_watch_dirs: Vec<PathBuf>,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            build_dir: PathBuf::from("book"),
            create_missing: true,
            use_default_preprocessors: true,
            extra_watch_dirs: Vec::new(),
        }
    }
}

/// `[rust]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RustConfig {
    /// The Rust edition of the book's examples (accepted, warned).
    pub edition: Option<RustEdition>,
}

/// A Rust edition as mdBook accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RustEdition {
    /// 2015.
    #[serde(rename = "2015")]
    E2015,
    /// 2018.
    #[serde(rename = "2018")]
    E2018,
    /// 2021.
    #[serde(rename = "2021")]
    E2021,
    /// 2024.
    #[serde(rename = "2024")]
    E2024,
}

/// `[output]`: any other renderer (`[output.linkcheck]` …) is accepted and not run (the
/// schema pass warns about each).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct OutputConfig {
    /// `[output.html]`.
    pub html: HtmlConfig,
}

/// `[output.html]`: the mdBook HTML keys gradbook honours.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HtmlConfig {
    /// Theme used when the reader's system has no preference: `light` or `dark`.
    pub default_theme: Spanned<String>,
    /// Theme used when the reader's system prefers dark: `light` or `dark`.
    pub preferred_dark_theme: Spanned<String>,
    /// Link to the book's source repository, shown in the menu bar.
    pub git_repository_url: Option<String>,
    /// Edit link per page; `{path}` is replaced by the chapter's path under `src`.
    pub edit_url_template: Option<String>,
    /// Absolute URL path where the site is hosted (`/course/book/`); the 404 page resolves its
    /// links against it so it works at any depth. Unset, the 404 page's links are relative.
    pub site_url: Option<String>,
    /// Omit chapter numbers in the sidebar and titles.
    pub no_section_label: bool,
    /// Extra stylesheets (paths under the book root) copied and linked in every page.
    pub additional_css: Vec<PathBuf>,
    /// Extra scripts (paths under the book root) copied and linked in every page.
    pub additional_js: Vec<PathBuf>,
    /// `[output.html.print]`.
    pub print: PrintConfig,
    /// `[output.html.search]`.
    pub search: SearchConfig,
    /// A theme folder (default `theme/`) whose `favicon.svg`/`favicon.png` replace gradbook's.
    pub theme: Option<PathBuf>,
    /// Curly quotes, dashes and ellipses from ASCII (`"`, `--`, `...`). Unset: on in a plain
    /// mdBook book (mdBook's default), off in a gradbook book (see [`Config::templates_live`]).
    pub smart_punctuation: Option<bool>,
    /// Definition lists (`term` then `: definition`). Unset: on in a plain mdBook book
    /// (mdBook's default), off in a gradbook book.
    pub definition_lists: Option<bool>,
    /// GitHub-style admonitions (`> [!NOTE]`), as mdBook (default on).
    pub admonitions: bool,
    /// mdBook's MathJax delimiters `\\( … \\)` and `\\[ … \\]` become MathML too.
    pub mathjax_support: bool,
    /// `[output.html.fold]`: collapsible sidebar sections.
    pub fold: FoldConfig,
    /// `[output.html.playground]` (alias `playpen`): only `copyable` is honoured.
    #[serde(alias = "playpen")]
    pub playground: PlaygroundConfig,
    /// `[output.html.code]`: hidden-line prefixes of code blocks.
    pub code: crate::site::highlight::CodeConfig,
    /// The icon of the repository link in mdBook (accepted, warned).
    pub git_repository_icon: Option<String>,
    /// The chapter (under `src`) rendered as the 404 page; default `404.md` when it exists.
    pub input_404: Option<String>,
    /// Written to a `CNAME` file at the site root (GitHub Pages' custom domain).
    pub cname: Option<String>,
    /// mdBook's internal reload endpoint (accepted, warned).
    pub live_reload_endpoint: Option<String>,
    /// Old site path → new URL: each old path gets a page that sends the reader on.
    pub redirect: std::collections::BTreeMap<String, String>,
    /// mdBook's hashed asset names (accepted, warned).
    pub hash_files: Option<bool>,
    /// mdBook's sidebar headings of the current page (accepted, warned).
    pub sidebar_header_nav: Option<bool>,
}

/// `[output.html.fold]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FoldConfig {
    /// Sections of the sidebar can be folded.
    pub enable: bool,
    /// Sections deeper than this level start folded (0: every section folded).
    pub level: u8,
}

/// `[output.html.playground]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlaygroundConfig {
    /// Show a copy button on code blocks (mdBook's default: on).
    pub copyable: Option<bool>,
    /// mdBook's editable Rust blocks (accepted, warned).
    pub editable: Option<bool>,
    /// mdBook's editor scripts (accepted, warned).
    pub copy_js: Option<bool>,
    /// mdBook's line numbers on playground blocks (accepted, warned).
    pub line_numbers: Option<bool>,
    /// mdBook's run button (accepted, warned).
    pub runnable: Option<bool>,
}

impl Default for HtmlConfig {
    fn default() -> Self {
        Self {
            default_theme: Spanned::new(0..0, "light".into()),
            preferred_dark_theme: Spanned::new(0..0, "dark".into()),
            git_repository_url: None,
            edit_url_template: None,
            site_url: None,
            no_section_label: false,
            additional_css: Vec::new(),
            additional_js: Vec::new(),
            print: PrintConfig::default(),
            search: SearchConfig::default(),
            theme: None,
            smart_punctuation: None,
            definition_lists: None,
            admonitions: true,
            mathjax_support: false,
            fold: FoldConfig::default(),
            playground: PlaygroundConfig::default(),
            code: crate::site::highlight::CodeConfig::default(),
            git_repository_icon: None,
            input_404: None,
            cname: None,
            live_reload_endpoint: None,
            redirect: std::collections::BTreeMap::new(),
            hash_files: None,
            sidebar_header_nav: None,
        }
    }
}

/// `[output.html.print]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrintConfig {
    /// Write `print.html` with every chapter.
    pub enable: bool,
    /// Each chapter starts a new printed page (mdBook's default: on).
    pub page_break: Option<bool>,
}

impl Default for PrintConfig {
    fn default() -> Self {
        Self {
            enable: true,
            page_break: None,
        }
    }
}

/// `[output.html.search]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SearchConfig {
    /// Build the search index and show the search box.
    pub enable: bool,
    /// mdBook's results shown (accepted, warned).
    pub limit_results: Option<u32>,
    /// mdBook's words per teaser (accepted, warned).
    pub teaser_word_count: Option<u32>,
    /// mdBook's every-word switch (accepted, warned).
    pub use_boolean_and: Option<bool>,
    /// mdBook's title weight (accepted, warned).
    pub boost_title: Option<u8>,
    /// mdBook's hierarchy weight (accepted, warned).
    pub boost_hierarchy: Option<u8>,
    /// mdBook's paragraph weight (accepted, warned).
    pub boost_paragraph: Option<u8>,
    /// mdBook's prefix matching (accepted, warned).
    pub expand: Option<bool>,
    /// mdBook's deepest heading that splits a page (accepted, warned).
    pub heading_split_level: Option<u8>,
    /// mdBook's search scripts copy switch (accepted, warned).
    pub copy_js: Option<bool>,
    /// mdBook's per-chapter search settings (accepted, warned).
    pub chapter: Option<std::collections::BTreeMap<String, toml::Table>>,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            enable: true,
            limit_results: None,
            teaser_word_count: None,
            use_boolean_and: None,
            boost_title: None,
            boost_hierarchy: None,
            boost_paragraph: None,
            expand: None,
            heading_split_level: None,
            copy_js: None,
            chapter: None,
        }
    }
}

/// `[gradbook]`: our own settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct GradbookConfig {
    /// Significant digits of the `num` filter when a chapter gives none (1–17).
    pub digits: Spanned<usize>,
    /// Also write every figure as standalone files under `figures/` in the site.
    pub standalone_figures: bool,
    /// The formats of the standalone figures (`svg`, `png`, `pdf`; default `["svg"]`).
    pub standalone_formats: Vec<Format>,
    /// The colour theme of the standalone figures (`light` or `dark`).
    pub standalone_theme: Theme,
    /// Pixels per SVG pixel of standalone PNGs (0.25–8).
    pub standalone_scale: Spanned<f32>,
    /// `[gradbook.editions.NAME]`: editions with their own output folder and title.
    pub editions: crate::site::authoring::edition::Editions,
    /// The layout of every node-and-edge diagram (`layered`, the default, or `layout-rs`).
    pub layout: crate::figure::diagram::Engine,
}

impl Default for GradbookConfig {
    fn default() -> Self {
        Self {
            digits: Spanned::new(0..0, crate::format::Digits::DEFAULT.0),
            standalone_figures: true,
            standalone_formats: vec![Format::Svg],
            standalone_theme: Theme::Light,
            standalone_scale: Spanned::new(0..0, crate::figure::export::DEFAULT_SCALE),
            editions: Default::default(),
            layout: crate::figure::diagram::Engine::default(),
        }
    }
}

impl Config {
    /// Parse and validate the text of a `book.toml`.
    pub fn parse(source: &str) -> Result<Config, SpanError> {
        let mut config: Config = toml::from_str(source).map_err(crate::compute::toml_error)?;
        let table: toml::Table = toml::from_str(source).map_err(crate::compute::toml_error)?;
        config.has_gradbook_table = table.contains_key("gradbook");
        config.src_is_set = table
            .get("book")
            .and_then(|b| b.as_table())
            .is_some_and(|b| b.contains_key("src"));
        config.warnings = schema::warnings(source)?;
        config.map_mdbook_themes();
        config.validate(source)?;
        Ok(config)
    }

    /// mdBook's theme names become gradbook's two themes (`navy` → `dark`), with a warning
    /// at the value saying so.
    fn map_mdbook_themes(&mut self) {
        let html = &mut self.output.html;
        for (key, value) in [
            ("output.html.default-theme", &mut html.default_theme),
            (
                "output.html.preferred-dark-theme",
                &mut html.preferred_dark_theme,
            ),
        ] {
            let name = value.get_ref().clone();
            if let Some(ours) = schema::theme(&name)
                && ours != name
            {
                self.warnings.push(schema::Warning {
                    span: value.span(),
                    message: format!(
                        "{key} = \"{name}\": gradbook has a light and a dark theme; it shows \"{ours}\""
                    ),
                });
                *value = Spanned::new(value.span(), ours.to_string());
            }
        }
        self.warnings.sort_by_key(|w| w.span.start);
    }

    /// Read `book.toml` from `book_dir`; a missing file gives the defaults. Warnings for the
    /// mdBook keys gradbook does not honour are printed to stderr, located. With no `src` key
    /// the chapters are in `src/` as in mdBook, or in `content/` when the book has no `src/`
    /// folder but has that one (gradbook's layout).
    pub fn load(book_dir: &Path) -> anyhow::Result<Config> {
        let path = book_dir.join("book.toml");
        let mut config = if path.exists() {
            let source = crate::site::book::read_book_text(book_dir, &path)?;
            let config = Config::parse(&source).map_err(|e| e.in_file(&path, &source))?;
            config
                .check_extra_files(book_dir, &source)
                .map_err(|e| e.in_file(&path, &source))?;
            let at = crate::site::book::display_path(&path);
            for warning in &config.warnings {
                Diagnostic::warn(&at, &source, warning.span.clone(), &warning.message);
            }
            config
        } else {
            Config::default()
        };
        // `./theme/book.css` is `theme/book.css`, as mdBook joins it to the book's and the
        // site's folders (`..` was refused above).
        let html = &mut config.output.html;
        for path in html
            .additional_css
            .iter_mut()
            .chain(&mut html.additional_js)
        {
            *path = path
                .components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect();
        }
        let html = &config.output.html;
        let additional: Vec<&Path> = html
            .additional_css
            .iter()
            .chain(&html.additional_js)
            .map(PathBuf::as_path)
            .collect();
        for warning in crate::site::mdbook::extras::theme_warnings(
            book_dir,
            html.theme.as_deref(),
            &additional,
        ) {
            eprintln!("warning: {warning}");
        }
        if !config.src_is_set && !book_dir.join("src").is_dir() && book_dir.join("content").is_dir()
        {
            config.book.src = PathBuf::from("content");
        }
        Ok(config)
    }

    /// Whether chapters are templates: the book has a `[gradbook]` table or keeps its chapters
    /// in `content/` (gradbook's layout). A plain mdBook book's chapters never meet Tera.
    pub fn templates_live(&self) -> bool {
        self.has_gradbook_table || self.book.src == Path::new("content")
    }

    /// Every `additional-css`/`additional-js` file exists; a missing one is located at its
    /// entry in book.toml.
    fn check_extra_files(&self, book_dir: &Path, source: &str) -> Result<(), SpanError> {
        let html = &self.output.html;
        for (key, paths) in [
            ("output.html.additional-css", &html.additional_css),
            ("output.html.additional-js", &html.additional_js),
        ] {
            for extra in paths {
                if book_dir.join(extra).is_file() {
                    continue;
                }
                let shown = extra.to_string_lossy();
                let span = source
                    .find(&format!("\"{shown}\""))
                    .or_else(|| source.find(&format!("'{shown}'")))
                    .map_or(0..0, |at| at + 1..at + 1 + shown.len());
                return Err(SpanError::new(
                    span,
                    format!("{key}: `{shown}` does not exist in the book folder"),
                ));
            }
        }
        Ok(())
    }

    fn validate(&self, source: &str) -> Result<(), SpanError> {
        check_urls(source)?;
        let key_span = |key: &str| {
            let short = key.rsplit('.').next().unwrap_or(key);
            source.find(short).map_or(0..0, |at| at..at + short.len())
        };
        let themes = ["light", "dark"];
        for (key, value) in [
            ("output.html.default-theme", &self.output.html.default_theme),
            (
                "output.html.preferred-dark-theme",
                &self.output.html.preferred_dark_theme,
            ),
        ] {
            if !themes.contains(&value.get_ref().as_str()) {
                return Err(SpanError::new(
                    value.span(),
                    format!(
                        "{key} = \"{}\" is not a theme: expected \"light\" or \"dark\"",
                        value.get_ref()
                    ),
                ));
            }
        }
        let direction = &self.book.text_direction;
        if !["ltr", "rtl"].contains(&direction.get_ref().as_str()) {
            return Err(SpanError::new(
                direction.span(),
                format!(
                    "book.text-direction = \"{}\": expected \"ltr\" or \"rtl\"",
                    direction.get_ref()
                ),
            ));
        }
        let digits = &self.gradbook.digits;
        if !(1..=17).contains(digits.get_ref()) {
            return Err(SpanError::new(
                digits.span(),
                format!(
                    "gradbook.digits = {} is out of range: expected 1 to 17",
                    digits.get_ref()
                ),
            ));
        }
        let scale = &self.gradbook.standalone_scale;
        if !(0.25..=8.0).contains(scale.get_ref()) {
            return Err(SpanError::new(
                scale.span(),
                format!(
                    "gradbook.standalone-scale = {} is out of range: expected 0.25 to 8",
                    scale.get_ref()
                ),
            ));
        }
        let html = &self.output.html;
        for (key, paths) in [
            ("output.html.additional-css", &html.additional_css),
            ("output.html.additional-js", &html.additional_js),
        ] {
            if let Some(bad) = paths.iter().find(|p| {
                p.is_absolute()
                    || p.components().any(is_parent)
                    || crate::markup::url_scheme(&p.to_string_lossy()).is_some()
            }) {
                return Err(SpanError::new(
                    key_span(key),
                    format!(
                        "{key}: `{}` must be a relative path inside the book folder (no `..`, no `scheme:`)",
                        bad.display()
                    ),
                ));
            }
        }
        if self.book.src.is_absolute() || self.book.src.components().any(is_parent) {
            return Err(SpanError::new(
                key_span("src"),
                "book.src must be a relative path inside the book folder",
            ));
        }
        Ok(())
    }
}

/// The URL keys of `[output.html]`, read a second time with their positions.
#[derive(Default, Deserialize)]
#[serde(default)]
struct UrlKeys {
    output: UrlOutput,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct UrlOutput {
    html: UrlHtml,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
struct UrlHtml {
    git_repository_url: Option<Spanned<String>>,
    edit_url_template: Option<Spanned<String>>,
    site_url: Option<Spanned<String>>,
}

/// Every URL key must be a relative link or an http, https or mailto URL.
fn check_urls(source: &str) -> Result<(), SpanError> {
    let keys: UrlKeys = toml::from_str(source).map_err(crate::compute::toml_error)?;
    let html = keys.output.html;
    for (key, value) in [
        ("output.html.git-repository-url", html.git_repository_url),
        ("output.html.edit-url-template", html.edit_url_template),
        ("output.html.site-url", html.site_url),
    ] {
        if let Some(value) = value
            && let Err(why) = crate::markup::check_url(value.get_ref())
        {
            return Err(SpanError::new(value.span(), format!("{key}: {why}")));
        }
    }
    Ok(())
}

fn is_parent(c: std::path::Component<'_>) -> bool {
    matches!(c, std::path::Component::ParentDir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.book.src, PathBuf::from("src"));
        assert!(!c.src_is_set && !c.has_gradbook_table);
        assert!(c.output.html.admonitions && c.build.use_default_preprocessors);
        assert_eq!(c.build.build_dir, PathBuf::from("book"));
        assert_eq!(*c.gradbook.digits.get_ref(), 6);
    }

    #[test]
    fn unknown_key_names_the_key() {
        let err = Config::parse("[book]\ntitle = \"x\"\ntitel = \"y\"\n").unwrap_err();
        assert!(err.message.contains("titel"), "{}", err.message);
        let d = err.in_file(
            Path::new("book.toml"),
            "[book]\ntitle = \"x\"\ntitel = \"y\"\n",
        );
        assert_eq!(d.line, 3);
    }

    #[test]
    fn extra_files_stay_inside_the_book() {
        let err = Config::parse("[output.html]\nadditional-css = [\"../x.css\"]\n").unwrap_err();
        assert!(err.message.contains("additional-css"), "{}", err.message);
        assert!(Config::parse("[output.html]\nadditional-css = [\"theme/x.css\"]\n").is_ok());
        let err = Config::parse("[output.html]\nadditional-js = [\"javascript:alert(1)\"]\n")
            .unwrap_err();
        assert!(err.message.contains("no `scheme:`"), "{}", err.message);
    }

    #[test]
    fn url_keys_allow_only_web_links() {
        let src =
            "[output.html]\nsite-url = \"/book/\"\ngit-repository-url = \"javascript:alert(1)\"\n";
        let err = Config::parse(src).unwrap_err();
        assert!(
            err.message.contains("git-repository-url"),
            "{}",
            err.message
        );
        let d = err.in_file(Path::new("book.toml"), src);
        assert_eq!((d.line, d.column), (3, 22));
        let src = "[output.html]\nedit-url-template = \"vbscript:x/{path}\"\n";
        assert!(
            Config::parse(src)
                .unwrap_err()
                .message
                .contains("`vbscript:`")
        );
        let ok = "[output.html]\ngit-repository-url = \"https://github.com/a/b\"\nedit-url-template = \"https://github.com/a/b/edit/main/{path}\"\n";
        assert!(Config::parse(ok).is_ok());
    }

    #[test]
    fn bad_theme_names_key_and_values() {
        // mdBook's own names (`navy`, `coal`, …) are mapped; others are refused.
        let src = "[output.html]\ndefault-theme = \"sepia\"\n";
        let err = Config::parse(src).unwrap_err();
        assert!(err.message.contains("default-theme"));
        assert!(err.message.contains("\"light\" or \"dark\""));
        assert_eq!(err.in_file(Path::new("b"), src).line, 2);
    }

    #[test]
    fn standalone_settings_parse_and_are_located() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.gradbook.standalone_formats, vec![Format::Svg]);
        assert_eq!(c.gradbook.standalone_theme, Theme::Light);
        let src = "[gradbook]\nstandalone-formats = [\"svg\", \"png\", \"pdf\"]\n\
                   standalone-theme = \"dark\"\nstandalone-scale = 3\n";
        let c = Config::parse(src).unwrap();
        assert_eq!(
            c.gradbook.standalone_formats,
            vec![Format::Svg, Format::Png, Format::Pdf]
        );
        assert_eq!(c.gradbook.standalone_theme, Theme::Dark);
        assert_eq!(*c.gradbook.standalone_scale.get_ref(), 3.0);
        for (src, line, words) in [
            (
                "[gradbook]\n\nstandalone-formats = [\"svg\", \"gif\"]\n",
                3,
                ["gif", "png"],
            ),
            (
                "[gradbook]\nstandalone-theme = \"navy\"\n",
                2,
                ["navy", "dark"],
            ),
            (
                "[gradbook]\ndigits = 4\nstandalone-scale = 0.1\n",
                3,
                ["standalone-scale", "0.25 to 8"],
            ),
        ] {
            let err = Config::parse(src).unwrap_err();
            for word in words {
                assert!(err.message.contains(word), "{word}: {}", err.message);
            }
            assert_eq!(err.in_file(Path::new("b"), src).line, line, "{src}");
        }
    }
}
