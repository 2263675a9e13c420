//! A fresh copy of the default book (book.toml and the files of content/) in a temporary
//! folder, so a test reads no results cache and writes nothing into the repository.

use std::fs;
use std::path::{Path, PathBuf};

/// The temporary folder (kept alive by the caller) and the copied book's root inside it.
pub fn default_book() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let root = tmp.path().join("book");
    let src = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::create_dir_all(root.join("content")).expect("mkdir");
    fs::copy(src.join("book.toml"), root.join("book.toml")).expect("book.toml");
    for entry in fs::read_dir(src.join("content")).expect("content/") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            fs::copy(
                &path,
                root.join("content").join(path.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    (tmp, root)
}
