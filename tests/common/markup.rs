//! The "no executable markup" check of a built site: every page parsed as HTML (html5ever, via
//! scraper), every SVG parsed as XML (roxmltree), every script compared with the known assets
//! and the search index parsed as JSON. Shared by `tests/hostile.rs` and `tests/xss.rs`.
//!
//! What counts as executable: a `<script>` that is not one of the site's own (the asset
//! scripts by `src`, the inline theme script of the templates by text, a book's
//! `additional-js`), any `on*` attribute, a `javascript:`/`vbscript:`/`data:text/html` URL in a
//! URL-carrying attribute, the elements that embed other documents (`iframe`, `object`,
//! `embed`, `foreignObject`, …), a `<meta http-equiv="refresh">`, and a JS file that is not an
//! asset or a pure JSON search index. The search JS inserts titles and snippets with
//! `textContent` (see `templates/js/search.js`), so `<` in the index is text, but the index's
//! `path` becomes an `href` and must not carry a script URL.

// Each test file uses a different subset of these checks.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Elements that embed or run other documents: never allowed in a generated file.
const EMBEDDING: &[&str] = &[
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "foreignobject",
    "portal",
];

/// Attributes whose value is a URL a browser may navigate to or load.
const URL_ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "xlink:href",
    "action",
    "formaction",
    "data",
    "poster",
    "background",
    "lowsrc",
    "dynsrc",
    "srcset",
    "ping",
    "codebase",
    "cite",
    "longdesc",
    "usemap",
    "manifest",
    "icon",
    "archive",
    // SVG animation can set an href to these values.
    "to",
    "from",
    "values",
    "by",
];

/// The scripts of the built-in templates, loaded by `src` (relative to the site root).
const ASSET_SCRIPTS: &[&str] = &[
    "searchindex.js",
    "js/search.js",
    "js/gradbook.js",
    "toc.js",
    "js/toc.js",
    "js/code.js",
];

/// What a site may legitimately contain: the template scripts and the book's own JS.
pub struct Allowed {
    /// Texts of inline `<script>` elements in the built-in templates or the book's templates.
    inline: BTreeSet<String>,
    /// Script paths relative to the site root (asset scripts and `additional-js`).
    sources: BTreeSet<String>,
    /// Contents of every JS file the site may hold besides the search index.
    js_files: Vec<Vec<u8>>,
}

impl Allowed {
    /// The allowed scripts for a site built from the book at `book` (its `templates/` folder
    /// and `additional-js` are the author's own and so allowed).
    pub fn for_book(book: &Path) -> Allowed {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut inline = BTreeSet::new();
        let mut js_files = Vec::new();
        let mut sources: BTreeSet<String> = ASSET_SCRIPTS.iter().map(|s| s.to_string()).collect();
        for templates in [repo.join("templates"), book.join("templates")] {
            for file in files_under(&templates) {
                let Ok(bytes) = std::fs::read(&file) else {
                    continue;
                };
                match extension(&file).as_str() {
                    "html" => inline.extend(inline_scripts(&String::from_utf8_lossy(&bytes))),
                    "js" => js_files.push(bytes),
                    _ => {}
                }
            }
        }
        if let Some(extra) = additional_js(book) {
            for path in extra {
                if let Ok(bytes) = std::fs::read(book.join(&path)) {
                    js_files.push(bytes);
                }
                sources.insert(path.replace('\\', "/"));
            }
        }
        Allowed {
            inline,
            sources,
            js_files,
        }
    }
}

/// Every problem found in the site at `site`: one line each, naming the file.
pub fn check_site(site: &Path, allowed: &Allowed) -> Vec<String> {
    let mut problems = Vec::new();
    for file in files_under(site) {
        let rel = file
            .strip_prefix(site)
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(bytes) = std::fs::read(&file) else {
            problems.push(format!("{rel}: unreadable"));
            continue;
        };
        let found = match extension(&file).as_str() {
            "html" | "htm" | "xhtml" => check_html(&String::from_utf8_lossy(&bytes), allowed),
            "svg" => check_svg(&String::from_utf8_lossy(&bytes)),
            "js" | "mjs" => check_js(&rel, &bytes, allowed),
            _ => Vec::new(),
        };
        problems.extend(found.into_iter().map(|p| format!("{rel}: {p}")));
    }
    problems
}

