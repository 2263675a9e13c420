//! `gradbook results [BOOK_DIR] --json`: every computation's result keyed by file stem.

use crate::site::book::Book;
use crate::site::build::run_computations;
use std::path::Path;
use std::process::ExitCode;

/// Run every computation and print `{ "<stem>": <result> }`.
pub fn run(book_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let book = Book::load(book_dir)?;
    let outcomes = run_computations(&book)?;
    let map: serde_json::Map<String, serde_json::Value> = outcomes
        .iter()
        .map(|(stem, o)| (stem.clone(), o.to_json()))
        .collect();
    let value = serde_json::Value::Object(map);
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for (stem, o) in &outcomes {
            let kind = match o {
                crate::compute::Outcome::Autograd(_) => "autograd script",
                crate::compute::Outcome::Network(_) => "network study",
                crate::compute::Outcome::Optimizer(_) => "optimizer study",
            };
            println!("{stem}: {kind} (use --json for the numbers)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
