//! Internal links and anchors of a generated site: every `href`/`src` that stays inside the
//! site must name one of its files, and every `#fragment` an `id` on the page it points at.

use crate::site::output::SiteFiles;
use std::collections::{BTreeMap, BTreeSet};

/// An HTML start tag: its lowercase name and its attributes (values unescaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The element name, lowercased.
    pub name: String,
    /// Attributes in order, names lowercased, values with character references decoded.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every start tag of `html`, skipping comments, doctypes and the contents of `<script>` and
/// `<style>` (whose text may look like markup).
pub fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
            .unwrap_or(rest.len());
        if name_len == 0 || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        let (attrs, consumed) = attributes(&rest[name_len..]);
        rest = &rest[name_len + consumed..];
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            rest = rest
                .to_ascii_lowercase()
                .find(&close)
                .map_or("", |end| &rest[end..]);
        }
        out.push(Tag { name, attrs });
    }
    out
}

/// Parse attributes up to the closing `>`: (attributes, bytes consumed including `>`).
fn attributes(text: &str) -> (Vec<(String, String)>, usize) {
    let bytes = text.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'>' => return (attrs, i + 1),
            b if b.is_ascii_whitespace() || b == b'/' => i += 1,
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b'=' | b'>' | b'/')
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                let name = text[start..i].to_ascii_lowercase();
                let mut value = String::new();
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                    let (raw, end) = match bytes.get(i) {
                        Some(&q @ (b'"' | b'\'')) => {
                            let close = text[i + 1..]
                                .find(q as char)
                                .map_or(text.len(), |e| i + 1 + e);
                            (&text[i + 1..close], (close + 1).min(text.len()))
                        }
                        _ => {
                            let close = text[i..]
                                .find(|c: char| c.is_ascii_whitespace() || c == '>')
                                .map_or(text.len(), |e| i + e);
                            (&text[i..close], close)
                        }
                    };
                    value = unescape(raw);
                    i = end;
                }
                attrs.push((name, value));
            }
        }
    }
    (attrs, text.len())
}

/// Decode the character references templates and Markdown write (`&amp;`, `&#x2F;`, `&#39;`…).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity.strip_prefix('#').and_then(|n| {
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decode `%XX` escapes of a URL path or fragment (invalid escapes are kept as written).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A link that does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The page it is on (site path).
    pub page: String,
    /// The link as written (decoded).
    pub target: String,
    /// What is wrong with it.
    pub problem: String,
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
    let mut report = LinkReport::default();
    for (page, tags) in &pages {
        let from_root = tags
            .iter()
            .any(|t| t.name == "base" && t.attr("href").is_some_and(|h| h.starts_with('/')));
        for tag in tags {
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
                        None => Some(format!("no file `{path}` in the site")),
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
                    });
                }
            }
        }
    }
    report
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
    fn tags_skip_comments_and_scripts() {
        let t = tags(
            "<!-- <a href=\"x\"> --><script>let s = '<a href=\"y\">';</script><A HREF='z' id=i data-x>t</a>",
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t[1].name, "a");
        assert_eq!(t[1].attr("href"), Some("z"));
        assert_eq!(t[1].attr("id"), Some("i"));
        assert_eq!(t[1].attr("data-x"), Some(""));
    }

    #[test]
    fn unescapes_references() {
        assert_eq!(
            unescape("..&#x2F;a&amp;b&#39;&lt;&nosuch;&"),
            "../a&b'<&nosuch;&"
        );
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
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
