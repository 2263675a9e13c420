//! `[output.html.redirect]`: each old site path gets a small page that sends the reader to its
//! new URL (relative to the old page, or absolute), as mdBook's redirect pages do: an
//! immediate `<meta http-equiv="refresh">`, a canonical link, a plain link, and a script that
//! carries the `#fragment` along (mapped through `"old.html#a" = "new.html#b"` entries).
//!
//! The URLs come from book.toml: they are checked like every URL key (no `javascript:`) and
//! only ever printed escaped; the fragment map is an attribute the shared script reads, so the
//! page holds no inline script.

use crate::markup::escape;
use crate::site::book::joined_path;
use std::collections::BTreeMap;

/// The script every redirect page loads (shipped as `js/redirect.js`).
pub const SCRIPT_PATH: &str = "js/redirect.js";

/// One redirect page to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Its path in the site (no leading `/`).
    pub path: String,
    /// Its HTML.
    pub html: String,
}

/// The redirect pages for `redirects` (old path, possibly with `#fragment` → new URL). A
/// redirect from a page the site already has (`exists`), or one whose old page is given only
/// with fragments, is an error as in mdBook; so is a URL with a script scheme. An old path names
/// the page mdBook writes at the site's folder joined with it (`"./vec.html"`, as the
/// Rustonomicon writes its keys, is `vec.html`; see [`joined_path`]).
pub fn pages(
    redirects: &BTreeMap<String, String>,
    exists: impl Fn(&str) -> bool,
) -> Result<Vec<Page>, String> {
    let mut combined: BTreeMap<String, (Option<&str>, BTreeMap<String, &str>)> = BTreeMap::new();
    for (old, new) in redirects {
        crate::markup::check_url(new)
            .map_err(|why| format!("output.html.redirect.\"{old}\": {why}"))?;
        match old.rsplit_once('#') {
            Some((page, fragment)) => {
                combined
                    .entry(joined_path(page))
                    .or_default()
                    .1
                    .insert(format!("#{fragment}"), new);
            }
            None => {
                combined.entry(joined_path(old)).or_default().0 = Some(new);
            }
        }
    }
    let mut out = Vec::new();
    for (path, (target, fragments)) in combined {
        if path.is_empty() || path.split('/').any(|p| p == "..") {
            return Err(format!(
                "output.html.redirect: `{path}` is not a page path inside the site"
            ));
        }
        if exists(&path) {
            if target.is_some() {
                return Err(format!(
                    "output.html.redirect: `/{path}` is a page of the book; delete the redirect or the chapter"
                ));
            }
            continue;
        }
        let Some(target) = target else {
            return Err(format!(
                "output.html.redirect: `/{path}` has only `#fragment` entries; add an entry without a fragment for the page itself"
            ));
        };
        out.push(Page {
            html: page(&path, target, &fragments),
            path,
        });
    }
    Ok(out)
}

/// The fragment map of a page the book has (site path `path`): its `"/path#old" = URL`
/// redirects as `{"#old": URL}` JSON, which `js/redirect.js` follows when the page is opened
/// at that fragment (mdBook's in-page fragment mapper); `None` when there are none. URLs with
/// a script scheme are refused by [`pages`], which every build runs.
pub fn fragment_map(path: &str, redirects: &BTreeMap<String, String>) -> Option<String> {
    let path = joined_path(path);
    let map: BTreeMap<String, &str> = redirects
        .iter()
        .filter_map(|(old, new)| {
            let (page, fragment) = old.rsplit_once('#')?;
            (joined_path(page) == path).then(|| (format!("#{fragment}"), new.as_str()))
        })
        .collect();
    (!map.is_empty()).then(|| serde_json::to_string(&map).unwrap_or_else(|_| "{}".into()))
}

/// Whether any redirect names a fragment of a page, so some page needs `js/redirect.js`.
pub fn has_fragments(redirects: &BTreeMap<String, String>) -> bool {
    redirects.keys().any(|old| old.contains('#'))
}

