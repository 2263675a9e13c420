//! The table of contents written once: Chromium (the browser test's, `scripts/test-deps.sh`)
//! opens pages from `file://` and `js/toc.js` draws exactly the list `toc.html` holds, with the
//! current chapter marked and links relative to the page; a chapter may not take the name of
//! a book-wide file.

mod common;

use gradbook::site::summary;
use gradbook::site::toc;
use std::path::Path;
use std::process::Command;

/// The DOM of `page` after its scripts ran, as headless Chromium serialises it.
fn rendered_dom(page: &Path) -> String {
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (scripts/test-deps.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 DOM")
}

/// The children of the sidebar's list in a DOM dump.
fn sidebar_items(dom: &str) -> &str {
    let start = dom.find("id=\"gb-toc\"").expect("the sidebar list");
    let open_end = start + dom[start..].find('>').expect("the tag ends") + 1;
    let mut depth = 1;
    let mut at = open_end;
    while depth > 0 {
        let next_open = dom[at..].find("<ol").map(|i| at + i);
        let next_close = at + dom[at..].find("</ol>").expect("the list closes");
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                at = o + 3;
            }
            _ => {
                depth -= 1;
                at = next_close + 5;
            }
        }
    }
    &dom[open_end..at - 5]
}

#[test]
fn the_script_draws_the_same_list_as_the_toc_page() {
    let book = common::repo().join("tests/fixtures/basic");
    let (_tmp, site) = common::build(&book);
    let summary_text = std::fs::read_to_string(book.join("content/SUMMARY.md")).unwrap();
    let summary = summary::parse(&summary_text).unwrap();
    for (page, active, root) in [
        ("part1/nested.html", Some("part1/nested.html"), "../"),
        ("preface.html", Some("preface.html"), ""),
        ("print.html", None, ""),
    ] {
        let dom = rendered_dom(&site.join(page));
        let expected = toc::sidebar(&summary, active, root, true);
        let inner = expected
            .strip_prefix("<ol class=\"chapter\">")
            .and_then(|s| s.strip_suffix("</ol>"))
            .unwrap();
        assert_eq!(sidebar_items(&dom), inner, "{page}");
    }
    // Without JavaScript the sidebar links to toc.html, which holds the whole list.
    let page = std::fs::read_to_string(site.join("part1/nested.html")).unwrap();
    assert!(page.contains("<noscript><p class=\"toc-fallback\"><a href=\"../toc.html\">"));
    let toc_page = std::fs::read_to_string(site.join("toc.html")).unwrap();
    assert!(toc_page.contains(&toc::sidebar(&summary, None, "", true)));
}

#[test]
fn a_chapter_cannot_take_the_name_of_a_book_wide_file() {
    for name in ["toc", "print", "404"] {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("book");
        std::fs::create_dir_all(root.join("content")).unwrap();
        std::fs::write(root.join("book.toml"), "[book]\ntitle = \"T\"\n").unwrap();
        std::fs::write(
            root.join("content/SUMMARY.md"),
            format!("# Summary\n\n- [Intro](intro.md)\n- [Mine]({name}.md)\n"),
        )
        .unwrap();
        std::fs::write(root.join("content/intro.md"), "# Intro\n").unwrap();
        std::fs::write(root.join("content").join(format!("{name}.md")), "# Mine\n").unwrap();
        let out = assert_cmd::Command::cargo_bin("gradbook")
            .unwrap()
            .arg("build")
            .arg(&root)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}.md")) && stderr.contains("rename the chapter"),
            "{name}: {stderr}"
        );
        assert!(!root.join("book").exists(), "{name}: no site written");
    }
}

#[test]
fn folded_sections_are_drawn_by_the_script() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    common::copy_tree(&common::repo().join("tests/fixtures/basic"), &book);
    let toml = std::fs::read_to_string(book.join("book.toml")).unwrap();
    std::fs::write(
        book.join("book.toml"),
        format!("{toml}\n[output.html.fold]\nenable = true\nlevel = 0\n"),
    )
    .unwrap();
    let (_out, site) = common::build(&book);
    // On the preface, First's section (one deep) starts folded behind its toggle.
    let dom = rendered_dom(&site.join("preface.html"));
    let items = sidebar_items(&dom);
    assert!(
        items.contains("<li class=\"section-item gb-fold gb-folded\">"),
        "{items}"
    );
    assert!(
        items.contains("<button class=\"gb-fold-toggle\" type=\"button\" aria-expanded=\"false\""),
        "{items}"
    );
    // On a page inside that section, it starts open.
    let dom = rendered_dom(&site.join("part1/nested.html"));
    let items = sidebar_items(&dom);
    assert!(
        items.contains("<li class=\"section-item gb-fold\">")
            && items.contains("aria-expanded=\"true\"")
            && !items.contains("gb-folded"),
        "{items}"
    );
}
