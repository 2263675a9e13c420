//! Course-notes authoring end to end (issue #13): numbered figures, tables, equations and
//! theorems with references within and across chapters and on the print page; callouts in
//! both syntaxes; the student edition with no trace of the solutions; located errors for
//! unknown and duplicate labels.

mod common;

use assert_cmd::Command;
use common::{build, copy_tree};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    common::repo().join("tests/fixtures/authoring")
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
                out.insert(rel, std::fs::read(path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Build `book` with extra arguments into a fresh folder.
fn build_with(book: &Path, args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("site");
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(&dest)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, dest)
}

/// The text of `html` without tags (entities left as they are).
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn every_kind_is_numbered_per_chapter_and_referenced_across_chapters() {
    let (_tmp, site) = build(&fixture());
    let grads = read(&site, "grads.html");
    // Figures: a figure() call, the solution's figure, a `::: {#fig-…}` div — in order.
    assert!(
        grads.contains("<figure class=\"gb-figure gb-fit\" id=\"fig-tiny\""),
        "{grads}"
    );
    assert!(text(&grads).contains("Figure 1.1: The backward graph of tiny.py for"));
    assert!(grads.contains("<code>tiny.py</code>"), "caption Markdown");
    assert!(text(&grads).contains("Figure 1.2: A solution-only graph."));
    assert!(text(&grads).contains("Figure 1.3: The same graph, labelled in a div"));
    assert!(grads.contains("<em>labelled</em>"));
    // A table, an equation, a theorem.
    assert!(text(&grads).contains("Table 1.1: Two steps of gd"));
    assert!(grads.contains("<div class=\"gb-equation\" id=\"eq-loss\">"));
    assert!(grads.contains("<div class=\"gb-eqno\">(1.1)</div>"));
    assert!(grads.contains("<strong>Theorem 1.1</strong> (Chain rule)."));
    assert!(grads.contains("<a class=\"gb-xref\" href=\"#thm-chain\">Theorem 1.1</a>"));
    assert!(grads.contains("<a class=\"gb-xref\" href=\"#fig-secret\">Figure 1.2</a>"));

    let steps = read(&site, "steps.html");
    for link in [
        "<a class=\"gb-xref\" href=\"grads.html#fig-pic\">Figure 1.3</a>",
        "<a class=\"gb-xref\" href=\"grads.html#tbl-steps\">Table 1.1</a>",
        "<a class=\"gb-xref\" href=\"grads.html#eq-loss\">(1.1)</a>",
        "<a class=\"gb-xref\" href=\"grads.html#fig-tiny\">Figure 1.1</a>",
        "<a class=\"gb-xref\" href=\"#eq-step\">Equation (2.1)</a>",
        "<a class=\"gb-xref\" href=\"#lem-small\">Lemma 2.1</a>",
        "<a class=\"gb-xref\" href=\"#def-rate\">Definition 2.1</a>",
    ] {
        assert!(steps.contains(link), "{link} missing from steps.html");
    }
    assert!(steps.contains("<div class=\"gb-eqno\">(2.1)</div>"));
    assert!(
        steps.contains("<div class=\"gb-eqno\">(A.1)</div>"),
        "\\tag"
    );
    assert!(!steps.contains("\\label"), "\\label is consumed");
    assert!(steps.contains("<strong>Definition 2.1</strong> (<strong>Rate</strong> <math"));
    assert!(steps.contains("<strong>Example 2.1</strong>"));
    assert!(steps.contains("<em>Proof.</em>"));
    // The unnumbered prefix chapter refers into chapter 1.
    let intro = read(&site, "intro.html");
    assert!(intro.contains("<a class=\"gb-xref\" href=\"grads.html#fig-tiny\">Figure 1.1</a>"));
    assert!(intro.contains("<a class=\"gb-xref\" href=\"grads.html#eq-loss\">Equation (1.1)</a>"));

    // The print page: the same numbers, links within the page, every target present once.
    let print = read(&site, "print.html");
    for (href, shown) in [
        ("#chapter-grads-fig-pic", "Figure 1.3"),
        ("#chapter-grads-eq-loss", "(1.1)"),
        ("#chapter-steps-eq-step", "Equation (2.1)"),
    ] {
        assert!(
            print.contains(&format!("href=\"{href}\">{shown}</a>")),
            "{href} missing from print.html"
        );
        let id = format!("id=\"{}\"", &href[1..]);
        assert_eq!(print.matches(&id).count(), 1, "{id}");
    }
    // No placeholder survives anywhere, and the search index says the numbers too.
    for (path, bytes) in tree(&site) {
        let body = String::from_utf8_lossy(&bytes);
        assert!(!body.contains('\u{E020}'), "{path} keeps a placeholder");
    }
    assert!(read(&site, "searchindex.js").contains("Figure 1.3"));
}

#[test]
fn callouts_in_both_syntaxes() {
    let (_tmp, site) = build(&fixture());
    let intro = read(&site, "intro.html");
    for kind in ["note", "tip", "warning", "important", "caution"] {
        assert!(
            intro.contains(&format!("class=\"gb-callout gb-callout-{kind}\"")),
            "{kind}"
        );
    }
    assert!(intro.contains("<div class=\"gb-callout-title\">A <em>tip</em> with <math"));
    assert!(intro.contains("<details class=\"gb-callout gb-callout-warning\">\n<summary class=\"gb-callout-title\">Warning</summary>"));
    for body in [
        "GitHub note body.",
        "GitHub caution body.",
        "A plain note with <code>code</code>.",
    ] {
        assert!(intro.contains(&format!("<p>{body}</p>")), "{body}");
    }
    assert!(!intro.contains("[!NOTE]") && !intro.contains("<blockquote>"));
    // The print page opens what is collapsed.
    let print = read(&site, "print.html");
    assert!(print.contains("<details class=\"gb-callout gb-callout-warning\" open>"));
}

#[test]
fn the_student_edition_has_no_trace_of_the_solutions_and_the_same_numbers() {
    let (_full_tmp, full) = build(&fixture());
    let (_tmp, site) = build_with(&fixture(), &["--edition", "student"]);
    // What only the solution shows: its text, the numbers only it prints (7.25³ and 3·7.25²),
    // its figure (drawn from secret.py) and its labels.
    let solution_only = [
        "SOLUTION-ONLY-TEXT",
        "381.078125",
        "157.6875",
        "secret",
        "fig-secret",
        "eq-secret",
        "A solution-only graph",
    ];
    let full_files = tree(&full);
    let full_text: String = full_files
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for needle in solution_only {
        assert!(
            full_text.contains(needle),
            "the solutions edition shows {needle}"
        );
    }
    let files = tree(&site);
    assert!(files.keys().any(|p| p.starts_with("figures/tiny-")));
    for (path, bytes) in &files {
        let body = String::from_utf8_lossy(bytes);
        for needle in solution_only {
            assert!(!body.contains(needle), "{path} holds {needle}");
            assert!(!path.contains(needle), "{path}");
        }
        // The stylesheet styles solution blocks in every edition; no page holds one.
        if !path.starts_with("css/") {
            assert!(
                !body.contains("gb-solution"),
                "{path} holds a solution block"
            );
        }
    }
    // Numbers are the complete book's: Figure 1.3 stays 1.3 though 1.2 is left out.
    let grads = read(&site, "grads.html");
    assert!(text(&grads).contains("Figure 1.1: The backward graph"));
    assert!(text(&grads).contains("Figure 1.3: The same graph"));
    assert!(!text(&grads).contains("Figure 1.2"));
    assert!(read(&site, "steps.html").contains("href=\"grads.html#fig-pic\">Figure 1.3</a>"));
    // The edition's own title, as text.
    assert!(
        grads.contains("Problem sheet &lt;b&gt;2&lt;&#x2F;b&gt;")
            || grads.contains("Problem sheet &lt;b&gt;2&lt;/b&gt;")
    );
    // Its own folder when no -d is given.
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), tmp.path());
    Command::cargo_bin("gradbook")
        .unwrap()
        .args(["build", "--edition", "student"])
        .arg(tmp.path())
        .assert()
        .success();
    assert!(tmp.path().join("sheet/grads.html").is_file());
    assert!(!tmp.path().join("book").exists());
}

