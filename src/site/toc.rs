//! The sidebar's table of contents (HTML) and previous/next links, from SUMMARY.md.

use crate::markup::escape;
use crate::site::book::html_path;
use crate::site::summary::{Entry, Summary};

/// The sidebar as an `<ol class="chapter">` list, with `active_path` (a site path such as
/// `q1.html`) marked, links relative to a page `path_to_root` below the site root.
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
}
