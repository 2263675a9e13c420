//! The table of contents, written once per book instead of once per page (so a site grows
//! linearly with its chapters): `toc.js` holds the entries as JSON data, the built-in
//! `js/toc.js` draws them into each page's sidebar (marking the current chapter), and
//! `toc.html` lists every chapter as a plain page for readers without JavaScript, whose sidebar
//! links to it. Both scripts load with `<script src>`, so pages work from `file://` too.

use crate::markup::escape;
use crate::site::book::html_path;
use crate::site::summary::{Entry, Summary};
use serde_json::{Value, json};

/// The site path of the table-of-contents data script.
pub const DATA_PATH: &str = "toc.js";

/// The site path of the table-of-contents page (the sidebar's fallback without JavaScript).
pub const PAGE_PATH: &str = "toc.html";

/// The variable `toc.js` assigns (read by the built-in `js/toc.js`).
const DATA_VARIABLE: &str = "window.gradbookToc";

/// What every page prints in its sidebar: an empty list that `js/toc.js` fills from `toc.js`
/// with `active_path` (a site path such as `q1.html`) marked, links relative to the page's
/// `path_to_root`; without JavaScript, a link to the table-of-contents page.
pub fn placeholder(active_path: Option<&str>, path_to_root: &str) -> String {
    let root = escape(path_to_root);
    let active = active_path
        .map(|a| format!(" data-active=\"{}\"", escape(a)))
        .unwrap_or_default();
    format!(
        "<ol class=\"chapter\" id=\"gb-toc\" data-root=\"{root}\"{active}></ol>\n\
         <noscript><p class=\"toc-fallback\"><a href=\"{root}{PAGE_PATH}\">Table of contents</a></p></noscript>\n\
         <script src=\"{root}{DATA_PATH}\"></script>\n\
         <script src=\"{root}js/toc.js\"></script>"
    )
}

/// The `toc.js` data script: `window.gradbookToc = {"entries":[…]};` where a chapter is
/// `[depth, number label, title, site path (empty for a draft), 1 if unnumbered else 0]`, a part
/// title is its text and a separator is `null`. Text is data, never markup (`</` is escaped).
pub fn data_script(summary: &Summary, numbered: bool, fold: Option<u8>) -> String {
    let entries: Vec<Value> = summary
        .entries
        .iter()
        .map(|entry| match entry {
            Entry::Separator => Value::Null,
            Entry::PartTitle(title) => json!(title),
            Entry::Chapter(c) => json!([
                c.depth,
                if numbered {
                    c.number_label()
                } else {
                    String::new()
                },
                c.name,
                c.path.as_deref().map(html_path).unwrap_or_default(),
                u8::from(c.number.is_empty()),
            ]),
        })
        .collect();
    let text = json!({ "entries": entries, "fold": fold })
        .to_string()
        .replace("</", "<\\/");
    format!("{DATA_VARIABLE} = {text};\n")
}

/// The table of contents as an `<ol class="chapter">` list (what `js/toc.js` draws, as HTML),
/// with `active_path` (a site path such as `q1.html`) marked, links relative to a page
/// `path_to_root` below the site root.
pub fn sidebar(
    summary: &Summary,
    active_path: Option<&str>,
    path_to_root: &str,
    numbered: bool,
) -> String {
    let mut html = String::from("<ol class=\"chapter\">");
    let mut depth = 0;
    for entry in &summary.entries {
        let entry_depth = match entry {
            Entry::Chapter(c) => c.depth,
            _ => 0,
        };
        while depth < entry_depth {
            html.push_str("<li class=\"section-item\"><ol class=\"section\">");
            depth += 1;
        }
        while depth > entry_depth {
            html.push_str("</ol></li>");
            depth -= 1;
        }
        match entry {
            Entry::Separator => html.push_str("<li class=\"spacer\"></li>"),
            Entry::PartTitle(title) => {
                html.push_str(&format!("<li class=\"part-title\">{}</li>", escape(title)));
            }
            Entry::Chapter(c) => {
                let number = if numbered && !c.number.is_empty() {
                    format!(
                        "<strong aria-hidden=\"true\">{}</strong> ",
                        c.number_label()
                    )
                } else {
                    String::new()
                };
                let affix = if c.number.is_empty() { " affix" } else { "" };
                match &c.path {
                    Some(path) => {
                        let target = html_path(path);
                        let active = if Some(target.as_str()) == active_path {
                            " class=\"active\" aria-current=\"page\""
                        } else {
                            ""
                        };
                        html.push_str(&format!(
                            "<li class=\"chapter-item{affix}\"><a href=\"{}{}\"{active}>{number}{}</a></li>",
                            escape(path_to_root),
                            escape(&target),
                            escape(&c.name)
                        ));
                    }
                    None => html.push_str(&format!(
                        "<li class=\"chapter-item draft\"><span>{number}{}</span></li>",
                        escape(&c.name)
                    )),
                }
            }
        }
    }
    while depth > 0 {
        html.push_str("</ol></li>");
        depth -= 1;
    }
    html.push_str("</ol>");
    html
}

