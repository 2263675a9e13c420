//! Code blocks at build time: syntax highlighting with syntect (CSS classes, no JavaScript),
//! mdBook's hidden lines and `fn main` wrapper, and the info string's words kept as classes
//! (`editable`, `ignore`, `should_panic`, … are tolerated and passed through as mdBook does).
//!
//! Highlighted text is a sequence of `<span class="hl-…">` whose classes are the atoms of the
//! TextMate scope (`keyword.control.rust` → `hl-keyword hl-control hl-rust`); the colours live
//! in `css/highlight.css`, generated from two syntect themes by [`theme_css`]. Every line is
//! closed on its own so a hidden line can be wrapped in `<span class="boring">`.

pub mod cache;

use crate::markup::escape;
use crate::site::mdbook::hidelines::{self, Line};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use syntect::html::{ClassStyle, line_tokens_to_classed_spans};
use syntect::parsing::{
    ParseState, Scope, ScopeStack, SyntaxDefinition, SyntaxReference, SyntaxSet, SyntaxSetBuilder,
};

/// `[output.html.code]` in book.toml.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodeConfig {
    /// `[output.html.code.hidelines]`: language → the prefix that hides a line.
    pub hidelines: BTreeMap<String, String>,
    /// How mdBook's `[output.html.playground]` settings decide which Rust blocks are
    /// examples wrapped in a hidden `fn main` (set from them, not read from this table).
    #[serde(skip)]
    pub playground: hidelines::Playground,
}

/// The prefix of every highlighting class.
const PREFIX: &str = "hl-";
const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: PREFIX };

/// syntect's default syntaxes (Python, Rust, C, JavaScript, JSON, shell, …), loaded on the
/// first highlighted block only. Loading them all costs about a millisecond: syntect keeps
/// each syntax's contexts compressed until it is used. What a cold build pays for is compiling
/// the patterns of the contexts a block reaches, which is why syntect runs on Oniguruma (the
/// engine these Sublime syntaxes are written for) rather than fancy-regex, whose automata cost
/// five times the time and memory for the same patterns.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(|| {
    limit_backtracking();
    SyntaxSet::load_defaults_newlines()
});

/// Most retries one Oniguruma search may make. Some of the syntaxes' patterns backtrack
/// catastrophically on some lines: Python's string-format pattern on a string holding a run of
/// `{` took 44 s to highlight 4,000 of them, and grew as the cube of the run. Past the limit a
/// search counts as no match, so that line takes 1.2 s, partly highlighted. A count, unlike a
/// time limit, is the same on every machine, so the pages stay the same too. Ordinary code
/// stays far below it: the solution book and mdBook's own guide highlight byte for byte as
/// without a limit even at 1,000, and the busiest search of the every-syntax sample below
/// needs between 20,000 and 50,000.
const RETRY_LIMIT_IN_SEARCH: u32 = 100_000;

/// Set [`RETRY_LIMIT_IN_SEARCH`] as Oniguruma's default, before the first search.
fn limit_backtracking() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sets the global default that each search copies when it starts; it runs
        // once, while the first syntax set loads, before any pattern is searched.
        unsafe {
            onig_sys::onig_set_retry_limit_in_search(RETRY_LIMIT_IN_SEARCH.into());
        }
    });
}

/// TOML, which syntect's defaults lack.
static TOML: LazyLock<Option<SyntaxSet>> = LazyLock::new(|| {
    limit_backtracking();
    let definition =
        SyntaxDefinition::load_from_str(include_str!("highlight/toml.sublime-syntax"), true, None)
            .ok()?;
    let mut builder = SyntaxSetBuilder::new();
    builder.add(definition);
    Some(builder.build())
});

/// The syntax of a fence language (case-insensitive; common aliases such as `shell`, `console`
/// and `py3` included), or `None` to show the code unhighlighted.
fn syntax_for(language: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    if is_plain(language) {
        return None;
    }
    let lower = language.to_ascii_lowercase();
    let token = match lower.as_str() {
        "toml" => {
            let set = TOML.as_ref()?;
            return set.find_syntax_by_name("TOML").map(|s| (set, s));
        }
        "shell" | "console" | "shell-session" | "sh-session" | "zsh" => "bash",
        "py3" | "python3" | "autograd" => "python",
        "javascript" | "node" | "mjs" => "js",
        "jsonc" => "json",
        other => other,
    };
    let set: &'static SyntaxSet = &SYNTAXES;
    set.find_syntax_by_token(token).map(|s| (set, s))
}

