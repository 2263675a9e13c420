//! Whether an error message carries a location: `file:line:column` or Tera's `--> line:column`.

/// Whether `text` holds `N:M` with both numbers at least 1 (`file:3:7`, ` --> 3:7`).
pub fn has_line_column(text: &str) -> bool {
    let bytes = text.as_bytes();
    (1..bytes.len().saturating_sub(1)).any(|i| {
        if bytes[i] != b':' || !bytes[i - 1].is_ascii_digit() || !bytes[i + 1].is_ascii_digit() {
            return false;
        }
        let before = text[..i].rsplit(|c: char| !c.is_ascii_digit()).next();
        let after = text[i + 1..].split(|c: char| !c.is_ascii_digit()).next();
        let positive =
            |s: Option<&str>| s.and_then(|s| s.parse::<u64>().ok()).is_some_and(|n| n > 0);
        positive(before) && positive(after)
    })
}
