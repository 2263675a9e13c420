//! Theming plotters' SVG: sentinel colours become CSS classes coloured by the site's
//! `--gb-fig-*` variables, the root gets an id, a title, a scoped `<style>` and a fluid width.

use crate::figure::theme::Theme;
use crate::markup::{escape, sanitize_id};
use plotters::style::text_anchor::Pos;
use plotters::style::{Color, FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

/// What a colour means; the plots draw with [`color`] and [`finish`] maps it to CSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Text, axes and the loss curve.
    Fg,
    /// Reference lines (dashed).
    Muted,
    /// Grid lines.
    Grid,
    /// The legend's background.
    Bg,
    /// The assignment's own point in a sweep.
    Accent,
    /// A data series of the categorical palette (0 … 7).
    Series(u8),
}

impl Role {
    fn index(self) -> u8 {
        match self {
            Role::Fg => 0,
            Role::Muted => 1,
            Role::Grid => 2,
            Role::Bg => 3,
            Role::Accent => 4,
            Role::Series(k) => 8 + (k % 8),
        }
    }

    fn from_index(i: u8) -> Option<Role> {
        Some(match i {
            0 => Role::Fg,
            1 => Role::Muted,
            2 => Role::Grid,
            3 => Role::Bg,
            4 => Role::Accent,
            8..=15 => Role::Series(i - 8),
            _ => return None,
        })
    }

    fn class(self) -> String {
        match self {
            Role::Fg => "fg".into(),
            Role::Muted => "muted".into(),
            Role::Grid => "grid".into(),
            Role::Bg => "bg".into(),
            Role::Accent => "accent".into(),
            Role::Series(k) => format!("c{k}"),
        }
    }

    fn css_value(self) -> String {
        match self {
            Role::Fg => "var(--gb-fig-fg,#222)".into(),
            Role::Muted => "var(--gb-fig-muted,#6b7280)".into(),
            Role::Grid => "var(--gb-fig-grid,#e3e6eb)".into(),
            Role::Bg => "var(--gb-fig-bg,#fff)".into(),
            Role::Accent => "var(--gb-fig-accent,#c2410c)".into(),
            // The light value of the one theme table (`figure::theme`) is the fallback.
            Role::Series(k) => format!(
                "var(--gb-fig-c{k},{})",
                Theme::Light
                    .colour(&format!("c{}", k % 8))
                    .unwrap_or("currentColor")
            ),
        }
    }
}

/// The sentinel colour of a role: `#C0FExx`, which no plot uses for anything else.
pub fn color(role: Role) -> RGBColor {
    RGBColor(0xC0, 0xFE, role.index())
}

/// A font whose SVG `font-size` is `px` CSS pixels, in the colour of `role` (plotters writes
/// a font's size divided by 1.24).
pub fn font(px: f64, role: Role) -> TextStyle<'static> {
    TextStyle {
        font: FontDesc::new(FontFamily::SansSerif, px * 1.24, FontStyle::Normal),
        color: color(role).to_backend_color(),
        pos: Pos::default(),
    }
}

/// Turn plotters' output into a themed, scalable figure with root id `<prefix>fig`.
pub fn finish(svg: &str, id_prefix: &str, title: &str) -> Option<String> {
    let p = sanitize_id(id_prefix);
    let root = format!("{p}fig");
    let open_end = svg.find('>')?;
    let (width, height) = (
        attribute(&svg[..open_end], "width")?,
        attribute(&svg[..open_end], "height")?,
    );
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{root}\" class=\"gb-figure gb-plot\" role=\"img\" \
aria-labelledby=\"{p}title\" viewBox=\"0 0 {width} {height}\" width=\"100%\" style=\"max-width:{width}px\">\
<title id=\"{p}title\">{}</title><style>{}</style>",
        escape(title),
        style(&root)
    );
    let mut rest = &svg[open_end + 1..];
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('>')?;
        out.push_str(&recolor(&rest[start..=end]));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    Some(&tag[from..from + tag[from..].find('"')?])
}

/// Replace sentinel `stroke`/`fill` attributes of one tag by classes.
fn recolor(tag: &str) -> String {
    let mut tag = tag.to_string();
    let mut classes = Vec::new();
    for (attr, kind) in [("stroke", "s"), ("fill", "f")] {
        let key = format!(" {attr}=\"#C0FE");
        if let Some(at) = tag.find(&key) {
            let hex = tag.get(at + key.len()..at + key.len() + 2).unwrap_or("");
            if let Some(role) = u8::from_str_radix(hex, 16).ok().and_then(Role::from_index) {
                classes.push(format!("{kind}-{}", role.class()));
                tag.replace_range(at..at + key.len() + 3, "");
            }
        }
    }
    // Plotters writes font sizes as size / 1.24 at full precision; one decimal is plenty.
    if let Some(at) = tag.find(" font-size=\"")
        && let Some(len) = tag[at + 12..].find('"')
        && let Ok(size) = tag[at + 12..at + 12 + len].parse::<f64>()
    {
        tag.replace_range(at + 12..at + 12 + len, &crate::format::fixed(size, 1));
    }
    // Text is painted with `fill`; its colour class is enough.
    if let Some(at) = tag.find(" font-family=\"")
        && let Some(len) = tag[at + 14..].find('"')
    {
        tag.replace_range(at..at + 15 + len, "");
    }
    if classes.is_empty() {
        return tag;
    }
    let name_end = tag.find([' ', '/', '>']).unwrap_or(tag.len());
    tag.insert_str(name_end, &format!(" class=\"{}\"", classes.join(" ")));
    tag
}

fn style(root: &str) -> String {
    let roles = [Role::Fg, Role::Muted, Role::Grid, Role::Bg, Role::Accent]
        .into_iter()
        .chain((0..8).map(Role::Series));
    let mut css = format!(
        "#{root} text{{font-family:system-ui,sans-serif}}#{root} .s-muted{{stroke-dasharray:5 4}}"
    );
    for role in roles {
        let (class, value) = (role.class(), role.css_value());
        css.push_str(&format!(
            "#{root} .s-{class}{{stroke:{value}}}#{root} .f-{class}{{fill:{value}}}"
        ));
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinels_become_classes() {
        let tag = "<polyline fill=\"none\" opacity=\"1\" stroke=\"#C0FE09\" stroke-width=\"2\"/>";
        assert_eq!(
            recolor(tag),
            "<polyline class=\"s-c1\" fill=\"none\" opacity=\"1\" stroke-width=\"2\"/>"
        );
        let text =
            "<text x=\"1\" font-family=\"sans-serif\" font-size=\"10.48387\" fill=\"#C0FE00\">";
        assert_eq!(
            recolor(text),
            "<text class=\"f-fg\" x=\"1\" font-size=\"10.5\">"
        );
    }

    #[test]
    fn root_is_fluid_and_titled() {
        let svg = "<svg width=\"300\" height=\"200\" viewBox=\"0 0 300 200\" xmlns=\"http://www.w3.org/2000/svg\">\n<line stroke=\"#C0FE02\"/>\n</svg>\n";
        let out = finish(svg, "q2 a-", "A <title>").unwrap();
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"q2-a-fig\""));
        assert!(out.contains("<title id=\"q2-a-title\">A &lt;title&gt;</title>"));
        assert!(out.contains("viewBox=\"0 0 300 200\" width=\"100%\" style=\"max-width:300px\""));
        assert!(out.contains("<line class=\"s-grid\"/>"));
    }
}