/// Whether a fence language is shown as plain text (no syntax is loaded for it).
fn is_plain(language: &str) -> bool {
    ["", "text", "plain", "plaintext", "txt", "none"]
        .iter()
        .any(|plain| language.eq_ignore_ascii_case(plain))
}

/// The words of an info string (`rust,ignore`, `python hidelines=~`).
fn info_words(info: &str) -> impl Iterator<Item = &str> {
    info.split([' ', '\t', ',']).filter(|w| !w.is_empty())
}

/// The language of an info string: its first word.
fn language_of(info: &str) -> &str {
    info_words(info).next().unwrap_or("")
}

/// The HTML of a fenced code block: `info` is the fence's info string (`rust,ignore`,
/// `python hidelines=~`), `code` its text.
pub fn code_block(info: &str, code: &str, config: &CodeConfig) -> String {
    let mut words = info_words(info);
    let language = words.next().unwrap_or("");
    let classes: Vec<&str> = words.collect();
    let playground = config.playground.is_example(language, &classes);
    let wrapped = config
        .playground
        .wraps(language, &classes)
        .then(|| hidelines::wrap_rust_main(code))
        .flatten();
    let lines = hidelines::split(
        language,
        &classes,
        wrapped.as_deref().unwrap_or(code),
        &config.hidelines,
    );
    let mut html = String::with_capacity(code.len() * 3 + 64);
    html.push_str(if playground {
        "<pre class=\"playground\"><code"
    } else {
        "<pre><code"
    });
    if !language.is_empty() {
        let mut class = format!("language-{language}");
        for c in &classes {
            class.push(' ');
            class.push_str(c);
        }
        html.push_str(&format!(" class=\"{}\"", escape(&class)));
    }
    html.push('>');
    html.push_str(&highlight_lines(language, &lines));
    html.push_str("</code></pre>\n");
    html
}

/// The lines highlighted for `language` (plain escaped text when it is unknown), each hidden
/// line wrapped in `<span class="boring">`.
fn highlight_lines(language: &str, lines: &[Line]) -> String {
    let mut out = String::new();
    let mut highlighter = syntax_for(language).map(|(set, syntax)| Highlighter {
        set,
        state: ParseState::new(syntax),
        stack: ScopeStack::new(),
    });
    for line in lines {
        if line.hidden {
            out.push_str("<span class=\"boring\">");
        }
        for piece in line.text.split_inclusive('\n') {
            match highlighter.as_mut().and_then(|h| h.line(piece)) {
                Some(html) => out.push_str(&html),
                None => {
                    // An unknown language, or the highlighter gave up (a regex that
                    // backtracked too long): the rest of the block is plain text.
                    highlighter = None;
                    out.push_str(&escape(piece));
                }
            }
        }
        if line.hidden {
            out.push_str("</span>");
        }
    }
    out
}

/// A syntax's parser state across the lines of one block.
struct Highlighter {
    set: &'static SyntaxSet,
    state: ParseState,
    stack: ScopeStack,
}

impl Highlighter {
    /// One line as balanced HTML: the spans still open from earlier lines are reopened first
    /// and every span is closed at the end. `None` if the parser failed.
    fn line(&mut self, line: &str) -> Option<String> {
        let ops = self.state.parse_line(line, self.set).ok()?;
        let mut html = String::new();
        for scope in self.stack.as_slice() {
            html.push_str(&format!("<span class=\"{}\">", classes(*scope)));
        }
        let (body, _) =
            line_tokens_to_classed_spans(line, &ops, CLASS_STYLE, &mut self.stack).ok()?;
        html.push_str(&body);
        html.push_str(&"</span>".repeat(self.stack.as_slice().len()));
        Some(html)
    }
}

