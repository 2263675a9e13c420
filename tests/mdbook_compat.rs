//! mdBook compatibility (issue #12): the fixture books of `tests/fixtures/mdbook/*/book` are
//! plain mdBook books; gradbook's pages must read as mdBook 0.5.4 renders them. What mdBook
//! rendered is recorded once in `expected/<page>.txt` as normalised text and structure of the
//! page's `<main>` (see [`outline`]) by the ignored `record_mdbook_output` (needs `mdbook`
//! 0.5.4 on the PATH), and every run compares gradbook's pages with it. The site-level
//! features (static files, redirects, CNAME, 404, favicon, fold, warnings) are checked on the
//! built site, and mdBook's own guide is built when a checkout is given.

use assert_cmd::Command;
use scraper::{ElementRef, Html, Node, Selector};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mdbook")
}

/// Every fixture: (name, its book folder).
fn books() -> Vec<(String, PathBuf)> {
    let mut books: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures())
        .expect("fixtures")
        .flatten()
        // Books with recorded mdBook output (`code/` and `preprocessor/` belong to
        // tests/mdbook_code.rs and tests/mdbook_protocol.rs).
        .filter(|e| e.path().join("book/book.toml").is_file() && e.path().join("expected").is_dir())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.path().join("book"),
            )
        })
        .collect();
    books.sort();
    books
}

/// Build `book` with gradbook into a fresh folder; (temp dir, site folder, stderr).
fn gradbook_build(book: &Path) -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let site = tmp.path().join("site");
    let out = Command::cargo_bin("gradbook")
        .expect("binary")
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(&site)
        .output()
        .expect("run gradbook");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{}: {stderr}", book.display());
    (tmp, site, stderr)
}

/// The pages every fixture compares: every `.html` of the site that mdBook also wrote and
/// that has a `<main>`, minus the print page.
fn compared_pages(site: &Path) -> Vec<String> {
    let mut pages = Vec::new();
    let mut todo = vec![site.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("site folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                let rel = path
                    .strip_prefix(site)
                    .expect("inside")
                    .to_string_lossy()
                    .replace('\\', "/");
                let html = std::fs::read_to_string(&path).expect("page");
                if rel != "print.html" && html.contains("<main") {
                    pages.push(rel);
                }
            }
        }
    }
    pages.sort();
    pages
}

/// The expected outline of `page`, as recorded from mdBook.
fn expected_file(name: &str, page: &str) -> PathBuf {
    fixtures()
        .join(name)
        .join("expected")
        .join(format!("{}.txt", page.replace('/', "__")))
}

/// Normalised text and structure of a page's `<main>`: one line per block (`h2#id: text`,
/// `p: text`, `li: text`, `dt:`/`dd:`, `tr: a | b`, `pre(lang): code`, `img: src alt`, `hr`,
/// `blockquote`), links inline as `[text](href)`. Whitespace is collapsed; formulas read
/// `[math]` (MathML in gradbook, `\( … \)` left for MathJax in mdBook); buttons, scripts and
/// hidden Rust lines (`span.boring` in mdBook, `# ` lines in gradbook) are left out, since
/// code-block chrome is compared elsewhere.
fn outline(html: &str) -> String {
    let doc = Html::parse_document(html);
    let main = Selector::parse("main").expect("selector");
    let Some(main) = doc.select(&main).next() else {
        return String::new();
    };
    let mut out = Vec::new();
    block(main, &mut out);
    out.join("\n") + "\n"
}

const BLOCKS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "dt",
    "dd",
    "pre",
    "tr",
    "img",
    "hr",
    "blockquote",
    "ol",
    "ul",
    "dl",
    "table",
    "thead",
    "tbody",
    "div",
    "section",
    "figure",
];

