//! The print page as a paged document for PDF: a title page, a table of contents whose page
//! numbers come from a first printing, running page numbers (CSS page margin boxes), and
//! figures, tables and equations kept whole. Also reads, from a PDF Chromium printed, the page
//! each linked section starts on.

use crate::markup::escape;
use crate::site::book::Book;
use crate::site::print::section_id;
use std::collections::BTreeMap;

/// The paged-media rules added to the print page.
const PAGED_CSS: &str = "<style>
@page { size: A4; margin: 20mm 18mm 22mm; @bottom-center { content: counter(page); font: 9pt sans-serif; color: #444; } }
@page :first { @bottom-center { content: none; } }
.gb-titlepage { break-after: page; text-align: center; padding-top: 28vh; }
.gb-titlepage h1 { font-size: 2.2em; margin-bottom: 0.5em; }
.gb-titlepage p { margin: 0.4em 0; color: #333; }
.gb-pdf-toc { break-after: page; }
.gb-pdf-toc ol { list-style: none; padding: 0; }
.gb-pdf-toc li { margin: 0.35em 0; }
.gb-pdf-toc a { display: flex; gap: 0.5em; color: inherit; text-decoration: none; }
.gb-pdf-toc .gb-toc-title { flex: none; }
.gb-pdf-toc .gb-toc-dots { flex: 1; border-bottom: 1px dotted #888; margin-bottom: 0.3em; }
.gb-pdf-toc .gb-toc-page { flex: none; min-width: 2.5em; text-align: end; }
.print-content > section.print-chapter:first-of-type { break-before: page; }
</style>
";

/// The print page `print_html` (as the site has it) made into the PDF's document; `pages`
/// gives each chapter's first page (by section id) once known, `edition` is shown on the
/// title page.
pub fn document(
    book: &Book,
    print_html: &str,
    edition: &str,
    pages: Option<&BTreeMap<String, usize>>,
) -> String {
    let config = &book.config.book;
    let mut front = String::from("<section class=\"gb-titlepage\">\n");
    front.push_str(&format!("<h1>{}</h1>\n", escape(&config.title)));
    if !config.description.is_empty() {
        front.push_str(&format!("<p>{}</p>\n", escape(&config.description)));
    }
    if !config.authors.is_empty() {
        front.push_str(&format!("<p>{}</p>\n", escape(&config.authors.join(", "))));
    }
    front.push_str(&format!(
        "<p class=\"gb-edition\">{} edition</p>\n</section>\n",
        escape(&capitalised(edition))
    ));
    front.push_str("<nav class=\"gb-pdf-toc\">\n<h2>Contents</h2>\n<ol>\n");
    for chapter in &book.chapters {
        let id = section_id(chapter);
        let page = match pages.and_then(|p| p.get(&id)) {
            Some(n) => n.to_string(),
            None => "000".to_string(),
        };
        let number = if chapter.number.is_empty() {
            String::new()
        } else {
            format!("{} ", escape(&chapter.number))
        };
        front.push_str(&format!(
            "<li><a href=\"#{}\"><span class=\"gb-toc-title\">{number}{}</span><span class=\"gb-toc-dots\"></span><span class=\"gb-toc-page\">{page}</span></a></li>\n",
            escape(&id),
            escape(&chapter.name)
        ));
    }
    front.push_str("</ol>\n</nav>\n");
    let with_css = match print_html.find("</head>") {
        Some(at) => format!("{}{PAGED_CSS}{}", &print_html[..at], &print_html[at..]),
        None => print_html.to_string(),
    };
    let marker = "print-content\">";
    match with_css.find(marker) {
        Some(at) => {
            let at = at + marker.len();
            format!("{}\n{front}{}", &with_css[..at], &with_css[at..])
        }
        None => with_css,
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// The 1-based page of every named destination of a PDF Chromium wrote (its `/Dests`
/// dictionary maps each linked id to its page object); `None` if the file has none.
pub fn destination_pages(pdf: &[u8]) -> Option<BTreeMap<String, usize>> {
    let catalog = object_with(pdf, b"/Type /Catalog")?;
    let dests = reference_after(&catalog, "/Dests ")?;
    let root = reference_after(&catalog, "/Pages ")?;
    let mut order = Vec::new();
    collect_pages(pdf, root, &mut order, 0)?;
    let dests = object(pdf, dests)?;
    let mut out = BTreeMap::new();
    let mut rest = dests.as_str();
    while let Some(at) = rest.find('/') {
        let after = &rest[at + 1..];
        let name_len = after
            .find(|c: char| c.is_whitespace() || "[]<>/()".contains(c))
            .unwrap_or(after.len());
        let name = decode_name(&after[..name_len]);
        let tail = after[name_len..].trim_start();
        rest = &after[name_len..];
        let Some(array) = tail.strip_prefix('[') else {
            continue;
        };
        let Some(page) = array
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        if let Some(index) = order.iter().position(|p| *p == page) {
            out.insert(name, index + 1);
        }
    }
    Some(out)
}

/// The page objects under the page tree node `node`, in order.
fn collect_pages(pdf: &[u8], node: usize, out: &mut Vec<usize>, depth: usize) -> Option<()> {
    if depth > 32 {
        return None;
    }
    let text = object(pdf, node)?;
    if !text.contains("/Type /Pages") {
        out.push(node);
        return Some(());
    }
    let kids = &text[text.find("/Kids")? + 5..];
    let kids = &kids[kids.find('[')? + 1..kids.find(']')?];
    let numbers: Vec<&str> = kids.split_whitespace().collect();
    for triple in numbers.chunks(3) {
        collect_pages(pdf, triple.first()?.parse().ok()?, out, depth + 1)?;
    }
    Some(())
}

/// `N` of the first `KEY N 0 R` in `text`.
fn reference_after(text: &str, key: &str) -> Option<usize> {
    let at = text.find(key)? + key.len();
    text[at..].split_whitespace().next()?.parse().ok()
}

/// The text of object `n` (from `n 0 obj` to `endobj`).
fn object(pdf: &[u8], n: usize) -> Option<String> {
    let head = format!("\n{n} 0 obj");
    let start = find(pdf, head.as_bytes())? + head.len();
    let end = start + find(&pdf[start..], b"endobj")?;
    Some(String::from_utf8_lossy(&pdf[start..end]).into_owned())
}

/// The text of the first object holding `needle`.
fn object_with(pdf: &[u8], needle: &[u8]) -> Option<String> {
    let at = find(pdf, needle)?;
    let start = pdf[..at].windows(3).rposition(|w| w == b"obj")?;
    let end = at + find(&pdf[at..], b"endobj")?;
    Some(String::from_utf8_lossy(&pdf[start..end]).into_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A PDF name with its `#xx` escapes decoded.
fn decode_name(name: &str) -> String {
    crate::site::html::decode_hex_escapes(name, b'#')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_map_to_pages_through_a_nested_page_tree() {
        let pdf = b"%PDF-1.4\n1 0 obj\n<</Type /Catalog\n/Pages 2 0 R\n/Dests 9 0 R>>\nendobj\n2 0 obj\n<</Type /Pages\n/Count 3\n/Kids [3 0 R 4 0 R]>>\nendobj\n3 0 obj\n<</Type /Page>>\nendobj\n4 0 obj\n<</Type /Pages\n/Kids [5 0 R 6 0 R]>>\nendobj\n5 0 obj\n<</Type /Page>>\nendobj\n6 0 obj\n<</Type /Page>>\nendobj\n9 0 obj\n<</chapter-a [5 0 R /XYZ 6 827 0]\n/chapter#2Db [6 0 R /XYZ 6 800 0]>>\nendobj\n";
        let pages = destination_pages(pdf).unwrap();
        assert_eq!(pages["chapter-a"], 2);
        assert_eq!(pages["chapter-b"], 3);
        assert!(destination_pages(b"%PDF-1.4\nnothing").is_none());
    }
}
