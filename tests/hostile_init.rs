//! `gradbook init` writes only new files: a dangling symlink where a starter file goes is not
//! followed (it would write outside the book), and an existing file is never replaced.

use assert_cmd::Command;

#[cfg(unix)]
#[test]
fn init_does_not_follow_a_dangling_link() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    let outside = tmp.path().join("outside.md");
    std::fs::create_dir_all(book.join("content")).unwrap();
    std::os::unix::fs::symlink(&outside, book.join("content/intro.md")).unwrap();
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("init")
        .arg(&book)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("intro.md already exists"), "{stderr}");
    assert!(!outside.exists(), "init wrote through the link");
    assert!(
        !book.join("book.toml").exists(),
        "init wrote part of the book"
    );
}
