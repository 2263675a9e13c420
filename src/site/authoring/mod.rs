//! Course-notes authoring: numbered figures, tables, equations and theorems with `@id`
//! cross-references, callouts, questions and solutions, and the editions built from them.
//!
//! Chapters mark what is numbered and what refers to it with placeholders (see [`marker`]);
//! once every chapter of the book is rendered, [`numbering`] assigns the numbers book-wide and
//! replaces the placeholders with text and links.

pub mod blocks;
pub mod edition;
pub mod inline;
pub mod numbering;

/// The kinds of numbered things: the id prefix (as in Quarto) and the word shown before the
/// number.
pub const KINDS: &[(&str, &str)] = &[
    ("fig", "Figure"),
    ("tbl", "Table"),
    ("eq", "Equation"),
    ("thm", "Theorem"),
    ("lem", "Lemma"),
    ("cor", "Corollary"),
    ("prp", "Proposition"),
    ("cnj", "Conjecture"),
    ("def", "Definition"),
    ("exm", "Example"),
    ("exr", "Exercise"),
    ("rem", "Remark"),
];

/// The word shown before the number of a label (`fig-adam` → `Figure`), if its prefix is a
/// known kind.
pub fn kind_word(id: &str) -> Option<&'static str> {
    let prefix = id.split('-').next()?;
    KINDS.iter().find(|(p, _)| *p == prefix).map(|(_, w)| *w)
}

