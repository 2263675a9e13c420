//! The figure colour table: the `--gb-fig-*` variables of the site's CSS, resolved per theme.
//!
//! The site's `templates/css/gradbook.css` is the single source: inline figures in pages draw
//! with `var(--gb-fig-…, fallback)` and the browser picks the theme; standalone figures (which
//! must render without CSS variables, e.g. in librsvg, resvg or a PDF) get the same variables
//! replaced by the values this table reads from that very file, so the two cannot drift.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The site stylesheet, whose `:root` block holds the light values and `html.dark` the dark.
const CSS: &str = include_str!("../../templates/css/gradbook.css");

/// The prefix every figure colour variable shares.
const PREFIX: &str = "--gb-fig-";

/// A colour theme of standalone figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Dark text on white (the site's light theme).
    #[default]
    Light,
    /// Light text on a dark background (the site's dark theme).
    Dark,
}

impl Theme {
    /// The theme's name as written in settings and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Every figure colour of this theme: variable name without `--gb-fig-` → CSS colour.
    pub fn colours(self) -> &'static BTreeMap<String, String> {
        static TABLES: OnceLock<(BTreeMap<String, String>, BTreeMap<String, String>)> =
            OnceLock::new();
        let (light, dark) = TABLES.get_or_init(|| tables(CSS));
        match self {
            Theme::Light => light,
            Theme::Dark => dark,
        }
    }

    /// The value of variable `--gb-fig-<name>` in this theme.
    pub fn colour(self, name: &str) -> Option<&'static str> {
        self.colours().get(name).map(String::as_str)
    }
}

/// The light and dark tables of a stylesheet: the declarations before `html.dark {` are the
/// light theme; the dark theme is the light one overridden by the declarations after it.
fn tables(css: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let (light_css, dark_css) = css.split_once("html.dark {").unwrap_or((css, ""));
    let light = declarations(light_css);
    let mut dark = light.clone();
    dark.extend(declarations(dark_css));
    (light, dark)
}

/// Every `--gb-fig-<name>: <value>;` declaration of a piece of CSS.
fn declarations(css: &str) -> BTreeMap<String, String> {
    css.split(';')
        .filter_map(|decl| {
            let decl = decl.rsplit(['{', '}']).next().unwrap_or(decl);
            let decl = decl.rsplit("*/").next().unwrap_or(decl).trim();
            let (name, value) = decl.strip_prefix(PREFIX)?.split_once(':')?;
            Some((name.trim().to_string(), value.trim().to_string()))
        })
        .collect()
}

