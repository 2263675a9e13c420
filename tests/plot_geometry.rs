//! The geometry of the Q2 plots as drawn for the shipped `content/bump.toml`: texts are
//! legible at the content column's width (and the narrow renderings at a phone's width), stay
//! inside the drawing and never overlap.
//!
//! No font is available to measure text, so each text's box is estimated the way a browser
//! lays out a sans-serif line: 0.6 em per character (wider than the digits and lowercase of
//! common faces), 0.8 em of ascent and 0.2 em of descent around the baseline, which the SVG
//! backend shifts by `dy` (`em` or `ex` = 0.5 em), anchored by `text-anchor`, then rotated by
//! the text's `transform`. Data lines (polylines of three or more points) must not cross
//! any text either.

use gradbook::compute::{self, Kind, Outcome};
use gradbook::figure;
use std::sync::OnceLock;

const SEED: &str = include_str!("../content/bump.toml");
/// The width of the site's content column, in CSS pixels.
const COLUMN: f64 = 750.0;
/// The smallest legible text once the figure is laid out in the column.
const MIN_TEXT_PX: f64 = 12.0;
/// The room a figure has in a 360 px window: the page's 8 px gutter on each side.
const PHONE: f64 = 344.0;
/// The smallest text allowed anywhere (issue #11: nothing under 11 px from 360 px up).
const MIN_PHONE_TEXT_PX: f64 = 11.0;

fn outcome() -> &'static Outcome {
    static OUTCOME: OnceLock<Outcome> = OnceLock::new();
    OUTCOME.get_or_init(|| compute::run(Kind::Optimizer, SEED).expect("content/bump.toml runs"))
}

/// A text of a plot and its estimated box `[x0, y0, x1, y1]` in viewBox units.
#[derive(Debug)]
struct TextBox {
    text: String,
    class: String,
    font_size: f64,
    rect: [f64; 4],
}

fn number(value: Option<&str>) -> f64 {
    value.and_then(|v| v.trim().parse().ok()).unwrap_or(0.0)
}

/// `dy` in user units: `0.76em`, `0.5ex`, `-0.5ex`, or a plain number.
fn dy(value: Option<&str>, size: f64) -> f64 {
    let value = value.unwrap_or("0");
    if let Some(em) = value.strip_suffix("em") {
        number(Some(em)) * size
    } else if let Some(ex) = value.strip_suffix("ex") {
        number(Some(ex)) * size / 2.0
    } else {
        number(Some(value))
    }
}

/// The corners of `rect` rotated by `transform="rotate(a, cx, cy)"`, as a bounding box.
fn rotated(rect: [f64; 4], transform: Option<&str>) -> [f64; 4] {
    let Some(args) = transform
        .and_then(|t| t.strip_prefix("rotate("))
        .and_then(|t| t.strip_suffix(')'))
    else {
        return rect;
    };
    let v: Vec<f64> = args.split(',').map(|a| number(Some(a))).collect();
    let (angle, cx, cy) = (v[0].to_radians(), v[1], v[2]);
    let (sin, cos) = angle.sin_cos();
    let corners = [
        (rect[0], rect[1]),
        (rect[2], rect[1]),
        (rect[0], rect[3]),
        (rect[2], rect[3]),
    ]
    .map(|(x, y)| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
    });
    corners.iter().fold(
        [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        |[x0, y0, x1, y1], &(x, y)| [x0.min(x), y0.min(y), x1.max(x), y1.max(y)],
    )
}

fn text_boxes(doc: &roxmltree::Document) -> Vec<TextBox> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text = n.text().unwrap_or("").trim().to_string();
            let size = number(n.attribute("font-size"));
            assert!(size > 0.0, "text {text:?} has no font-size");
            let width = 0.6 * size * text.chars().count() as f64;
            let x = number(n.attribute("x"));
            let x0 = match n.attribute("text-anchor") {
                Some("middle") => x - width / 2.0,
                Some("end") => x - width,
                _ => x,
            };
            let baseline = number(n.attribute("y")) + dy(n.attribute("dy"), size);
            let rect = [x0, baseline - 0.8 * size, x0 + width, baseline + 0.2 * size];
            TextBox {
                text,
                class: n.attribute("class").unwrap_or("").to_string(),
                font_size: size,
                rect: rotated(rect, n.attribute("transform")),
            }
        })
        .collect()
}

