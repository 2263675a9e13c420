//! Standalone figures: a page's SVG made self-contained (resolved colours, fixed size, a
//! background), and rendered in-process to PNG (resvg) or PDF (svg2pdf) with embedded fonts.
//!
//! Nothing here asks the system for fonts: the renderers see only DejaVu Sans and DejaVu Sans
//! Mono (regular and bold), shipped in `templates/fonts/` (licence beside them) and compiled into the binary.

use super::theme::{self, Theme};
use anyhow::{Context, Result, anyhow};
use resvg::{tiny_skia, usvg};
use serde::Deserialize;
use std::sync::{Arc, OnceLock};

/// DejaVu Sans, the sans-serif (and fallback) face of PNG and PDF figures.
const SANS: &[u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
/// DejaVu Sans Mono, the monospace face of PNG and PDF figures.
const MONO: &[u8] = include_bytes!("../../templates/fonts/DejaVuSansMono.ttf");
/// DejaVu Sans Mono Bold, for the diagrams' headings (weight 600).
const MONO_BOLD: &[u8] = include_bytes!("../../templates/fonts/DejaVuSansMono-Bold.ttf");

/// The `Software` text of every PNG this module writes: what marks a PNG as gradbook's.
const PNG_MARK: &[u8] = b"Software\0gradbook";
/// svg2pdf's document-info entry, and the same-length entry that marks a PDF as gradbook's
/// (same length, so svg2pdf's cross-reference offsets stay valid).
const PDF_PRODUCER: &[u8] = b"/Producer (svg2pdf)";
/// The document-info entry of every PDF this module writes.
const PDF_MARK: &[u8] = b"/Creator (gradbook)";

/// PNG pixels per SVG pixel unless asked otherwise (sharp on slides and high-density screens).
pub const DEFAULT_SCALE: f32 = 2.0;

/// The largest PNG side in pixels; a bigger request is refused rather than allocated.
const MAX_SIDE: f32 = 16_384.0;

/// A file format of standalone figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Self-contained SVG (colours resolved for one theme).
    Svg,
    /// A raster image, rendered with resvg.
    Png,
    /// A vector PDF page, converted with svg2pdf.
    Pdf,
}

impl Format {
    /// The file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
            Format::Pdf => "pdf",
        }
    }
}

/// Make a figure as drawn for a page self-contained for `theme`: every `var(--gb-fig-…)`
/// resolved, an explicit `width`/`height` from the `viewBox` instead of the page's fluid
/// sizing, and a background rectangle in the theme's figure background.
pub fn standalone_svg(svg: &str, theme: Theme) -> Result<String> {
    let svg = theme::resolve(svg, theme).map_err(|e| anyhow!(e))?;
    let open_end = svg
        .find('>')
        .filter(|_| svg.starts_with("<svg "))
        .ok_or_else(|| anyhow!("a figure does not start with an <svg> element"))?;
    let open = &svg[..open_end];
    let view_box = attribute(open, "viewBox").ok_or_else(|| anyhow!("a figure has no viewBox"))?;
    let numbers: Vec<&str> = view_box.split_whitespace().collect();
    let [x, y, w, h] = numbers[..] else {
        return Err(anyhow!(
            "a figure's viewBox `{view_box}` is not four numbers"
        ));
    };
    let mut root = open.to_string();
    for name in ["width", "height", "style"] {
        if let Some(value) = attribute(&root, name) {
            let attr = format!(" {name}=\"{value}\"");
            root = root.replacen(&attr, "", 1);
        }
    }
    let background = theme
        .colour("bg")
        .ok_or_else(|| anyhow!("the {} theme has no figure background", theme.name()))?;
    // The background goes right after the title, which stays the first child.
    let body = &svg[open_end + 1..];
    let title_end = body
        .strip_prefix("<title")
        .and_then(|t| t.find("</title>"))
        .map_or(0, |at| at + "<title".len() + "</title>".len());
    Ok(format!(
        "{root} width=\"{w}\" height=\"{h}\">{}<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" \
height=\"{h}\" style=\"fill:{background};stroke:none\"/>{}",
        &body[..title_end],
        &body[title_end..]
    ))
}

/// The value of attribute `name` in an opening tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    Some(&tag[from..from + tag[from..].find('"')?])
}

/// The fonts the renderers may use: only the embedded ones, with every generic family mapped
/// to them.
fn fonts() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(SANS.to_vec());
        db.load_font_data(MONO.to_vec());
        db.load_font_data(MONO_BOLD.to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        db.set_serif_family("DejaVu Sans");
        db.set_cursive_family("DejaVu Sans");
        db.set_fantasy_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans Mono");
        Arc::new(db)
    })
    .clone()
}

/// Parse a standalone SVG for the renderers (no file or network access: relative and
/// external references resolve to nothing).
fn tree(svg: &str) -> Result<usvg::Tree> {
    let options = usvg::Options {
        font_family: "DejaVu Sans".into(),
        fontdb: fonts(),
        resources_dir: None,
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).context("parsing a figure's SVG")
}

