//! End-to-end builds of fixture books: structure, numbering, navigation, search, print page,
//! math, no external references, determinism, and clear errors for broken books.

mod common;

use assert_cmd::Command;
use common::build;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(site: &Path, page: &str) -> String {
    std::fs::read_to_string(site.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

/// Every file of a tree by relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn chapters_nest_and_number() {
    let (_tmp, site) = build(&fixture("basic"));
    // The table of contents is written once (toc.js for the sidebar, toc.html without
    // JavaScript); a page names its own chapter and its way to the root for the sidebar.
    let toc = read(&site, "toc.html");
    assert!(toc.contains("<strong aria-hidden=\"true\">1.1.</strong> First, nested"));
    assert!(toc.contains("<strong aria-hidden=\"true\">3.</strong> Third"));
    assert!(toc.contains("class=\"part-title\">Part Two<"));
    assert!(toc.contains("chapter-item draft"));
    assert!(toc.contains("href=\"part1/first.html\""));
    let data = read(&site, "toc.js");
    assert!(
        data.contains("[1,\"1.1.\",\"First, nested\",\"part1/nested.html\",0]"),
        "{data}"
    );
    let first = read(&site, "part1/first.html");
    assert!(
        first.contains("id=\"gb-toc\" data-root=\"../\" data-active=\"part1/first.html\""),
        "active chapter"
    );
    assert!(first.contains("<script src=\"../toc.js\"></script>"));
    assert!(
        !first.contains("Part Two"),
        "the page does not carry the table of contents"
    );
    // Relative links from a nested page, and .md links rewritten.
    let nested = read(&site, "part1/nested.html");
    assert!(nested.contains("href=\"../preface.html\""));
    let preface = read(&site, "preface.html");
    assert!(preface.contains("href=\"part1/first.html\""));
    assert!(preface.contains("href=\"second.html#the-table\""));
    // The book title is escaped.
    assert!(preface.contains("Fixture &lt;Book&gt; &amp; Co"));
    assert!(!preface.contains("Fixture <Book>"));
}

/// The target of a page's first `rel="prev"` or `rel="next"` link (Tera writes `/` as
/// `&#x2F;` in attributes).
fn nav_link(page: &str, rel: &str) -> String {
    let at = page
        .find(&format!("rel=\"{rel}\""))
        .unwrap_or_else(|| panic!("no {rel} link"));
    let tag = &page[at..at + page[at..].find('>').unwrap()];
    let href = tag.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()].replace("&#x2F;", "/")
}

#[test]
fn prev_and_next_follow_reading_order() {
    let (_tmp, site) = build(&fixture("basic"));
    let nested = read(&site, "part1/nested.html");
    assert_eq!(nav_link(&nested, "prev"), "../part1/first.html");
    assert_eq!(
        nav_link(&nested, "next"),
        "../second.html",
        "drafts are skipped"
    );
    let credits = read(&site, "credits.html");
    assert_eq!(nav_link(&credits, "prev"), "third.html");
    // The first chapter is also the index page.
    let index = read(&site, "index.html");
    assert!(index.contains("Welcome."));
}

#[test]
fn search_index_has_sections() {
    let (_tmp, site) = build(&fixture("basic"));
    let js = read(&site, "searchindex.js");
    let json = js
        .strip_prefix("window.gradbookSearchIndex = ")
        .and_then(|s| s.trim_end().strip_suffix(';'))
        .expect("index is a script assignment");
    let index: serde_json::Value = serde_json::from_str(json).unwrap();
    let docs = index["docs"].as_array().unwrap();
    let table = docs
        .iter()
        .find(|d| d["path"] == "second.html#the-table")
        .expect("a doc per section");
    assert_eq!(table["title"], "The table");
    assert!(table["body"].as_str().unwrap().contains("zebrafish"));
    assert!(table["body"].as_str().unwrap().contains("0.3"));
}

#[test]
fn print_page_has_every_chapter_and_math_is_mathml() {
    let (_tmp, site) = build(&fixture("basic"));
    let print = read(&site, "print.html");
    for text in ["Welcome.", "The footnote text.", "zebrafish", "Thanks."] {
        assert!(print.contains(text), "print page lacks {text}");
    }
    let first = read(&site, "part1/first.html");
    // Every formula carries its LaTeX source as `alttext`.
    assert!(
        first.contains("<math alttext=\"\\frac{\\partial y}{\\partial w_1}\"><mfrac>"),
        "inline math"
    );
    assert!(first.contains("\" display=\"block\">"), "display math");
    assert!(!first.contains("$$"), "no raw TeX left");
    let third = read(&site, "third.html");
    assert!(third.contains("id=\"custom-third\""));
    assert_eq!(third.matches("\" display=\"block\">").count(), 2);
    assert!(read(&site, "404.html").contains("Page not found"));
}