/// The data lines of a plot: polylines of three or more points (legend samples have two).
fn data_lines(doc: &roxmltree::Document) -> Vec<Vec<(f64, f64)>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("points"))
        .map(|points| {
            points
                .split_whitespace()
                .filter_map(|p| p.split_once(','))
                .map(|(x, y)| (number(Some(x)), number(Some(y))))
                .collect::<Vec<_>>()
        })
        .filter(|line| line.len() >= 3)
        .collect()
}

/// The short two-point lines of a plot (under 100 px): legend samples and the leader lines of
/// labels that stand off their markers. Longer ones are reference lines across the chart
/// (`L`, the peak), which the data may cross.
fn short_lines(doc: &roxmltree::Document) -> Vec<((f64, f64), (f64, f64))> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("points"))
        .map(|points| {
            points
                .split_whitespace()
                .filter_map(|p| p.split_once(','))
                .map(|(x, y)| (number(Some(x)), number(Some(y))))
                .collect::<Vec<_>>()
        })
        .filter(|line| line.len() == 2)
        .map(|line| (line[0], line[1]))
        .filter(|(a, b)| (b.0 - a.0).hypot(b.1 - a.1) < 100.0)
        .collect()
}

/// Whether segments `a`–`b` and `c`–`d` come within half a pixel of each other, sampled every
/// tenth of a pixel along `a`–`b`.
fn near(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let steps = ((b.0 - a.0).hypot(b.1 - a.1) * 10.0).ceil().max(1.0) as usize;
    let (ex, ey) = (d.0 - c.0, d.1 - c.1);
    let length2 = (ex * ex + ey * ey).max(f64::EPSILON);
    (0..=steps).any(|i| {
        let t = i as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        let u = (((x - c.0) * ex + (y - c.1) * ey) / length2).clamp(0.0, 1.0);
        (x - c.0 - u * ex).hypot(y - c.1 - u * ey) < 0.5
    })
}

/// Whether the segment `a`–`b` meets the interior of `r`, by sampling it every tenth of a
/// pixel (independent of the clipping the drawing code uses).
fn crosses(r: &[f64; 4], a: (f64, f64), b: (f64, f64)) -> bool {
    let steps = ((b.0 - a.0).hypot(b.1 - a.1) * 10.0).ceil().max(1.0) as usize;
    (0..=steps).any(|i| {
        let t = i as f64 / steps as f64;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        r[0] < x && x < r[2] && r[1] < y && y < r[3]
    })
}

fn overlap(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

/// Check one rendering of plot `kind` shown `shown` CSS px wide (at most its natural width):
/// every text at least `min_px`, inside the viewBox, clear of every other text and of every
/// data line; every id prefixed. Returns the texts.
fn check_plot(kind: &str, svg: &str, shown: f64, min_px: f64) -> Vec<TextBox> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let root = doc.root_element();
    let view: Vec<f64> = root
        .attribute("viewBox")
        .expect("a viewBox")
        .split_whitespace()
        .map(|v| number(Some(v)))
        .collect();
    let max_width = root
        .attribute("style")
        .and_then(|s| s.split("max-width:").nth(1))
        .and_then(|s| s.split("px").next())
        .map_or(f64::INFINITY, |w| number(Some(w)));
    let scale = shown.min(max_width) / view[2];
    let viewbox = [view[0], view[1], view[0] + view[2], view[1] + view[3]];

    let boxes = text_boxes(&doc);
    assert!(boxes.len() > 10, "{kind}: only {} texts", boxes.len());
    for b in &boxes {
        assert!(
            b.font_size * scale >= min_px,
            "{kind}: {:?} is {:.1}px at {shown}px wide",
            b.text,
            b.font_size * scale
        );
        let inside = viewbox[0] <= b.rect[0]
            && b.rect[2] <= viewbox[2]
            && viewbox[1] <= b.rect[1]
            && b.rect[3] <= viewbox[3];
        assert!(
            inside,
            "{kind}: {:?} {:?} leaves the viewBox {viewbox:?}",
            b.text, b.rect
        );
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(
                !overlap(&a.rect, &b.rect),
                "{kind}: {:?} {:?} overlaps {:?} {:?}",
                a.text,
                a.rect,
                b.text,
                b.rect
            );
        }
    }
    for line in data_lines(&doc) {
        for b in &boxes {
            let hit = line.windows(2).find(|w| crosses(&b.rect, w[0], w[1]));
            assert!(
                hit.is_none(),
                "{kind}: the data line through {hit:?} crosses {:?} {:?}",
                b.text,
                b.rect
            );
        }
    }
    // Leader lines (and legend samples) cross no text and no data line.
    let data = data_lines(&doc);
    for (a, b) in short_lines(&doc) {
        for t in &boxes {
            assert!(
                !crosses(&t.rect, a, b),
                "{kind}: the line {a:?}–{b:?} crosses {:?} {:?}",
                t.text,
                t.rect
            );
        }
        for line in &data {
            let hit = line.windows(2).find(|w| near(a, b, w[0], w[1]));
            assert!(
                hit.is_none(),
                "{kind}: the line {a:?}–{b:?} meets the data line at {hit:?}"
            );
        }
    }
    for node in doc.descendants() {
        if let Some(id) = node.attribute("id") {
            assert!(id.starts_with("q2-geo-"), "{kind}: id {id:?}");
        }
    }
    boxes
}

