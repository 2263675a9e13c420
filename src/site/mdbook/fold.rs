//! `[output.html.fold]`: sections of the sidebar fold away behind a toggle, as in mdBook. A
//! section nested `d` deep starts open when `d <= level` or when it holds the current page;
//! `level = 0` starts every section folded. The toggle is a button (keyboard reachable) whose
//! `aria-expanded` the page script keeps in step.

use crate::config::FoldConfig;

/// What opens a section of the sidebar's list.
const OPEN: &str = "<li class=\"section-item\"><ol class=\"section\">";
/// What closes it.
const CLOSE: &str = "</ol></li>";

/// The sidebar `toc` (from `toc::sidebar`) with fold toggles, when folding is enabled.
pub fn apply(toc: &str, fold: &FoldConfig) -> String {
    if !fold.enable || !toc.contains(OPEN) {
        return toc.to_string();
    }
    // (start of the section's `<li`, end of its `</li>`, depth)
    let mut sections = Vec::new();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < toc.len() {
        if toc[i..].starts_with(OPEN) {
            stack.push(i);
            i += OPEN.len();
        } else if toc[i..].starts_with(CLOSE) {
            if let Some(start) = stack.pop() {
                sections.push((start, i + CLOSE.len(), stack.len() + 1));
            }
            i += CLOSE.len();
        } else {
            i += toc[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    sections.sort();
    let mut out = String::with_capacity(toc.len() + sections.len() * 160);
    let mut done = 0;
    for (start, end, depth) in sections {
        let open =
            depth <= usize::from(fold.level) || toc[start..end].contains("aria-current=\"page\"");
        // The toggle goes inside the chapter item just before the section, when there is one.
        let item_end = toc[..start].strip_suffix("</li>").map(|s| s.len());
        if let Some(at) = item_end.filter(|at| *at >= done) {
            out.push_str(&toc[done..at]);
            out.push_str(&format!(
                "<button type=\"button\" class=\"gb-fold-toggle\" aria-expanded=\"{open}\" aria-label=\"Show or hide the sections\">❱</button>"
            ));
            done = at;
        }
        out.push_str(&toc[done..start]);
        let class = if open { "gb-fold" } else { "gb-fold gb-folded" };
        out.push_str(&format!(
            "<li class=\"section-item {class}\"><ol class=\"section\">"
        ));
        done = start + OPEN.len();
    }
    out.push_str(&toc[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOC: &str = "<ol class=\"chapter\"><li class=\"chapter-item\"><a href=\"a.html\">A</a></li><li class=\"section-item\"><ol class=\"section\"><li class=\"chapter-item\"><a href=\"a/b.html\">B</a></li><li class=\"section-item\"><ol class=\"section\"><li class=\"chapter-item\"><a href=\"a/b/c.html\">C</a></li></ol></li></ol></li><li class=\"chapter-item\"><a href=\"d.html\" class=\"active\" aria-current=\"page\">D</a></li><li class=\"section-item\"><ol class=\"section\"><li class=\"chapter-item\"><a href=\"d/e.html\">E</a></li></ol></li></ol>";

    fn fold(enable: bool, level: u8) -> String {
        apply(TOC, &FoldConfig { enable, level })
    }

    #[test]
    fn off_by_default() {
        assert_eq!(fold(false, 0), TOC);
    }

    #[test]
    fn sections_deeper_than_level_start_folded() {
        let html = fold(true, 0);
        assert_eq!(html.matches("gb-fold-toggle").count(), 3, "{html}");
        assert_eq!(html.matches("gb-fold gb-folded").count(), 3, "{html}");
        let html = fold(true, 1);
        assert_eq!(html.matches("gb-fold gb-folded").count(), 1, "{html}");
        assert!(html.contains("<a href=\"a/b.html\">B</a><button"), "{html}");
        assert_eq!(fold(true, 2).matches("gb-folded").count(), 0);
    }

    #[test]
    fn the_current_pages_section_stays_open() {
        let toc = TOC
            .replace(" class=\"active\" aria-current=\"page\"", "")
            .replace(
                "<a href=\"a/b/c.html\">",
                "<a href=\"a/b/c.html\" class=\"active\" aria-current=\"page\">",
            );
        let html = apply(
            &toc,
            &FoldConfig {
                enable: true,
                level: 0,
            },
        );
        // A and B's sections hold C; D's section is folded.
        assert_eq!(html.matches("gb-fold gb-folded").count(), 1, "{html}");
        assert!(html.contains("<a href=\"d.html\">D</a><button type=\"button\" class=\"gb-fold-toggle\" aria-expanded=\"false\""), "{html}");
    }
}