/// Render a standalone SVG to PNG at `scale` pixels per SVG pixel.
pub fn png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let tree = tree(svg)?;
    let size = tree.size();
    let (w, h) = (size.width() * scale, size.height() * scale);
    if !(scale.is_finite() && scale > 0.0) || w.ceil() > MAX_SIDE || h.ceil() > MAX_SIDE {
        return Err(anyhow!(
            "a {}×{} figure at scale {scale} exceeds {MAX_SIDE} pixels a side",
            size.width(),
            size.height()
        ));
    }
    let mut pixmap = tiny_skia::Pixmap::new(w.ceil() as u32, h.ceil() as u32)
        .ok_or_else(|| anyhow!("cannot make a {w}×{h} pixel image"))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().context("encoding a PNG")?;
    Ok(mark_png(png))
}

/// Insert a `tEXt` chunk `Software: gradbook` right after the PNG's header chunk.
fn mark_png(mut png: Vec<u8>) -> Vec<u8> {
    // 8 bytes of signature, then IHDR: length (4), type (4), 13 bytes of data, CRC (4).
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    let mut chunk = Vec::with_capacity(PNG_MARK.len() + 12);
    chunk.extend_from_slice(&(PNG_MARK.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"tEXt");
    chunk.extend_from_slice(PNG_MARK);
    chunk.extend_from_slice(&crc32fast::hash(&chunk[4..]).to_be_bytes());
    png.splice(AFTER_IHDR..AFTER_IHDR, chunk);
    png
}

/// Whether `bytes` are a figure gradbook wrote: an SVG figure (root element of class
/// `gb-figure`), or a PNG or PDF carrying gradbook's mark.
pub fn written_by_gradbook(bytes: &[u8]) -> bool {
    if let Some(rest) = bytes.strip_prefix(b"<svg ") {
        let root = &rest[..rest.iter().position(|&b| b == b'>').unwrap_or(rest.len())];
        return contains(root, b" class=\"gb-figure ");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return contains(&bytes[..bytes.len().min(256)], PNG_MARK);
    }
    bytes.starts_with(b"%PDF-") && contains(bytes, PDF_MARK)
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Convert a standalone SVG to a one-page vector PDF (one SVG pixel is one PDF point).
///
/// Text is drawn as outlines: svg2pdf 0.13 writes embedded fonts in hash-map order, so a
/// figure with two faces (the diagrams' regular and bold) would differ from run to run.
pub fn pdf(svg: &str) -> Result<Vec<u8>> {
    let tree = tree(svg)?;
    let options = svg2pdf::ConversionOptions {
        embed_text: false,
        ..svg2pdf::ConversionOptions::default()
    };
    let mut pdf = svg2pdf::to_pdf(&tree, options, svg2pdf::PageOptions { dpi: 72.0 })
        .map_err(|e| anyhow!("converting a figure to PDF: {e}"))?;
    let at = pdf
        .windows(PDF_PRODUCER.len())
        .rposition(|w| w == PDF_PRODUCER)
        .ok_or_else(|| anyhow!("svg2pdf wrote no document information"))?;
    pdf[at..at + PDF_MARK.len()].copy_from_slice(PDF_MARK);
    Ok(pdf)
}

/// A figure as drawn for a page, as the bytes of a standalone file in `format`.
pub fn render(svg: &str, format: Format, theme: Theme, scale: f32) -> Result<Vec<u8>> {
    let standalone = standalone_svg(svg, theme)?;
    match format {
        Format::Svg => Ok(standalone.into_bytes()),
        Format::Png => png(&standalone, scale),
        Format::Pdf => pdf(&standalone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"f\" class=\"gb-figure gb-plot\" viewBox=\"-2 -2 40 20\" \
width=\"100%\" style=\"max-width:40px\"><title>T</title><style>#f rect.a{fill:var(--gb-fig-c0,#000)}\
#f text{fill:var(--gb-fig-fg,#222);font:12px sans-serif}</style>\
<rect class=\"a\" x=\"0\" y=\"0\" width=\"10\" height=\"10\"/><text x=\"12\" y=\"12\">Hi</text></svg>";

    /// Decode a PNG into (width, height, RGBA bytes).
    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let pixmap = tiny_skia::Pixmap::decode_png(png).expect("a PNG");
        (pixmap.width(), pixmap.height(), pixmap.data().to_vec())
    }

    fn pixel(data: &[u8], width: u32, x: u32, y: u32) -> [u8; 4] {
        let at = ((y * width + x) * 4) as usize;
        [data[at], data[at + 1], data[at + 2], data[at + 3]]
    }

    #[test]
    fn standalone_svg_is_sized_resolved_and_backed() {
        let svg = standalone_svg(PAGE_SVG, Theme::Dark).unwrap();
        assert!(!svg.contains("var("), "{svg}");
        assert!(!svg.contains("100%") && !svg.contains("max-width"), "{svg}");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"f\" class=\"gb-figure gb-plot\" viewBox=\"-2 -2 40 20\" width=\"40\" height=\"20\"><title>T</title><rect x=\"-2\" y=\"-2\" width=\"40\" height=\"20\" style=\"fill:#15171c;stroke:none\"/>"), "{svg}");
        assert!(svg.contains("fill:#5fb3ff"), "{svg}");
        assert!(standalone_svg("<p>no</p>", Theme::Light).is_err());
        assert!(standalone_svg("<svg id=\"x\"></svg>", Theme::Light).is_err());
    }

    #[test]
    fn png_draws_theme_colours_at_scale() {
        for (theme, bg, c0) in [
            (
                Theme::Light,
                [0xff, 0xff, 0xff, 0xff],
                [0x0b, 0x6f, 0xb8, 0xff],
            ),
            (
                Theme::Dark,
                [0x15, 0x17, 0x1c, 0xff],
                [0x5f, 0xb3, 0xff, 0xff],
            ),
        ] {
            let png = render(PAGE_SVG, Format::Png, theme, 2.0).unwrap();
            let (w, h, data) = decode(&png);
            assert_eq!((w, h), (80, 40));
            // The viewBox starts at (-2, -2): SVG (0…10, 0…10) is pixels (4…24, 4…24) at scale 2.
            assert_eq!(pixel(&data, w, 1, 1), bg, "{theme:?} background");
            assert_eq!(pixel(&data, w, 14, 14), c0, "{theme:?} c0 square");
            assert_eq!(pixel(&data, w, 26, 14), bg, "{theme:?} right of the square");
        }
    }

    #[test]
    fn text_is_drawn_with_the_embedded_font() {
        let with_text = render(PAGE_SVG, Format::Png, Theme::Light, 1.0).unwrap();
        let without = render(
            &PAGE_SVG.replace(">Hi<", "><"),
            Format::Png,
            Theme::Light,
            1.0,
        )
        .unwrap();
        let (w, _, a) = decode(&with_text);
        let (_, _, b) = decode(&without);
        let differing = (0..a.len() / 4).filter(|i| a[i * 4..i * 4 + 4] != b[i * 4..i * 4 + 4]);
        let columns: Vec<u32> = differing.map(|i| i as u32 % w).collect();
        assert!(columns.len() > 20, "text painted {} pixels", columns.len());
        assert!(columns.iter().all(|&x| x >= 14), "text left of its x");
    }

    #[test]
    fn pdf_is_one_page_and_deterministic() {
        // Two faces (svg2pdf would embed two fonts in hash-map order) in one figure.
        let two_faces = PAGE_SVG.replace(
            "</svg>",
            "<text x=\"1\" y=\"18\" style=\"font:600 8px monospace\">Bold</text>\
<text x=\"20\" y=\"18\" style=\"font:8px monospace\">mono</text></svg>",
        );
        let a = render(&two_faces, Format::Pdf, Theme::Light, 1.0).unwrap();
        for _ in 0..4 {
            assert_eq!(
                a,
                render(&two_faces, Format::Pdf, Theme::Light, 1.0).unwrap()
            );
        }
        assert!(a.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&a);
        assert_eq!(
            text.matches("/Type /Page\n").count()
                + text.matches("/Type /Page ").count()
                + text.matches("/Type /Page/").count(),
            1,
            "{text}"
        );
        assert!(text.contains("40") && text.contains("20"), "page size");
    }

    #[test]
    fn outputs_carry_the_mark_and_others_do_not() {
        for format in [Format::Svg, Format::Png, Format::Pdf] {
            let bytes = render(PAGE_SVG, format, Theme::Light, 1.0).unwrap();
            assert!(written_by_gradbook(&bytes), "{format:?}");
        }
        let png = render(PAGE_SVG, Format::Png, Theme::Light, 1.0).unwrap();
        assert!(
            tiny_skia::Pixmap::decode_png(&png).is_ok(),
            "marked PNG still decodes"
        );
        assert!(!written_by_gradbook(
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><g class=\"gb-figure \"/></svg>"
        ));
        assert!(!written_by_gradbook(b"\x89PNG\r\n\x1a\n plain"));
        assert!(!written_by_gradbook(b"%PDF-1.7 /Producer (svg2pdf)"));
        assert!(!written_by_gradbook(b"import torch\n"));
        assert!(!written_by_gradbook(b""));
    }

    #[test]
    fn oversized_or_bad_scale_is_refused() {
        assert!(render(PAGE_SVG, Format::Png, Theme::Light, 1000.0).is_err());
        assert!(render(PAGE_SVG, Format::Png, Theme::Light, 0.0).is_err());
        assert!(render(PAGE_SVG, Format::Png, Theme::Light, f32::NAN).is_err());
    }
}
