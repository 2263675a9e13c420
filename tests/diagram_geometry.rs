//! Geometry of the node-and-edge diagrams, read back from the SVG (independently of the
//! layout code): every diagram the default book draws and generated scripts. No arrow runs
//! through a box that is not one of its ends, boxes do not overlap, labels sit clear of
//! boxes, other labels and every line (their own included), text fits its box, parallel
//! arrows are drawn apart, arrowheads do not scale with the stroke, and text is never
//! scaled below 11px.

use gradbook::compute::{self, Kind, Outcome};
use gradbook::figure;
use roxmltree::{Document, Node};

/// Monospace advance in em (the figures ask for a monospace face; 0.6 em for the common ones).
const ADVANCE: f64 = 0.6;
/// How far a line may graze a box before it counts as crossing it (px).
const TOLERANCE: f64 = 1.0;

#[derive(Debug, Clone)]
struct Box {
    name: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Box {
    fn around(name: String, cx: f64, cy: f64, w: f64, h: f64) -> Box {
        Box {
            name,
            x0: cx - w / 2.0,
            y0: cy - h / 2.0,
            x1: cx + w / 2.0,
            y1: cy + h / 2.0,
        }
    }
    fn overlaps(&self, o: &Box) -> bool {
        self.x0.max(o.x0) < self.x1.min(o.x1) - TOLERANCE
            && self.y0.max(o.y0) < self.y1.min(o.y1) - TOLERANCE
    }
    /// Whether `p` lies on the border (within 1.5 px).
    fn touches(&self, p: (f64, f64)) -> bool {
        let inside = p.0 > self.x0 - 1.5
            && p.0 < self.x1 + 1.5
            && p.1 > self.y0 - 1.5
            && p.1 < self.y1 + 1.5;
        let deep = p.0 > self.x0 + 1.5
            && p.0 < self.x1 - 1.5
            && p.1 > self.y0 + 1.5
            && p.1 < self.y1 - 1.5;
        inside && !deep
    }
    /// Whether segment a–b enters the box shrunk by `TOLERANCE` (Liang–Barsky).
    fn cut_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (x0, y0, x1, y1) = (
            self.x0 + TOLERANCE,
            self.y0 + TOLERANCE,
            self.x1 - TOLERANCE,
            self.y1 - TOLERANCE,
        );
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.0 - x0),
            (dx, x1 - a.0),
            (-dy, a.1 - y0),
            (dy, y1 - a.1),
        ] {
            if p == 0.0 {
                if q <= 0.0 {
                    return false;
                }
            } else if p < 0.0 {
                t0 = t0.max(q / p);
            } else {
                t1 = t1.min(q / p);
            }
        }
        x0 < x1 && y0 < y1 && t0 < t1
    }
}

struct Arrow {
    name: String,
    line: Vec<(f64, f64)>,
    label: Option<Box>,
}

