//! Built-in templates and static assets, embedded in the binary: the site's look lives in
//! `templates/` (page, print and 404 templates with their partials, CSS, JS, the math font
//! with its licence).

/// Tera templates by name (relative to `templates/`), partials included.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("page.html", include_str!("../../templates/page.html")),
    ("print.html", include_str!("../../templates/print.html")),
    ("404.html", include_str!("../../templates/404.html")),
    (
        "partials/head.html",
        include_str!("../../templates/partials/head.html"),
    ),
    (
        "partials/body-top.html",
        include_str!("../../templates/partials/body-top.html"),
    ),
    (
        "partials/body-bottom.html",
        include_str!("../../templates/partials/body-bottom.html"),
    ),
    (
        "partials/sidebar.html",
        include_str!("../../templates/partials/sidebar.html"),
    ),
    (
        "partials/menu.html",
        include_str!("../../templates/partials/menu.html"),
    ),
    (
        "partials/search.html",
        include_str!("../../templates/partials/search.html"),
    ),
    (
        "partials/nav.html",
        include_str!("../../templates/partials/nav.html"),
    ),
];

/// Static files by their path in the site.
pub const STATIC: &[(&str, &[u8])] = &[
    (
        "css/gradbook.css",
        include_bytes!("../../templates/css/gradbook.css"),
    ),
    (
        "css/content.css",
        include_bytes!("../../templates/css/content.css"),
    ),
    ("css/fit.css", include_bytes!("../../templates/css/fit.css")),
    (
        "css/print.css",
        include_bytes!("../../templates/css/print.css"),
    ),
    (
        "js/gradbook.js",
        include_bytes!("../../templates/js/gradbook.js"),
    ),
    (
        "css/highlight.css",
        include_bytes!("../../templates/css/highlight.css"),
    ),
    ("js/code.js", include_bytes!("../../templates/js/code.js")),
    (
        "js/search.js",
        include_bytes!("../../templates/js/search.js"),
    ),
    ("js/toc.js", include_bytes!("../../templates/js/toc.js")),
    (
        "fonts/texgyrepagella-math.otf",
        include_bytes!("../../templates/fonts/texgyrepagella-math.otf"),
    ),
    (
        "fonts/GUST-FONT-LICENSE.txt",
        include_bytes!("../../templates/fonts/GUST-FONT-LICENSE.txt"),
    ),
    (
        "fonts/README-TeX-Gyre-Pagella-Math.txt",
        include_bytes!("../../templates/fonts/README-TeX-Gyre-Pagella-Math.txt"),
    ),
    ("favicon.svg", include_bytes!("../../templates/favicon.svg")),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn tera() -> tera::Tera {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(TEMPLATES.iter().copied())
            .expect("built-in templates parse");
        tera.autoescape_on(vec![".html"]);
        tera
    }

    fn context() -> Value {
        json!({
            "book": {"title": "Deep <Learning> & co", "description": "Solutions", "authors": ["A", "B"],
                     "language": "en", "text_direction": "ltr"},
            "page": {"title": "Q2 — bump", "number": "2.", "path": "q/q2-bump.html",
                     "content": "<h1 id=\"q2\"><a class=\"header\" href=\"#q2\">Q2</a></h1><p><math><mi>x</mi></math></p>",
                     "edit_url": "https://example.org/edit/q2.md"},
            "path_to_root": "../",
            "toc": "<ol class=\"chapter\"><li class=\"chapter-item\"><a href=\"../q1.html\" class=\"active\">Q1</a></li></ol>",
            "prev": {"title": "Q1", "link": "../q1.html"},
            "next": null,
            "theme": {"default": "light", "preferred_dark": "dark"},
            "git_repository_url": "https://example.org/repo",
            "search_enabled": true,
            "print_enabled": true,
            "additional_css": ["extra/more.css"],
            "additional_js": [],
            "copyable": true,
            "print_page_break": true,
            "is_print": false,
            "live_reload_script": "<script>/* reload */</script>",
        })
    }

    fn render(name: &str, context: &Value) -> String {
        let ctx = tera::Context::from_value(context.clone()).expect("context is an object");
        tera()
            .render(name, &ctx)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"))
    }

    /// Every `{{ path_to_root }}<path>` the templates link to, other than what the pipeline writes.
    fn linked_assets() -> Vec<String> {
        let mut found = Vec::new();
        for (_, source) in TEMPLATES {
            for piece in source.split("{{ path_to_root }}").skip(1) {
                let end = piece.find('"').unwrap_or(piece.len());
                let path = &piece[..end];
                if !path.is_empty() && !path.contains("{{") {
                    found.push(path.to_string());
                }
            }
        }
        found
    }

    #[test]
    fn every_include_and_linked_asset_exists() {
        let names: Vec<&str> = TEMPLATES.iter().map(|(n, _)| *n).collect();
        for (name, source) in TEMPLATES {
            for piece in source.split("{% include \"").skip(1) {
                let target = &piece[..piece.find('"').unwrap_or(0)];
                assert!(names.contains(&target), "{name} includes missing {target}");
            }
        }
        // favicon.png comes from the book's theme folder, linked only when it has one;
        // js/redirect.js is written with the redirects that need it (mdbook::extras).
        let written_by_pipeline = [
            "js/redirect.js",
            "searchindex.js",
            "index.html",
            "print.html",
            "toc.js",
            "toc.html",
            "favicon.png",
        ];
        for path in linked_assets() {
            let shipped = STATIC.iter().any(|(p, _)| *p == path);
            assert!(
                shipped || written_by_pipeline.contains(&path.as_str()),
                "{path} is linked but not shipped"
            );
        }
    }

    #[test]
    fn css_urls_resolve_to_shipped_files() {
        for (path, bytes) in STATIC.iter().filter(|(p, _)| p.ends_with(".css")) {
            let css = std::str::from_utf8(bytes).expect("CSS is UTF-8");
            for piece in css.split("url(\"").skip(1) {
                let url = &piece[..piece.find('"').unwrap_or(0)];
                if url.starts_with("data:") {
                    continue;
                }
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let resolved = match url.strip_prefix("../") {
                    Some(rest) => rest.to_string(),
                    None => format!("{dir}/{url}"),
                };
                assert!(
                    STATIC.iter().any(|(p, _)| *p == resolved),
                    "{path}: url({url}) not shipped"
                );
            }
        }
    }

    #[test]
    fn both_themes_define_every_figure_colour() {
        let css = std::str::from_utf8(STATIC[0].1).expect("CSS is UTF-8");
        let (light, dark) = css.split_once("html.dark {").expect("a dark theme block");
        let mut names = vec!["fg", "bg", "muted", "grid", "leaf", "op", "out", "accent"]
            .into_iter()
            .map(|n| format!("--gb-fig-{n}:"))
            .collect::<Vec<_>>();
        names.extend((0..8).map(|i| format!("--gb-fig-c{i}:")));
        for name in names {
            assert!(light.contains(&name), "light theme lacks {name}");
            assert!(dark.contains(&name), "dark theme lacks {name}");
        }
    }

    #[test]
    fn page_links_everything_relative_to_root_and_escapes_text() {
        let html = render("page.html", &context());
        assert!(html.contains("href=\"..&#x2F;css/gradbook.css\""), "{html}");
        assert!(html.contains("src=\"..&#x2F;searchindex.js\""));
        assert!(html.contains("<title>Q2 — bump - Deep &lt;Learning&gt; &amp; co</title>"));
        assert!(html.contains("rel=\"prev\""));
        assert!(!html.contains("rel=\"next\""));
        assert!(html.contains("class=\"active\""));
        assert!(html.contains("<math><mi>x</mi></math>"));
        assert!(html.contains("Suggest an edit"));
        assert!(html.contains("..&#x2F;extra&#x2F;more.css"));
        assert!(html.contains("data-path-to-root=\"..&#x2F;\""));
        let reload = html.find("/* reload */").expect("live reload script");
        assert!(reload > html.find("js/gradbook.js").expect("page script"));
        assert!(reload < html.find("</body>").expect("body end"));
        // The theme is chosen in <head>, before the stylesheet and the body.
        assert!(
            html.find("prefers-color-scheme").expect("theme script")
                < html.find("<body>").expect("body")
        );
    }

    #[test]
    fn optional_parts_disappear_when_disabled() {
        let mut ctx = context();
        ctx["search_enabled"] = json!(false);
        ctx["print_enabled"] = json!(false);
        ctx["git_repository_url"] = Value::Null;
        ctx["live_reload_script"] = Value::Null;
        ctx["page"]["edit_url"] = Value::Null;
        ctx["prev"] = Value::Null;
        let html = render("page.html", &ctx);
        for absent in [
            "searchindex.js",
            "search-toggle",
            "print.html",
            "Source repository",
            "Suggest an edit",
            "nav-narrow",
            "reload",
        ] {
            assert!(!html.contains(absent), "{absent} should be absent");
        }
    }

    #[test]
    fn print_and_404_pages_render() {
        let mut ctx = context();
        ctx["is_print"] = json!(true);
        ctx["prev"] = Value::Null;
        ctx["page"]["content"] = json!("<section class=\"print-chapter\"><h1>A</h1></section>");
        let print = render("print.html", &ctx);
        assert!(print.contains("noindex") && print.contains("print-content"));
        assert!(!print.contains("window.print"));
        assert!(print.contains("<title>Deep &lt;Learning&gt; &amp; co</title>"));
        ctx["is_print"] = json!(false);
        ctx["path_to_root"] = json!("");
        let not_found = render("404.html", &ctx);
        assert!(not_found.contains("href=\"index.html\""));
        assert!(!not_found.contains("<base"));
        ctx["site_url"] = json!("/book/");
        assert!(render("404.html", &ctx).contains("<base href=\"&#x2F;book&#x2F;\">"));
    }
}
