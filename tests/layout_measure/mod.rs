//! Layout quality read back from an SVG drawing, ours or Graphviz `dot`'s, with one counter
//! for both: edge crossings (points where two arrows' drawn curves cross) and total edge
//! length (along the drawn curves, from box to box, arrowheads included). Also the fixed
//! set of graphs the layout is measured on (the book's figures, generated deep and wide
//! backward graphs) and a way to run `dot` on them.
//!
//! Shared by `tests/layout_vs_dot.rs` (CI) and `benches/layout_vs_dot.rs` (by hand).
// Each user takes a different subset.
#![allow(dead_code)]

use gradbook::compute::{self, Kind, Outcome};
use gradbook::figure::diagram::{self, Diagram};
use gradbook::figure::{backward_graph, network_diagram};
use std::io::Write;
use std::process::{Command, Stdio};

/// A drawing's arrows as polylines (curves sampled).
#[derive(Debug, Default)]
pub struct Drawing {
    /// One polyline per arrow, from its source box to its target box.
    pub edges: Vec<Vec<(f64, f64)>>,
}

/// Points sampled per cubic segment.
const SAMPLES: usize = 16;

/// The numbers of a path's `d`.
fn numbers(d: &str) -> Vec<(char, Vec<f64>)> {
    let mut out: Vec<(char, Vec<f64>)> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<(char, Vec<f64>)>| {
        if let (Ok(v), Some(last)) = (cur.parse::<f64>(), out.last_mut()) {
            last.1.push(v);
        }
        cur.clear();
    };
    for ch in d.chars() {
        if ch.is_ascii_alphabetic() && ch != 'e' {
            flush(&mut cur, &mut out);
            out.push((ch, Vec::new()));
        } else if ch == ' ' || ch == ',' {
            flush(&mut cur, &mut out);
        } else if ch == '-' && !cur.is_empty() && !cur.ends_with('e') {
            flush(&mut cur, &mut out);
            cur.push(ch);
        } else {
            cur.push(ch);
        }
    }
    flush(&mut cur, &mut out);
    out
}

/// A path `d` of absolute M, L, C and S commands as a polyline.
pub fn polyline(d: &str) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let (mut at, mut last_c) = ((0.0, 0.0), (0.0, 0.0));
    let cubic = |out: &mut Vec<(f64, f64)>, at: (f64, f64), c: [(f64, f64); 3]| {
        for i in 1..=SAMPLES {
            let t = i as f64 / SAMPLES as f64;
            let u = 1.0 - t;
            let w = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
            out.push((
                w[0] * at.0 + w[1] * c[0].0 + w[2] * c[1].0 + w[3] * c[2].0,
                w[0] * at.1 + w[1] * c[0].1 + w[2] * c[1].1 + w[3] * c[2].1,
            ));
        }
    };
    for (cmd, v) in numbers(d) {
        match cmd {
            'M' | 'L' => {
                for p in v.chunks_exact(2) {
                    at = (p[0], p[1]);
                    last_c = at;
                    out.push(at);
                }
            }
            'C' => {
                for p in v.chunks_exact(6) {
                    let c = [(p[0], p[1]), (p[2], p[3]), (p[4], p[5])];
                    cubic(&mut out, at, c);
                    last_c = c[1];
                    at = c[2];
                }
            }
            'S' => {
                for p in v.chunks_exact(4) {
                    let c = [
                        (2.0 * at.0 - last_c.0, 2.0 * at.1 - last_c.1),
                        (p[0], p[1]),
                        (p[2], p[3]),
                    ];
                    cubic(&mut out, at, c);
                    last_c = c[1];
                    at = c[2];
                }
            }
            _ => {}
        }
    }
    out
}

/// The arrows of one of our diagrams (`g.gb-edge > path`).
pub fn ours(svg: &str) -> Drawing {
    let doc = roxmltree::Document::parse(svg).expect("our SVG parses");
    let edges = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("g")
                && n.attribute("class")
                    .is_some_and(|c| c.split(' ').any(|k| k == "gb-edge"))
        })
        .filter_map(|g| g.children().find(|c| c.has_tag_name("path")))
        .filter_map(|p| p.attribute("d"))
        .map(polyline)
        .collect();
    Drawing { edges }
}

