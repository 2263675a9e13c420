//! Hostile chapters (issue #9, defects 5, 10, 11, 15, 16, 18): the template sandbox, the
//! budgets, nesting limits, located template and math errors, and the dependencies `serve`
//! records. Each test runs the binary (or a `serve` session) on a book of
//! `tests/fixtures/hostile/`.

mod common;

use assert_cmd::Command;
use common::{copy_tree, repo};
use gradbook::site::build::RenderOptions;
use gradbook::site::incremental::Session;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A fresh copy of a hostile case's book: (its folder's guard, the book's path).
fn book(case: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    copy_tree(
        &repo()
            .join("tests/fixtures/hostile")
            .join(case)
            .join("book"),
        &book,
    );
    (tmp, book)
}

/// The outcome of `gradbook build BOOK`.
struct Run {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

fn build(book: &Path, env: &[(&str, &str)]) -> Run {
    let start = Instant::now();
    let mut cmd = Command::cargo_bin("gradbook").unwrap();
    cmd.arg("build").arg(book).timeout(Duration::from_secs(60));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Build a case that must fail: exit 1, the message, and `c.md:LINE:COL:`.
fn fails_at(case: &str, location: &str, message: &str) -> Run {
    let (_tmp, book) = book(case);
    let run = build(&book, &[]);
    assert_eq!(run.code, Some(1), "{case}: {}", run.stderr);
    assert!(run.stderr.contains(message), "{case}: {}", run.stderr);
    assert!(
        run.stderr.contains(&format!("c.md:{location}")),
        "{case}: expected c.md:{location} in {}",
        run.stderr
    );
    assert!(!book.join("book").exists(), "{case}: a site was written");
    run
}

#[test]
fn get_env_is_refused_and_the_secret_reaches_no_file() {
    for case in ["tera-get-env", "tera-get-env-page-template"] {
        let (tmp, book) = book(case);
        let run = build(&book, &[("MY_SECRET", "MY_SECRET_VALUE")]);
        assert_eq!(run.code, Some(1), "{case}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("`get_env` is not available in gradbook templates"),
            "{case}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("MY_SECRET_VALUE"));
        for file in files(tmp.path()) {
            let bytes = std::fs::read(&file).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains("MY_SECRET_VALUE"), "{}", file.display());
        }
    }
    fails_at(
        "tera-get-env",
        "3:18:",
        "a book cannot read the environment",
    );
}

#[test]
fn deep_nesting_is_a_located_error_not_an_abort() {
    fails_at(
        "tera-nested-if",
        "4:417:",
        "blocks may nest at most 32 deep",
    );
    fails_at(
        "tera-recursive-macro",
        "3:1:",
        "this macro calls itself more than 16 deep",
    );
    fails_at(
        "math-nested-frac",
        "5:",
        "LaTeX error: braces, `\\left` and `\\begin` nested more than 64 deep",
    );
}

#[test]
fn a_page_template_that_includes_itself_is_refused() {
    let (_tmp, book) = book("tera-page-template-recursion");
    let run = build(&book, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("page.html → page.html")
            && run
                .stderr
                .contains("recursion is not allowed in page templates"),
        "{}",
        run.stderr
    );
}

#[test]
fn deep_markdown_nesting_builds() {
    let (_tmp, book) = book("tera-deep-markdown");
    let run = build(&book, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let page = std::fs::read_to_string(book.join("book/c.html")).unwrap();
    assert!(page.contains("deep quote") && page.contains("item"));
}

#[test]
fn runaway_templates_fail_fast_at_their_line() {
    let cases = [
        ("tera-huge-range", "5:1:", "range: 100000000 items"),
        ("tera-string-doubling", "6:29:", "limit of 2097152 bytes"),
        (
            "tera-replace-explosion",
            "5:1:",
            "replace: the result would be",
        ),
        (
            "tera-nested-loops",
            "6:31:",
            "more than 100000 loop iterations",
        ),
    ];
    for (case, location, message) in cases {
        let run = fails_at(case, location, message);
        assert!(
            run.took < Duration::from_secs(10),
            "{case} took {:?}",
            run.took
        );
    }
}

#[test]
fn include_and_throw_are_located_at_the_chapter_line() {
    fails_at(
        "tera-include",
        "5:9:",
        "`include` is not available in chapters",
    );
    fails_at("tera-throw", "7:16:", "the learning rate must be positive");
}

#[test]
fn an_unconverted_formula_is_located_and_prices_stay_text() {
    fails_at(
        "math-unbalanced-brace",
        "5:11:",
        "formula that was not converted",
    );
    let (_tmp, book) = book("math-currency-is-text");
    let run = build(&book, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let page = std::fs::read_to_string(book.join("book/c.html")).unwrap();
    assert!(page.contains("costs $5 and a day $100"), "{page}");
    assert!(page.contains("$\\alpha is escaped"), "{page}");
}

#[test]
fn serve_rerenders_a_chapter_whose_stem_is_computed() {
    let (_tmp, root) = book("deps-computed-stem");
    let mut session = Session::new(&root, RenderOptions::default());
    let cold = session.update().unwrap();
    assert_eq!(cold.rerendered, ["c.md", "other.md"]);
    let before = session.site().files["c.html"].clone();

    let script = root.join("content/tiny.py");
    let text = std::fs::read_to_string(&script).unwrap();
    std::fs::write(&script, text.replace("[2.0]", "[4.0]")).unwrap();
    let edit = session.update().unwrap();
    assert_eq!(edit.recomputed, ["tiny"]);
    assert_eq!(
        edit.rerendered,
        ["c.md"],
        "the chapter read tiny through figure(of=\"ti\" ~ \"ny\"); other.md read nothing"
    );
    assert_ne!(
        session.site().files["c.html"],
        before,
        "the figure shows the new value"
    );

    // A chapter that reads no result is not re-rendered, one that gains a read is.
    std::fs::write(
        root.join("content/other.md"),
        "# Other\n\n{{ tiny.output }}\n",
    )
    .unwrap();
    let gained = session.update().unwrap();
    assert_eq!(gained.rerendered, ["other.md"]);
    std::fs::write(&script, text.replace("[2.0]", "[5.0]")).unwrap();
    let both = session.update().unwrap();
    assert_eq!(both.rerendered, ["c.md", "other.md"]);
}