/// Whether `id` is a label: a known kind's prefix, `-`, then letters, digits, `-` and `_`,
/// ending with a letter or digit.
pub fn is_label(id: &str) -> bool {
    let Some((prefix, rest)) = id.split_once('-') else {
        return false;
    };
    KINDS.iter().any(|(p, _)| *p == prefix)
        && !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && rest.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// The caption of a figure or table drawn by a chapter function: `Figure N: caption` when
/// `label` (which must be `fig-…`/`tbl-…` as `prefix` says) numbers it, else the caption alone;
/// inline Markdown and math.
pub fn numbered_caption(
    prefix: &str,
    label: Option<&str>,
    caption: Option<&str>,
) -> Result<Option<String>, String> {
    let caption = caption.map(inline::render).transpose()?;
    let Some(label) = label else {
        return Ok(caption);
    };
    if !is_label(label) || !label.starts_with(&format!("{prefix}-")) {
        return Err(format!(
            "id=\"{label}\": expected a label `{prefix}-name` (letters, digits, `-`, `_`)"
        ));
    }
    let word = kind_word(label).unwrap_or("");
    let number = marker::definition(label);
    Ok(Some(match caption {
        Some(c) => format!("{word} {number}: {c}"),
        None => format!("{word} {number}"),
    }))
}

/// A table drawn by `table()` with its caption above it and its label as the id.
pub fn wrap_table(
    table: &str,
    caption: Option<&str>,
    label: Option<&str>,
) -> Result<String, String> {
    let Some(caption) = numbered_caption("tbl", label, caption)? else {
        return Ok(table.to_string());
    };
    let id = label.map_or(String::new(), |l| format!(" id=\"{l}\""));
    Ok(format!(
        "<div class=\"gb-table\"{id}><div class=\"gb-caption\">{caption}</div>{}</div>",
        table.trim_end().replace("\n\n", "\n")
    ))
}

/// The print page shows every collapsible callout and solution open (paper cannot click).
pub fn open_all_details(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = rest.find("<details class=\"gb-") {
        let end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[at..end];
        out.push_str(&rest[..at]);
        out.push_str(tag);
        if !tag.ends_with(" open") {
            out.push_str(" open");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Placeholders that chapters carry until the book is numbered: `OPEN`, a letter, `|`, a
/// label, `CLOSE`. `D` stands for the label's number where it is defined (`T` for one the
/// author tagged), `R` for a link
/// `Figure 2.3` to it, `Q` for a link `(2.4)` (`\eqref`).
pub mod marker {
    /// Opens a placeholder.
    pub const OPEN: char = '\u{E020}';
    /// Closes a placeholder.
    pub const CLOSE: char = '\u{E021}';

    /// The number of `id`, where it is defined.
    pub fn definition(id: &str) -> String {
        format!("{OPEN}D|{id}{CLOSE}")
    }

    /// The number of `id` where it is defined, given by the author (`\tag{A.1}`).
    pub fn tagged(id: &str, tag: &str) -> String {
        format!("{OPEN}T|{id}|{tag}{CLOSE}")
    }

    /// A link `Figure 2.3` to `id`.
    pub fn reference(id: &str) -> String {
        format!("{OPEN}R|{id}{CLOSE}")
    }

    /// A link `(2.4)` to `id`.
    pub fn parenthesised(id: &str) -> String {
        format!("{OPEN}Q|{id}{CLOSE}")
    }
}

/// The attributes of a fenced div or a `{…}` after an element: `#id`, `.class` and
/// `key="value"` (or `key=value`).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Attributes {
    /// The `#id`, if any.
    pub id: Option<String>,
    /// The `.class`es in order.
    pub classes: Vec<String>,
    /// The `key=value` pairs in order.
    pub pairs: Vec<(String, String)>,
}

impl Attributes {
    /// Parse the text between `{` and `}`.
    pub fn parse(text: &str) -> Result<Attributes, String> {
        let mut out = Attributes::default();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let word_end = |s: &str| s.find(|c: char| c.is_whitespace()).unwrap_or(s.len());
            if let Some(r) = rest.strip_prefix('#') {
                let end = word_end(r);
                if out.id.is_some() {
                    return Err("a block has at most one `#id`".into());
                }
                out.id = Some(r[..end].to_string());
                rest = r[end..].trim_start();
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = word_end(r);
                out.classes.push(r[..end].to_string());
                rest = r[end..].trim_start();
            } else if let Some(eq) = rest.find('=') {
                let key = rest[..eq].trim().to_string();
                if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("`{}` is not an attribute name", rest[..eq].trim()));
                }
                let r = rest[eq + 1..].trim_start();
                let (value, after) = if let Some(q) = r.strip_prefix('"') {
                    let close = q
                        .find('"')
                        .ok_or_else(|| format!("the value of `{key}` has no closing `\"`"))?;
                    (q[..close].to_string(), &q[close + 1..])
                } else {
                    let end = word_end(r);
                    (r[..end].to_string(), &r[end..])
                };
                out.pairs.push((key, value));
                rest = after.trim_start();
            } else {
                let end = word_end(rest);
                return Err(format!(
                    "`{}`: expected `#id`, `.class` or `key=\"value\"`",
                    &rest[..end]
                ));
            }
        }
        for word in out.id.iter().chain(&out.classes) {
            if word.is_empty()
                || !word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!(
                    "`{word}`: ids and classes are letters, digits, `-` and `_`"
                ));
            }
        }
        Ok(out)
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `.class` is among the classes.
    pub fn has_class(&self, class: &str) -> bool {
        self.classes.iter().any(|c| c == class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_parse_ids_classes_and_quoted_values() {
        let a = Attributes::parse(".callout-tip #x-1 title=\"A *b* = c\" collapse=true").unwrap();
        assert_eq!(a.id.as_deref(), Some("x-1"));
        assert_eq!(a.classes, ["callout-tip"]);
        assert_eq!(a.get("title"), Some("A *b* = c"));
        assert_eq!(a.get("collapse"), Some("true"));
        assert!(Attributes::parse("#a #b").is_err());
        assert!(Attributes::parse(".x\" onclick=\"y").is_err());
        assert!(Attributes::parse("title=\"open").is_err());
    }

    #[test]
    fn print_opens_every_collapsible_block_once() {
        let html = "<p>Q</p><details class=\"gb-solution\"><summary>S</summary></details><details class=\"gb-callout gb-callout-tip\" open><details class=\"other\">";
        assert_eq!(
            open_all_details(html),
            "<p>Q</p><details class=\"gb-solution\" open><summary>S</summary></details><details class=\"gb-callout gb-callout-tip\" open><details class=\"other\">"
        );
    }

    #[test]
    fn labels_have_a_known_prefix() {
        assert!(is_label("fig-adam"));
        assert!(is_label("eq-h_max2"));
        assert!(!is_label("fig-"));
        assert!(!is_label("fig-a."));
        assert!(!is_label("foo-bar"));
        assert!(!is_label("fig-a\"b"));
        assert_eq!(kind_word("thm-x"), Some("Theorem"));
    }
}
