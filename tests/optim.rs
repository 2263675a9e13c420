//! Integration tests of the Q2 optimizer study (issue 4): the shipped `content/bump.toml`,
//! independent recurrences, thresholds, verdicts, invalid files and plots.

use gradbook::compute::optim::{self, StudyResult};

fn seed() -> StudyResult {
    let source = std::fs::read_to_string("content/bump.toml").unwrap();
    optim::run(&source).unwrap()
}

#[test]
fn dump() {
    let r = seed();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
