//! Build script: `GRADBOOK_COMPUTE_DIGEST`, a digest of everything a computation's outcome is
//! made of (the computation sources, the formatter and diagnostics they use, the locked
//! dependency versions), which the results cache puts into every key; and
//! `GRADBOOK_HIGHLIGHT_DIGEST`, the same for a highlighted code block (the highlighter, its
//! syntaxes, hidden lines, escaping, syntect's version and regex engine, both in `Cargo.lock`), for
//! the highlight cache.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    digest(
        "GRADBOOK_COMPUTE_DIGEST",
        &["src/compute", "src/format.rs", "src/diag.rs", "Cargo.lock"],
    );
    digest(
        "GRADBOOK_HIGHLIGHT_DIGEST",
        &[
            "src/site/highlight.rs",
            "src/site/highlight",
            "src/site/mdbook/hidelines.rs",
            "src/markup.rs",
            "Cargo.lock",
        ],
    );
}

/// Set the environment variable `name` to a digest of the files under `inputs`.
fn digest(name: &str, inputs: &[&str]) {
    let mut files = Vec::new();
    for input in inputs {
        println!("cargo:rerun-if-changed={input}");
        collect(Path::new(input), &mut files);
    }
    files.sort();
    let mut hash = DefaultHasher::new();
    for file in &files {
        hash.write(file.to_string_lossy().as_bytes());
        hash.write_u8(0);
        hash.write(&std::fs::read(file).unwrap_or_default());
        hash.write_u8(0);
    }
    println!("cargo:rustc-env={name}={:016x}", hash.finish());
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                collect(&entry.path(), out);
            }
        }
        Err(_) if path.is_file() => out.push(path.to_path_buf()),
        Err(_) => {}
    }
}