fn block(el: ElementRef<'_>, out: &mut Vec<String>) {
    for child in el.children() {
        let Some(child) = ElementRef::wrap(child) else {
            continue;
        };
        let name = child.value().name();
        match name {
            "script" | "button" | "style" => {}
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let id = child.value().attr("id").unwrap_or("");
                out.push(format!("{name}#{id}: {}", inline(child)));
            }
            "p" | "dt" | "dd" => out.push(format!("{name}: {}", inline(child))),
            "li" => {
                out.push(format!("li: {}", inline(child)));
                block(child, out);
            }
            "tr" => {
                let cells: Vec<String> = child
                    .children()
                    .filter_map(ElementRef::wrap)
                    .map(inline)
                    .collect();
                out.push(format!("tr: {}", cells.join(" | ")));
            }
            "pre" => out.push(code_block(child)),
            "img" => out.push(format!(
                "img: {} {}",
                child.value().attr("src").unwrap_or(""),
                child.value().attr("alt").unwrap_or("")
            )),
            "hr" => out.push("hr".into()),
            "blockquote" => {
                out.push("blockquote".into());
                block(child, out);
            }
            _ => block(child, out),
        }
    }
}

/// The text of a block without its nested blocks, links as `[text](href)`.
fn inline(el: ElementRef<'_>) -> String {
    let mut text = String::new();
    inline_into(el, &mut text);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    mathjax_to_marks(&collapsed)
}

fn inline_into(el: ElementRef<'_>, text: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => text.push_str(t),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                // mdBook 0.5 shows each image twice, the second in a zoom wrapper.
                let chrome = e.classes().any(|c| c == "img-wrapper");
                if BLOCKS.contains(&name) && name != "img"
                    || name == "button"
                    || name == "script"
                    || chrome
                {
                    continue;
                }
                if name == "math" {
                    text.push_str("[math]");
                } else if name == "img" {
                    text.push_str(&format!(
                        "![{}]({})",
                        e.attr("alt").unwrap_or(""),
                        e.attr("src").unwrap_or("")
                    ));
                } else if name == "a"
                    && let Some(href) = e.attr("href")
                    && !e.attr("class").is_some_and(|c| c.contains("header"))
                {
                    text.push('[');
                    inline_into(child, text);
                    text.push_str(&format!("]({href})"));
                } else {
                    inline_into(child, text);
                }
            }
            _ => {}
        }
    }
}

/// `\( … \)` and `\[ … \]` (what mdBook leaves for MathJax) as `[math]`.
fn mathjax_to_marks(text: &str) -> String {
    let mut out = text.to_string();
    for (open, close) in [("\\(", "\\)"), ("\\[", "\\]")] {
        while let Some(start) = out.find(open) {
            let Some(len) = out[start + 2..].find(close) else {
                break;
            };
            out.replace_range(start..start + 2 + len + 2, "[math]");
        }
    }
    out
}

/// `pre(lang): code` with the code's lines joined by ` ⏎ `, hidden Rust lines left out.
fn code_block(pre: ElementRef<'_>) -> String {
    let code = pre
        .children()
        .filter_map(ElementRef::wrap)
        .find(|c| c.value().name() == "code")
        .unwrap_or(pre);
    let lang = code
        .value()
        .classes()
        .find_map(|c| c.strip_prefix("language-"))
        .unwrap_or("")
        .to_string();
    let mut text = String::new();
    visible_code(code, &mut text);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !(lang == "rust" && (l.starts_with("# ") || *l == "#")))
        .collect();
    format!("pre({lang}): {}", lines.join(" ⏎ ").trim_end())
}

fn visible_code(el: ElementRef<'_>, text: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => text.push_str(t),
            Node::Element(e) => {
                if e.classes().any(|c| c == "boring") || e.name() == "button" {
                    continue;
                }
                if let Some(child) = ElementRef::wrap(child) {
                    visible_code(child, text);
                }
            }
            _ => {}
        }
    }
}

