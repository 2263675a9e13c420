//! `book.toml`: the mdBook keys we honour plus our own `[gradbook]` table, validated.
//!
//! Unknown keys and wrong types are errors that name the key and its line; values outside
//! their allowed range are errors that name the key and the range.

use crate::diag::SpanError;
use crate::figure::export::Format;
use crate::figure::theme::Theme;
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
    /// `[output]`: renderer settings (only `html` is known).
    pub output: OutputConfig,
    /// `[gradbook]`: our own settings.
    pub gradbook: GradbookConfig,
    /// `[preprocessor.NAME]`: mdBook preprocessors to run on the chapters.
    pub preprocessor: crate::site::mdbook::preprocess::Preprocessors,
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
}

impl Default for BookConfig {
    fn default() -> Self {
        Self {
            title: "Untitled book".into(),
            authors: Vec::new(),
            description: String::new(),
            language: "en".into(),
            src: PathBuf::from("content"),
            text_direction: Spanned::new(0..0, "ltr".into()),
        }
    }
}

/// `[build]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildConfig {
    /// Where the site is written, relative to the book root.
    pub build_dir: PathBuf,
}

impl Default for BuildConfig {
    fn default() -> Self {
        Self {
            build_dir: PathBuf::from("book"),
        }
    }
}

/// `[output]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
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
    /// `[output.html.code]`: hidden-line prefixes of code blocks.
    pub code: crate::site::highlight::CodeConfig,
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
            code: crate::site::highlight::CodeConfig::default(),
        }
    }
}

/// `[output.html.print]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PrintConfig {
    /// Write `print.html` with every chapter.
    pub enable: bool,
}

impl Default for PrintConfig {
    fn default() -> Self {
        Self { enable: true }
    }
}

/// `[output.html.search]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SearchConfig {
    /// Build the search index and show the search box.
    pub enable: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self { enable: true }
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
}

impl Default for GradbookConfig {
    fn default() -> Self {
        Self {
            digits: Spanned::new(0..0, 6),
            standalone_figures: true,
            standalone_formats: vec![Format::Svg],
            standalone_theme: Theme::Light,
            standalone_scale: Spanned::new(0..0, crate::figure::export::DEFAULT_SCALE),
        }
    }
}

impl Config {
    /// Parse and validate the text of a `book.toml`.
    pub fn parse(source: &str) -> Result<Config, SpanError> {
        let config: Config = toml::from_str(source).map_err(crate::compute::toml_error)?;
        config.validate(source)?;
        Ok(config)
    }

    /// Read `book.toml` from `book_dir`; a missing file gives the defaults.
    pub fn load(book_dir: &Path) -> anyhow::Result<Config> {
        let path = book_dir.join("book.toml");
        if !path.exists() {
            return Ok(Config::default());
        }
        let source = crate::site::book::read_book_text(book_dir, &path)?;
        let config = Config::parse(&source).map_err(|e| e.in_file(&path, &source))?;
        config
            .check_extra_files(book_dir, &source)
            .map_err(|e| e.in_file(&path, &source))?;
        Ok(config)
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
        assert_eq!(c.book.src, PathBuf::from("content"));
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
        let src = "[output.html]\ndefault-theme = \"navy\"\n";
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
