//! The client-side search index, written as a script (`searchindex.js`) so that it loads from
//! `file://` too. It is an inverted index: every word of the book once, with the sections it
//! occurs in as a compact string (see [`postings`]), so a query looks up its words instead of
//! scanning every section's text; each section's text is kept once, for the snippet.
//! `js/search.js` cuts queries into words exactly as [`tokens`] cuts the text.

pub mod math_text;
pub mod postings;
pub mod tokens;

use crate::site::markdown::Section;
use serde::Serialize;
use std::collections::HashMap;

/// One searchable section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Doc {
    /// The section's heading (or the chapter title for text before the first heading).
    pub title: String,
    /// The chapter's title.
    pub chapter: String,
    /// Link from the site root, with the anchor.
    pub path: String,
    /// The section's plain text (formulas as readable text: `10⁻⁸`, `h_max`).
    pub body: String,
}

/// The documents of one chapter page.
pub fn docs(chapter: &str, page_path: &str, sections: &[Section]) -> Vec<Doc> {
    sections
        .iter()
        .map(|s| Doc {
            title: if s.heading.is_empty() {
                chapter.to_string()
            } else {
                s.heading.clone()
            },
            chapter: chapter.to_string(),
            path: if s.id.is_empty() {
                page_path.to_string()
            } else {
                format!("{page_path}#{}", s.id)
            },
            body: s.text.clone(),
        })
        .collect()
}

/// A section as the index stores it.
#[derive(Serialize)]
struct StoredDoc<'a> {
    title: &'a str,
    /// Index into the index's `chapters`.
    chapter: usize,
    path: &'a str,
    body: &'a str,
    /// For a section without text (a title-only hit would show nothing): the next section of
    /// the same chapter that has text, whose text the snippet shows instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    lead: Option<usize>,
}

/// The index as `searchindex.js` holds it.
#[derive(Serialize)]
struct Index<'a> {
    chapters: Vec<&'a str>,
    docs: Vec<StoredDoc<'a>>,
    /// Every term, sorted by UTF-16 code units (so the last word of a query can match as a
    /// prefix by bisection in JavaScript).
    terms: Vec<&'a str>,
    /// For each term, its postings ([`postings::encode`]).
    postings: Vec<String>,
}

/// The `searchindex.js` file for these documents.
pub fn index_script(docs: &[Doc]) -> String {
    let mut chapters: Vec<&str> = Vec::new();
    let mut stored = Vec::with_capacity(docs.len());
    for (i, doc) in docs.iter().enumerate() {
        if chapters.last() != Some(&doc.chapter.as_str()) {
            chapters.push(&doc.chapter);
        }
        let lead = doc.body.is_empty().then(|| {
            docs[i + 1..]
                .iter()
                .take_while(|d| d.chapter == doc.chapter)
                .position(|d| !d.body.is_empty())
                .map(|p| i + 1 + p)
        });
        stored.push(StoredDoc {
            title: &doc.title,
            chapter: chapters.len() - 1,
            path: &doc.path,
            body: &doc.body,
            lead: lead.flatten(),
        });
    }
    let mut terms: Vec<(String, Vec<postings::Posting>)> = inverted(docs).into_iter().collect();
    // Sorted as JavaScript compares strings (by UTF-16 code units), for its bisection.
    terms.sort_by_cached_key(|(term, _)| term.encode_utf16().collect::<Vec<u16>>());
    let index = Index {
        chapters,
        docs: stored,
        terms: terms.iter().map(|(t, _)| t.as_str()).collect(),
        postings: terms.iter().map(|(_, p)| postings::encode(p)).collect(),
    };
    let json = serde_json::to_string(&index).unwrap_or_else(|_| "{}".to_string());
    // `</` would end an inline script; escape it even though the file is external.
    let text = json.replace("</", "<\\/");
    format!("window.gradbookSearchIndex = {text};\n")
}

