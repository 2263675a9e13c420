//! Math rendering test: builds the repository's own book and measures, in headless Chromium
//! (tests/browser/math.mjs), the layout glitches of math-core's MathML that
//! `src/site/math_fix.rs` works around: sized delimiters as script bases (`\Bigr)^2`), the
//! primes of `f'` and `\sigma'` (beside the letter, not floating above it like an accent), the subscript of `\nabla_\theta f` and the braces of `\underbrace` (drawn by
//! the stylesheet under a row that holds the base: no fraction of the base reaches into the
//! brace, the label stays clear of it, and a screenshot of the brace's strip shows ink across
//! its whole width with the tip in the middle). Bounding boxes and pixel counts, not looks.
//!
//! Needs /usr/bin/chromium (or `GRADBOOK_CHROMIUM`), Node.js and tests/browser/node_modules:
//! `scripts/test-deps.sh` installs them. Without them this test fails; it never skips.

#[path = "common/browser.rs"]
mod browser;

use std::path::Path;

/// The count `N` of `N <what>…` in the report's last line (`… measured 12 sized delimiters,
/// 5 primes, 2 subscripted nablas, 2 braces`).
fn measured(report: &str, what: &str) -> usize {
    let last = report.lines().last().unwrap_or("");
    let counts = last.split_once("measured ").map_or("", |(_, c)| c);
    counts
        .split(", ")
        .filter_map(|part| part.split_once(' '))
        .find(|(_, rest)| rest.starts_with(what))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn math_glitches_are_repaired_in_chromium() {
    browser::require(&["playwright-core/package.json"]);
    let (_dir, site) = browser::build_site(Path::new(env!("CARGO_MANIFEST_DIR")));
    let report = browser::run_script("math.mjs", &[&site]);
    // The book has each glitch's trigger, so the measurements are not vacuous.
    assert!(measured(&report, "sized") >= 10, "{report}");
    assert!(measured(&report, "primes") >= 4, "{report}");
    assert!(measured(&report, "subscripted") >= 1, "{report}");
    assert!(measured(&report, "braces") >= 2, "{report}");
}