fn num(node: Node<'_, '_>, attr: &str) -> f64 {
    node.attribute(attr)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// A path `d` of M, C and S commands, sampled into a polyline.
fn sample(d: &str) -> Vec<(f64, f64)> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for ch in d.chars() {
        if ch.is_ascii_alphabetic() || ch == ' ' || ch == ',' {
            if !cur.is_empty() {
                tokens.push(cur.clone());
                cur.clear();
            }
            if ch.is_ascii_alphabetic() {
                tokens.push(ch.to_string());
            }
        } else {
            cur.push(ch);
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let (mut out, mut cmd, mut nums) = (Vec::new(), ' ', Vec::new());
    let (mut at, mut last_c) = ((0.0, 0.0), (0.0, 0.0));
    let mut flush = |cmd: char, nums: &mut Vec<f64>, out: &mut Vec<(f64, f64)>| {
        let need = match cmd {
            'M' => 2,
            'C' => 6,
            'S' => 4,
            _ => usize::MAX,
        };
        while nums.len() >= need {
            let v: Vec<f64> = nums.drain(..need).collect();
            let pts: [(f64, f64); 3] = match cmd {
                'M' => {
                    at = (v[0], v[1]);
                    out.push(at);
                    continue;
                }
                'C' => [(v[0], v[1]), (v[2], v[3]), (v[4], v[5])],
                _ => [
                    (2.0 * at.0 - last_c.0, 2.0 * at.1 - last_c.1),
                    (v[0], v[1]),
                    (v[2], v[3]),
                ],
            };
            for i in 1..=32 {
                let t = i as f64 / 32.0;
                let u = 1.0 - t;
                let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
                out.push((
                    w[0] * at.0 + w[1] * pts[0].0 + w[2] * pts[1].0 + w[3] * pts[2].0,
                    w[0] * at.1 + w[1] * pts[0].1 + w[2] * pts[1].1 + w[3] * pts[2].1,
                ));
            }
            last_c = pts[1];
            at = pts[2];
        }
    };
    for t in tokens {
        if let Some(c) = t.chars().next().filter(|c| c.is_ascii_alphabetic()) {
            flush(cmd, &mut nums, &mut out);
            cmd = c;
        } else if let Ok(v) = t.parse() {
            nums.push(v);
        }
    }
    flush(cmd, &mut nums, &mut out);
    out
}

fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * ADVANCE * size
}

/// Check one diagram (an `<svg>` with node groups as children); returns what is wrong.
fn check_diagram(figure: &str, svg: Node<'_, '_>) -> Vec<String> {
    let mut out = Vec::new();
    let class = |n: Node<'_, '_>| n.attribute("class").unwrap_or("").to_string();
    let mut boxes = Vec::new();
    for g in svg.children().filter(|g| class(*g).starts_with("gb-node ")) {
        let Some(r) = g.children().find(|c| c.has_tag_name("rect")) else {
            continue;
        };
        let texts: Vec<Node<'_, '_>> = g.children().filter(|c| c.has_tag_name("text")).collect();
        let first = texts.first().and_then(|t| t.text()).unwrap_or("");
        let b = Box {
            name: format!("box {} '{first}'", g.attribute("id").unwrap_or("?")),
            x0: num(r, "x"),
            y0: num(r, "y"),
            x1: num(r, "x") + num(r, "width"),
            y1: num(r, "y") + num(r, "height"),
        };
        for t in &texts {
            let size = if class(*t) == "gb-head" { 13.0 } else { 12.0 };
            let w = text_width(t.text().unwrap_or(""), size);
            let (tx, ty) = (num(*t, "x"), num(*t, "y"));
            if tx - w / 2.0 < b.x0
                || tx + w / 2.0 > b.x1
                || ty - size / 2.0 < b.y0
                || ty + size / 2.0 > b.y1
            {
                out.push(format!(
                    "{figure}: text '{}' ({w:.1}px wide) does not fit {}",
                    t.text().unwrap_or(""),
                    b.name
                ));
            }
        }
        boxes.push(b);
    }
    let mut arrows = Vec::new();
    for g in svg.children().filter(|g| class(*g).starts_with("gb-edge")) {
        let Some(path) = g.children().find(|c| c.has_tag_name("path")) else {
            continue;
        };
        let line = sample(path.attribute("d").unwrap_or(""));
        let label = g.children().find(|c| class(*c) == "gb-label").map(|t| {
            let text = t.text().unwrap_or("");
            Box::around(
                format!("label '{text}'"),
                num(t, "x"),
                num(t, "y"),
                text_width(text, 12.0),
                12.0 * 1.2,
            )
        });
        arrows.push(Arrow {
            name: format!("edge {}", g.attribute("id").unwrap_or("?")),
            line,
            label,
        });
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if a.overlaps(b) {
                out.push(format!("{figure}: {} overlaps {}", a.name, b.name));
            }
        }
    }
    let ends = |line: &[(f64, f64)]| -> Vec<usize> {
        let (Some(&s), Some(&e)) = (line.first(), line.last()) else {
            return Vec::new();
        };
        (0..boxes.len())
            .filter(|&k| boxes[k].touches(s) || boxes[k].touches(e))
            .collect()
    };
    for a in &arrows {
        let own = ends(&a.line);
        let (lo, hi) = a.line.iter().fold(
            (
                (f64::INFINITY, f64::INFINITY),
                (f64::NEG_INFINITY, f64::NEG_INFINITY),
            ),
            |(lo, hi), p| {
                (
                    (lo.0.min(p.0), lo.1.min(p.1)),
                    (hi.0.max(p.0), hi.1.max(p.1)),
                )
            },
        );
        let near = |b: &Box| b.x0 <= hi.0 && b.x1 >= lo.0 && b.y0 <= hi.1 && b.y1 >= lo.1;
        if own.len() < 2 {
            out.push(format!(
                "{figure}: {} does not start and end on boxes ({own:?})",
                a.name
            ));
        }
        for (k, b) in boxes.iter().enumerate() {
            if !own.contains(&k) && near(b) && a.line.windows(2).any(|w| b.cut_by(w[0], w[1])) {
                out.push(format!("{figure}: {} passes through {}", a.name, b.name));
            }
        }
        for other in &arrows {
            if let Some(l) = &other.label
                && near(l)
                && a.line.windows(2).any(|w| l.cut_by(w[0], w[1]))
            {
                out.push(format!(
                    "{figure}: {} strikes through the {} of {}",
                    a.name, l.name, other.name
                ));
            }
        }
    }
    for (i, a) in arrows.iter().enumerate() {
        for b in &arrows[i + 1..] {
            let (ea, eb) = (ends(&a.line), ends(&b.line));
            let mid = |l: &[(f64, f64)]| l[l.len() / 2];
            if !ea.is_empty() && ea == eb && {
                let (p, q) = (mid(&a.line), mid(&b.line));
                (p.0 - q.0).hypot(p.1 - q.1) < 3.0
            } {
                out.push(format!(
                    "{figure}: {} and {} are drawn on top of each other",
                    a.name, b.name
                ));
            }
        }
        if let Some(l) = &a.label {
            for b in &boxes {
                if l.overlaps(b) {
                    out.push(format!(
                        "{figure}: the {} of {} overlaps {}",
                        l.name, a.name, b.name
                    ));
                }
            }
            for b in &arrows[i + 1..] {
                if let Some(m) = &b.label
                    && l.overlaps(m)
                {
                    out.push(format!(
                        "{figure}: the {} of {} overlaps the {} of {}",
                        l.name, a.name, m.name, b.name
                    ));
                }
            }
        }
    }
    out
}

