//! `gradbook pdf`: the print page through the system's Chromium. Checked with poppler-utils
//! (`pdfinfo`, `pdftotext`, installed by `scripts/test-deps.sh`): a title page, a table of
//! contents whose page numbers are the pages the chapters really start on, numbered figures,
//! both editions; clear errors without Chromium and for a file gradbook did not write.

mod common;

use assert_cmd::Command;
use common::copy_tree;
use std::path::Path;
use std::process::Command as Process;

fn fixture_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&common::repo().join("tests/fixtures/authoring"), tmp.path());
    tmp
}

fn pdftotext(pdf: &Path, page: Option<usize>) -> String {
    let mut command = Process::new("pdftotext");
    command.arg("-layout");
    if let Some(p) = page {
        command.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = command
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_count(pdf: &Path) -> usize {
    let out = Process::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&out.stdout);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count: {info}"))
}

fn print(book: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("gradbook")
        .unwrap()
        .arg("pdf")
        .arg(book)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn both_editions_print_with_a_title_page_and_a_true_table_of_contents() {
    let book = fixture_copy();
    let out = print(book.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pdf = book.path().join("book.pdf");
    let pages = page_count(&pdf);
    println!("solutions edition: {pages} pages");
    assert!(pages >= 5, "title, contents and three chapters: {pages}");
    let title = pdftotext(&pdf, Some(1));
    assert!(
        title.contains("Authoring fixture") && title.contains("Solutions edition"),
        "{title}"
    );
    let contents = pdftotext(&pdf, Some(2));
    assert!(contents.contains("Contents"), "{contents}");
    // Every entry's page number is the page where that chapter's heading is printed.
    for (entry, heading) in [
        ("Introduction", "Introduction"),
        ("1. Gradients", "Gradients"),
        ("2. Steps", "Steps"),
    ] {
        let line = contents
            .lines()
            .find(|l| l.trim_start().starts_with(entry))
            .unwrap_or_else(|| panic!("{entry} not in the contents:\n{contents}"));
        let number: usize = line
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no page number: {line}"));
        assert!(number > 2 && number <= pages, "{line}");
        let page = pdftotext(&pdf, Some(number));
        assert!(
            page.lines().take(3).any(|l| l.trim() == heading),
            "{entry}: page {number} does not start with it:\n{page}"
        );
        // The running page number is printed at the foot of the page.
        assert!(page.trim_end().ends_with(&number.to_string()), "{page}");
    }
    let all = pdftotext(&pdf, None);
    assert!(all.contains("Figure 1.1"), "figure numbers");
    assert!(
        all.contains("SOLUTION-ONLY-TEXT"),
        "solutions are printed open"
    );

    let out = print(book.path(), &["--edition", "student"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let student = book.path().join("sheet.pdf");
    println!("student edition: {} pages", page_count(&student));
    let all = pdftotext(&student, None);
    assert!(
        all.contains("Student edition") && all.contains("Figure 1.3"),
        "{all}"
    );
    assert!(
        !all.contains("SOLUTION-ONLY-TEXT") && !all.contains("381.078125"),
        "{all}"
    );

    // A second run replaces the PDF it wrote.
    assert!(print(book.path(), &[]).status.success());
}

#[test]
fn refuses_files_it_did_not_write_and_says_what_to_install() {
    let book = fixture_copy();
    let mine = book.path().join("notes.pdf");
    std::fs::write(&mine, "%PDF-1.4 the user's own file").unwrap();
    let out = print(book.path(), &["-o", mine.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not write"));
    assert_eq!(
        std::fs::read(&mine).unwrap(),
        b"%PDF-1.4 the user's own file"
    );

    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("pdf")
        .arg(book.path())
        .env_remove("GRADBOOK_CHROMIUM")
        .env("PATH", book.path().join("no-such-folder"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs Chromium") && err.contains("apt install chromium"),
        "{err}"
    );
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("pdf")
        .arg(book.path())
        .env("GRADBOOK_CHROMIUM", book.path().join("nothing"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GRADBOOK_CHROMIUM="));
    assert!(!book.path().join("book.pdf").exists());
}
