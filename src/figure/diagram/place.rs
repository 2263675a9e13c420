//! Placement of a diagram's boxes and arrows by the engine the book or figure chose: our
//! layered layout (the default), or layout-rs.
//!
//! layout-rs lays out and routes; we only read back positions and arrow paths through a
//! recording [`RenderBackend`], and draw the SVG ourselves. Node boxes are sized by the
//! caller from their text (layout-rs's own estimate is about twice too wide). layout-rs
//! routes splines without looking at the boxes, so its result is only used when
//! [`super::check`] finds nothing wrong with it; otherwise, and for graphs too large for it,
//! the layered layout, clean by construction, draws the diagram. Only the engine asked for
//! runs: the layered layout is never drawn just to be compared and thrown away.

use layout::core::base::Orientation;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::{Point, Position};
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

/// An axis-aligned box by its centre and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// One routed arrow.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Route {
    /// Index of the edge in the diagram.
    pub edge: usize,
    /// Cubic Bézier path: the start point, then (control, control, end) triples
    /// (`M p0 C c0 c1 p1 C c2 c3 p2 …`).
    pub points: Vec<(f64, f64)>,
    /// Whether layout-rs drew the arrow backwards (it reverses edges that close a cycle).
    pub reversed: bool,
}

/// Where everything went.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Placement {
    /// One box per diagram node.
    pub nodes: Vec<Rect>,
    /// One route per drawable edge (self-loops and dangling edges are skipped).
    pub routes: Vec<Route>,
    /// Label boxes, by edge index (`None` for unlabelled edges).
    pub labels: Vec<Option<Rect>>,
}

/// An edge to place: from, to, and the size of its label box if it has one.
pub(super) type EdgeSpec = (usize, usize, Option<(f64, f64)>);

/// What the caller wants placed.
pub(super) struct Request<'a> {
    /// Top-to-bottom (`true`) or left-to-right.
    pub top_to_bottom: bool,
    /// Box sizes (width, height) of the nodes.
    pub node_sizes: &'a [(f64, f64)],
    /// Edges as (from, to, label size if any).
    pub edges: &'a [EdgeSpec],
    /// Horizontal and vertical space kept around every box.
    pub gap: (f64, f64),
}

/// Which layout draws a diagram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// Our layered layout (the default): near-linear time (10,000 boxes in well under a
    /// second), no arrow through a box or a label by construction, crossings at or below
    /// Graphviz `dot`'s on the book's figures and generated graphs (`benches/layout_vs_dot.rs`).
    #[default]
    Layered,
    /// layout-rs (a Rust port of Graphviz's dot pipeline): smooth splines, but its crossing
    /// step grows much faster than the graph (about 2 ms at 66 boxes and dummies, 0.3 s at
    /// 450, 1.6 s at 1,800) and it routes without looking at the boxes. Its drawing is used
    /// when the graph has at most 450 boxes and dummies and the geometric check finds no arrow
    /// through a box, no label on a line and no arrows on top of each other; otherwise the
    /// layered layout draws the diagram.
    LayoutRs,
}

/// How much work layout-rs may be given: nodes plus the dummy nodes it adds for edges that
/// span several ranks. Its crossing optimisation grows much faster than this count (measured
/// on generated scripts, dev build: 2 ms at 66, 58 ms at 436, 224 ms at 750, 1.6 s at
/// 1 835), so beyond the budget the diagram is drawn by the layered layout instead.
const LAYOUT_RS_BUDGET: usize = 450;

/// Place `req` with `engine`. layout-rs runs only when asked for and the graph is within
/// [`LAYOUT_RS_BUDGET`]; its drawing is kept when [`super::check::problems`] finds nothing
/// wrong with it, and the layered layout draws the diagram otherwise (also should layout-rs
/// fail one of its internal assertions, so that no input can make drawing panic).
pub(super) fn place_with(req: &Request<'_>, engine: Engine) -> Placement {
    if engine == Engine::LayoutRs && workload(req) <= LAYOUT_RS_BUDGET {
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| place(req)));
        if let Ok(placement) = attempt
            && super::check::problems(req, &placement).is_empty()
        {
            return placement;
        }
    }
    super::layered::layered(req)
}

/// Nodes plus one per rank crossed by each edge beyond the first.
fn workload(req: &Request<'_>) -> usize {
    let n = req.node_sizes.len();
    let edges: Vec<(usize, usize)> = req
        .edges
        .iter()
        .map(|e| (e.0, e.1))
        .filter(|&(a, b)| a < n && b < n && a != b)
        .collect();
    let rank = super::layered::ranks(n, &edges);
    let labels = req.edges.iter().filter(|e| e.2.is_some()).count();
    n + labels
        + edges
            .iter()
            .map(|&(a, b)| rank[a].abs_diff(rank[b]).saturating_sub(1))
            .sum::<usize>()
}