/// Check a whole figure: every diagram in it, arrowheads and the smallest text size.
fn check_figure(figure: &str, svg: &str) -> Vec<String> {
    let doc = match Document::parse(svg) {
        Ok(d) => d,
        Err(e) => return vec![format!("{figure}: {e}")],
    };
    let mut out = Vec::new();
    let root = doc.root_element();
    let style = root.attribute("style").unwrap_or("");
    let min_width = style.split(';').find_map(|s| {
        s.strip_prefix("min-width:")?
            .strip_suffix("px")?
            .parse::<f64>()
            .ok()
    });
    let view_width = root
        .attribute("viewBox")
        .and_then(|v| v.split(' ').nth(2)?.parse::<f64>().ok());
    match (min_width, view_width) {
        (Some(m), Some(w)) if 12.0 * m / w >= 11.0 - 1e-9 => {}
        other => out.push(format!(
            "{figure}: body text can shrink below 11px ({other:?})"
        )),
    }
    let markers: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("marker"))
        .collect();
    for m in &markers {
        if m.attribute("markerUnits") != Some("userSpaceOnUse")
            || m.attribute("markerWidth") != markers[0].attribute("markerWidth")
        {
            out.push(format!(
                "{figure}: marker {} scales with the stroke or differs in size",
                m.attribute("id").unwrap_or("?")
            ));
        }
    }
    for svg in doc.descendants().filter(|n| n.has_tag_name("svg")) {
        let label = format!("{figure} ({})", svg.attribute("id").unwrap_or("?"));
        out.extend(check_diagram(&label, svg));
    }
    out
}

