//! Internal links and anchors of a generated site: every `href`/`src` that stays inside the
//! site must name one of its files, and every `#fragment` an `id` on the page it points at.

use crate::site::html::{Tag, percent_decode, tags};
use crate::site::output::SiteFiles;
use crate::site::suggest;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

/// A link that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The page it is on (site path).
    pub page: String,
    /// The link as written (decoded).
    pub target: String,
    /// What is wrong with it.
    pub problem: String,
    /// The id of the last `<section>` before it on the page (the print page has one per chapter).
    pub section: Option<String>,
}

/// The result of checking a site's links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkReport {
    /// Internal links and references checked.
    pub checked: usize,
    /// Those that do not resolve, by page then order on the page.
    pub broken: Vec<Broken>,
}

/// Check every internal `href`/`src` of every HTML page of `site`.
pub fn check(site: &SiteFiles) -> LinkReport {
    let pages: BTreeMap<&str, Vec<Tag>> = site
        .files
        .iter()
        .filter(|(path, _)| path.ends_with(".html"))
        .map(|(path, bytes)| (path.as_str(), tags(&String::from_utf8_lossy(bytes))))
        .collect();
    let ids: BTreeMap<&str, BTreeSet<&str>> = pages
        .iter()
        .map(|(path, tags)| {
            let ids = tags
                .iter()
                .filter_map(|t| {
                    t.attr("id")
                        .or_else(|| if t.name == "a" { t.attr("name") } else { None })
                })
                .collect();
            (*path, ids)
        })
        .collect();
    let index = OnceCell::new();
    let mut report = LinkReport::default();
    for (page, tags) in &pages {
        let from_root = tags
            .iter()
            .any(|t| t.name == "base" && t.attr("href").is_some_and(|h| h.starts_with('/')));
        let mut section = None;
        for tag in tags {
            if tag.name == "section" {
                section = tag.attr("id").map(str::to_string);
            }
            let urls = tag
                .attrs
                .iter()
                .filter(|(name, _)| {
                    matches!(name.as_str(), "href" | "src" | "xlink:href") && tag.name != "base"
                })
                .map(|(_, v)| v.as_str());
            for url in urls {
                let Some((target, fragment)) = resolve(page, url, from_root) else {
                    continue;
                };
                report.checked += 1;
                let problem = match target {
                    Err(why) => Some(why),
                    Ok(path) => match find(site, &path) {
                        None => Some(format!(
                            "no file `{path}` in the site{}",
                            meant_file(&index, site, &path)
                                .map(|(near, only_case)| suggest::hint(near, only_case))
                                .unwrap_or_default()
                        )),
                        Some(file) => fragment
                            .filter(|f| !f.is_empty() && file.ends_with(".html"))
                            .and_then(|f| {
                                let known = ids
                                    .get(file.as_str())
                                    .is_some_and(|set| set.contains(f.as_str()));
                                (!known).then(|| format!("no anchor `#{f}` on `{file}`"))
                            }),
                    },
                };
                if let Some(problem) = problem {
                    report.broken.push(Broken {
                        page: page.to_string(),
                        target: url.to_string(),
                        problem,
                        section: section.clone(),
                    });
                }
            }
        }
    }
    report
}

/// The site's files indexed for "did you mean", made when a first link is broken.
struct Index<'s> {
    /// Paths by their lower case.
    by_lower: BTreeMap<String, &'s str>,
    /// `(file name, path)` of each file (in sorted order) by folder (`""` for the site's root).
    by_folder: BTreeMap<&'s str, Vec<(&'s str, &'s str)>>,
}

/// The site file a link to the missing `path` was most likely meant for, and whether it
/// differs only in case (`Plot.svg` where the file is `plot.svg`) rather than by a typo in
/// its name ([`suggest::nearest_name`] among the files of its folder: `intor.html`).
fn meant_file<'s>(
    index: &OnceCell<Index<'s>>,
    site: &'s SiteFiles,
    path: &str,
) -> Option<(&'s str, bool)> {
    let index = index.get_or_init(|| {
        let mut by_lower = BTreeMap::new();
        let mut by_folder: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for file in site.files.keys() {
            by_lower.entry(file.to_lowercase()).or_insert(file.as_str());
            let (folder, name) = file.rsplit_once('/').unwrap_or(("", file));
            by_folder.entry(folder).or_default().push((name, file));
        }
        Index {
            by_lower,
            by_folder,
        }
    });
    if let Some(file) = index.by_lower.get(&path.to_lowercase()) {
        return Some((file, true));
    }
    let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
    let files = index.by_folder.get(folder)?;
    let near = suggest::nearest_name(name, files.iter().map(|(name, _)| *name))?;
    files
        .iter()
        .find(|(name, _)| *name == near)
        .map(|(_, file)| (*file, false))
}

