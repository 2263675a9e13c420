//! Just enough HTML scanning for checking generated pages: start tags with their attributes
//! (character references decoded), skipping comments, scripts and styles; URL percent-decoding.

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
    start_tags(html)
        .into_iter()
        .map(|raw| Tag {
            name: raw.name,
            attrs: raw
                .attrs
                .into_iter()
                .map(|(name, value)| (name, value.map_or_else(String::new, |v| unescape(&html[v]))))
                .collect(),
        })
        .collect()
}

/// `html` with the value of each `attribute` (a lowercase name) of each `<element>` start tag
/// replaced by what `rewrite` makes of it as written (character references left as they
/// are), or `None` when nothing changed. Comments, scripts and styles are left alone.
pub fn rewrite_attributes(
    html: &str,
    element: &str,
    attributes: &[&str],
    rewrite: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut out = String::new();
    let mut copied = 0;
    for tag in start_tags(html).into_iter().filter(|t| t.name == element) {
        for (name, value) in tag.attrs {
            let Some(value) = value.filter(|_| attributes.contains(&name.as_str())) else {
                continue;
            };
            if let Some(new) = rewrite(&html[value.clone()]) {
                out.push_str(&html[copied..value.start]);
                out.push_str(&new);
                copied = value.end;
            }
        }
    }
    (copied > 0).then(|| out + &html[copied..])
}

/// Attributes as written: lowercase names with the byte ranges of their values in the
/// scanned text (`None` for an attribute without `=`).
type RawAttributes = Vec<(String, Option<std::ops::Range<usize>>)>;

/// A start tag as written: its lowercase name and its attributes.
struct RawTag {
    name: String,
    attrs: RawAttributes,
}

/// Every start tag of `html` as written (see [`tags`]).
fn start_tags(html: &str) -> Vec<RawTag> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(lt) = html[at..].find('<') {
        at += lt + 1;
        let rest = &html[at..];
        if let Some(after) = rest.strip_prefix("!--") {
            at = after.find("-->").map_or(html.len(), |end| at + 3 + end + 3);
            continue;
        }
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':'))
            .unwrap_or(rest.len());
        if name_len == 0 || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let name = rest[..name_len].to_ascii_lowercase();
        at += name_len;
        let (attrs, consumed) = attributes(&html[at..]);
        let attrs = attrs
            .into_iter()
            .map(|(n, v)| (n, v.map(|v| at + v.start..at + v.end)))
            .collect();
        at += consumed;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            at = html[at..]
                .to_ascii_lowercase()
                .find(&close)
                .map_or(html.len(), |end| at + end);
        }
        out.push(RawTag { name, attrs });
    }
    out
}

/// Parse attributes up to the closing `>`: (attributes with the byte ranges of their values
/// in `text`, bytes consumed including `>`).
fn attributes(text: &str) -> (RawAttributes, usize) {
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
                let mut value = None;
                if bytes.get(i) == Some(&b'=') {
                    i += 1;
                    let (raw, end) = match bytes.get(i) {
                        Some(&q @ (b'"' | b'\'')) => {
                            let close = text[i + 1..]
                                .find(q as char)
                                .map_or(text.len(), |e| i + 1 + e);
                            (i + 1..close, (close + 1).min(text.len()))
                        }
                        _ => {
                            let close = text[i..]
                                .find(|c: char| c.is_ascii_whitespace() || c == '>')
                                .map_or(text.len(), |e| i + e);
                            (i..close, close)
                        }
                    };
                    value = Some(raw);
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
    decode_hex_escapes(text, b'%')
}

/// Decode the escapes `marker` followed by two hex digits (`%XX` in URLs, `#XX` in PDF
/// names); a marker without two hex digits after it is kept as written.
pub fn decode_hex_escapes(text: &str, marker: u8) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == marker
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn attributes_are_rewritten_as_written() {
        let html = "<!-- <a href=\"c.md\"> --><script>s = '<a href=\"d.md\">';</script><A class=x HREF='a.md#x' title=\"a.md\">a</A><a href=b.md>b</a><img src=\"e.md\"><a name=n>";
        let md_to_html = |v: &str| v.contains(".md").then(|| v.replace(".md", ".html"));
        let got = rewrite_attributes(html, "a", &["href"], md_to_html);
        assert_eq!(
            got.as_deref(),
            Some(
                "<!-- <a href=\"c.md\"> --><script>s = '<a href=\"d.md\">';</script><A class=x HREF='a.html#x' title=\"a.md\">a</A><a href=b.html>b</a><img src=\"e.md\"><a name=n>"
            )
        );
        let html = "<p><a href=\"b.html\">b</a></p>";
        assert_eq!(rewrite_attributes(html, "a", &["href"], md_to_html), None);
    }

    #[test]
    fn unescapes_references() {
        assert_eq!(
            unescape("..&#x2F;a&amp;b&#39;&lt;&nosuch;&"),
            "../a&b'<&nosuch;&"
        );
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
    }
}
