//! Claims written in chapters: `{{ claim(that=bump.adam.escapes, says="Adam escapes") }}`
//! renders a small badge and leaves a marker in the page, which `gradbook check` reads back so
//! that a parameter edit that breaks a stated conclusion fails the check.

use crate::markup::escape;
use crate::site::html::tags;
use serde_json::Value;
use std::collections::HashMap;
use tera::Tera;

/// The attribute that marks a claim's badge in a rendered page (`holds` or `fails`).
const MARK: &str = "data-gb-claim";

/// A claim found in a rendered chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChapterClaim {
    /// What the chapter says.
    pub says: String,
    /// Whether the value it was tied to was true when the book was built.
    pub holds: bool,
}

/// Register `claim(that=<bool>, says="…")` on a chapter's Tera instance.
pub fn register(tera: &mut Tera) {
    let claim = |args: &HashMap<String, Value>| -> tera::Result<Value> {
        let says = match args.get("says") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(other) if !other.is_string() => {
                return Err(tera::Error::msg(format!(
                    "claim: `says` must be a string, got `{other}`"
                )));
            }
            _ => {
                return Err(tera::Error::msg(
                    "claim: missing `says=\"what the chapter claims\"`",
                ));
            }
        };
        let holds = match args.get("that") {
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(tera::Error::msg(format!(
                    "claim(says=\"{says}\"): `that` must be true or false, got `{other}` (compare it, e.g. `that=x > 0`)"
                )));
            }
            None => {
                return Err(tera::Error::msg(format!(
                    "claim(says=\"{says}\"): missing `that=<condition>`"
                )));
            }
        };
        Ok(Value::String(badge(holds, &says)))
    };
    tera.register_function("claim", crate::site::templates::SafeHtml(claim));
}

/// The inline badge of a claim: ✓ when it holds, ✗ when it does not.
pub fn badge(holds: bool, says: &str) -> String {
    let (state, mark, verdict) = if holds {
        ("holds", "✓", "checked when the book was built")
    } else {
        ("fails", "✗", "does NOT hold for these settings")
    };
    format!(
        "<span class=\"gb-claim gb-claim-{state}\" {MARK}=\"{state}\" data-says=\"{}\" title=\"{}: {}\">{mark}</span>",
        escape(says),
        verdict,
        escape(says)
    )
}

/// Every claim badge in a rendered page, in page order.
pub fn extract(html: &str) -> Vec<ChapterClaim> {
    tags(html)
        .into_iter()
        .filter_map(|tag| {
            let state = tag.attr(MARK)?;
            Some(ChapterClaim {
                says: tag.attr("data-says").unwrap_or_default().to_string(),
                holds: state == "holds",
            })
        })
        .collect()
}

/// Where the `n`-th (0-based) claim saying `says` is in a chapter's source (a byte offset):
/// at its text, else at the `n`-th `claim(` call.
pub fn locate(source: &str, says: &str, n: usize) -> Option<usize> {
    if !says.is_empty()
        && let Some(pos) = source.find(says)
    {
        return Some(pos);
    }
    source.match_indices("claim(").nth(n).map(|(pos, _)| pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(template: &str) -> tera::Result<String> {
        let mut tera = Tera::default();
        register(&mut tera);
        tera.add_raw_template("c.md", template)?;
        let context = tera::Context::from_value(serde_json::json!({"r": {"x": 2.5, "ok": true}}))?;
        tera.render("c.md", &context)
    }

    #[test]
    fn badges_round_trip() {
        let html = render(
            "A {{ claim(that=r.ok, says=\"it <works>\") }} B {{ claim(that=r.x > 3, says=\"x is large\") }}",
        )
        .unwrap();
        assert_eq!(
            extract(&html),
            vec![
                ChapterClaim {
                    says: "it <works>".into(),
                    holds: true
                },
                ChapterClaim {
                    says: "x is large".into(),
                    holds: false
                },
            ]
        );
        assert!(html.contains("✓") && html.contains("✗"));
        assert!(!html.contains("<works>"), "escaped: {html}");
    }

    #[test]
    fn non_boolean_and_missing_arguments_are_errors() {
        let err = |t: &str| crate::site::templates::tera_error_text(&render(t).unwrap_err());
        assert!(err("{{ claim(that=r.x, says=\"s\") }}").contains("must be true or false"));
        assert!(err("{{ claim(that=true) }}").contains("missing `says"));
        assert!(err("{{ claim(says=\"s\") }}").contains("missing `that"));
    }

    #[test]
    fn claims_are_located_by_text_then_by_order() {
        let src = "intro\n{{ claim(that=a, says=\"first\") }}\n\n{% for i in x %}{{ claim(that=i, says=\"each \" ~ i) }}{% endfor %}\n";
        assert_eq!(locate(src, "first", 0), src.find("first"));
        let second_call = src.match_indices("claim(").nth(1).map(|(at, _)| at);
        assert_eq!(locate(src, "each 3", 1), second_call);
        assert_eq!(locate("no calls", "x", 0), None);
    }
}