#[test]
fn every_plot_is_legible_uncrowded_and_prefixed() {
    let kinds = figure::kinds(outcome());
    assert_eq!(kinds.len(), 5);
    for &kind in kinds {
        let svg = figure::draw(outcome(), kind, "q2-geo-").expect("the seed draws every kind");
        check_plot(kind, &svg, COLUMN, MIN_TEXT_PX);
        assert_eq!(
            Some(svg),
            figure::draw(outcome(), kind, "q2-geo-"),
            "{kind}: drawing twice differs"
        );
    }
}

#[test]
fn narrow_plots_number_the_same_steps_as_wide_ones() {
    // The caption says every point is labelled: the narrow plot must number the same steps.
    for &kind in figure::kinds(outcome()) {
        let wide = figure::draw(outcome(), kind, "q2-geo-").expect("every kind draws");
        let narrow = figure::draw_narrow(
            outcome(),
            kind,
            "q2-geo-n-",
            gradbook::format::Digits::DEFAULT,
        )
        .expect("plots have a narrow form");
        let labels = |svg: &str| {
            step_labels(&text_boxes(
                &roxmltree::Document::parse(svg).expect("well-formed SVG"),
            ))
        };
        assert_eq!(labels(&narrow.svg), labels(&wide), "{kind}");
    }
}

/// The labels that number the iterates (coloured like their series, not axis ticks).
fn step_labels(boxes: &[TextBox]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = boxes
        .iter()
        .filter(|b| b.class.starts_with("f-c"))
        .map(|b| (b.class.clone(), b.text.clone()))
        .collect();
    labels.sort();
    labels
}

#[test]
fn narrow_plots_are_legible_on_a_phone_and_keep_every_label() {
    for &kind in figure::kinds(outcome()) {
        let wide = figure::draw(outcome(), kind, "q2-geo-").expect("every kind draws");
        let narrow = figure::draw_narrow(
            outcome(),
            kind,
            "q2-geo-n-",
            gradbook::format::Digits::DEFAULT,
        )
        .expect("plots have a narrow form");
        let boxes = check_plot(kind, &narrow.svg, PHONE, MIN_PHONE_TEXT_PX);
        // The legend goes below the chart: under the lowest tick label.
        let legend = boxes
            .iter()
            .find(|b| b.text == "gradient descent" || b.text.starts_with("supremum"))
            .or_else(|| boxes.iter().find(|b| b.text.starts_with("m̂")))
            .expect("a legend entry");
        let lowest_tick = boxes
            .iter()
            .filter(|b| b.class == "f-fg" && b.text.parse::<f64>().is_ok())
            .map(|b| b.rect[3])
            .fold(f64::MIN, f64::max);
        assert!(
            legend.rect[1] > lowest_tick,
            "{kind}: legend {legend:?} not below the axis"
        );
        // Fewer ticks than the wide rendering.
        let ticks = |b: &[TextBox]| {
            b.iter()
                .filter(|t| t.class == "f-fg" && t.text.parse::<f64>().is_ok())
                .count()
        };
        let wide_doc = roxmltree::Document::parse(&wide).expect("SVG");
        let wide_boxes = text_boxes(&wide_doc);
        let wide_width = wide_doc
            .root_element()
            .attribute("viewBox")
            .and_then(|v| v.split_whitespace().nth(2))
            .map(|w| number(Some(w)))
            .expect("a viewBox");
        assert!(ticks(&boxes) < ticks(&wide_boxes), "{kind}: as many ticks");
        // The switch happens where the wide rendering's smallest text reaches 11 px.
        let smallest = wide_boxes
            .iter()
            .map(|b| b.font_size)
            .fold(f64::MAX, f64::min);
        let below = MIN_PHONE_TEXT_PX * wide_width / smallest;
        assert!(
            (narrow.below - below).abs() < 1e-9,
            "{kind}: {}",
            narrow.below
        );
    }
}

