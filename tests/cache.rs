//! The results cache: what each kind of edit invalidates, entries that are corrupt, foreign or
//! from another build, a cache folder that is a symbolic link, and outcomes from the cache
//! identical to computed ones.

use assert_cmd::Command;
use gradbook::compute::Outcome;
use gradbook::site::book::Book;
use gradbook::site::build::run_computations_with;
use gradbook::site::cache::{Cache, DIR_NAME};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "common/default_book.rs"]
mod default_book;
use default_book::default_book;

/// The book's outcomes (as Debug text, which shows every field and every bit of every
/// number) and how many came from `cache`.
fn outcomes(root: &Path, cache: &Cache) -> (BTreeMap<String, String>, usize) {
    let before = cache.hits();
    let book = Book::load(root).expect("the book loads");
    let map: BTreeMap<String, Outcome> = run_computations_with(&book, cache).expect("computes");
    let text = map
        .into_iter()
        .map(|(stem, o)| (stem, format!("{o:?}")))
        .collect();
    (text, cache.hits() - before)
}

fn entries(root: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(root.join(DIR_NAME))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn append(path: &Path, text: &str) {
    let mut s = fs::read_to_string(path).expect("read");
    s.push_str(text);
    fs::write(path, s).expect("write");
}

#[test]
fn edits_invalidate_exactly_what_depends_on_them() {
    let (_tmp, root) = default_book();
    let (cold, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 0, "a fresh book has no cache");
    // The two studies are cached; the autograd script is cheap and always recomputed.
    assert_eq!(entries(&root).len(), 2);

    let (warm, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 2);
    assert_eq!(warm, cold, "outcomes from the cache equal computed ones");

    // A prose edit and a template edit touch no computation.
    append(&root.join("content/q2-bump.md"), "\nOne more sentence.\n");
    fs::create_dir_all(root.join("templates")).expect("mkdir");
    fs::write(
        root.join("templates/print.html"),
        "{{ page.content | safe }}",
    )
    .expect("write");
    assert_eq!(outcomes(&root, &Cache::for_book(&root)).1, 2);

    // An edit to the script changes its result and no study's.
    let script = root.join("content/comp_tree.py");
    let text = fs::read_to_string(&script).expect("read");
    let edited = text.replacen("2.0", "3.0", 1);
    assert_ne!(text, edited, "the script has a 2.0 to change");
    fs::write(&script, edited).expect("write");
    let (after_script, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 2);
    assert_ne!(after_script["comp_tree"], cold["comp_tree"]);
    assert_eq!(after_script["networks"], cold["networks"]);

    // A settings edit invalidates that study only, and its new result is computed.
    let study = root.join("content/networks.toml");
    let text = fs::read_to_string(&study).expect("read");
    fs::write(&study, text.replace("seed = 2026", "seed = 2027")).expect("write");
    let (after_settings, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 1, "bump.toml still comes from the cache");
    assert_ne!(after_settings["networks"], cold["networks"]);
    assert_eq!(after_settings["bump"], cold["bump"]);
    assert_eq!(entries(&root).len(), 3);

    // Undoing the edit finds the first entry again.
    fs::write(&study, text).expect("write");
    let (undone, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 2);
    assert_eq!(undone["networks"], cold["networks"]);

    // Another gradbook build invalidates everything.
    let other = Cache::for_book(&root).with_version("0.0.0+another-build");
    let (rebuilt, hits) = outcomes(&root, &other);
    assert_eq!(hits, 0);
    assert_eq!(rebuilt["networks"], cold["networks"]);
    assert_eq!(outcomes(&root, &other).1, 2);
}

#[test]
fn corrupt_and_foreign_entries_are_ignored() {
    let (_tmp, root) = default_book();
    let (cold, _) = outcomes(&root, &Cache::for_book(&root));
    let files = entries(&root);
    assert_eq!(files.len(), 2);
    let originals: Vec<Vec<u8>> = files.iter().map(|f| fs::read(f).expect("read")).collect();

    // A flipped byte in the payload, and a truncated file.
    let mut flipped = originals[0].clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    fs::write(&files[0], &flipped).expect("write");
    fs::write(&files[1], &originals[1][..originals[1].len() - 5]).expect("write");
    let (again, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 0, "corrupt entries are misses");
    assert_eq!(again, cold);
    // Both were rewritten as sound entries.
    for (f, original) in files.iter().zip(&originals) {
        assert_eq!(&fs::read(f).expect("read"), original);
    }
    assert_eq!(outcomes(&root, &Cache::for_book(&root)).1, 2);

    // Random bytes, an empty file, and a file that is not ours: misses; the one that is not
    // ours is left as it was.
    fs::write(&files[0], b"gradbook-cache1\n\xff\xff\xff").expect("write");
    fs::write(&files[1], b"my own notes").expect("write");
    let (again, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 0);
    assert_eq!(again, cold);
    assert_eq!(fs::read(&files[1]).expect("read"), b"my own notes");
    assert_eq!(&fs::read(&files[0]).expect("read"), &originals[0]);

    fs::write(&files[0], b"").expect("write");
    assert_eq!(outcomes(&root, &Cache::for_book(&root)).0, cold);
}

#[test]
fn an_entry_under_another_key_is_not_taken() {
    // A sound entry copied to another study's name must not stand in for that study.
    let (_tmp, root) = default_book();
    let (cold, _) = outcomes(&root, &Cache::for_book(&root));
    let files = entries(&root);
    let first = fs::read(&files[0]).expect("read");
    fs::write(&files[1], &first).expect("write");
    let (again, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 1);
    assert_eq!(again, cold);
}

#[cfg(unix)]
#[test]
fn a_cache_folder_that_is_a_link_is_not_used() {
    let (tmp, root) = default_book();
    let elsewhere = tmp.path().join("elsewhere");
    fs::create_dir(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, root.join(DIR_NAME)).expect("symlink");
    let (cold, _) = outcomes(&root, &Cache::for_book(&root));
    let (_, hits) = outcomes(&root, &Cache::for_book(&root));
    assert_eq!(hits, 0);
    assert!(!cold.is_empty());
    assert_eq!(fs::read_dir(&elsewhere).expect("read").count(), 0);
}

#[test]
fn build_check_and_results_share_the_cache() {
    let (tmp, root) = default_book();
    let dest = tmp.path().join("site");
    let out = Command::cargo_bin("gradbook")
        .expect("the binary")
        .arg("results")
        .arg(&root)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let cold_json = out.stdout;
    assert_eq!(entries(&root).len(), 2);

    let out = Command::cargo_bin("gradbook")
        .expect("the binary")
        .arg("build")
        .arg(&root)
        .arg("-d")
        .arg(&dest)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    // The default book's two studies come from the cache; its two scripts are run (cheap).
    assert!(line.contains("4 computations (2 from the cache)"), "{line}");
    assert!(!dest.join(DIR_NAME).exists(), "the site holds no cache");

    let out = Command::cargo_bin("gradbook")
        .expect("the binary")
        .arg("check")
        .arg(&root)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Command::cargo_bin("gradbook")
        .expect("the binary")
        .arg("results")
        .arg(&root)
        .arg("--json")
        .output()
        .expect("runs");
    assert_eq!(
        out.stdout, cold_json,
        "results from the cache print the same JSON"
    );
}
