//! mdBook compatibility, run before Tera so a plain mdBook chapter never meets the template
//! engine: the `book.toml` schema and its warnings, link directives, the template rule, math
//! in mdBook's delimiters, static files, redirects and footnotes.

pub mod footnotes;
pub mod links;
pub mod literal;
pub mod math;
pub mod schema;

use crate::config::Config;
use pulldown_cmark::Options;

/// The book settings that change how a chapter renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compat {
    /// A gradbook book: template syntax is live in prose and `$…$` is math.
    pub templates: bool,
    /// `mathjax-support`: `\\( … \\)` and `\\[ … \\]` are math too.
    pub mathjax: bool,
    /// `smart-punctuation`.
    pub smart_punctuation: bool,
    /// `definition-lists`.
    pub definition_lists: bool,
    /// `admonitions` (GitHub's `> [!NOTE]`).
    pub admonitions: bool,
}

impl Default for Compat {
    /// A gradbook book with none of mdBook's optional Markdown extensions.
    fn default() -> Self {
        Compat {
            templates: true,
            mathjax: false,
            smart_punctuation: false,
            definition_lists: false,
            admonitions: false,
        }
    }
}

impl Compat {
    /// The settings of a book: mdBook's defaults in a plain mdBook book; in a gradbook book,
    /// smart punctuation and definition lists stay off unless book.toml turns them on.
    pub fn of(config: &Config) -> Compat {
        let html = &config.output.html;
        let templates = config.templates_live();
        Compat {
            templates,
            mathjax: html.mathjax_support,
            smart_punctuation: html.smart_punctuation.unwrap_or(!templates),
            definition_lists: html.definition_lists.unwrap_or(!templates),
            admonitions: html.admonitions,
        }
    }

    /// The pulldown-cmark extensions a chapter is parsed with.
    pub fn markdown_options(&self) -> Options {
        let mut options = crate::site::markdown::OPTIONS;
        options.set(Options::ENABLE_MATH, self.templates);
        options.set(Options::ENABLE_SMART_PUNCTUATION, self.smart_punctuation);
        options.set(Options::ENABLE_DEFINITION_LIST, self.definition_lists);
        options.set(Options::ENABLE_GFM, self.admonitions);
        options
    }
}
pub mod extras;
pub mod fold;
pub mod hidelines;
pub mod index;
pub mod plugin;
pub mod preprocess;
pub mod protocol;
pub mod redirect;
pub mod statics;