/// The site file a resolved path names: itself, or its `index.html` when it is a folder.
fn find(site: &SiteFiles, path: &str) -> Option<String> {
    let index = if path.is_empty() {
        "index.html".to_string()
    } else {
        format!("{}/index.html", path.trim_end_matches('/'))
    };
    [path.to_string(), index]
        .into_iter()
        .find(|p| !p.ends_with('/') && site.files.contains_key(p))
}

/// Resolve `url` on `page` to (site path or why it leaves the site, fragment); `None` for
/// external links (any scheme, or `//host`).
fn resolve(
    page: &str,
    url: &str,
    from_root: bool,
) -> Option<(Result<String, String>, Option<String>)> {
    let url = url.trim();
    let scheme = url.find(':').is_some_and(|colon| {
        let s = &url[..colon];
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    });
    if scheme || url.starts_with("//") {
        return None;
    }
    let (rest, fragment) = match url.split_once('#') {
        Some((p, f)) => (p, Some(percent_decode(f))),
        None => (url, None),
    };
    let path = percent_decode(rest.split('?').next().unwrap_or(""));
    if path.is_empty() {
        return Some((Ok(page.to_string()), fragment));
    }
    let base: Vec<&str> = if path.starts_with('/') || from_root {
        Vec::new()
    } else {
        page.split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|(_, dir)| dir.to_vec())
            .unwrap_or_default()
    };
    let mut parts: Vec<&str> = base;
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Some((Err("it points outside the site".into()), fragment));
                }
            }
            s => parts.push(s),
        }
    }
    let mut joined = parts.join("/");
    if path.ends_with('/') && !joined.is_empty() {
        joined.push('/');
    }
    Some((Ok(joined), fragment))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(files: &[(&str, &str)]) -> SiteFiles {
        let mut s = SiteFiles::default();
        for (p, c) in files {
            s.add(*p, *c);
        }
        s
    }

    #[test]
    fn a_file_linked_in_another_case_or_with_a_typo_is_suggested() {
        let s = site(&[
            (
                "a/index.html",
                "<img src=\"Plot.SVG\"><a href=\"../Intro.html\"></a><a href=\"gone.html\"></a><a href=\"../intor.html\"></a>",
            ),
            ("a/plot.svg", "<svg/>"),
            ("intro.html", ""),
        ]);
        let problems: Vec<String> = check(&s).broken.into_iter().map(|b| b.problem).collect();
        assert_eq!(
            problems,
            [
                "no file `a/Plot.SVG` in the site (file names are case-sensitive): did you mean `a/plot.svg`?",
                "no file `Intro.html` in the site (file names are case-sensitive): did you mean `intro.html`?",
                "no file `a/gone.html` in the site",
                "no file `intor.html` in the site: did you mean `intro.html`?",
            ]
        );
    }

    #[test]
    fn finds_missing_files_and_anchors() {
        let s = site(&[
            (
                "index.html",
                "<a href=\"a/b.html#top\">x</a><a href=\"https://e.org/nope\"></a><a href=\"#here\"></a><p id=\"here\"></p>",
            ),
            (
                "a/b.html",
                "<h1 id=\"top\"></h1><a href=\"../index.html#gone\"></a><img src=\"../img/x.png\"><a href=\"../../up.html\"></a><a href=\"./\"></a>",
            ),
            ("a/index.html", "<link href=\"..&#x2F;index.html\">"),
        ]);
        let r = check(&s);
        assert_eq!(r.checked, 7);
        let problems: Vec<(&str, &str)> = r
            .broken
            .iter()
            .map(|b| (b.page.as_str(), b.problem.as_str()))
            .collect();
        assert_eq!(
            problems,
            vec![
                ("a/b.html", "no anchor `#gone` on `index.html`"),
                ("a/b.html", "no file `img/x.png` in the site"),
                ("a/b.html", "it points outside the site"),
            ]
        );
    }

    #[test]
    fn base_tag_resolves_from_the_root() {
        let s = site(&[
            ("404.html", "<base href=\"/\"><a href=\"index.html\"></a>"),
            ("index.html", ""),
        ]);
        assert_eq!(check(&s).broken, vec![]);
    }
}