/// The body of the table-of-contents page: every chapter, links from the site root.
pub fn page_body(summary: &Summary, numbered: bool) -> String {
    format!(
        "<h1 id=\"table-of-contents\"><a class=\"header\" href=\"#table-of-contents\">Table of contents</a></h1>\n<nav class=\"toc-page\" aria-label=\"All chapters\">{}</nav>\n",
        sidebar(summary, None, "", numbered)
    )
}

/// `../` repeated once per folder of a site path (`a/b.html` → `../`).
pub fn path_to_root(site_path: &str) -> String {
    "../".repeat(site_path.matches('/').count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::summary::parse;

    #[test]
    fn nested_sidebar_marks_active() {
        let s = parse("[Intro](intro.md)\n- [A](a.md)\n  - [A1](a/one.md)\n- [Draft]()\n").unwrap();
        let html = sidebar(&s, Some("a/one.html"), "../", true);
        assert!(html.contains("<a href=\"../intro.html\">Intro</a>"));
        assert!(html.contains("<ol class=\"section\"><li class=\"chapter-item\"><a href=\"../a/one.html\" class=\"active\" aria-current=\"page\"><strong aria-hidden=\"true\">1.1.</strong> A1</a>"), "{html}");
        assert!(
            html.contains("draft\"><span><strong aria-hidden=\"true\">2.</strong> Draft</span>")
        );
        assert_eq!(html.matches("<ol").count(), html.matches("</ol>").count());
    }

    #[test]
    fn relative_roots() {
        assert_eq!(path_to_root("index.html"), "");
        assert_eq!(path_to_root("a/b/c.html"), "../../");
    }

    /// The data holds the same entries, in order, as the HTML list: depth, label, title, path.
    #[test]
    fn data_lists_every_entry_once() {
        let s = parse(
            // `\<` is a literal `<` in the title (mdBook drops inline HTML such as `<b>`).
            "[Intro](intro.md)\n- [A \\<b>](a.md)\n  - [A1](a/one.md)\n\n---\n\n# Part </script>\n- [Draft]()\n",
        )
        .unwrap();
        let script = data_script(&s, true, None);
        let json = script
            .strip_prefix("window.gradbookToc = ")
            .and_then(|t| t.strip_suffix(";\n"))
            .expect("one assignment");
        assert!(!json.contains("</"), "{json}");
        let data: Value = serde_json::from_str(json).expect("JSON");
        assert_eq!(
            data["entries"],
            json!([
                [0, "", "Intro", "intro.html", 1],
                [0, "1.", "A <b>", "a.html", 0],
                [1, "1.1.", "A1", "a/one.html", 0],
                null,
                "Part </script>",
                [0, "2.", "Draft", "", 0]
            ])
        );
        let unnumbered = data_script(&s, false, None);
        assert!(
            unnumbered.contains("[1,\"\",\"A1\",\"a/one.html\",0]"),
            "{unnumbered}"
        );
    }

    /// A page's sidebar is the same few hundred bytes however long the book is.
    #[test]
    fn placeholder_is_constant_size_and_escaped() {
        let html = placeholder(Some("a/\"x\".html"), "../");
        assert!(
            html.contains("data-active=\"a/&quot;x&quot;.html\""),
            "{html}"
        );
        assert!(html.contains("<script src=\"../toc.js\"></script>"));
        assert!(html.contains("<script src=\"../js/toc.js\"></script>"));
        assert!(html.contains("<noscript><p class=\"toc-fallback\"><a href=\"../toc.html\">"));
        assert!(!placeholder(None, "").contains("data-active"));
        assert!(html.len() < 400);
    }
}