/// The arrows of `dot -Tsvg` output (`g.edge`): the path, extended to the tip of its
/// arrowhead (dot ends the path where the head begins; ours runs to the box).
pub fn dots(svg: &str) -> Drawing {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(svg, options).expect("dot's SVG parses");
    let mut edges = Vec::new();
    for g in doc
        .descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("edge"))
    {
        let Some(mut line) = g
            .children()
            .find(|c| c.has_tag_name("path"))
            .and_then(|p| p.attribute("d"))
            .map(polyline)
        else {
            continue;
        };
        let head = g
            .children()
            .find(|c| c.has_tag_name("polygon"))
            .and_then(|p| p.attribute("points"));
        if let (Some(points), Some(&end)) = (head, line.last()) {
            let pts = polyline(&format!("M{points}"));
            let tip = pts.iter().copied().max_by(|a, b| {
                let d = |p: (f64, f64)| (p.0 - end.0).hypot(p.1 - end.1);
                d(*a).total_cmp(&d(*b))
            });
            line.extend(tip);
        }
        edges.push(line);
    }
    Drawing { edges }
}

/// Total length of every arrow.
pub fn length(d: &Drawing) -> f64 {
    d.edges
        .iter()
        .flat_map(|l| l.windows(2))
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

/// Where segments `a`–`b` and `c`–`d` cross properly (not merely touch or overlap).
fn cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> Option<(f64, f64)> {
    let r = (b.0 - a.0, b.1 - a.1);
    let s = (d.0 - c.0, d.1 - c.1);
    let den = r.0 * s.1 - r.1 * s.0;
    if den.abs() < 1e-12 {
        return None;
    }
    let t = ((c.0 - a.0) * s.1 - (c.1 - a.1) * s.0) / den;
    let u = ((c.0 - a.0) * r.1 - (c.1 - a.1) * r.0) / den;
    ((0.0..1.0).contains(&t) && (0.0..1.0).contains(&u)).then_some((a.0 + t * r.0, a.1 + t * r.1))
}

/// Side of a grid cell of the crossing counter (px).
const CELL: f64 = 48.0;
/// Crossings closer than this to an end of either arrow are where arrows meet at a box,
/// not crossings.
const AT_END: f64 = 1.5;

/// Points where two different arrows cross, each counted once (segments bucketed in a grid,
/// a crossing counted in the cell that holds it).
pub fn crossings(d: &Drawing) -> usize {
    let cell = |p: f64| (p / CELL).floor() as i64;
    let mut grid: std::collections::HashMap<(i64, i64), Vec<(usize, usize)>> =
        std::collections::HashMap::new();
    for (e, line) in d.edges.iter().enumerate() {
        for (k, w) in line.windows(2).enumerate() {
            let (x0, x1) = (cell(w[0].0.min(w[1].0)), cell(w[0].0.max(w[1].0)));
            let (y0, y1) = (cell(w[0].1.min(w[1].1)), cell(w[0].1.max(w[1].1)));
            for x in x0..=x1 {
                for y in y0..=y1 {
                    grid.entry((x, y)).or_default().push((e, k));
                }
            }
        }
    }
    let near_end = |e: usize, p: (f64, f64)| {
        let line = &d.edges[e];
        [line[0], line[line.len() - 1]]
            .iter()
            .any(|q| (q.0 - p.0).hypot(q.1 - p.1) < AT_END)
    };
    let mut count = 0;
    for (&(cx, cy), segs) in &grid {
        for (i, &(e1, k1)) in segs.iter().enumerate() {
            for &(e2, k2) in &segs[i + 1..] {
                if e1 == e2 {
                    continue;
                }
                let (l1, l2) = (&d.edges[e1], &d.edges[e2]);
                if let Some(p) = cross(l1[k1], l1[k1 + 1], l2[k2], l2[k2 + 1])
                    && (cell(p.0), cell(p.1)) == (cx, cy)
                    && !near_end(e1, p)
                    && !near_end(e2, p)
                {
                    count += 1;
                }
            }
        }
    }
    count
}

/// One graph of the fixed set.
pub struct Case {
    /// What it is (`q3 comp_tree`, `deep 100`, …).
    pub name: String,
    /// The diagram.
    pub diagram: Diagram,
}

fn outcome(kind: Kind, source: &str) -> Outcome {
    compute::run(kind, source).unwrap_or_else(|e| panic!("{e:?}"))
}

/// The book's diagrams: Q3's backward graph and every Q1 network drawing (each path of a
/// `paths` figure is its own diagram).
pub fn book() -> Vec<Case> {
    let mut out = Vec::new();
    if let Outcome::Autograd(tree) =
        outcome(Kind::Autograd, include_str!("../../content/comp_tree.py"))
    {
        out.push(Case {
            name: "q3 comp_tree".into(),
            diagram: backward_graph::to_diagram(&tree),
        });
    }
    let nets = outcome(Kind::Network, include_str!("../../content/networks.toml"));
    let Outcome::Network(study) = &nets else {
        panic!("networks.toml is not a network study")
    };
    for v in &study.variants {
        for kind in ["chain", "skip"] {
            let k = format!("{kind}/{}", v.name);
            for d in network_diagram::diagrams(study, &k).unwrap_or_default() {
                out.push(Case {
                    name: format!("q1 {k}"),
                    diagram: d,
                });
            }
        }
        for p in &study.parameters {
            let k = format!("paths/{}/{p}", v.name);
            for (i, d) in network_diagram::diagrams(study, &k)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                out.push(Case {
                    name: format!("q1 {k} #{}", i + 1),
                    diagram: d,
                });
            }
        }
    }
    out
}

