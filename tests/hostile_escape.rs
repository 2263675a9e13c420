//! Hostile input of issue #9, defects 6, 7, 8, 13, 14 and 15: settings strings and titles that
//! try to become markup, script links, symbolic links out of the book and in cycles, unbounded
//! numeric settings, BOM/CRLF files and invalid UTF-8. Each test runs a case of
//! `tests/fixtures/hostile/` and checks more than its `case.toml` can say (parsed markup,
//! visible text, headings).

mod common;

use assert_cmd::Command;
use gradbook::markup::check_url;
use gradbook::site::html::{tags, unescape};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The payloads every hostile string of the escape cases carries.
const PAYLOADS: [&str; 4] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</svg><script>alert(2)</script>",
    "[x](javascript:alert(1))",
];

/// The folder of a hostile case.
fn case(name: &str) -> PathBuf {
    common::repo().join("tests/fixtures/hostile").join(name)
}

/// Copy a folder, recreating symbolic links as links (so link cases stay links).
fn copy_with_links(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(link, &target).unwrap();
        } else if kind.is_dir() {
            copy_with_links(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A fresh copy of a case's book: (the temporary folder, the book inside it).
fn book_of(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    copy_with_links(&case(name).join("book"), &book);
    (tmp, book)
}

/// Run gradbook with `args` (at most `limit`): (exit code, stderr).
fn run(args: &[&std::ffi::OsStr], limit: Duration) -> (i32, String) {
    let start = Instant::now();
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .args(args)
        .timeout(limit)
        .output()
        .unwrap();
    assert!(
        start.elapsed() < limit,
        "gradbook took {:?}",
        start.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr)
}

/// Build a case's book into `<tmp>/site`: (exit code, stderr, the site folder).
fn build_case(name: &str) -> (tempfile::TempDir, i32, String, PathBuf) {
    let (tmp, book) = book_of(name);
    let site = tmp.path().join("site");
    let (code, stderr) = run(
        &[
            "build".as_ref(),
            book.as_os_str(),
            "-d".as_ref(),
            site.as_os_str(),
        ],
        Duration::from_secs(120),
    );
    (tmp, code, stderr, site)
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The body of the one inline script the page template writes (the theme switch).
fn theme_script() -> String {
    let head =
        std::fs::read_to_string(common::repo().join("templates/partials/head.html")).unwrap();
    let start = head.find("<script>").unwrap() + "<script>".len();
    let end = head.find("</script>").unwrap();
    head[start..end].to_string()
}

/// The bodies of the inline `<script>` elements of `html`, in order.
fn inline_script_bodies(html: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script>") {
        rest = &rest[at + "<script>".len()..];
        let end = rest.find("</script>").unwrap_or(rest.len());
        bodies.push(rest[..end].to_string());
        rest = &rest[end..];
    }
    bodies
}

/// No generated file of `site` holds executable markup: every `<script>` is one of gradbook's
/// own (by `src`, or the theme switch inline), no attribute is an event handler, every URL
/// attribute passes the link rule, the search index is plain JSON data and every other script
/// is byte-identical to the built-in one.
fn assert_no_markup(site: &Path) {
    let own_scripts = [
        "searchindex.js",
        "js/search.js",
        "js/gradbook.js",
        "toc.js",
        "js/toc.js",
        "js/code.js",
    ];
    let theme = theme_script();
    let mut checked = 0;
    for file in files(site) {
        let name = file
            .strip_prefix(site)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let extension = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        match extension {
            "html" | "svg" => {
                let found = tags(&text);
                let inline = found
                    .iter()
                    .filter(|t| t.name == "script" && t.attr("src").is_none())
                    .count();
                assert!(inline <= 1, "{name}: {inline} inline scripts");
                if inline == 1 {
                    assert_eq!(inline_script_bodies(&text), vec![theme.clone()], "{name}");
                }
                for tag in &found {
                    if tag.name == "script"
                        && let Some(src) = tag.attr("src")
                    {
                        let src = src.trim_start_matches("../");
                        assert!(own_scripts.contains(&src), "{name}: script {src}");
                    }
                    assert!(
                        !["iframe", "object", "embed", "base", "foreignobject"]
                            .contains(&tag.name.as_str()),
                        "{name}: <{}>",
                        tag.name
                    );
                    for (attr, value) in &tag.attrs {
                        assert!(!attr.starts_with("on"), "{name}: <{} {attr}=…>", tag.name);
                        let is_url = ["href", "src", "xlink:href", "action", "formaction"]
                            .contains(&attr.as_str());
                        if is_url {
                            assert_eq!(check_url(value), Ok(()), "{name}: <{} {attr}>", tag.name);
                        }
                    }
                }
                checked += 1;
            }
            "js" if name == "searchindex.js" => {
                let json = text
                    .strip_prefix("window.gradbookSearchIndex = ")
                    .and_then(|t| t.strip_suffix(";\n"))
                    .expect("searchindex.js is one assignment");
                let data: serde_json::Value = serde_json::from_str(json).expect("plain JSON");
                assert!(data["docs"].is_array());
                assert!(!json.contains("</"), "searchindex.js closes a script");
            }
            "js" if name == "toc.js" => {
                let json = text
                    .strip_prefix("window.gradbookToc = ")
                    .and_then(|t| t.strip_suffix(";\n"))
                    .expect("toc.js is one assignment");
                let data: serde_json::Value = serde_json::from_str(json).expect("plain JSON");
                assert!(data["entries"].is_array());
                assert!(!json.contains("</"), "toc.js closes a script");
            }
            "js" => {
                let builtin =
                    std::fs::read(common::repo().join("templates").join(&name)).unwrap_or_default();
                assert_eq!(
                    std::fs::read(&file).unwrap(),
                    builtin,
                    "{name} is not built-in"
                );
            }
            _ => {}
        }
    }
    assert!(checked > 3, "only {checked} pages and figures checked");
}

/// The visible text of a page: its markup's character references decoded (the payload must
/// be shown as text, not dropped).
fn page_text(site: &Path, page: &str) -> String {
    unescape(&std::fs::read_to_string(site.join(page)).unwrap())
}

#[test]
fn hostile_settings_strings_are_text_everywhere() {
    let (_tmp, code, stderr, site) = build_case("escape-settings");
    assert_eq!(code, 0, "{stderr}");
    assert_no_markup(&site);
    let q2 = page_text(&site, "q2-bump.html");
    let q1 = page_text(&site, "q1-skip-connections.html");
    assert!(q2.contains(&format!("tail-reading: {}", PAYLOADS[0])), "q2");
    for payload in PAYLOADS {
        assert!(q2.contains(payload), "q2-bump.html lost {payload}");
        assert!(q1.contains(payload), "q1 lost {payload}");
    }
    // The script listing: a comment with a fence of its own stays inside the code block.
    let q3 = std::fs::read_to_string(site.join("q3-comp-tree.html")).unwrap();
    assert!(
        unescape(&strip_tags(&q3)).contains("# ```\n# <script>alert(8)</script>"),
        "q3"
    );
    let svg = std::fs::read_to_string(site.join("figures/networks-skip.svg")).unwrap();
    assert!(
        unescape(&svg).contains(PAYLOADS[2]),
        "the figure's title shows the text"
    );
    let index = std::fs::read_to_string(site.join("searchindex.js")).unwrap();
    assert!(index.contains("tail-reading: <script>alert(1)<\\/script>"));
}

#[test]
fn hostile_titles_captions_and_labels_are_text() {
    let (_tmp, code, stderr, site) = build_case("escape-titles");
    assert_eq!(code, 0, "{stderr}");
    assert_no_markup(&site);
    let page = page_text(&site, "graph.html");
    assert!(
        page.contains("[x](javascript:alert(1)) chapter"),
        "the title as text"
    );
    assert!(
        page.contains("</svg><script>alert(3)</script>"),
        "the caption as text"
    );
    assert!(
        page.contains("<script>alert(4)</script>"),
        "the table label as text"
    );
}

#[test]
fn markdown_in_a_setting_stays_literal() {
    // One string, every Markdown construct: after the build it is the same text, unparsed.
    let (_tmp, book) = book_of("bom-crlf");
    let study = book.join("content/bump.toml");
    let source = std::fs::read_to_string(&study).unwrap();
    let hostile = "*em* _u_ `c` $x$ | cell # h {#id} ![i](javascript:1) <b>b</b> &amp; 1. - + \\\\";
    let edited = regex_free_replace(
        &source,
        "tail-reading = ",
        &format!("tail-reading = '{hostile}'"),
    );
    std::fs::write(&study, edited).unwrap();
    let site = book.join("site");
    let (code, stderr) = run(
        &[
            "build".as_ref(),
            book.as_os_str(),
            "-d".as_ref(),
            site.as_os_str(),
        ],
        Duration::from_secs(120),
    );
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(site.join("study.html")).unwrap();
    assert!(unescape(&html).contains(hostile), "{html}");
    let names: Vec<String> = tags(&html).into_iter().map(|t| t.name).collect();
    for markup in ["em", "code", "math", "img", "b", "td", "h2"] {
        assert!(!names.contains(&markup.to_string()), "<{markup}> in {html}");
    }
}

/// Replace the rest of the line that starts with `key` by `line`.
fn regex_free_replace(source: &str, key: &str, line: &str) -> String {
    source
        .split_inclusive('\n')
        .map(|l| {
            let text = l.trim_start_matches('\u{FEFF}');
            if text.starts_with(key) {
                let ending = if l.ends_with("\r\n") { "\r\n" } else { "\n" };
                format!("{line}{ending}")
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// Run a case that must fail: its stderr, after checking exit 1, the location and that no
/// site was written.
fn refused(name: &str, location: &str) -> String {
    let (_tmp, code, stderr, site) = build_case(name);
    assert_eq!(code, 1, "{name}: {stderr}");
    assert!(
        stderr.contains(location),
        "{name}: expected {location} in {stderr}"
    );
    assert!(!site.exists(), "{name}: a site was written");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn script_links_in_summary_book_toml_and_chapters_are_located_errors() {
    let e = refused("links-summary-javascript", "SUMMARY.md:3:7:");
    assert!(e.contains("`javascript:` URL"), "{e}");
    let e = refused("links-git-repository-url", "book.toml:5:22:");
    assert!(e.contains("expected an http, https or mailto link"), "{e}");
    let e = refused("links-edit-url-template", "book.toml:2:21:");
    assert!(e.contains("edit-url-template"), "{e}");
    let e = refused("links-chapter-javascript", "a.md:5:7:");
    assert!(e.contains("link target `javascript:alert(1)`"), "{e}");
}

/// Build a case's book after making `links` (path in the book → target) symbolic links; the
/// links are made here rather than committed, so that no tool walking the repository follows
/// a cycle or a link out of it. A secret file and folder lie next to the book in `outside/`.
fn build_with_links(name: &str, links: &[(&str, &str)]) -> (tempfile::TempDir, i32, String) {
    let (tmp, book) = book_of(name);
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "MY_SECRET_VALUE\n").unwrap();
    std::fs::write(outside.join("stolen.py"), "# MY_SECRET_VALUE\n").unwrap();
    for (link, target) in links {
        let target = target.replace("{outside}", &outside.to_string_lossy());
        std::os::unix::fs::symlink(target, book.join(link)).unwrap();
    }
    let site = tmp.path().join("site");
    let (code, stderr) = run(
        &[
            "build".as_ref(),
            book.as_os_str(),
            "-d".as_ref(),
            site.as_os_str(),
        ],
        Duration::from_secs(30),
    );
    (tmp, code, stderr)
}

#[test]
fn symlinks_out_of_the_book_are_refused_and_named() {
    for (name, link, target) in [
        (
            "symlink-chapter-leak",
            "content/leak.md",
            "{outside}/secret.txt",
        ),
        (
            "symlink-computation-leak",
            "content/secret.toml",
            "{outside}/secret.txt",
        ),
        ("symlink-dir-leak", "content/outside", "{outside}"),
    ] {
        let (tmp, code, stderr) = build_with_links(name, &[(link, target)]);
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{link}: this symbolic link leads to")),
            "{name}: the link is named: {stderr}"
        );
        assert!(stderr.contains("outside the book folder"), "{stderr}");
        assert!(
            !tmp.path().join("site").exists(),
            "{name}: a site was written"
        );
        assert!(
            !stderr.contains("MY_SECRET_VALUE"),
            "{name}: the secret leaked"
        );
        if name == "symlink-chapter-leak" {
            assert!(
                stderr.contains("SUMMARY.md:2:3:"),
                "located at the entry: {stderr}"
            );
        }
    }
}

#[test]
fn symlink_cycles_are_walked_once() {
    let links = [("content/a_link", "."), ("content/b_link", ".")];
    let (tmp, code, stderr) = build_with_links("symlink-cycle", &links);
    assert_eq!(code, 0, "{stderr}");
    assert!(tmp.path().join("site/a.html").is_file());
    // sq.py is reachable as content/sq.py, content/a_link/sq.py, …: found once, no clash.
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn numeric_settings_out_of_range_give_the_range_and_location() {
    for (name, location, range) in [
        (
            "range-search-starts",
            "networks.toml:142:10:",
            "expected 0 … 100",
        ),
        (
            "range-search-steps",
            "networks.toml:143:9:",
            "expected 0 … 10000",
        ),
        (
            "range-sweep-samples",
            "networks.toml:111:11:",
            "must be between 1 and 100000",
        ),
        ("range-run-horizon", "bump.toml:42:11:", "1 … 100000"),
        (
            "range-sweep-points",
            "bump.toml:42:11:",
            "expected at most 30000000",
        ),
        ("range-digits", "book.toml:2:10:", "expected 1 to 17"),
    ] {
        let start = Instant::now();
        let e = refused(name, location);
        assert!(e.contains(range), "{name}: {e}");
        assert!(start.elapsed() < Duration::from_secs(30), "{name} was slow");
    }
}

#[test]
fn bom_and_crlf_files_build_with_their_first_headings() {
    let summary = std::fs::read(case("bom-crlf").join("book/content/SUMMARY.md")).unwrap();
    assert!(
        summary.starts_with(b"\xEF\xBB\xBF# Summary\r\n"),
        "the fixture lost its BOM/CRLF"
    );
    let (_tmp, code, stderr, site) = build_case("bom-crlf");
    assert_eq!(code, 0, "{stderr}");
    for (page, id, heading) in [
        (
            "intro.html",
            "first-heading-survives",
            "First heading survives",
        ),
        ("graph.html", "graph-heading", "Graph heading"),
        ("study.html", "study-heading", "Study heading"),
    ] {
        let html = std::fs::read_to_string(site.join(page)).unwrap();
        let h1 = tags(&html)
            .into_iter()
            .find(|t| t.name == "h1")
            .unwrap_or_else(|| panic!("{page} has no h1"));
        assert_eq!(h1.attr("id"), Some(id), "{page}");
        assert!(html.contains(&format!("\">{heading}</a></h1>")), "{page}");
        assert!(!html.contains('\u{FEFF}'), "{page} keeps a BOM");
    }
    // book.toml's digits = 4 was read, the script ran (3 · 3), and the sidebar has all chapters.
    let graph = std::fs::read_to_string(site.join("graph.html")).unwrap();
    assert!(
        graph.contains(
            "output is <span class=\"gb-nowrap\"><math alttext=\"9\"><mn>9</mn></math>.</span>"
        ),
        "{graph}"
    );
    assert!(graph.contains("href=\"study.html\""));
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        index.contains("<title>Intro - BOM and CRLF</title>"),
        "{index}"
    );
}

#[test]
fn invalid_utf8_is_located_at_the_first_bad_byte() {
    refused("utf8-book-toml", "book.toml:2:13:");
    let (_tmp, book) = book_of("utf8-graph-input");
    let (code, stderr) = run(
        &["graph".as_ref(), book.join("bad.py").as_os_str()],
        Duration::from_secs(30),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("bad.py:2:48:"), "{stderr}");
    assert!(stderr.contains("not valid UTF-8"), "{stderr}");
}

/// `html` without its tags (the highlighter's spans), entities left as they are.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