fn assert_clean(figure: &str, svg: &str) {
    let problems = check_figure(figure, svg);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn outcome(kind: Kind, source: &str) -> Outcome {
    compute::run(kind, source).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_default_books_diagrams_are_clean() {
    let tree = outcome(Kind::Autograd, include_str!("../content/comp_tree.py"));
    for kind in figure::kinds(&tree) {
        assert_clean(
            &format!("comp_tree.py {kind}"),
            &figure::draw(&tree, kind, "t-").unwrap_or_default(),
        );
    }
    let nets = outcome(Kind::Network, include_str!("../content/networks.toml"));
    let Outcome::Network(study) = &nets else {
        panic!("not a network study")
    };
    let mut kinds: Vec<String> = figure::kinds(&nets).iter().map(|k| k.to_string()).collect();
    for v in &study.variants {
        for k in ["chain", "skip"] {
            kinds.push(format!("{k}/{}", v.name));
        }
        for p in &study.parameters {
            kinds.push(format!("paths/{}/{p}", v.name));
        }
    }
    for kind in &kinds {
        let svg = figure::draw(&nets, kind, "n-").unwrap_or_else(|| panic!("no figure {kind}"));
        assert_clean(&format!("networks.toml {kind}"), &svg);
    }
    // Scripts written into chapters as ```autograd blocks.
    let chapter = include_str!("../content/q3-comp-tree.md");
    for block in chapter.split("```autograd").skip(1) {
        let script = block
            .split_once('\n')
            .map_or("", |b| b.1)
            .split("```")
            .next()
            .unwrap_or("");
        let result = outcome(Kind::Autograd, script);
        assert_clean(
            "q3 inline block",
            &figure::draw(&result, "backward-graph", "i-").unwrap_or_default(),
        );
    }
}

/// A random script of `statements` statements over `leaves` leaves (reusing operands, so
/// `x * x` and long edges occur).
fn script(seed: u64, leaves: usize, statements: usize) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    let mut s = String::from("import torch\n");
    let mut names: Vec<String> = (0..leaves).map(|i| format!("x{i}")).collect();
    for (i, n) in names.iter().enumerate() {
        s.push_str(&format!(
            "{n} = torch.tensor([{}], requires_grad=True)\n",
            format_args!("{:.2}", 0.3 + 0.1 * i as f64)
        ));
    }
    for k in 0..statements {
        let a = names[next(names.len())].clone();
        let b = if next(4) == 0 {
            a.clone()
        } else {
            names[next(names.len())].clone()
        };
        let expr = match next(5) {
            0 => format!("{a} + {b}"),
            1 => format!("{a} * {b}"),
            2 => format!("torch.sin({a})"),
            3 => format!("{a} - {b} * 2"),
            _ => format!("torch.tanh({a}) * {b}"),
        };
        s.push_str(&format!("t{k} = {expr}\n"));
        names.push(format!("t{k}"));
    }
    // One output that uses every value, so nothing is left out of the graph.
    s.push_str(&format!("out = {}\nout.backward()\n", names.join(" + ")));
    s
}

#[test]
fn generated_scripts_draw_clean_diagrams() {
    for seed in 1..=40u64 {
        let (leaves, statements) = (1 + seed as usize % 5, 2 + (seed as usize * 7) % 30);
        let src = script(seed, leaves, statements);
        let result = outcome(Kind::Autograd, &src);
        let svg = figure::draw(&result, "backward-graph", "g-").unwrap_or_default();
        assert_clean(
            &format!("generated script {seed} ({statements} statements)\n{src}"),
            &svg,
        );
    }
}

#[test]
fn a_large_script_is_clean_too() {
    let src = script(7, 12, 100);
    let result = outcome(Kind::Autograd, &src);
    assert_clean(
        "100-statement script",
        &figure::draw(&result, "backward-graph", "l-").unwrap_or_default(),
    );
}

#[test]
fn the_checker_sees_an_arrow_through_a_box() {
    let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\" style=\"max-width:100px;min-width:100px\">\
<g class=\"gb-edge\" id=\"e0\"><path d=\"M10 10C10 40 10 60 10 90\"/><text class=\"gb-label\" x=\"10\" y=\"70\">w</text></g>\
<g class=\"gb-node gb-node-op\" id=\"a\"><rect x=\"0\" y=\"0\" width=\"20\" height=\"10\"/></g>\
<g class=\"gb-node gb-node-op\" id=\"b\"><rect x=\"0\" y=\"40\" width=\"20\" height=\"10\"/></g>\
<g class=\"gb-node gb-node-op\" id=\"c\"><rect x=\"0\" y=\"90\" width=\"20\" height=\"10\"/></g></svg>";
    let problems = check_figure("toy", svg);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("edge e0 passes through box b")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("strikes through the label 'w'")),
        "{problems:?}"
    );
}
