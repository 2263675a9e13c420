//! mdBook's `index` preprocessor: a chapter file named `README.md` (any case) becomes the
//! `index.html` of its folder, in the sidebar and in the site alike.

use crate::site::book::Chapter;
use crate::site::summary::{Entry, Summary};
use std::collections::BTreeMap;

/// The path a chapter takes: `dir/README.md` → `dir/index.md`; other paths are unchanged.
pub fn index_path(path: &str) -> String {
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (Some(dir), name),
        None => (None, path),
    };
    if !name.eq_ignore_ascii_case("README.md") {
        return path.to_string();
    }
    match dir {
        Some(dir) => format!("{dir}/index.md"),
        None => "index.md".to_string(),
    }
}

/// Rename every `README.md` chapter to `index.md`, in the summary, the chapters and the
/// page titles keyed by path.
pub fn rename_readmes(
    summary: &mut Summary,
    chapters: &mut [Chapter],
    titles: &mut BTreeMap<String, String>,
) {
    for entry in &mut summary.entries {
        if let Entry::Chapter(c) = entry
            && let Some(path) = &mut c.path
        {
            *path = index_path(path);
        }
    }
    for chapter in chapters {
        let renamed = index_path(&chapter.path);
        if renamed != chapter.path {
            if let Some(title) = titles.remove(&chapter.path) {
                titles.insert(renamed.clone(), title);
            }
            chapter.path = renamed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readmes_become_index_pages() {
        assert_eq!(index_path("README.md"), "index.md");
        assert_eq!(index_path("guide/readme.md"), "guide/index.md");
        assert_eq!(index_path("guide/READMEs.md"), "guide/READMEs.md");
        assert_eq!(index_path("intro.md"), "intro.md");
    }
}