/// Every fixture's pages read as mdBook renders them.
#[test]
fn fixture_books_read_as_mdbook_renders_them() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, book) in books() {
        let (_tmp, site, _) = gradbook_build(&book);
        let expected_dir = fixtures().join(&name).join("expected");
        let mut recorded: Vec<PathBuf> = std::fs::read_dir(&expected_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_dir.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        recorded.sort();
        assert!(!recorded.is_empty(), "{name}: nothing recorded");
        for expected in recorded {
            let page = expected
                .file_stem()
                .expect("name")
                .to_string_lossy()
                .replace("__", "/");
            let ours = std::fs::read_to_string(site.join(&page))
                .map(|html| outline(&html))
                .unwrap_or_else(|e| format!("(gradbook wrote no {page}: {e})\n"));
            let theirs = std::fs::read_to_string(&expected).expect("recorded outline");
            compared += 1;
            // gradbook's 404 page adds a link back to the first page after the text.
            let same = if page == "404.html" {
                ours.starts_with(&theirs)
            } else {
                ours == theirs
            };
            if !same {
                failures.push(format!(
                    "{name}/{page}:\n--- mdBook\n{theirs}--- gradbook\n{ours}"
                ));
            }
        }
    }
    assert!(compared >= 8, "only {compared} pages compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Record what mdBook renders for every fixture (run after changing a fixture, with `mdbook`
/// 0.5.4 on the PATH): `cargo test --test mdbook_compat record -- --ignored`.
#[test]
#[ignore = "needs mdbook 0.5.4; rewrites tests/fixtures/mdbook/*/expected"]
fn record_mdbook_output() {
    let version = std::process::Command::new("mdbook")
        .arg("--version")
        .output()
        .expect("mdbook on the PATH");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains("0.5.4"),
        "mdbook 0.5.4 is needed"
    );
    for (name, book) in books() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let site = tmp.path().join("site");
        let out = std::process::Command::new("mdbook")
            .arg("build")
            .arg(&book)
            .arg("-d")
            .arg(&site)
            .output()
            .expect("run mdbook");
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = fixtures().join(&name).join("expected");
        let _ = std::fs::remove_dir_all(&expected);
        std::fs::create_dir_all(&expected).expect("expected folder");
        for page in compared_pages(&site) {
            // mdBook's own 404 text is not compared: gradbook has its own unless the book
            // brings a 404.md.
            let own_404 = page == "404.html" && !book.join("src/404.md").is_file();
            if page == "toc.html" || own_404 {
                continue;
            }
            let html = std::fs::read_to_string(site.join(&page)).expect("page");
            std::fs::write(expected_file(&name, &page), outline(&html)).expect("write outline");
        }
    }
}

