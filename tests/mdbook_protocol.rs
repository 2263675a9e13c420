//! mdBook's preprocessor protocol both ways, against a real `mdbook` 0.5.4:
//! - gradbook inside mdBook: an mdBook book with `[preprocessor.gradbook]` gets computed
//!   numbers, figures, `autograd` fences and MathML from `mdbook build`;
//! - mdBook's preprocessors inside gradbook: the same third-party preprocessor (a small
//!   Python program written to mdBook's protocol) gives the same chapter text under
//!   `mdbook build` and `gradbook build`, in the same order; its failures are located errors.
//!
//! Needs `mdbook` 0.5.4 on PATH (or `GRADBOOK_MDBOOK`) and `python3`: `scripts/test-deps.sh`
//! installs mdbook. Without them these tests fail; they never skip.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `mdbook` binary, checked to be 0.5.4.
fn mdbook() -> PathBuf {
    let bin = std::env::var_os("GRADBOOK_MDBOOK").map_or_else(
        || {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            let cargo = home.join(".cargo/bin/mdbook");
            if cargo.is_file() {
                cargo
            } else {
                PathBuf::from("mdbook")
            }
        },
        PathBuf::from,
    );
    let version = Process::new(&bin).arg("--version").output();
    match version {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("0.5.4") => bin,
        _ => panic!(
            "mdbook 0.5.4 is needed ({}): run `scripts/test-deps.sh`",
            bin.display()
        ),
    }
}

fn gradbook() -> PathBuf {
    assert_cmd::cargo::cargo_bin("gradbook")
}

/// Copy `from` into `to` (files and folders).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of `<main>` of a page, without tags.
fn main_text(page: &str) -> String {
    let start = page.find("<main").expect("<main>");
    let end = page.find("</main>").expect("</main>");
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn gradbook_runs_inside_mdbook() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    write(
        &book.join("book.toml"),
        &format!(
            "[book]\ntitle = \"Squares\"\n\n[preprocessor.gradbook]\ncommand = \"'{}' mdbook\"\ndigits = 4\n",
            gradbook().display()
        ),
    );
    write(
        &book.join("src/SUMMARY.md"),
        "# Summary\n\n- [Square](square.md)\n",
    );
    write(
        &book.join("src/sq.py"),
        "import torch\nx = torch.tensor([3.0], requires_grad=True)\ny = x * x / 7\ny.backward()\n",
    );
    write(
        &book.join("src/square.md"),
        "# Square\n\nThe output is {{ sq.output | num }} and $x^2$ is squared.\n\n{{ figure(of=\"sq\", kind=\"backward-graph\", caption=\"The graph of sq.py.\") }}\n\n```autograd\nimport torch\nw = torch.tensor([0.5], requires_grad=True)\nv = torch.sin(w) * w\n```\n\nText after the fence.\n",
    );
    let out = Process::new(mdbook())
        .arg("build")
        .current_dir(&book)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mdbook build failed:\n{stderr}");
    let page = read(&book.join("book/square.html"));
    // 9 / 7 to the book's 4 significant digits.
    assert!(
        main_text(&page).contains("The output is 1.286 and"),
        "{}",
        main_text(&page)
    );
    assert!(
        page.contains("<msup><mi>x</mi><mn>2</mn></msup></math>"),
        "{page}"
    );
    assert_eq!(
        page.matches("<figure class=\"gb-figure").count(),
        2,
        "{page}"
    );
    assert!(page.contains("<svg"), "figures are inline SVG");
    assert!(
        page.contains("SinBackward"),
        "the autograd fence's graph: {page}"
    );
    assert!(page.contains("<p>Text after the fence.</p>"), "{page}");
    assert!(!page.contains("{{") && !page.contains("```"), "{page}");
}

#[test]
fn gradbook_in_mdbook_reports_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    write(
        &book.join("book.toml"),
        &format!(
            "[book]\ntitle = \"Bad\"\n\n[preprocessor.gradbook]\ncommand = \"'{}' mdbook\"\n",
            gradbook().display()
        ),
    );
    write(
        &book.join("src/SUMMARY.md"),
        "# Summary\n\n- [Bad](bad.md)\n",
    );
    write(
        &book.join("src/bad.md"),
        "# Bad\n\nfine\n\n{{ nosuch.value }}\n",
    );
    let out = Process::new(mdbook())
        .arg("build")
        .current_dir(&book)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("src/bad.md:5:"), "{stderr}");
    assert!(stderr.contains("nosuch"), "{stderr}");
}

#[test]
fn supports_answers_by_exit_code() {
    Command::new(gradbook())
        .args(["mdbook", "supports", "html"])
        .assert()
        .code(0);
    Command::new(gradbook())
        .args(["mdbook", "supports", "epub"])
        .assert()
        .code(1);
}

/// The preprocessor fixture book, with `tables` as its preprocessor settings.
fn shout_book(dir: &Path, tables: &str) -> PathBuf {
    let book = dir.join("book");
    copy_dir(&repo().join("tests/fixtures/mdbook/preprocessor"), &book);
    write(
        &book.join("book.toml"),
        &format!("[book]\ntitle = \"Shouting\"\nsrc = \"src\"\n\n{tables}"),
    );
    book
}