/// Every term of the documents with its postings: (document, occurrences in the body, whether
/// it occurs in the title), by document. Hashed, not ordered: the caller sorts the terms as
/// JavaScript compares them, and each term's postings are in document order either way.
fn inverted(docs: &[Doc]) -> HashMap<String, Vec<postings::Posting>> {
    let mut index: HashMap<String, Vec<postings::Posting>> = HashMap::new();
    for (id, doc) in docs.iter().enumerate() {
        let mut counts: HashMap<String, (u32, bool)> = HashMap::new();
        for (text, in_title) in [(&doc.title, true), (&doc.body, false)] {
            for word in tokens::words(text) {
                for term in tokens::terms(&word) {
                    let entry = counts.entry(term).or_default();
                    if in_title {
                        entry.1 = true;
                    } else {
                        entry.0 += 1;
                    }
                }
            }
        }
        for (term, (count, in_title)) in counts {
            index.entry(term).or_default().push(postings::Posting {
                doc: id,
                count,
                in_title,
            });
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn section(id: &str, heading: &str, text: &str) -> Section {
        Section {
            id: id.into(),
            heading: heading.into(),
            level: if heading.is_empty() { 0 } else { 2 },
            text: text.into(),
        }
    }

    fn parse(js: &str) -> Value {
        let json = js
            .strip_prefix("window.gradbookSearchIndex = ")
            .and_then(|t| t.strip_suffix(";\n"))
            .expect("one assignment");
        serde_json::from_str(json).expect("JSON")
    }

    /// The docs of `term` and their (count, in title), read back from the written index.
    fn lookup(index: &Value, term: &str) -> Vec<(usize, u32, bool)> {
        let terms = index["terms"].as_array().unwrap();
        let at = terms
            .iter()
            .position(|t| t == term)
            .unwrap_or_else(|| panic!("no term {term}"));
        postings::decode(index["postings"][at].as_str().unwrap())
            .unwrap()
            .into_iter()
            .map(|p| (p.doc, p.count, p.in_title))
            .collect()
    }

    #[test]
    fn index_has_one_doc_per_section() {
        let sections = vec![
            section("", "", "intro text"),
            section("adam", "Adam", "m hat </script>"),
        ];
        let d = docs("Q2", "q2.html", &sections);
        assert_eq!(d[1].path, "q2.html#adam");
        assert_eq!(d[0].title, "Q2");
        let js = index_script(&d);
        assert!(js.starts_with("window.gradbookSearchIndex = {\"chapters\":[\"Q2\"],\"docs\":["));
        assert!(js.contains("<\\/script>"));
        let index = parse(&js);
        assert_eq!(index["docs"][1]["title"], "Adam");
        assert_eq!(index["docs"][1]["chapter"], 0);
        assert_eq!(index["docs"][1]["body"], "m hat </script>");
    }

    /// Every word is found in exactly the sections that hold it, counted as often as it
    /// occurs, title hits flagged; terms are sorted and unique.
    #[test]
    fn postings_list_every_occurrence() {
        let mut d = docs(
            "Q1",
            "q1.html",
            &[
                section("q1", "Q1 step", ""),
                section("a", "Adam", "h_max is 0.4102; Adam's step, then step α."),
            ],
        );
        d.extend(docs("Q2", "q2.html", &[section("", "", "one step")]));
        let index = parse(&index_script(&d));
        assert_eq!(
            lookup(&index, "step"),
            [(0, 0, true), (1, 2, false), (2, 1, false)]
        );
        assert_eq!(lookup(&index, "h_max"), [(1, 1, false)]);
        assert_eq!(lookup(&index, "max"), [(1, 1, false)]);
        assert_eq!(lookup(&index, "0.4102"), [(1, 1, false)]);
        assert_eq!(lookup(&index, "alpha"), [(1, 1, false)]);
        assert_eq!(lookup(&index, "adam"), [(1, 1, true)]);
        let terms: Vec<&str> = index["terms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(terms.windows(2).all(|w| w[0] < w[1]), "{terms:?}");
        assert!(!terms.contains(&"4102"), "0.4102 is one word");
        // The title-only section shows the next section's text; the chapters are listed once.
        assert_eq!(index["docs"][0]["lead"], 1);
        assert!(index["docs"][1].get("lead").is_none());
        assert_eq!(index["chapters"], serde_json::json!(["Q1", "Q2"]));
        assert_eq!(index["docs"][2]["chapter"], 1);
    }

    #[test]
    fn a_section_without_text_and_no_later_text_has_no_lead() {
        let d = docs("Q", "q.html", &[section("q", "Q", "")]);
        let index = parse(&index_script(&d));
        assert!(index["docs"][0].get("lead").is_none());
    }
}
