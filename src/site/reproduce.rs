//! Every parameter set a chapter prints is read back from the rendered page, at the digits the
//! page prints, and re-evaluated: the ratio and the verdict printed next to it must follow
//! from the printed values alone.
//!
//! A chapter marks a parameter set with a table of class [`CLASS`]:
//!
//! ```html
//! <table class="gb-param-set" data-study="networks" data-variant="default" data-parameter="w1">
//! <thead><tr><th data-gb="ratio">ratio</th><th data-gb="verdict">inequality</th><th>x</th><th>w1</th>…</tr></thead>
//! <tbody><tr><td>8.74e-9</td><td>fails</td><td>0.7529</td><td>0.1076</td>…</tr></tbody>
//! </table>
//! ```
//!
//! Columns may come in any order. Each header without `data-gb` names a parameter (or the
//! input) and the cell below it holds its value as printed; `data-gb="ratio"` holds `|dy*/dθ| / |dy/dθ|` and
//! `data-gb="verdict"` holds `holds` or `fails` (whether `|dy/dθ| ≤ |dy*/dθ|`). The study
//! named by `data-study` (a `kind = "network"` file stem) is evaluated at exactly the printed
//! values on the autograd tape, and the printed ratio must be the computed one to within half
//! a unit of its last printed digit.

use crate::compute::{Kind, network};
use crate::site::book::ComputationFile;
use crate::site::html::{tags, unescape};
use std::collections::BTreeMap;

/// The class that marks a printed parameter set.
pub const CLASS: &str = "gb-param-set";

/// A parameter set read back from a page.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSet {
    /// The study's file stem.
    pub study: String,
    /// The variant.
    pub variant: String,
    /// The compared parameter θ.
    pub parameter: String,
    /// Every printed value, by name.
    pub values: BTreeMap<String, f64>,
    /// The printed ratio, as text.
    pub ratio: Option<String>,
    /// The printed verdict, as text.
    pub verdict: Option<String>,
}

/// Every parameter set of a rendered page, in page order; `Err` names a table that cannot
/// be read (a value that is not a number, a missing attribute, headers and cells that differ
/// in number).
pub fn extract(html: &str) -> Result<Vec<ParamSet>, String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<table") {
        rest = &rest[start..];
        let open_end = rest.find('>').ok_or("a <table> tag is not closed")? + 1;
        let tag = tags(&rest[..open_end]).into_iter().next();
        let end = rest
            .find("</table>")
            .map_or(rest.len(), |e| e + "</table>".len());
        let body = &rest[open_end..end];
        rest = &rest[end..];
        let Some(tag) = tag.filter(|t| {
            t.attr("class")
                .is_some_and(|c| c.split_whitespace().any(|c| c == CLASS))
        }) else {
            continue;
        };
        let n = out.len() + 1;
        let attr = |name: &str| {
            tag.attr(name)
                .map(str::to_string)
                .ok_or_else(|| format!("parameter set {n}: the table has no `{name}` attribute"))
        };
        let (study, variant, parameter) = (
            attr("data-study")?,
            attr("data-variant")?,
            attr("data-parameter")?,
        );
        let heads = cells(body, "th");
        let data = cells(body, "td");
        if heads.len() != data.len() {
            return Err(format!(
                "parameter set {n}: {} headers but {} cells",
                heads.len(),
                data.len()
            ));
        }
        let mut set = ParamSet {
            study,
            variant,
            parameter,
            values: BTreeMap::new(),
            ratio: None,
            verdict: None,
        };
        for ((role, name), (_, text)) in heads.into_iter().zip(data) {
            match role.as_deref() {
                // Printed for readers (`−`, `×10⁻⁵`, grouped digits): read back as plain numbers.
                Some("ratio") => set.ratio = Some(crate::format::plain(&text)),
                Some("verdict") => set.verdict = Some(text),
                Some(other) => {
                    return Err(format!("parameter set {n}: unknown column `{other}`"));
                }
                None => {
                    let value: f64 = crate::format::plain(&text).parse().map_err(|_| {
                        format!("parameter set {n}: `{name}` = `{text}` is not a number")
                    })?;
                    set.values.insert(name, value);
                }
            }
        }
        out.push(set);
    }
    Ok(out)
}

/// The cells `<th>`/`<td>` (`kind`) of a table body: `data-gb` and the text (tags removed,
/// character references decoded, trimmed).
fn cells(body: &str, kind: &str) -> Vec<(Option<String>, String)> {
    let (open, close) = (format!("<{kind}"), format!("</{kind}>"));
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find(&open) {
        rest = &rest[start..];
        // `<th` also starts `<thead>`: a cell's name ends at `>` or white space.
        if !rest[open.len()..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            rest = &rest[open.len()..];
            continue;
        }
        let Some(tag_end) = rest.find('>') else { break };
        let tag = tags(&rest[..=tag_end]).into_iter().next();
        let end = rest.find(&close).unwrap_or(rest.len());
        let inner = &rest[tag_end + 1..end.max(tag_end + 1)];
        out.push((
            tag.and_then(|t| t.attr("data-gb").map(str::to_string)),
            text_of(inner),
        ));
        rest = &rest[end..];
        rest = rest.strip_prefix(close.as_str()).unwrap_or(rest);
    }
    out
}

fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim())
}

/// Whether `computed` prints as `printed`: within half a unit of the last printed
/// significant digit (`inf` only for an infinite ratio).
pub fn agrees(printed: &str, computed: f64) -> bool {
    let shown = match printed {
        "∞" => f64::INFINITY,
        text => match text.parse::<f64>() {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    if shown.is_infinite() || computed.is_infinite() || shown == 0.0 {
        return shown == computed;
    }
    let mantissa = printed
        .trim_start_matches('-')
        .split(['e', 'E'])
        .next()
        .unwrap_or("");
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').len().max(1) as i32;
    let unit = 10f64.powi(shown.abs().log10().floor() as i32 - significant + 1);
    (computed - shown).abs() <= 0.5 * unit * (1.0 + 1e-9)
}

/// Re-evaluate one parameter set; `Err` says what does not follow from the printed values.
pub fn verify(set: &ParamSet, studies: &[ComputationFile]) -> Result<(), String> {
    let what = format!(
        "parameter set of `{}` (variant `{}`, d/d{})",
        set.study, set.variant, set.parameter
    );
    let study = studies
        .iter()
        .find(|c| c.stem == set.study)
        .ok_or_else(|| format!("{what}: no study `{}` in the book", set.study))?;
    if study.kind != Kind::Network {
        return Err(format!(
            "{what}: only network studies can re-evaluate a printed parameter set"
        ));
    }
    let (chain, skip) =
        network::reevaluate(&study.source, &set.variant, &set.parameter, &set.values)
            .map_err(|e| format!("{what}: {e}"))?;
    let ratio = network::tally::ratio(chain, skip);
    let verdict = if chain.abs() <= skip.abs() {
        "holds"
    } else {
        "fails"
    };
    let printed = |v: &Option<String>, col: &str| {
        v.clone()
            .ok_or_else(|| format!("{what}: the table has no `data-gb=\"{col}\"` column"))
    };
    let shown_ratio = printed(&set.ratio, "ratio")?;
    if !agrees(&shown_ratio, ratio) {
        return Err(format!(
            "{what}: the page prints ratio {shown_ratio}, but the printed values give {}",
            crate::format::num(ratio, 6)
        ));
    }
    let shown_verdict = printed(&set.verdict, "verdict")?;
    if shown_verdict != verdict {
        return Err(format!(
            "{what}: the page says the inequality {shown_verdict}, but at the printed values it {verdict} (|dy/d{p}| = {}, |dy*/d{p}| = {})",
            crate::format::num(chain.abs(), 6),
            crate::format::num(skip.abs(), 6),
            p = set.parameter
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<p>text</p><table class=\"other\"><tr><th>a</th></tr></table>\
        <table class=\"gb-param-set\" data-study=\"networks\" data-variant=\"default\" data-parameter=\"w1\">\
        <thead><tr><th data-gb=\"ratio\">ratio <em>r</em></th><th>x</th><th>w1</th><th data-gb=\"verdict\">≤</th></tr></thead>\
        <tbody><tr><td>2.33e-12</td><td>0.75</td><td>-1.5e-3</td><td>fails</td></tr></tbody></table>";

    #[test]
    fn tables_of_the_class_are_read_back() {
        let sets = extract(PAGE).unwrap();
        assert_eq!(sets.len(), 1);
        let s = &sets[0];
        assert_eq!(
            (s.study.as_str(), s.variant.as_str(), s.parameter.as_str()),
            ("networks", "default", "w1")
        );
        assert_eq!(s.values.get("x"), Some(&0.75));
        assert_eq!(s.values.get("w1"), Some(&-1.5e-3));
        assert_eq!(s.ratio.as_deref(), Some("2.33e-12"));
        assert_eq!(s.verdict.as_deref(), Some("fails"));
    }

    #[test]
    fn unreadable_values_are_errors() {
        let bad = PAGE.replace("<td>0.75</td>", "<td>about 0.75</td>");
        let e = extract(&bad).unwrap_err();
        assert!(e.contains("`x` = `about 0.75` is not a number"), "{e}");
    }

    #[test]
    fn agreement_is_half_a_unit_of_the_last_printed_digit() {
        assert!(agrees("2.33e-12", 2.334_9e-12));
        assert!(!agrees("2.33e-12", 2.336e-12));
        assert!(!agrees("2.33e-12", 8.7e-9));
        assert!(agrees("190.4", 190.449));
        assert!(!agrees("190.4", 190.46));
        assert!(agrees("0.8402", 0.840_15));
        assert!(agrees("inf", f64::INFINITY) && agrees("∞", f64::INFINITY));
        assert!(!agrees("inf", 1e300));
        assert!(!agrees("1", f64::INFINITY));
    }
}
