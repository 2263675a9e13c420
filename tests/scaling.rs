//! The site grows linearly with the book: a page carries a constant-size sidebar (the table of
//! contents is written once, to `toc.js` and `toc.html`), so the bytes written per chapter are
//! the same for 200 and 2,000 generated chapters, within 10 %. The built-in assets (fonts, CSS,
//! scripts), the same for every book, are not counted.

#[path = "../benches/common/synthetic.rs"]
mod synthetic;

use gradbook::site::assets::STATIC;
use std::path::Path;

/// Bytes of every file under `dir` except the built-in assets, and the number of files.
fn site_bytes(site: &Path, dir: &Path) -> (u64, usize) {
    let mut total = (0, 0);
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            let (bytes, files) = site_bytes(site, &path);
            total.0 += bytes;
            total.1 += files;
            continue;
        }
        let rel = path
            .strip_prefix(site)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if !STATIC.iter().any(|(p, _)| *p == rel) {
            total.0 += entry.metadata().unwrap().len();
            total.1 += 1;
        }
    }
    total
}

/// (bytes per chapter, files) of the site of a generated book of `chapters` chapters.
fn per_chapter(chapters: usize) -> (f64, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("book");
    synthetic::write_book(&root, chapters, true).unwrap();
    let site = tmp.path().join("site");
    gradbook::site::build::build(&root, Some(&site))
        .unwrap_or_else(|e| panic!("the generated book builds: {e:#}"));
    let (bytes, files) = site_bytes(&site, &site);
    (bytes as f64 / chapters as f64, files)
}

#[test]
fn output_bytes_per_chapter_do_not_grow_with_the_book() {
    let (small, small_files) = per_chapter(200);
    let (large, large_files) = per_chapter(2_000);
    // One page per chapter, plus index, print, 404, toc pages and toc/search data.
    assert_eq!(large_files - small_files, 1_800, "one page per chapter");
    let ratio = large / small;
    eprintln!("bytes per chapter: {small:.0} (200 chapters), {large:.0} (2,000), ratio {ratio:.3}");
    assert!(
        (0.9..=1.1).contains(&ratio),
        "bytes per chapter: {small:.0} with 200 chapters, {large:.0} with 2,000 (ratio {ratio:.3})"
    );
}