/// The classes of a scope as syntect writes them (`hl-source hl-rust`).
fn classes(scope: Scope) -> String {
    scope
        .build_string()
        .split('.')
        .map(|atom| format!("{PREFIX}{atom}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The light theme (syntect's `InspiredGitHub`) and the dark one (`base16-ocean.dark`).
pub const THEMES: [&str; 2] = ["InspiredGitHub", "base16-ocean.dark"];

/// The stylesheet of highlighted code: the light theme's colours, then the dark theme's under
/// `html.dark` (on screen only; print keeps the light colours). Each colour is darkened (light
/// theme) or lightened (dark theme) until it reads at 4.5:1 against the site's code background.
/// The theme's own background and base colour are left to the site.
pub fn theme_css() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let mut css = String::from(
        "/* gradbook: colours of highlighted code (generated by `gradbook::site::highlight::theme_css`\n   from syntect's InspiredGitHub and base16-ocean.dark themes; do not edit by hand). */\n",
    );
    for (name, dark) in [(THEMES[0], false), (THEMES[1], true)] {
        let Some(theme) = themes.themes.get(name) else {
            continue;
        };
        let Ok(generated) = syntect::html::css_for_theme_with_class_style(theme, CLASS_STYLE)
        else {
            continue;
        };
        let background = if dark { DARK_CODE_BG } else { LIGHT_CODE_BG };
        let rules = rules(&generated, background, dark);
        if dark {
            css.push_str("\n@media screen {\n");
            for line in rules.lines() {
                css.push_str("    ");
                css.push_str(line);
                css.push('\n');
            }
            css.push_str("}\n");
        } else {
            css.push('\n');
            css.push_str(&rules);
        }
    }
    css
}

/// `--code-bg` of the light and dark site themes (`templates/css/gradbook.css`).
pub const LIGHT_CODE_BG: [u8; 3] = [0xf2, 0xf4, 0xf7];
/// See [`LIGHT_CODE_BG`].
pub const DARK_CODE_BG: [u8; 3] = [0x22, 0x26, 0x2d];

/// The rules of syntect's CSS without comments and the `.hl-code` base rule, every selector
/// put under `.content` (and `html.dark` for the dark theme) and every colour contrast-fixed.
fn rules(generated: &str, background: [u8; 3], dark: bool) -> String {
    let mut text = String::new();
    let mut rest = generated;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        let current = rest;
        rest = current[start..]
            .find("*/")
            .map_or("", |end| &current[start + end + 2..]);
    }
    text.push_str(rest);
    let mut out = String::new();
    for block in text.split('}') {
        let Some((selectors, body)) = block.split_once('{') else {
            continue;
        };
        let selectors: Vec<String> = selectors
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != format!(".{PREFIX}code"))
            .map(|s| {
                if dark {
                    format!("html.dark .content {s}")
                } else {
                    format!(".content {s}")
                }
            })
            .collect();
        let declarations: Vec<String> = body
            .lines()
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.starts_with("background-color"))
            .map(|d| match d.strip_prefix("color: #") {
                Some(hex) => format!(
                    "color: {};",
                    readable(hex.trim_end_matches(';'), background)
                ),
                None => d.to_string(),
            })
            .collect();
        if selectors.is_empty() || declarations.is_empty() {
            continue;
        }
        out.push_str(&selectors.join(",\n"));
        out.push_str(" {\n");
        for d in declarations {
            out.push_str("    ");
            out.push_str(&d);
            out.push('\n');
        }
        out.push_str("}\n");
    }
    out
}

/// `hex` (`rrggbb`) moved towards black or white, in small steps, until its contrast with
/// `background` is at least 4.5:1.
fn readable(hex: &str, background: [u8; 3]) -> String {
    let parse = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let mut colour = [parse(0), parse(2), parse(4)];
    let target: u8 = if luminance(background) > 0.5 { 0 } else { 255 };
    while contrast(colour, background) < 4.5 && colour != [target; 3] {
        for c in &mut colour {
            let step = (i16::from(target) - i16::from(*c)).signum() * 4;
            *c = u8::try_from((i16::from(*c) + step).clamp(0, 255)).unwrap_or(target);
        }
    }
    format!("#{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2])
}

/// WCAG relative luminance of an sRGB colour.
pub fn luminance(rgb: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2])
}