/// A deterministic pseudo-random sequence (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, m: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % m as u64) as usize
    }
}

/// A deep script of about `nodes` backward nodes: one leaf per ten nodes, each statement
/// combining the previous result with an earlier tensor picked at random, so the graph is a
/// long chain with many long edges into it (`benches/graph_render.rs`'s generator).
pub fn deep_script(nodes: usize) -> String {
    let leaves = (nodes / 10).max(2);
    let mut s = String::from("import torch\n");
    for i in 0..leaves {
        s.push_str(&format!(
            "x{i} = torch.tensor([{:?}], requires_grad=True)\n",
            0.1 + (i % 7) as f64 * 0.05
        ));
    }
    let mut names: Vec<String> = (0..leaves).map(|i| format!("x{i}")).collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for k in 0..nodes.saturating_sub(leaves) {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let pick = &names[(state >> 33) as usize % names.len()];
        let prev = names.last().cloned().unwrap_or_default();
        let expr = match k % 4 {
            0 => format!("{prev} + {pick}"),
            1 => format!("{prev} * {pick}"),
            2 => format!("torch.sin({prev})"),
            _ => format!("{prev} - {pick}"),
        };
        s.push_str(&format!("t{k} = {expr}\n"));
        names.push(format!("t{k}"));
    }
    s
}

/// A wide script of about `nodes` backward nodes: a fifth of them leaves, every statement
/// combining two tensors picked at random among all earlier ones (few ranks, many boxes in
/// each), and an output summing every value nothing else used.
pub fn wide_script(nodes: usize) -> String {
    let leaves = (nodes / 5).max(2);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut s = String::from("import torch\n");
    for i in 0..leaves {
        s.push_str(&format!(
            "x{i} = torch.tensor([{:?}], requires_grad=True)\n",
            0.2 + (i % 5) as f64 * 0.1
        ));
    }
    let mut names: Vec<String> = (0..leaves).map(|i| format!("x{i}")).collect();
    let mut used = vec![false; leaves];
    let statements = nodes
        .saturating_sub(leaves)
        .saturating_sub(leaves / 2)
        .max(1);
    for k in 0..statements {
        let a = rng.below(names.len());
        let mut b = rng.below(names.len());
        if b == a {
            b = (b + 1) % names.len();
        }
        used[a] = true;
        used[b] = true;
        let op = if k % 2 == 0 { "*" } else { "+" };
        s.push_str(&format!("t{k} = {} {op} {}\n", names[a], names[b]));
        names.push(format!("t{k}"));
        used.push(false);
    }
    // Summed pairwise (a tree of additions), so no expression nests deeply.
    let mut rest: Vec<String> = names
        .into_iter()
        .zip(used)
        .filter(|(_, u)| !*u)
        .map(|(n, _)| n)
        .collect();
    let mut k = 0;
    while rest.len() > 1 {
        let mut next = Vec::new();
        for pair in rest.chunks(2) {
            match pair {
                [a, b] => {
                    s.push_str(&format!("u{k} = {a} + {b}\n"));
                    next.push(format!("u{k}"));
                    k += 1;
                }
                [a] => next.push(a.clone()),
                _ => {}
            }
        }
        rest = next;
    }
    let last = rest.pop().unwrap_or_default();
    s.push_str(&format!("out = {last} * 1.0\nout.backward()\n"));
    s
}

/// The backward graph of `script` as a diagram.
pub fn script_diagram(script: &str) -> Diagram {
    match outcome(Kind::Autograd, script) {
        Outcome::Autograd(r) => backward_graph::to_diagram(&r),
        _ => unreachable!("an autograd script gives a graph"),
    }
}

/// Our SVG of `d`.
pub fn render(d: &Diagram) -> String {
    diagram::render(d, "m-")
}

/// `dot -Tsvg` of `d` with our box sizes and spacing; `None` if dot is missing, fails or
/// takes longer than `timeout`.
pub fn dot_svg(d: &Diagram, timeout: std::time::Duration) -> Option<String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(diagram::sized_dot(d).as_bytes())
        .ok()?;
    // Read while dot writes, so a large drawing cannot fill the pipe and stall it.
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).map(|_| out)
    });
    let start = std::time::Instant::now();
    loop {
        match child.try_wait().ok()? {
            Some(status) if status.success() => break,
            Some(_) => return None,
            None if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            None => std::thread::sleep(std::time::Duration::from_millis(1)),
        }
    }
    reader.join().ok()?.ok()
}
