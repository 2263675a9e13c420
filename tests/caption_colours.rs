//! Captions that name a colour must name one the figure draws in every theme: each colour word
//! of a figure caption in `content/` ("blue", "light green", "grey", …) must describe some
//! figure colour of the theme table (`gradbook::figure::theme`) in the light and in the dark
//! theme alike. Colours are named here independently of the site: hue and lightness from the
//! RGB value (HSL), not from the variables' names.

use gradbook::figure::theme::Theme;
use std::path::Path;

/// The hue families a caption may name, with their HSL hue ranges in degrees.
const HUES: &[(&str, f64, f64)] = &[
    ("red", 345.0, 15.0),
    ("orange", 15.0, 45.0),
    ("yellow", 45.0, 70.0),
    ("green", 70.0, 170.0),
    ("cyan", 170.0, 200.0),
    ("blue", 200.0, 260.0),
    ("purple", 260.0, 300.0),
    ("pink", 300.0, 345.0),
];

/// Hue (degrees), saturation and lightness (0–1) of `#rrggbb`.
fn hsl(hex: &str) -> (f64, f64, f64) {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
    let (r, g, b) = (channel(0), channel(2), channel(4));
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let l = (max + min) / 2.0;
    let d = max - min;
    if d == 0.0 {
        return (0.0, 0.0, l);
    }
    let s = d / (1.0 - (2.0 * l - 1.0).abs());
    let h = if max == r {
        60.0 * ((g - b) / d).rem_euclid(6.0)
    } else if max == g {
        60.0 * ((b - r) / d + 2.0)
    } else {
        60.0 * ((r - g) / d + 4.0)
    };
    (h, s, l)
}

/// Whether `hex` is what a reader would call `modifier word` ("light blue", "grey").
fn looks(hex: &str, modifier: Option<&str>, word: &str) -> bool {
    let (h, s, l) = hsl(hex);
    let family = match word {
        "grey" | "gray" => s < 0.2 || (l > 0.85 && s < 0.3),
        "white" => l > 0.95,
        "black" => l < 0.08,
        _ => {
            let Some(&(_, from, to)) = HUES.iter().find(|(name, _, _)| *name == word) else {
                return false;
            };
            let in_range = if from < to {
                (from..to).contains(&h)
            } else {
                h >= from || h < to
            };
            in_range && s >= 0.2
        }
    };
    family
        && match modifier {
            Some("light" | "pale") => l > 0.6,
            Some("dark") => l < 0.4,
            _ => true,
        }
}

/// Every colour phrase (`(modifier, word)`) in `text`.
fn colour_phrases(text: &str) -> Vec<(Option<String>, String)> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let named = |w: &str| {
        matches!(w, "grey" | "gray" | "white" | "black") || HUES.iter().any(|(n, _, _)| *n == w)
    };
    words
        .iter()
        .enumerate()
        .filter(|(_, w)| named(w))
        .map(|(i, w)| {
            let modifier = i
                .checked_sub(1)
                .map(|j| words[j].clone())
                .filter(|m| matches!(m.as_str(), "light" | "pale" | "dark"));
            (modifier, w.clone())
        })
        .collect()
}

/// The `caption="…"` arguments of the chapters' `figure(…)` calls.
fn captions() -> Vec<(String, String)> {
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(content).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("caption=\"").skip(1) {
            let caption = piece.split('"').next().unwrap_or("").to_string();
            found.push((path.display().to_string(), caption));
        }
    }
    found
}

#[test]
fn colour_words_in_captions_match_both_themes() {
    let captions = captions();
    assert!(
        captions.len() >= 5,
        "found only {} captions",
        captions.len()
    );
    let mut phrases = 0;
    for (file, caption) in &captions {
        for (modifier, word) in colour_phrases(caption) {
            phrases += 1;
            for theme in [Theme::Light, Theme::Dark] {
                let drawn = theme
                    .colours()
                    .values()
                    .any(|hex| looks(hex, modifier.as_deref(), &word));
                assert!(
                    drawn,
                    "{file}: the caption says \"{} {word}\", but no figure colour of the {} theme is {0} {word}:\n{caption}",
                    modifier.as_deref().unwrap_or(""),
                    theme.name()
                );
            }
        }
    }
    assert!(phrases >= 3, "the captions name only {phrases} colours");
}

#[test]
fn the_colour_namer_tells_light_from_dark() {
    assert!(looks("#cfe3fb", Some("light"), "blue"));
    assert!(!looks("#1f3d61", Some("light"), "blue"));
    assert!(looks("#1f3d61", Some("dark"), "blue"));
    assert!(looks("#e4e6ea", None, "grey"));
    assert!(looks("#c9ebcc", None, "green"));
    assert!(!looks("#c9ebcc", None, "blue"));
    assert_eq!(
        colour_phrases("Leaves (light blue); grey boxes"),
        vec![(Some("light".into()), "blue".into()), (None, "grey".into())]
    );
}
