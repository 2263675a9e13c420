//! `gradbook results --json` of the default book, computed cold, against the SHA-256 recorded
//! in `tests/fixtures/results/default-book.sha256`: every sample, statistic and counterexample
//! of the sweeps stays the same to the last bit when the evaluators change. The digest was
//! recorded with the general evaluator (before the sweep's buffer-reusing evaluator, single
//! exponential σ and the results cache) and still holds.
//!
//! A deliberate change of a computation or of `content/` re-records it:
//! `GRADBOOK_WRITE_RESULTS_DIGEST=1 cargo test --test results_digest`.

use assert_cmd::Command;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

#[path = "common/default_book.rs"]
mod default_book;
use default_book::default_book;

#[test]
fn default_book_results_match_the_recorded_digest() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    // A fresh copy, so no results cache is read.
    let (_tmp, root) = default_book();
    let out = Command::cargo_bin("gradbook")
        .expect("the binary")
        .arg("results")
        .arg(&root)
        .arg("--json")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        root.join(".gradbook-cache")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()),
        "the run filled the results cache"
    );
    let digest: String = Sha256::digest(&out.stdout)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let recorded = manifest.join("tests/fixtures/results/default-book.sha256");
    if std::env::var_os("GRADBOOK_WRITE_RESULTS_DIGEST").is_some() {
        fs::write(&recorded, format!("{digest}\n")).expect("writing the digest");
    }
    let expected = fs::read_to_string(&recorded).expect("the recorded digest");
    assert_eq!(
        digest,
        expected.trim(),
        "`gradbook results --json` of the default book changed ({} bytes); if the change is \
         meant, re-record with GRADBOOK_WRITE_RESULTS_DIGEST=1",
        out.stdout.len()
    );
}
