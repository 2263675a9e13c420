//! Helpers shared by the integration tests: copying a book, building it with the binary.
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The repository root (where the default book is).
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copy a folder recursively.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the repository's own book (book.toml + content/) in a temporary folder.
pub fn copy_of_default_book() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("book.toml"), tmp.path().join("book.toml")).unwrap();
    copy_tree(&repo().join("content"), &tmp.path().join("content"));
    tmp
}

/// Build `book` into `dest` with the gradbook binary, asserting success.
pub fn build_into(book: &Path, dest: &Path) {
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("build")
        .arg(book)
        .arg("-d")
        .arg(dest)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("Built "), "no build summary: {stdout}");
}

/// Build `book` into a fresh temporary folder: (the folder's guard, the site's path).
pub fn build(book: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("site");
    build_into(book, &dest);
    (tmp, dest)
}