/// Build `book` with mdBook into `dir/by-mdbook` and with gradbook into `dir/by-gradbook`.
fn build_both(book: &Path, dir: &Path) {
    let out = Process::new(mdbook())
        .args(["build", "-d"])
        .arg(dir.join("by-mdbook"))
        .current_dir(book)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Command::new(gradbook())
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(dir.join("by-gradbook"))
        .assert()
        .success();
}

const TWO: &str = "[preprocessor.alpha]\ncommand = \"python3 shout.py alpha\"\n\n[preprocessor.zeta]\ncommand = \"python3 shout.py zeta\"\nbefore = [\"alpha\"]\n";

#[test]
fn mdbook_preprocessors_run_in_gradbook_as_in_mdbook() {
    let dir = tempfile::tempdir().unwrap();
    let book = shout_book(dir.path(), TWO);
    build_both(&book, dir.path());
    for page in ["one.html", "two.html"] {
        let theirs = main_text(&read(&dir.path().join("by-mdbook").join(page)));
        let ours = main_text(&read(&dir.path().join("by-gradbook").join(page)));
        assert!(
            theirs.contains("SHOUTED for html by mdBook 0.5.4, title Shouting"),
            "{theirs}"
        );
        // zeta runs before alpha (`before = ["alpha"]`), in both.
        let at = |who: &str| theirs.find(&format!("ran: {who}")).expect(who);
        assert!(at("zeta") < at("alpha"), "{theirs}");
        let shouted = |t: &str| t[t.find("SHOUTED").unwrap()..].to_string();
        assert_eq!(shouted(&ours), shouted(&theirs), "{page}");
    }
    let two = main_text(&read(&dir.path().join("by-gradbook/two.html")));
    assert!(two.contains("depth 1, parents One"), "{two}");
}

/// A preprocessor ordered before mdBook's built-in `links` sees `{{#include}}` unexpanded, one
/// ordered after it sees the included text, in gradbook as in mdBook.
#[test]
fn preprocessors_ordered_around_links_see_what_mdbook_shows_them() {
    let dir = tempfile::tempdir().unwrap();
    let tables = "[preprocessor.early]\ncommand = \"python3 shout.py early\"\nbefore = [\"links\"]\n\n[preprocessor.late]\ncommand = \"python3 shout.py late\"\nafter = [\"links\"]\n";
    let book = shout_book(dir.path(), tables);
    build_both(&book, dir.path());
    let theirs = main_text(&read(&dir.path().join("by-mdbook/one.html")));
    let ours = main_text(&read(&dir.path().join("by-gradbook/one.html")));
    for text in [&theirs, &ours] {
        assert!(
            text.contains("ran: early (saw 1 include directives)"),
            "{text}"
        );
        assert!(
            text.contains("ran: late (saw 0 include directives)"),
            "{text}"
        );
        assert!(text.contains("Included snippet text."), "{text}");
    }
    let shouted = |t: &str| t[t.find("SHOUTED").unwrap()..].to_string();
    assert_eq!(shouted(&ours), shouted(&theirs));
}

/// Build with gradbook and expect exit 1 with `wanted` in stderr, located at `line` of
/// book.toml, with the site built before left as it was.
fn fails(tables: &str, line: usize, wanted: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let book = shout_book(dir.path(), "");
    let site = dir.path().join("site");
    Command::new(gradbook())
        .arg("build")
        .arg(&book)
        .arg("-d")
        .arg(&site)
        .assert()
        .success();
    let before = read(&site.join("one.html"));
    write(
        &book.join("book.toml"),
        &format!("[book]\ntitle = \"Shouting\"\nsrc = \"src\"\n\n{tables}"),
    );
    let out = Command::new(gradbook())
        .arg("build")
        .arg(&book)
        .arg("-d")
        .arg(&site)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("book.toml:{line}:")), "{stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} not in {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        read(&site.join("one.html")),
        before,
        "the previous site is kept"
    );
}

#[test]
fn a_failing_preprocessor_is_a_located_error() {
    fails(
        "[preprocessor.ok]\ncommand = \"python3 shout.py ok\"\n\n[preprocessor.broken]\ncommand = \"python3 shout.py fail\"\n",
        8,
        &[
            "preprocessor `broken`",
            "failed with exit status: 2",
            "on purpose",
        ],
    );
}

#[test]
fn a_preprocessor_printing_no_json_is_a_located_error() {
    fails(
        "[preprocessor.garbled]\ncommand = \"python3 shout.py garbage\"\n",
        5,
        &["preprocessor `garbled`", "not mdBook's book JSON"],
    );
}

#[test]
fn a_missing_preprocessor_is_an_error_unless_optional() {
    fails(
        "[preprocessor.absent]\ncommand = \"gradbook-no-such-program-here\"\n",
        5,
        &[
            "`gradbook-no-such-program-here` was not found",
            "optional = true",
        ],
    );
    fails(
        "[preprocessor.a]\nbefore = [\"b\"]\n\n[preprocessor.b]\nbefore = [\"a\"]\n",
        5,
        &["cycle"],
    );
    let dir = tempfile::tempdir().unwrap();
    let book = shout_book(
        dir.path(),
        "[preprocessor.absent]\ncommand = \"gradbook-no-such-program-here\"\noptional = true\n",
    );
    let out = Command::new(gradbook())
        .arg("build")
        .arg(&book)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("optional preprocessor `absent`"),
        "{stderr}"
    );
}