/// Problems in one HTML page (inline SVG included: html5ever puts it in the SVG namespace).
pub fn check_html(text: &str, allowed: &Allowed) -> Vec<String> {
    let document = scraper::Html::parse_document(text);
    let mut problems = Vec::new();
    for node in document.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name().to_ascii_lowercase();
        let attrs: Vec<(String, String)> = element
            .attrs()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        // html5ever keeps `xlink:href` as a prefixed name; `attrs()` gives the local part.
        let mut found = check_element(&name, &attrs);
        if name == "script" {
            let src = attrs.iter().find(|(k, _)| k == "src").map(|(_, v)| v);
            let text: String = scraper::ElementRef::wrap(node)
                .map(|e| e.text().collect())
                .unwrap_or_default();
            match src {
                Some(src) if allowed.sources.contains(strip_to_root(src)) && text.is_empty() => {}
                Some(src) => found.push(format!("<script src=\"{src}\"> is not a site asset")),
                None if allowed.inline.contains(text.trim()) => {}
                None => found.push(format!("inline <script>: {}", excerpt(&text))),
            }
        }
        problems.extend(found);
    }
    problems
}

/// Problems in one SVG file; a file that does not parse as XML is a problem too (markup that
/// broke out of its place).
pub fn check_svg(text: &str) -> Vec<String> {
    let document = match roxmltree::Document::parse(text) {
        Ok(d) => d,
        Err(err) => return vec![format!("not well-formed XML: {err}")],
    };
    let mut problems = Vec::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name().to_ascii_lowercase();
        let attrs: Vec<(String, String)> = node
            .attributes()
            .map(|a| {
                let local = a.name().to_ascii_lowercase();
                let key = if a.namespace() == Some("http://www.w3.org/1999/xlink") {
                    format!("xlink:{local}")
                } else {
                    local
                };
                (key, a.value().to_string())
            })
            .collect();
        problems.extend(check_element(&name, &attrs));
        if name == "script" {
            problems.push("<script> in an SVG file".into());
        }
    }
    problems
}

/// The checks that do not depend on the document type.
fn check_element(name: &str, attrs: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    if EMBEDDING.contains(&name) {
        problems.push(format!("<{name}> element"));
    }
    for (key, value) in attrs {
        let local = key.rsplit(':').next().unwrap_or(key);
        if local.starts_with("on") {
            problems.push(format!(
                "<{name}> has event attribute {key}=\"{}\"",
                excerpt(value)
            ));
        }
        if local == "srcdoc" {
            problems.push(format!("<{name}> has srcdoc"));
        }
        if (URL_ATTRIBUTES.contains(&key.as_str()) || URL_ATTRIBUTES.contains(&local))
            && is_script_url(value)
        {
            problems.push(format!(
                "<{name} {key}=\"{}\"> is a script URL",
                excerpt(value)
            ));
        }
        let style = value.to_ascii_lowercase();
        if local == "style" && (style.contains("javascript:") || style.contains("expression(")) {
            problems.push(format!("<{name}> style carries a script URL"));
        }
    }
    // The 404 page's `<base>` resolves links against `site-url`: a path is fine, another
    // origin would load the site's own scripts from there.
    let href = attrs
        .iter()
        .find(|(k, _)| k == "href")
        .map(|(_, v)| v.as_str());
    if name == "base" && href.is_none_or(leaves_site) {
        problems.push(format!("<base href={href:?}> is not a path on this site"));
    }
    let equiv = attrs.iter().find(|(k, _)| k == "http-equiv");
    if name == "meta" && equiv.is_some_and(|(_, v)| v.eq_ignore_ascii_case("refresh")) {
        problems.push("<meta http-equiv=\"refresh\">".into());
    }
    problems
}

/// Whether a URL would run script: it starts with `javascript:`, `vbscript:` or an HTML/SVG
/// `data:` URL once the whitespace and control characters browsers ignore are removed.
pub fn is_script_url(value: &str) -> bool {
    let squeezed: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "javascript:",
        "vbscript:",
        "data:text/html",
        "data:image/svg",
        "data:application/xhtml",
    ]
    .iter()
    .any(|scheme| squeezed.starts_with(scheme))
}