/// The site-level features of the `site` fixture: static files, redirects, CNAME, the 404
/// page from `404.md`, the theme's favicon, README as index, fold toggles, and one warning per
/// key gradbook accepts without honouring.
#[test]
fn site_features_match_mdbook() {
    let book = fixtures().join("site/book");
    let (_tmp, site, stderr) = gradbook_build(&book);
    let read =
        |p: &str| std::fs::read_to_string(site.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    assert_eq!(read("CNAME"), "book.example.org\n");
    assert!(read("images/picture.svg").contains("<rect"));
    assert_eq!(read("images/data.csv"), "x,y\n1,2\n");
    assert!(
        !site.join(".hidden").exists(),
        "hidden files are not published"
    );
    assert!(!site.join("README.html").exists());
    assert!(read("index.html").contains("Introduction"));
    let redirect = read("old/place.html");
    assert!(redirect.contains("URL=../sub/page.html"), "{redirect}");
    assert!(
        redirect.contains("&quot;#gone&quot;:&quot;..&#x2F;sub&#x2F;page.html#here&quot;")
            || redirect.contains("&quot;#gone&quot;:&quot;../sub/page.html#here&quot;"),
        "{redirect}"
    );
    assert!(redirect.contains("src=\"../js/redirect.js\""), "{redirect}");
    assert!(site.join("js/redirect.js").is_file());
    assert!(read("moved.html").contains("https://example.org/moved"));
    let not_found = read("404.html");
    assert!(
        not_found.contains("<em>the site features</em> book"),
        "{not_found}"
    );
    assert!(read("favicon.svg").contains("fill=\"#c00\""));
    let chapter = read("chapter.html");
    // The sidebar is drawn by js/toc.js from toc.js, which carries the fold level
    // (tests/toc.rs checks in Chromium that the sections fold).
    assert!(read("toc.js").contains("\"fold\":"), "fold level in toc.js");
    // SUMMARY.md lists `./sub/page.md` and `sub//deep.md`, as mdBook accepts them.
    assert!(read("toc.js").contains("sub/page.html"), "page in toc.js");
    assert!(
        !read("toc.js").contains("./sub"),
        "toc.js: {}",
        read("toc.js")
    );
    assert!(
        read("sub/deep.html").contains("data-root=\"../\""),
        "one folder down"
    );
    assert!(chapter.contains("<html lang=\"en\"") || chapter.contains("lang=\"en\""));
    assert!(read("extra.css").contains("letter-spacing"));
    for key in [
        "build.create-missing",
        "build.extra-watch-dirs",
        "rust.edition",
        "output.html.git-repository-icon",
        "output.html.hash-files",
        "output.html.playground.editable",
        "output.html.search.limit-results",
        "output.html.search.use-boolean-and",
        "output.html.default-theme = \"navy\"",
    ] {
        assert_eq!(
            stderr.matches(&format!(": {key}")).count(),
            1,
            "one warning for {key}: {stderr}"
        );
    }
    assert!(
        stderr.contains("book.toml:19:1: output.html.hash-files"),
        "{stderr}"
    );
    // `- [Chapter](chapter.md) (start here)`: mdBook skips the text after the link.
    assert!(
        stderr.contains("SUMMARY.md:5:25: text `(start here)` after the link is not shown"),
        "{stderr}"
    );
    assert!(!read("toc.js").contains("start here"));
    for quiet in ["copyable", "hidelines", "fold", "redirect", "cname"] {
        let key = format!("output.html.{quiet}");
        assert!(!stderr.contains(&key), "{key} is implemented: {stderr}");
    }
}

/// Keys neither mdBook nor gradbook knows stay errors with a location; old and foreign keys
/// (`author`, other renderers, preprocessors, theme files) are warned once each.
#[test]
fn unknown_keys_are_errors_and_foreign_ones_warnings() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let book = tmp.path().join("book");
    std::fs::create_dir_all(book.join("src")).expect("src");
    std::fs::create_dir_all(book.join("theme/css")).expect("theme");
    std::fs::write(book.join("src/SUMMARY.md"), "# Summary\n\n- [A](a.md)\n").expect("summary");
    std::fs::write(book.join("src/a.md"), "# A\n").expect("chapter");
    std::fs::write(book.join("theme/index.hbs"), "x").expect("hbs");
    std::fs::write(book.join("theme/css/general.css"), "x").expect("css");
    // A book's own stylesheet kept in the theme folder and listed in `additional-css` (as
    // the Rustonomicon keeps `theme/nomicon.css`) is used, so it is not warned about.
    std::fs::write(book.join("theme/book.css"), "p { color: teal }").expect("own css");
    let run = |toml: &str| {
        std::fs::write(book.join("book.toml"), toml).expect("book.toml");
        let out = Command::cargo_bin("gradbook")
            .expect("binary")
            .arg("build")
            .arg(&book)
            .arg("-d")
            .arg(tmp.path().join("site"))
            .output()
            .expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run("[book]\ntitle = \"T\"\n\n[output.html]\nmathjax-suport = true\n");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("book.toml:5:1"), "{stderr}");
    assert!(stderr.contains("mathjax-suport"), "{stderr}");
    let (code, stderr) = run(
        "[book]\ntitle = \"T\"\nauthor = \"Old\"\n\n[output.linkcheck]\nfollow-web-links = true\n\n[preprocessor.links]\n\n[output.html]\nadditional-css = [\"./theme/book.css\"]\n",
    );
    assert_eq!(code, Some(0), "{stderr}");
    for warning in [
        "book.toml:3:1: book.author",
        "book.toml:5:9: output.linkcheck",
        "theme/index.hbs: mdBook's Handlebars templates are not used",
        "theme/css/general.css: mdBook's stylesheets",
    ] {
        assert_eq!(stderr.matches(warning).count(), 1, "{warning}: {stderr}");
    }
    assert!(!stderr.contains("preprocessor.links"), "{stderr}");
    assert!(!stderr.contains("book.css"), "{stderr}");
    let css = std::fs::read_to_string(tmp.path().join("site/theme/book.css")).expect("copied");
    assert!(css.contains("teal"), "{css}");
}

