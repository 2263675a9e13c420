//! The client-side search index: one document per section, written as a script
//! (`searchindex.js`) so that it loads from `file://` too.

use crate::site::markdown::Section;
use serde::Serialize;

/// One searchable section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Doc {
    /// The section's heading (or the chapter title for text before the first heading).
    pub title: String,
    /// The chapter's title.
    pub chapter: String,
    /// Link from the site root, with the anchor.
    pub path: String,
    /// The section's plain text.
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

/// The `searchindex.js` file for these documents.
pub fn index_script(docs: &[Doc]) -> String {
    let json = serde_json::json!({ "docs": docs });
    // `</` would end an inline script; escape it even though the file is external.
    let text = json.to_string().replace("</", "<\\/");
    format!("window.gradbookSearchIndex = {text};\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_has_one_doc_per_section() {
        let sections = vec![
            Section {
                id: String::new(),
                heading: String::new(),
                level: 0,
                text: "intro text".into(),
            },
            Section {
                id: "adam".into(),
                heading: "Adam".into(),
                level: 2,
                text: "m hat </script>".into(),
            },
        ];
        let d = docs("Q2", "q2.html", &sections);
        assert_eq!(d[1].path, "q2.html#adam");
        assert_eq!(d[0].title, "Q2");
        let js = index_script(&d);
        assert!(js.starts_with("window.gradbookSearchIndex = {\"docs\":["));
        assert!(js.contains("<\\/script>"));
    }
}