/// Lay out `req` with layout-rs.
fn place(req: &Request<'_>) -> Placement {
    let orientation = if req.top_to_bottom {
        Orientation::TopToBottom
    } else {
        Orientation::LeftToRight
    };
    let mut vg = VisualGraph::new(orientation);
    // Validation re-checks the whole DAG after every edge: exponential on graphs with
    // many paths, and our graphs are acyclic by construction.
    vg.dag.set_validate(false);
    let halo = Point::new(req.gap.0, req.gap.1);
    let handles: Vec<_> = req
        .node_sizes
        .iter()
        .map(|&(w, h)| {
            let mut element = Element::create(
                ShapeKind::new_box(""),
                StyleAttr::simple(),
                orientation,
                Point::new(w, h),
            );
            element.pos = Position::new(Point::zero(), Point::new(w, h), Point::zero(), halo);
            vg.add_node(element)
        })
        .collect();
    // layout-rs turns each labelled edge into a connector node, appended in edge order
    // after our nodes; remember which connector belongs to which edge.
    let mut connectors = Vec::new();
    for (index, &(from, to, label)) in req.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (handles.get(from), handles.get(to)) else {
            continue;
        };
        if from == to {
            continue;
        }
        let mut arrow = Arrow::simple_with_properties("", index.to_string());
        if let Some(size) = label {
            // layout-rs sizes a connector (chars × font_size + 10) by (font_size + 10) and
            // runs the arrow through its middle: reserve twice the label across the flow so
            // the label can sit beside the line, then pick a font size and a run of
            // characters that give that box.
            let (w, h) = beside(size, req.top_to_bottom);
            let font = (h - 10.0).max(4.0);
            let chars = ((w - 10.0) / font).ceil().max(1.0) as usize;
            arrow.text = "x".repeat(chars);
            arrow.look.font_size = font.round() as usize;
            connectors.push(index);
        }
        vg.add_edge(arrow, a, b);
    }
    let mut recorder = Recorder::default();
    vg.do_it(false, false, false, &mut recorder);
    let nodes = handles
        .iter()
        .map(|&h| {
            let pos = vg.pos(h);
            let c = pos.center();
            let s = pos.size(false);
            Rect {
                x: c.x,
                y: c.y,
                w: s.x,
                h: s.y,
            }
        })
        .collect();
    let mut labels = vec![None; req.edges.len()];
    for (k, &edge) in connectors.iter().enumerate() {
        let handle = layout::adt::dag::NodeHandle::new(handles.len() + k);
        let pos = vg.pos(handle);
        let m = pos.middle();
        if let Some((w, h)) = req.edges[edge].2 {
            // Beside the line: right of it going down, above it going right.
            let (x, y) = if req.top_to_bottom {
                (m.x + w / 2.0 + LABEL_OFFSET, m.y)
            } else {
                (m.x, m.y - h / 2.0 - LABEL_OFFSET)
            };
            labels[edge] = Some(Rect { x, y, w, h });
        }
    }
    Placement {
        nodes,
        routes: recorder.routes,
        labels,
    }
}

/// Space between an arrow and its label.
pub(super) const LABEL_OFFSET: f64 = 3.0;

/// The room a label of `size` needs beside its arrow: doubled across the flow.
fn beside((w, h): (f64, f64), top_to_bottom: bool) -> (f64, f64) {
    if top_to_bottom {
        (2.0 * (w + LABEL_OFFSET), h)
    } else {
        (w, 2.0 * (h + LABEL_OFFSET))
    }
}

/// layout-rs's path (`M p0 C c0 c1 p1 S c p …` as point pairs) as cubic triples: each `S`
/// control is the reflection of the previous second control about the current point.
fn cubic(path: &[(Point, Point)]) -> Vec<(f64, f64)> {
    let flat: Vec<(f64, f64)> = path
        .iter()
        .flat_map(|(a, b)| [(a.x, a.y), (b.x, b.y)])
        .collect();
    if flat.len() < 4 {
        return Vec::new();
    }
    let mut out = flat[..4].to_vec();
    for pair in flat[4..].chunks(2) {
        if let [c, p] = pair {
            let (prev_c, cur) = (out[out.len() - 2], out[out.len() - 1]);
            out.push((2.0 * cur.0 - prev_c.0, 2.0 * cur.1 - prev_c.1));
            out.push(*c);
            out.push(*p);
        }
    }
    out
}

/// A render backend that keeps the arrows' paths and ignores everything else.
#[derive(Debug, Default)]
struct Recorder {
    routes: Vec<Route>,
}

impl RenderBackend for Recorder {
    fn draw_rect(
        &mut self,
        _: Point,
        _: Point,
        _: &StyleAttr,
        _: Option<String>,
        _: Option<ClipHandle>,
    ) {
    }

    fn draw_line(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_circle(&mut self, _: Point, _: Point, _: &StyleAttr, _: Option<String>) {}

    fn draw_text(&mut self, _: Point, _: &str, _: &StyleAttr) {}

    fn draw_arrow(
        &mut self,
        path: &[(Point, Point)],
        _dashed: bool,
        head: (bool, bool),
        _look: &StyleAttr,
        properties: Option<String>,
        _text: &str,
    ) {
        let Some(edge) = properties.and_then(|p| p.parse::<usize>().ok()) else {
            return;
        };
        let points = cubic(path);
        self.routes.push(Route {
            edge,
            points,
            reversed: head.0 && !head.1,
        });
    }

    fn create_clip(&mut self, _: Point, _: Point, _: usize) -> ClipHandle {
        0
    }
}