/// Replace every `var(--gb-fig-<name>, fallback)` of a figure by its value in `theme`.
///
/// Fails with the variable's name when the table lacks it (a figure must use only variables
/// the site defines) or when a `var(` is not closed.
pub fn resolve(svg: &str, theme: Theme) -> Result<String, String> {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find("var(") {
        out.push_str(&rest[..at]);
        let inner = &rest[at + 4..];
        let close = inner
            .find(')')
            .ok_or_else(|| format!("unclosed `var(` in figure: {}", snippet(inner)))?;
        let name = inner[..close].split(',').next().unwrap_or("").trim();
        let value = name
            .strip_prefix(PREFIX)
            .and_then(|n| theme.colour(n))
            .ok_or_else(|| {
                format!(
                    "figure colour `{name}` is not defined for the {} theme",
                    theme.name()
                )
            })?;
        out.push_str(value);
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The first few characters of `s`, for an error message.
fn snippet(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_read_both_themes_from_the_site_css() {
        assert_eq!(Theme::Light.colour("bg"), Some("#ffffff"));
        assert_eq!(Theme::Dark.colour("bg"), Some("#15171c"));
        assert_eq!(Theme::Light.colour("c0"), Some("#0b6fb8"));
        assert_eq!(Theme::Dark.colour("c0"), Some("#5fb3ff"));
        assert_eq!(Theme::Light.colours().len(), Theme::Dark.colours().len());
        for theme in [Theme::Light, Theme::Dark] {
            for (name, value) in theme.colours() {
                let hex = value.strip_prefix('#').unwrap_or("");
                assert!(
                    hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()),
                    "{name}: {value} is not #rrggbb"
                );
            }
        }
        // Every variable the figure sources use (`var(--gb-fig-…`), with `c{k}` standing for c0 … c7.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = vec![root.join("src/compute/network/paths.rs")];
        let mut dirs = vec![root.join("src/figure")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("theme.rs")
                {
                    sources.push(path);
                }
            }
        }
        let mut used = 0;
        for path in sources {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split("var(--gb-fig-").skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                let names: Vec<String> = if piece[name.len()..].starts_with('{') {
                    (0..8).map(|k| format!("{name}{k}")).collect()
                } else {
                    vec![name]
                };
                for name in names.into_iter().filter(|n| !n.is_empty()) {
                    used += 1;
                    for theme in [Theme::Light, Theme::Dark] {
                        assert!(
                            theme.colour(&name).is_some(),
                            "{}: --gb-fig-{name} has no {} value",
                            path.display(),
                            theme.name()
                        );
                    }
                }
            }
        }
        assert!(used > 20, "found only {used} variable uses");
        // Independently: every dark value differs from its light value (a real dark theme).
        for (name, light) in Theme::Light.colours() {
            assert_ne!(Theme::Dark.colour(name), Some(light.as_str()), "{name}");
        }
    }

    /// WCAG 2 contrast ratio of two `#rrggbb` colours.
    fn contrast(a: &str, b: &str) -> f64 {
        let luminance = |hex: &str| {
            let hex = hex.trim_start_matches('#');
            let channel = |i: usize| {
                let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
                if c <= 0.04045 {
                    c / 12.92
                } else {
                    ((c + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
        };
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn colours_drawn_as_text_reach_4_5_to_1_in_both_themes() {
        // Known values of the formula: black on white is 21:1, a colour on itself 1:1.
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#777777", "#777777") - 1.0).abs() < 1e-12);
        // #767676 on white is the classic 4.54:1 just above the AA threshold.
        assert!((contrast("#767676", "#ffffff") - 4.54).abs() < 0.01);
        let text_roles = [
            "fg", "muted", "accent", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7",
        ];
        for theme in [Theme::Light, Theme::Dark] {
            let bg = theme.colour("bg").unwrap();
            for role in text_roles {
                let fg = theme.colour(role).unwrap();
                let ratio = contrast(fg, bg);
                assert!(
                    ratio >= 4.5,
                    "{} theme: --gb-fig-{role} {fg} on {bg} is {ratio:.2}:1, below 4.5:1",
                    theme.name()
                );
            }
            // Box fills carry text in the figure's foreground colour.
            for fill in ["leaf", "op", "out"] {
                let ratio = contrast(theme.colour("fg").unwrap(), theme.colour(fill).unwrap());
                assert!(
                    ratio >= 4.5,
                    "{} theme: text on {fill} is {ratio:.2}:1",
                    theme.name()
                );
            }
        }
    }

    #[test]
    fn dark_block_overrides_light() {
        let css = ":root { --x: 1; /* colours */ --gb-fig-fg: #000000; --gb-fig-bg: #ffffff; }\n\
                   html.dark { --gb-fig-bg: #101010; }";
        let (light, dark) = tables(css);
        assert_eq!(light.len(), 2);
        assert_eq!(dark["fg"], "#000000");
        assert_eq!(dark["bg"], "#101010");
        assert_eq!(light["bg"], "#ffffff");
    }

    #[test]
    fn resolve_replaces_variables_and_ignores_fallbacks() {
        let svg =
            "<style>a{fill:var(--gb-fig-bg,#fff);stroke:var( --gb-fig-c3 , #123456 )}</style>";
        assert_eq!(
            resolve(svg, Theme::Light).unwrap(),
            "<style>a{fill:#ffffff;stroke:#b8478f}</style>"
        );
        assert_eq!(
            resolve(svg, Theme::Dark).unwrap(),
            "<style>a{fill:#15171c;stroke:#ee90d2}</style>"
        );
    }

    #[test]
    fn resolve_rejects_unknown_and_unclosed_variables() {
        let err = resolve("fill:var(--gb-fig-nope,#fff)", Theme::Dark).unwrap_err();
        assert!(
            err.contains("--gb-fig-nope") && err.contains("dark"),
            "{err}"
        );
        let err = resolve("fill:var(--other)", Theme::Light).unwrap_err();
        assert!(err.contains("--other"), "{err}");
        assert!(resolve("fill:var(--gb-fig-bg", Theme::Light).is_err());
    }
}