#[test]
fn the_box_estimate_follows_anchor_baseline_and_rotation() {
    let doc = roxmltree::Document::parse(
        "<svg xmlns=\"http://www.w3.org/2000/svg\">\
<text x=\"100\" y=\"50\" dy=\"0.76em\" text-anchor=\"middle\" font-size=\"10\">abcd</text>\
<text x=\"100\" y=\"50\" dy=\"0.5ex\" text-anchor=\"end\" font-size=\"10\">ab</text>\
<text x=\"0\" y=\"0\" dy=\"-0.5ex\" font-size=\"10\" transform=\"rotate(270, 0, 0)\">ab</text>\
</svg>",
    )
    .unwrap();
    let boxes = text_boxes(&doc);
    let close = |a: [f64; 4], b: [f64; 4]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9);
    // 4 characters of 6 units centred on 100; baseline 57.6, so 49.6 … 59.6.
    assert!(
        close(boxes[0].rect, [88.0, 49.6, 112.0, 59.6]),
        "{:?}",
        boxes[0]
    );
    // Baseline 52.5 (0.5ex = 2.5), ending at 100.
    assert!(
        close(boxes[1].rect, [88.0, 44.5, 100.0, 54.5]),
        "{:?}",
        boxes[1]
    );
    // [0, -10.5, 12, -0.5] turned by 270°: (x, y) → (y, -x).
    assert!(
        close(boxes[2].rect, [-10.5, -12.0, -0.5, 0.0]),
        "{:?}",
        boxes[2]
    );
}

#[test]
fn the_longest_run_draws_every_kind_quickly() {
    let source = SEED.replacen("steps = 30", "steps = 100000", 1);
    let outcome = compute::run(Kind::Optimizer, &source).expect("100000 steps are allowed");
    let start = std::time::Instant::now();
    for &kind in figure::kinds(&outcome) {
        let svg = figure::draw(&outcome, kind, "long-").expect("every kind draws");
        roxmltree::Document::parse(&svg).expect("well-formed SVG");
    }
    // Label placement checks each label against every obstacle; the labels are capped so a
    // long run stays far from quadratic (a debug build takes well under a second here).
    assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
}

#[test]
fn labels_print_the_books_digits_within_their_room() {
    // The seed's label in the h_max-vs-α plot prints the computed h_max: at the book's digits
    // when it asks for fewer than the label's room of 4, else at 4 (rounded here).
    let Outcome::Optimizer(study) = outcome() else {
        panic!("an optimizer outcome");
    };
    let h_max = study.adam.h_max.expect("the seed has a threshold");
    let round = |digits: usize| -> f64 {
        format!("{:.*e}", digits - 1, h_max)
            .parse()
            .expect("reads back")
    };
    for (digits, shown) in [(1, 1), (2, 2), (6, 4), (17, 4)] {
        let svg = figure::draw_with_digits(
            outcome(),
            "hmax-vs-alpha",
            "q2-geo-",
            figure::diagram::Engine::default(),
            gradbook::format::Digits(digits),
        )
        .expect("hmax-vs-alpha draws");
        let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let label = text_boxes(&doc)
            .into_iter()
            .find(|b| b.text.contains("h_max = "))
            .expect("the seed's label");
        let printed = label.text.split("h_max = ").nth(1).unwrap_or("");
        let value: f64 = printed.parse().expect("a plain decimal");
        assert_eq!(value, round(shown), "digits = {digits}: {printed}");
    }
}