/// WCAG contrast ratio of two colours.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(info: &str, code: &str) -> String {
        code_block(info, code, &CodeConfig::default())
    }

    /// The text of highlighted HTML: tags dropped, entities decoded.
    fn text(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&")
    }

    #[test]
    fn every_required_language_is_highlighted_and_keeps_its_text() {
        for (info, code, token) in [
            (
                "python",
                "def f(x):\n    return x < 2  # small\n",
                "hl-keyword",
            ),
            ("rust,ignore", "fn f() -> u8 { 1 }\n", "hl-storage"),
            (
                "toml",
                "[book]\ntitle = \"A & B\" # t\nn = 3\n",
                "hl-string",
            ),
            (
                "sh",
                "cargo run --release -- build\necho \"$HOME\"\n",
                "hl-string",
            ),
            ("shell", "ls -l | wc -l\n", "hl-keyword"),
            ("json", "{\"a\": [1, true, null]}\n", "hl-constant"),
            ("c", "int main(void) { return 0; }\n", "hl-storage"),
            ("javascript", "const x = \"<b>\";\n", "hl-string"),
            ("js", "let y = 2;\n", "hl-storage"),
        ] {
            let html = block(info, code);
            assert!(html.contains(token), "{info}: no {token} in {html}");
            let inner = html
                .split_once('>')
                .and_then(|(_, r)| r.split_once('>'))
                .map(|(_, r)| r)
                .unwrap_or_default();
            let shown = text(inner.trim_end_matches("</code></pre>\n"));
            // mdBook drops a Rust block's last line end.
            assert_eq!(shown.trim_end(), code.trim_end(), "{info}: text changed");
            assert!(!html.contains("<b>"), "{info}: code is escaped: {html}");
        }
    }

    #[test]
    fn every_line_is_balanced() {
        for (language, code) in [
            ("python", "s = \"\"\"a\nb\nc\"\"\"\n# x\n"),
            ("toml", "a = \"\"\"\nmulti\n\"\"\"\n"),
        ] {
            let (set, syntax) = syntax_for(language).unwrap();
            let mut highlighter = Highlighter {
                set,
                state: ParseState::new(syntax),
                stack: ScopeStack::new(),
            };
            for line in code.split_inclusive('\n') {
                let html = highlighter.line(line).unwrap();
                assert_eq!(
                    html.matches("<span").count(),
                    html.matches("</span>").count(),
                    "{html}"
                );
                assert_eq!(text(&html), line);
            }
        }
        let toml = block("toml", "a = \"\"\"\nmulti\n\"\"\"\n");
        assert!(toml.contains("<span class=\"hl-source hl-toml\"><span class=\"hl-string hl-quoted hl-triple hl-toml\">multi"), "{toml}");
    }

    #[test]
    fn rust_hidden_lines_and_the_main_wrapper_are_boring_spans() {
        let html = block("rust", "# use std::io;\nlet x = 1;\n");
        assert!(
            html.starts_with("<pre class=\"playground\"><code class=\"language-rust\">"),
            "{html}"
        );
        assert_eq!(html.matches("<span class=\"boring\">").count(), 4, "{html}");
        assert_eq!(
            text(&html),
            "#![allow(unused)]\nfn main() {\nuse std::io;\nlet x = 1;\n}\n"
        );
        let ignored = block("rust,ignore,should_panic", "# hidden\nshown();\n");
        assert!(
            ignored.starts_with("<pre><code class=\"language-rust ignore should_panic\">"),
            "{ignored}"
        );
        assert_eq!(ignored.matches("class=\"boring\"").count(), 1);
        let config = CodeConfig {
            hidelines: BTreeMap::from([("python".into(), "~".into())]),
            ..CodeConfig::default()
        };
        let py = code_block("python", "~import os\nprint(1)\n", &config);
        assert!(py.contains("<span class=\"boring\">"), "{py}");
        assert_eq!(text(&py), "import os\nprint(1)\n\n");
    }

    #[test]
    fn unknown_languages_and_hostile_info_strings_are_plain_escaped_text() {
        let html = block("\"><script>x", "<img src=x onerror=alert(1)>\n");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;img"), "{html}");
        assert_eq!(block("", "a<b\n"), "<pre><code>a&lt;b\n</code></pre>\n");
        assert_eq!(
            block("text", "x\n"),
            "<pre><code class=\"language-text\">x\n</code></pre>\n"
        );
    }

    /// Every syntax syntect knows, and every alias, gives the HTML recorded in
    /// `highlight/every_syntax.sha256` for `highlight/sample.txt` (strings, comments, numbers,
    /// keywords, markup, non-ASCII text): a change of syntax set, regex engine or markup shows
    /// here, language by language. `GRADBOOK_BLESS=1` records the current HTML.
    #[test]
    fn every_syntax_gives_the_recorded_html() {
        use sha2::{Digest, Sha256};
        let sample = include_str!("highlight/sample.txt");
        let mut infos: Vec<String> = SYNTAXES
            .syntaxes()
            .iter()
            .map(|s| {
                s.file_extensions
                    .first()
                    .cloned()
                    .unwrap_or_else(|| s.name.clone())
            })
            .collect();
        infos.extend(
            [
                "toml",
                "shell",
                "console",
                "py3",
                "python3",
                "autograd",
                "javascript",
                "node",
                "mjs",
                "jsonc",
                "rust",
                "rust,ignore",
                "python hidelines=~",
                "no-such-language",
                "Python",
                "RUST",
                "text",
            ]
            .map(String::from),
        );
        let mut digests = String::new();
        for info in &infos {
            let html = block(info, sample);
            let digest: String = Sha256::digest(html.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            digests.push_str(&format!("{digest}  {info}\n"));
        }
        let committed = include_str!("highlight/every_syntax.sha256");
        if std::env::var_os("GRADBOOK_BLESS").is_some() {
            std::fs::write(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/src/site/highlight/every_syntax.sha256"
                ),
                &digests,
            )
            .unwrap();
            return;
        }
        let changed: Vec<&str> = digests
            .lines()
            .zip(committed.lines())
            .filter(|(now, then)| now != then)
            .map(|(now, _)| now.split_once("  ").map_or(now, |(_, info)| info))
            .collect();
        assert!(changed.is_empty(), "HTML changed for {changed:?}");
        assert_eq!(digests, committed, "the list of syntaxes changed");
        assert!(infos.len() > 80, "only {} syntaxes", infos.len());
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
        // #767676 on white is the classic 4.54:1; #777777 is just under 4.5.
        assert!((contrast([0x76; 3], [255; 3]) - 4.54).abs() < 0.01);
        assert!(contrast([0x77; 3], [255; 3]) < 4.5);
        assert_eq!(readable("000000", LIGHT_CODE_BG), "#000000");
        assert_eq!(readable("ffffff", DARK_CODE_BG), "#ffffff");
    }

    /// The committed stylesheet is what the themes generate, and every colour in it reads at
    /// 4.5:1 or better on the code background of its theme.
    #[test]
    fn the_committed_stylesheet_is_current_and_readable() {
        let css = theme_css();
        let committed = include_str!("../../templates/css/highlight.css");
        if std::env::var_os("GRADBOOK_BLESS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/templates/css/highlight.css"),
                &css,
            )
            .unwrap();
        } else {
            assert_eq!(css, committed, "regenerate with GRADBOOK_BLESS=1");
        }
        let (light, dark) = css.split_once("@media screen").unwrap();
        let mut count = 0;
        for (part, background) in [(light, LIGHT_CODE_BG), (dark, DARK_CODE_BG)] {
            for (at, _) in part.match_indices("color: #") {
                let hex = &part[at + 8..at + 14];
                let rgb = [0, 2, 4].map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap());
                assert!(contrast(rgb, background) >= 4.5, "#{hex}");
                count += 1;
            }
        }
        assert!(count > 20, "only {count} colours");
        assert!(dark.contains("html.dark .content .hl-keyword"), "{dark}");
    }
}