/// The default book's problem sheet gives no answer away, outside the solution blocks too: not
/// that Q1's inequality fails (counterexamples, "not in general"), not Q2's threshold, not one
/// of Q3's gradients; each marker is first found in the solutions edition, so none is stale.
/// (The intro once said "every counterexample of Question 1" in both editions.)
#[test]
fn the_default_problem_sheet_gives_no_answer_away() {
    let book = common::copy_of_default_book();
    // A small sweep: the markers do not depend on its size.
    let networks = book.path().join("content/networks.toml");
    let settings = std::fs::read_to_string(&networks).unwrap();
    let quick = settings
        .replacen("samples = 20000", "samples = 300", 1)
        .replacen("steps = 1500", "steps = 100", 1);
    assert_ne!(quick, settings, "the sweep settings moved");
    std::fs::write(&networks, quick).unwrap();
    let (_full_tmp, full) = build(book.path());
    let (_tmp, sheet) = build_with(book.path(), &["--edition", "student"]);
    let bump = std::fs::read_to_string(book.path().join("content/bump.toml")).unwrap();
    let h_max = gradbook::compute::optim::run(&bump)
        .unwrap()
        .adam
        .h_max
        .unwrap();
    let script = std::fs::read_to_string(book.path().join("content/comp_tree.py")).unwrap();
    let comp_tree = gradbook::compute::autograd::run(&script).unwrap();
    let mut markers = vec![
        "counterexample".to_string(),
        "ot in general".to_string(),
        gradbook::format::display(h_max, 4),
    ];
    let grads = serde_json::to_value(&comp_tree).unwrap()["grads"].clone();
    for g in grads.as_object().expect("the leaves' gradients").values() {
        markers.push(gradbook::format::display(g.as_f64().unwrap(), 6));
    }
    // The files the two editions write differently: pages, search index, table of contents
    // (an asset both ship byte for byte, such as search.js, is the tool's, not the book's).
    let (full_files, sheet_files) = (tree(&full), tree(&sheet));
    let book_text = |files: &BTreeMap<String, Vec<u8>>, other: &BTreeMap<String, Vec<u8>>| {
        files
            .iter()
            .filter(|(path, bytes)| other.get(*path) != Some(*bytes))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .collect::<String>()
    };
    let full_text = book_text(&full_files, &sheet_files);
    let sheet_text = book_text(&sheet_files, &full_files);
    for m in &markers {
        assert!(full_text.contains(m.as_str()), "the solutions show {m}");
        assert!(
            !sheet_text.contains(m.as_str()),
            "the problem sheet shows {m}"
        );
    }
}