/// Whether a URL names another origin (a scheme, or `//host`), once the whitespace and
/// control characters browsers ignore are removed and `\` is read as `/`, as browsers do.
fn leaves_site(url: &str) -> bool {
    let squeezed: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let head = squeezed.split(['/', '?', '#']).next().unwrap_or("");
    squeezed.starts_with("//") || head.contains(':')
}

/// Problems in one JS file: the search index must be a JSON assignment whose paths are not
/// script URLs; any other script must be a known asset.
fn check_js(rel: &str, bytes: &[u8], allowed: &Allowed) -> Vec<String> {
    if rel == "searchindex.js" {
        return check_search_index(&String::from_utf8_lossy(bytes));
    }
    if rel == "toc.js" {
        return check_toc(&String::from_utf8_lossy(bytes));
    }
    if allowed.js_files.iter().any(|known| known == bytes) {
        Vec::new()
    } else {
        vec!["a script that is not one of the site's assets".into()]
    }
}

/// The search index: `window.gradbookSearchIndex = {JSON};` and nothing else.
pub fn check_search_index(text: &str) -> Vec<String> {
    let json = text
        .trim_end()
        .strip_prefix("window.gradbookSearchIndex = ")
        .and_then(|rest| rest.strip_suffix(';'));
    let Some(json) = json else {
        return vec!["searchindex.js is not a single JSON assignment".into()];
    };
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(err) => return vec![format!("searchindex.js: the index is not JSON ({err})")],
    };
    let mut problems = Vec::new();
    let docs = value.get("docs").and_then(|d| d.as_array());
    for doc in docs.into_iter().flatten() {
        let path = doc.get("path").and_then(|p| p.as_str()).unwrap_or("");
        let scheme = path.split(['/', '?', '#']).next().unwrap_or("");
        if is_script_url(path) || scheme.contains(':') {
            problems.push(format!("search index path {path:?} is not a relative link"));
        }
    }
    problems
}

/// The table of contents: `window.gradbookToc = {JSON};` and nothing else, every chapter path
/// (the fourth item of a chapter entry) a relative link.
pub fn check_toc(text: &str) -> Vec<String> {
    let json = text
        .trim_end()
        .strip_prefix("window.gradbookToc = ")
        .and_then(|rest| rest.strip_suffix(';'));
    let Some(json) = json else {
        return vec!["toc.js is not a single JSON assignment".into()];
    };
    let value: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(err) => return vec![format!("toc.js: not JSON ({err})")],
    };
    let entries = value.get("entries").and_then(|e| e.as_array());
    let mut problems = Vec::new();
    for entry in entries.into_iter().flatten() {
        let path = entry.get(3).and_then(|p| p.as_str()).unwrap_or("");
        let scheme = path.split(['/', '?', '#']).next().unwrap_or("");
        if is_script_url(path) || scheme.contains(':') {
            problems.push(format!("toc.js path {path:?} is not a relative link"));
        }
    }
    problems
}

/// `../../js/x.js` → `js/x.js`: pages link assets through their path to the root.
fn strip_to_root(src: &str) -> &str {
    let mut rest = src;
    while let Some(r) = rest.strip_prefix("../") {
        rest = r;
    }
    rest.strip_prefix("./").unwrap_or(rest)
}

/// The texts of the inline `<script>` elements of a template.
fn inline_scripts(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("<script>") {
        let body = &rest[start + "<script>".len()..];
        let Some(end) = body.find("</script>") else {
            break;
        };
        out.push(body[..end].trim().to_string());
        rest = &body[end..];
    }
    out
}

/// The `additional-js` entries of the book's `book.toml`, when it parses.
fn additional_js(book: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(book.join("book.toml")).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    let list = table
        .get("output")?
        .get("html")?
        .get("additional-js")?
        .as_array()?;
    Some(
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    )
}

/// Every regular file under `dir`, sorted, without following symbolic links.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

/// The lowercase extension of a path.
fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The first characters of a value, for messages.
fn excerpt(text: &str) -> String {
    let t: String = text.trim().chars().take(60).collect();
    t.replace('\n', " ")
}