/// The HTML of one redirect page.
fn page(path: &str, target: &str, fragments: &BTreeMap<String, &str>) -> String {
    let root = "../".repeat(path.matches('/').count());
    let map = serde_json::to_string(fragments).unwrap_or_else(|_| "{}".into());
    let url = escape(target);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\" data-redirect=\"{url}\" data-fragment-map=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Redirecting...</title>\n<meta http-equiv=\"refresh\" content=\"0; URL={url}\">\n<link rel=\"canonical\" href=\"{url}\">\n<script src=\"{root}{SCRIPT_PATH}\"></script>\n</head>\n<body>\n<p>Redirecting to... <a href=\"{url}\">{url}</a>.</p>\n</body>\n</html>\n",
        escape(&map)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn each_old_page_gets_one_escaped_redirect() {
        let redirects = map(&[
            ("/format/config.html", "configuration/index.html"),
            ("/format/config.html#old", "configuration/a.html#new"),
            ("/x.html", "https://example.org/?a=1&b=\"2\""),
        ]);
        let pages = pages(&redirects, |_| false).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].path, "format/config.html");
        assert!(pages[0].html.contains("URL=configuration/index.html"));
        assert!(pages[0].html.contains("src=\"../js/redirect.js\""));
        assert!(
            pages[0]
                .html
                .contains("&quot;#old&quot;:&quot;configuration/a.html#new&quot;")
        );
        assert!(
            pages[1].html.contains("a=1&amp;b=&quot;2&quot;"),
            "{}",
            pages[1].html
        );
        assert!(!pages[1].html.contains("\"2\""));
    }

    #[test]
    fn a_page_of_the_book_maps_only_its_own_fragments() {
        let redirects = map(&[
            ("/guide/a.html#old", "b.html#new"),
            ("/guide/a.html#x", "https://example.org/"),
            ("/guide/ab.html#y", "c.html"),
            ("/other.html", "guide/a.html"),
        ]);
        assert_eq!(
            fragment_map("guide/a.html", &redirects).as_deref(),
            Some(r##"{"#old":"b.html#new","#x":"https://example.org/"}"##)
        );
        assert_eq!(fragment_map("other.html", &redirects), None);
        assert!(has_fragments(&redirects));
        assert!(!has_fragments(&map(&[("/other.html", "a.html")])));
    }

    #[test]
    fn old_pages_are_site_paths_as_mdbook_joins_them() {
        // The Rustonomicon's keys start with `./`; a leading `/` and doubled slashes are the
        // same page too.
        let redirects = map(&[
            ("./vec-alloc.html", "./vec/vec-alloc.html"),
            ("/arc//arc.html", "../arc-mutex/arc.html"),
            ("./intro.html#old", "intro.html#new"),
        ]);
        let pages = pages(&redirects, |p| p == "intro.html").unwrap();
        let paths: Vec<&str> = pages.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["arc/arc.html", "vec-alloc.html"]);
        assert!(pages[1].html.contains("URL=./vec/vec-alloc.html"));
        assert_eq!(
            fragment_map("intro.html", &redirects).as_deref(),
            Some(r##"{"#old":"intro.html#new"}"##)
        );
    }

    #[test]
    fn bad_redirects_are_refused() {
        let err = pages(&map(&[("/a.html", "javascript:alert(1)")]), |_| false).unwrap_err();
        assert!(err.contains("javascript"), "{err}");
        let err = pages(&map(&[("/a.html", "b.html")]), |p| p == "a.html").unwrap_err();
        assert!(err.contains("is a page of the book"), "{err}");
        let err = pages(&map(&[("/a.html#x", "b.html")]), |_| false).unwrap_err();
        assert!(err.contains("only `#fragment`"), "{err}");
        for old in ["/../a.html", "./a/../../b.html", "./", "/"] {
            let err = pages(&map(&[(old, "b.html")]), |_| false).unwrap_err();
            assert!(err.contains("inside the site"), "{old}: {err}");
        }
    }
}