/// A chapter includes only files of the book (or of the git work tree holding it); anything
/// else is refused, located at the directive, and nothing of it reaches the site.
#[test]
fn includes_stay_inside_the_book() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let book = tmp.path().join("book");
    std::fs::create_dir_all(book.join("src")).expect("src");
    std::fs::write(tmp.path().join("secret.txt"), "TOP-SECRET").expect("secret");
    std::fs::write(book.join("book.toml"), "[book]\ntitle = \"T\"\n").expect("toml");
    std::fs::write(book.join("src/SUMMARY.md"), "# Summary\n\n- [A](a.md)\n").expect("summary");
    std::fs::write(
        book.join("src/a.md"),
        "# A\n\nText.\n\n```\n{{#include ../../secret.txt}}\n```\n",
    )
    .expect("chapter");
    let site = tmp.path().join("site");
    let out = Command::cargo_bin("gradbook")
        .expect("binary")
        .arg("build")
        .arg(&book)
        .arg("-d")
        .arg(&site)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("a.md:6:1"), "{stderr}");
    assert!(stderr.contains("outside the book folder"), "{stderr}");
    assert!(!site.exists());
}

/// `check` reports an image that is not in the book, at the line that shows it.
#[test]
fn check_reports_a_missing_image() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let book = tmp.path().join("book");
    std::fs::create_dir_all(book.join("src/images")).expect("src");
    std::fs::write(book.join("book.toml"), "[book]\ntitle = \"T\"\n").expect("toml");
    std::fs::write(book.join("src/SUMMARY.md"), "# Summary\n\n- [A](a.md)\n").expect("summary");
    std::fs::write(
        book.join("src/images/here.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .expect("image");
    std::fs::write(
        book.join("src/a.md"),
        "# A\n\n![present](images/here.svg)\n\n![absent](images/gone.png)\n",
    )
    .expect("chapter");
    let out = Command::cargo_bin("gradbook")
        .expect("binary")
        .arg("check")
        .arg(&book)
        .output()
        .expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("a.md:5"), "{text}");
    assert!(text.contains("images/gone.png"), "{text}");
    assert!(!text.contains("here.svg"), "{text}");
}

/// How many `{{#` of a chapter's source mdBook prints as text: escaped ones (`\{{#…}}`) and
/// ones that are no directive (`{{#include}}` without a file, `{{#toc}}`).
fn literal_openers(source: &str) -> usize {
    let names = [
        "include ",
        "rustdoc_include ",
        "playground ",
        "playpen ",
        "title ",
    ];
    source
        .match_indices("{{#")
        .filter(|(at, _)| {
            let escaped = source[..*at].ends_with('\\');
            let rest = &source[at + 3..];
            escaped || !names.iter().any(|n| rest.starts_with(n))
        })
        .count()
}

