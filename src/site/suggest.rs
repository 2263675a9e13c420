//! "Did you mean": the existing file name a missing one was most likely meant to be, for a
//! chapter listed in SUMMARY.md, a file included with `{{#include}}` or a link whose file is
//! not there.

use std::path::Path;

/// Most edits (insert, delete, change or swap two neighbouring characters) between a missing
/// file name and the one suggested for it: none for a stem of up to 3 characters, one up to
/// 7, two from 8 (`intro` → `intor`, `chapter_1` → `chapter-01`), so that short names are not
/// matched to unrelated ones.
fn max_edits(stem: &str) -> usize {
    match stem.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// `(stem, extension)` of a file name (`a.b.md` → `("a.b", "md")`; no extension → `""`).
fn split_extension(name: &str) -> (&str, &str) {
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, extension),
        _ => (name, ""),
    }
}

/// The name among `names` nearest to `wanted` by Damerau–Levenshtein distance on their stems
/// (compared in lower case), with the same extension and at most one edit away for a stem of
/// 4–7 characters, two from 8 (none for shorter stems); ties go to the first name in sorted
/// order. `wanted` itself is never suggested.
pub fn nearest_name<'a>(wanted: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let (stem, extension) = split_extension(wanted);
    let limit = max_edits(stem);
    if limit == 0 {
        return None;
    }
    let stem = stem.to_lowercase();
    let length = stem.chars().count();
    let mut best: Option<(usize, &str)> = None;
    for name in names {
        let (other, other_extension) = split_extension(name);
        if name == wanted
            || other_extension != extension
            || other.chars().count().abs_diff(length) > limit
        {
            continue;
        }
        let distance = strsim::damerau_levenshtein(&stem, &other.to_lowercase());
        let better = match best {
            None => true,
            Some((d, n)) => distance < d || (distance == d && name < n),
        };
        if distance <= limit && better {
            best = Some((distance, name));
        }
    }
    best.map(|(_, name)| name)
}

/// The name of the file in `folder` that `wanted`, missing there, was most likely meant to be,
/// and whether it differs only in case (`Intro.md` for `intro.md`) rather than by a typo
/// ([`nearest_name`]). The caller checks that `folder` may be listed.
pub fn meant_name(folder: &Path, wanted: &str) -> Option<(String, bool)> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    let lower = wanted.to_lowercase();
    if let Some(name) = names.iter().find(|name| name.to_lowercase() == lower) {
        return Some((name.clone(), true));
    }
    let name = nearest_name(wanted, names.iter().map(String::as_str))?;
    Some((name.to_string(), false))
}

/// The end of a "missing file" message that suggests `near`: ` (file names are
/// case-sensitive): did you mean `near`?` when only the case differs, `: did you mean `near`?`
/// otherwise.
pub fn hint(near: impl std::fmt::Display, only_case: bool) -> String {
    let case = if only_case {
        " (file names are case-sensitive)"
    } else {
        ""
    };
    format!("{case}: did you mean `{near}`?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_within_the_limit_are_suggested() {
        let names = ["intro.md", "chapter-01.md", "chapter-02.md", "notes.txt"];
        assert_eq!(nearest_name("intor.md", names), Some("intro.md"));
        assert_eq!(nearest_name("chapter_1.md", names), Some("chapter-01.md"));
        assert_eq!(nearest_name("Chapter-02.md", names), Some("chapter-02.md"));
        // Three edits, a different extension, or a stem too short to guess from.
        assert_eq!(nearest_name("chap-1.md", names), None);
        assert_eq!(nearest_name("notes.md", names), None);
        assert_eq!(nearest_name("a.md", ["b.md"]), None);
        assert_eq!(
            nearest_name("intro.md", names),
            None,
            "itself is not a suggestion"
        );
    }

    #[test]
    fn ties_go_to_the_first_name_in_sorted_order() {
        assert_eq!(
            nearest_name("part-3.md", ["part-4.md", "part-2.md"]),
            Some("part-2.md")
        );
        assert_eq!(split_extension(".hidden"), (".hidden", ""));
        assert_eq!(split_extension("a.b.md"), ("a.b", "md"));
    }
}