/// A book of one chapter `text` (plus tiny.py) in a temporary folder.
fn one_chapter(text: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(
        content.join("SUMMARY.md"),
        "# S\n\n- [A](a.md)\n- [B](b.md)\n",
    )
    .unwrap();
    std::fs::write(content.join("a.md"), text).unwrap();
    std::fs::write(content.join("b.md"), "# B\n\n![B](b.svg){#fig-b}\n").unwrap();
    tmp
}

fn fails(book: &Path, args: &[&str]) -> String {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(book)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn unknown_duplicate_and_malformed_labels_are_located_errors() {
    let book = one_chapter("# A\n\nText.\n\nSee @fig-nowhere here.\n");
    let err = fails(book.path(), &[]);
    assert!(err.contains("a.md:5:5"), "{err}");
    assert!(err.contains("`@fig-nowhere` refers to no label"), "{err}");
    assert!(err.contains("fig-b"), "lists the known labels: {err}");

    let book = one_chapter("# A\n\n$$ x $$ {#eq-x}\n\n$$ y $$ {#eq-x}\n");
    let err = fails(book.path(), &[]);
    assert!(err.contains("a.md:5:"), "{err}");
    assert!(err.contains("`eq-x` is defined twice"), "{err}");

    let book = one_chapter("# A\n\n![A](a.svg){#fig-b}\n");
    let err = fails(book.path(), &[]);
    assert!(err.contains("b.md:3:"), "duplicate across chapters: {err}");

    let book = one_chapter("# A\n\n::: {.callout-note}\nnever closed\n");
    let err = fails(book.path(), &[]);
    assert!(err.contains("a.md:3:1"), "{err}");
    assert!(err.contains("never closed"), "{err}");

    let book = one_chapter("# A\n\n::: {.solution}\n![S](s.svg){#fig-s}\n:::\n\nSee @fig-s.\n");
    let err = fails(book.path(), &["--edition", "student"]);
    assert!(err.contains("a.md:7:5"), "{err}");
    assert!(err.contains("inside a solution"), "{err}");

    let err = fails(book.path(), &["--edition", "teachers"]);
    assert!(err.contains("no edition named `teachers`"), "{err}");
}

#[test]
fn hostile_captions_titles_and_attributes_stay_text() {
    let book = one_chapter(
        "# A\n\n::: {.callout-note title=\"<img src=x onerror=alert(1)>\"}\nx\n:::\n\n![<script>alert(1)</script>](a.svg){#fig-a}\n\n::: {#thm-x name=\"<b onclick=y>n</b>\"}\nt\n:::\n",
    );
    let (_tmp, site) = build(book.path());
    let a = read(&site, "a.html");
    assert!(!a.contains("<img src=x"), "{a}");
    assert!(!a.contains("<script>alert"), "{a}");
    assert!(!a.contains("<b onclick"), "{a}");
    assert!(a.contains("&lt;img src=x onerror=alert(1)&gt;"), "{a}");
    let book = one_chapter("# A\n\n::: {.x\" onclick=\"y}\nz\n:::\n");
    let err = fails(book.path(), &[]);
    assert!(err.contains("a.md:3:"), "{err}");
}