/// mdBook's own user guide builds from an unmodified checkout: set `MDBOOK_GUIDE` to the
/// `guide/` folder of a git checkout of rust-lang/mdBook (v0.5.4). Every chapter page exists,
/// every included file's text is on its page, and no `{{#` is left except where escaped.
#[test]
fn mdbook_guide_builds() {
    let Some(guide) = std::env::var_os("MDBOOK_GUIDE").map(PathBuf::from) else {
        println!("skipped: set MDBOOK_GUIDE to the guide/ folder of an mdBook checkout");
        return;
    };
    let (_tmp, site, stderr) = gradbook_build(&guide);
    println!("{stderr}");
    let summary = std::fs::read_to_string(guide.join("src/SUMMARY.md")).expect("SUMMARY.md");
    let mut pages = 0;
    for line in summary.lines() {
        let Some(start) = line.find("](") else {
            continue;
        };
        let path = &line[start + 2..line[start..].find(')').map_or(line.len(), |e| start + e)];
        if !path.ends_with(".md") {
            continue;
        }
        let html_path = if path
            .rsplit('/')
            .next()
            .is_some_and(|f| f.eq_ignore_ascii_case("README.md"))
        {
            format!("{}index.html", &path[..path.len() - "README.md".len()])
        } else {
            format!("{}.html", &path[..path.len() - 3])
        };
        let page = std::fs::read_to_string(site.join(&html_path))
            .unwrap_or_else(|e| panic!("{html_path}: {e}"));
        pages += 1;
        let source = std::fs::read_to_string(guide.join("src").join(path)).expect("chapter");
        let main = Html::parse_document(&page);
        let text: String = main
            .select(&Selector::parse("main").expect("selector"))
            .flat_map(|m| m.text())
            .collect();
        let escaped = literal_openers(&source);
        assert!(
            text.matches("{{#").count() <= escaped,
            "{html_path}: a `{{{{#` left that the source did not escape"
        );
        for directive in source.split("{{#include ").skip(1) {
            if source.contains(&format!("\\{{{{#include {directive}")) {
                continue;
            }
            let target = directive.split("}}").next().unwrap_or("").trim();
            let (file, _) = target.split_once(':').unwrap_or((target, ""));
            let dir = guide
                .join("src")
                .join(path)
                .parent()
                .map(Path::to_path_buf)
                .expect("dir");
            let included = std::fs::read_to_string(dir.join(file)).expect("included file");
            let markdown = file.ends_with(".md");
            // A line Markdown (and smart punctuation) leaves as it is.
            let plain = |l: &&str| {
                l.len() > 12
                    && !l.contains("ANCHOR")
                    && !l.contains(['<', '&'])
                    && !(markdown
                        && (l.contains(['#', '*', '`', '[', '_', '|', '\'', '"', '~', '\\'])
                            || l.contains("--")
                            || l.contains("...")))
            };
            let sample = included.lines().map(str::trim).find(plain).unwrap_or("");
            if target.contains(':') || sample.is_empty() {
                continue;
            }
            assert!(
                text.contains(sample),
                "{html_path}: `{sample}` from {file} missing"
            );
        }
    }
    println!("mdBook guide: {pages} pages present");
    assert!(pages > 30, "only {pages} pages");
}

/// `[output.html.print] page-break = false` lets printed chapters run on without a page break
/// (the print page's chapters lose `break-before: page`); the default keeps the breaks.
#[test]
fn print_page_break_false_lets_chapters_run_on() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    std::fs::create_dir_all(book.join("src")).unwrap();
    std::fs::write(
        book.join("src/SUMMARY.md"),
        "# Summary\n\n- [One](one.md)\n- [Two](two.md)\n",
    )
    .unwrap();
    std::fs::write(book.join("src/one.md"), "# One\n\nFirst.\n").unwrap();
    std::fs::write(book.join("src/two.md"), "# Two\n\nSecond.\n").unwrap();
    let print_main = |toml: &str| {
        std::fs::write(book.join("book.toml"), toml).unwrap();
        let (_tmp, site, stderr) = gradbook_build(&book);
        assert!(!stderr.contains("page-break"), "no warning: {stderr}");
        let print = std::fs::read_to_string(site.join("print.html")).unwrap();
        let css = std::fs::read_to_string(site.join("css/print.css")).unwrap();
        assert!(
            css.contains(
                ".print-content.no-page-break > section.print-chapter {\n    break-before: auto;"
            ),
            "{css}"
        );
        let start = print.find("<main").unwrap();
        print[start..start + print[start..].find('>').unwrap()].to_string()
    };
    let title = "[book]\ntitle = \"Breaks\"\n";
    assert!(!print_main(title).contains("no-page-break"));
    let off = print_main(&format!(
        "{title}\n[output.html.print]\npage-break = false\n"
    ));
    assert!(
        off.contains("class=\"content print-content no-page-break\""),
        "{off}"
    );
}