#[test]
fn no_external_references_but_the_authors() {
    let (_tmp, site) = build(&fixture("basic"));
    let allowed = [
        "https://example.org/page",
        "https://example.org/repo",
        "http://www.w3.org/",
    ];
    for (path, bytes) in tree(&site) {
        // Only what a browser loads can make a request (licence texts may name web sites).
        let loaded = [".html", ".css", ".js", ".svg"];
        if !loaded.iter().any(|ext| path.ends_with(ext)) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for scheme in ["http://", "https://"] {
            for (at, _) in text.match_indices(scheme) {
                let rest = &text[at..];
                assert!(
                    allowed.iter().any(|a| rest.starts_with(a)),
                    "{path} refers to {}",
                    &rest[..rest.len().min(60)]
                );
            }
        }
    }
}

#[test]
fn builds_are_deterministic() {
    let (_a, first) = build(&fixture("basic"));
    let (_b, second) = build(&fixture("basic"));
    let (one, two) = (tree(&first), tree(&second));
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &one {
        assert!(bytes == &two[path], "{path} differs between builds");
    }
}

#[test]
fn the_default_book_is_deterministic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_a, first) = build(root);
    let (_b, second) = build(root);
    assert_eq!(tree(&first), tree(&second));
}

#[test]
fn broken_books_fail_cleanly_and_leave_the_site_alone() {
    let invalid = fixture("invalid");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&invalid)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 12, "at least 12 broken books");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = std::fs::read_to_string(case.join("expected.txt")).unwrap();
        let mut lines = expected.lines();
        let location = lines.next().unwrap();
        let message = lines.next().unwrap_or("");
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("site");
        std::fs::create_dir_all(dest.join("old")).unwrap();
        std::fs::write(dest.join("index.html"), "previous site").unwrap();
        std::fs::write(dest.join("old/page.html"), "old page").unwrap();
        // A site gradbook wrote carries the marker; without it the folder is refused outright.
        std::fs::write(
            dest.join(gradbook::site::output::MARKER),
            gradbook::site::output::MARKER_TEXT,
        )
        .unwrap();
        let before = tree(&dest);
        let out = Command::cargo_bin("gradbook")
            .unwrap()
            .arg("build")
            .arg(&case)
            .arg("-d")
            .arg(&dest)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: exit code; stderr:\n{stderr}"
        );
        assert!(
            stderr.contains(location),
            "{name}: expected `{location}` in:\n{stderr}"
        );
        assert!(
            stderr.contains(message),
            "{name}: expected `{message}` in:\n{stderr}"
        );
        assert!(!stderr.contains("panicked"), "{name}: panic:\n{stderr}");
        assert_eq!(tree(&dest), before, "{name}: the previous site was changed");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "{name}: temporary folders left behind");
    }
}

/// The tests run the dev profile, where math-core's debug assertions turn a `&` inside braces in
/// `aligned` (`invalid/latex-converter-panic`) into a panic and so a located error; a release
/// build without them prints MathML that silently drops the column. The release profile must
/// keep them on for both math-core crates.
#[test]
fn release_builds_keep_math_cores_checks() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let manifest: toml::Table = manifest.parse().unwrap();
    for package in ["math-core", "math-core-renderer-internal"] {
        let assertions =
            manifest["profile"]["release"]["package"][package]["debug-assertions"].as_bool();
        assert_eq!(
            assertions,
            Some(true),
            "{package} in [profile.release.package]"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .args(["build", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--dest-dir"));
}

#[test]
fn missing_book_folder_is_a_user_error() {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .args(["build", "/nonexistent/book"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/book"));
}

#[test]
fn init_writes_a_book_that_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("new");
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("init")
        .arg(&dir)
        .assert()
        .success();
    assert!(dir.join("content/SUMMARY.md").is_file());
    let (_t, site) = build(&dir);
    assert!(read(&site, "first.html").contains("<svg"));
    // A second init refuses to overwrite.
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("init")
        .arg(&dir)
        .assert()
        .code(1);
    // clean removes the default build folder.
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(&dir)
        .assert()
        .success();
    assert!(dir.join("book/index.html").is_file());
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("clean")
        .arg(&dir)
        .assert()
        .success();
    assert!(!dir.join("book").exists());
}

#[test]
fn chapter_html_snapshot() {
    let (_tmp, site) = build(&fixture("basic"));
    let page = read(&site, "part1/first.html");
    let start = page.find("<main").expect("a <main> element");
    let end = page[start..].find("</main>").expect("</main>") + start + "</main>".len();
    insta::assert_snapshot!(&page[start..end]);
}
