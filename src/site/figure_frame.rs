//! The frame a page puts around a figure: how wide it may grow (past the text column, up to
//! the window, see `css/fit.css`), what happens below the width at which its text would shrink
//! under [`MIN_TEXT_PX`](crate::figure::MIN_TEXT_PX) — a diagram scrolls sideways inside a
//! keyboard-focusable region and says so, a plot switches to its narrow rendering — all with
//! CSS container queries, so it works without JavaScript and from `file://`.

use crate::figure::Narrow;
use crate::format::fixed;
use crate::markup::{escape, sanitize_id};

/// What the frame needs from the root `<svg>` tag of one of gradbook's own figures.
#[derive(Debug, PartialEq)]
struct Root {
    /// The root's id.
    id: String,
    /// The natural width: the viewBox's width, in CSS pixels.
    width: f64,
    /// The width under which the figure overflows instead of shrinking (`min-width` in its
    /// inline style), if it has one.
    min_width: Option<f64>,
    /// The id of the element naming the figure (`aria-labelledby`).
    labelledby: Option<String>,
}

/// The value of attribute `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    Some(&tag[from..from + tag[from..].find('"')?])
}

/// The number of pixels after `property:` in an inline style (`min-width:412.5px`).
fn style_px(style: &str, property: &str) -> Option<f64> {
    style.split(';').find_map(|declaration| {
        let (name, value) = declaration.split_once(':')?;
        (name.trim() == property)
            .then(|| value.trim().strip_suffix("px")?.parse().ok())
            .flatten()
    })
}

/// Read the root tag of `svg`; `None` if it is not an `<svg>` with an id and a viewBox.
fn read_root(svg: &str) -> Option<Root> {
    let tag = &svg[..svg.find('>')?];
    if !tag.starts_with("<svg") {
        return None;
    }
    let view: Vec<f64> = attribute(tag, "viewBox")?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let width = *view.get(2)?;
    let style = attribute(tag, "style").unwrap_or("");
    Some(Root {
        id: attribute(tag, "id")?.to_string(),
        width,
        min_width: style_px(style, "min-width").filter(|&m| m < width),
        labelledby: attribute(tag, "aria-labelledby").map(str::to_string),
    })
}

/// `svg` with a `<style>` element holding `css` as its first child (an SVG `<style>` styles
/// the whole page, and keeps the figure's rules with the figure).
fn with_style(svg: &str, css: &str) -> String {
    match svg.find('>') {
        Some(end) => format!("{}<style>{css}</style>{}", &svg[..=end], &svg[end + 1..]),
        None => svg.to_string(),
    }
}

