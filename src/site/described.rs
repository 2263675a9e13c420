//! Linking a figure to the table that spells out its details: the figure's `<svg role="img">`
//! gets `aria-describedby` naming the table, so keyboard and screen-reader users reach every
//! node's value and gradient that the drawing only shows in hover tooltips.

use crate::markup::sanitize_id;

/// `svg` with `aria-describedby="<table_id>"` (sanitized like the table's own id) on its root
/// element; unchanged when it does not start with `<svg ` or already has a description.
pub fn link(svg: &str, table_id: &str) -> String {
    let Some(rest) = svg.strip_prefix("<svg ") else {
        return svg.to_string();
    };
    let head = &rest[..rest.find('>').unwrap_or(rest.len())];
    if head.contains("aria-describedby=") {
        return svg.to_string();
    }
    format!("<svg aria-describedby=\"{}\" {rest}", sanitize_id(table_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_svg_names_the_table() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><g><svg x=\"1\"></svg></g></svg>";
        let linked = link(svg, "q3 nodes\"><script>");
        assert_eq!(
            linked,
            "<svg aria-describedby=\"q3-nodes---script-\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"><g><svg x=\"1\"></svg></g></svg>"
        );
        assert_eq!(link(&linked, "other"), linked);
        assert_eq!(link("<p>no svg</p>", "t"), "<p>no svg</p>");
    }
}
