//! Study settings made small, so that tests can build the default book quickly in a debug build.

use std::collections::BTreeMap;

/// The study settings with their work made small enough for a debug build: every sample
/// count, search size, horizon and sweep length replaced by a small one.
pub fn shrink_study(bytes: &[u8]) -> Vec<u8> {
    let small: BTreeMap<&str, &str> = [
        ("samples", "20"),
        ("starts", "2"),
        ("steps", "20"),
        ("horizon", "300"),
        ("alpha-points", "4"),
        ("beta1-points", "4"),
    ]
    .into();
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let key = line.split('=').next().unwrap_or("").trim();
        match small.get(key) {
            Some(value) if line.contains('=') => out.push_str(&format!("{key} = {value}\n")),
            _ => out.push_str(line),
        }
    }
    out.into_bytes()
}