/// A `<figure>` around `svg` (with `narrow`, a plot's re-flowed rendering) and the caption
/// HTML `caption` (already escaped; may be empty), with id `id`.
///
/// The figure declares its natural width (`--gb-fig-width`) for `css/fit.css`, which lets it
/// grow past the text column up to the room the window leaves. A diagram with a minimum
/// width sits in a scroll region (focusable, named like the figure, described by a hint that
/// shows only when the figure is narrower than that minimum); a plot shows `narrow` instead
/// of `svg` when the figure is narrower than `narrow.below`.
pub fn frame(id: &str, svg: &str, narrow: Option<&Narrow>, caption: &str) -> String {
    let id = sanitize_id(id);
    let Some(root) = read_root(svg) else {
        return format!("<figure class=\"gb-figure\" id=\"{id}\">{svg}{caption}</figure>");
    };
    let open = format!(
        "<figure class=\"gb-figure gb-fit\" id=\"{id}\" style=\"--gb-fig-width:{}px\">",
        fixed(root.width, 1)
    );
    if let Some(narrow) = narrow.and_then(|n| Some((n, read_root(&n.svg)?))) {
        let (n, narrow_root) = narrow;
        // Rounded up, so the full rendering never shows below its readable width.
        let below = fixed((n.below * 10.0).ceil() / 10.0, 1);
        let css = format!(
            "@container (width &lt; {below}px){{#{wide}{{display:none}}}}\
@container (width &gt;= {below}px){{#{small}{{display:none}}}}",
            wide = root.id,
            small = narrow_root.id
        );
        return format!(
            "{open}<div class=\"gb-frame\">{}{}</div>{caption}</figure>",
            with_style(svg, &css),
            n.svg
        );
    }
    let Some(min_width) = root.min_width else {
        return format!("{open}<div class=\"gb-frame\">{svg}</div>{caption}</figure>");
    };
    // Named after the SVG (whose id keeps the chapter's figure prefix), not the figure: an
    // author's label is prefixed on the print page, where the rule below would then miss it.
    let hint = format!("{}-hint", root.id);
    let css = format!(
        "@container (width &lt; {}px){{#{hint}{{display:block}}}}",
        fixed(min_width, 1)
    );
    let label = match &root.labelledby {
        Some(by) => format!(" aria-labelledby=\"{}\"", escape(by)),
        None => " aria-label=\"Figure\"".to_string(),
    };
    format!(
        "{open}<div class=\"gb-frame gb-scroller\" tabindex=\"0\" role=\"region\"{label} \
aria-describedby=\"{hint}\">{}</div><p class=\"gb-scroll-hint\" id=\"{hint}\">\
<span aria-hidden=\"true\">⇆ </span>Wider than the window: scroll sideways (swipe, or focus \
it and use the arrow keys).</p>{caption}</figure>",
        with_style(svg, &css)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIAGRAM: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"q1-f1-fig\" \
class=\"gb-figure gb-diagram gb-scroll\" role=\"img\" aria-labelledby=\"q1-f1-title\" \
viewBox=\"0 0 912.5 300\" width=\"100%\" style=\"max-width:912.5px;min-width:772.1px\">\
<title id=\"q1-f1-title\">Chain</title></svg>";

    #[test]
    fn the_root_tag_gives_width_minimum_and_name() {
        assert_eq!(
            read_root(DIAGRAM),
            Some(Root {
                id: "q1-f1-fig".into(),
                width: 912.5,
                min_width: Some(772.1),
                labelledby: Some("q1-f1-title".into()),
            })
        );
        assert_eq!(read_root("<g id=\"x\" viewBox=\"0 0 1 1\">"), None);
        assert_eq!(read_root("<svg viewBox=\"0 0 1 1\">"), None, "no id");
    }

    #[test]
    fn a_diagram_scrolls_in_a_named_focusable_region_with_a_hint() {
        let html = frame("q1-f1-figure", DIAGRAM, None, "<figcaption>C</figcaption>");
        assert!(html.starts_with(
            "<figure class=\"gb-figure gb-fit\" id=\"q1-f1-figure\" style=\"--gb-fig-width:912.5px\">\
<div class=\"gb-frame gb-scroller\" tabindex=\"0\" role=\"region\" aria-labelledby=\"q1-f1-title\" \
aria-describedby=\"q1-f1-fig-hint\">"
        ));
        // The hint shows exactly when the figure is narrower than the SVG's minimum width.
        assert!(html.contains(
            "<style>@container (width &lt; 772.1px){#q1-f1-fig-hint{display:block}}</style>"
        ));
        assert!(html.contains("<p class=\"gb-scroll-hint\" id=\"q1-f1-fig-hint\">"));
        assert!(html.ends_with("</p><figcaption>C</figcaption></figure>"));
    }

    #[test]
    fn a_plot_switches_to_its_narrow_rendering_below_the_readable_width() {
        let wide = "<svg id=\"p-fig\" viewBox=\"0 0 750 440\" style=\"max-width:750px\"></svg>";
        let narrow = Narrow {
            svg: "<svg id=\"p-n-fig\" viewBox=\"0 0 440 400\" style=\"max-width:440px\"></svg>"
                .into(),
            below: 634.615,
        };
        let html = frame("p-figure", wide, Some(&narrow), "");
        assert_eq!(
            html,
            "<figure class=\"gb-figure gb-fit\" id=\"p-figure\" style=\"--gb-fig-width:750.0px\">\
<div class=\"gb-frame\"><svg id=\"p-fig\" viewBox=\"0 0 750 440\" style=\"max-width:750px\">\
<style>@container (width &lt; 634.7px){#p-fig{display:none}}\
@container (width &gt;= 634.7px){#p-n-fig{display:none}}</style></svg>\
<svg id=\"p-n-fig\" viewBox=\"0 0 440 400\" style=\"max-width:440px\"></svg></div></figure>"
        );
        assert!(!html.contains("tabindex"), "a plot never scrolls");
    }

    #[test]
    fn hostile_ids_are_sanitised_and_unknown_markup_is_left_alone() {
        let html = frame("a\"><script>", "<p>not svg</p>", None, "");
        assert_eq!(
            html,
            "<figure class=\"gb-figure\" id=\"a---script-\"><p>not svg</p></figure>"
        );
    }
}
