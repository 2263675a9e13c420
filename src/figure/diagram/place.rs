//! Placement of a diagram's boxes and arrows with layout-rs.
//!
//! layout-rs lays out and routes; we only read back positions and arrow paths through a
//! recording [`RenderBackend`], and draw the SVG ourselves. Node boxes are sized by the
//! caller from their text (layout-rs's own estimate is about twice too wide).

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
    /// Bézier path: start point, then control/end point pairs (`M p0 C c0 c1 p1 S c p …`).
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

/// Lay out `req` with layout-rs, or with [`layered`] should layout-rs fail an internal
/// assertion (it has several), so that no input can make drawing panic.
pub(super) fn place_or_fallback(req: &Request<'_>) -> Placement {
    let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| place(req)));
    attempt.unwrap_or_else(|_| layered(req))
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
        if let Some((w, h)) = label {
            // layout-rs sizes a connector (chars × font_size + 10) by (font_size + 10):
            // pick a font size and a run of characters that give our box.
            let font = (h - 10.0).max(4.0);
            let chars = ((w - 10.0) / font).round().max(1.0) as usize;
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
            labels[edge] = Some(Rect {
                x: m.x,
                y: m.y,
                w,
                h,
            });
        }
    }
    Placement {
        nodes,
        routes: recorder.routes,
        labels,
    }
}

/// A plain layered layout: each node one rank below its deepest input, ranks side by side,
/// straight arrows.
fn layered(req: &Request<'_>) -> Placement {
    let n = req.node_sizes.len();
    let valid: Vec<(usize, usize)> = req
        .edges
        .iter()
        .map(|e| (e.0, e.1))
        .filter(|&(a, b)| a < n && b < n && a != b)
        .collect();
    // Longest-path ranks by relaxation; n rounds bound it even if there were a cycle.
    let mut rank = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(a, b) in &valid {
            if rank[b] < rank[a] + 1 && rank[a] < n {
                rank[b] = rank[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let ranks = rank.iter().max().map_or(0, |m| m + 1);
    let (along, across) = if req.top_to_bottom { (1, 0) } else { (0, 1) };
    let size = |i: usize, axis: usize| {
        if axis == 0 {
            req.node_sizes[i].0
        } else {
            req.node_sizes[i].1
        }
    };
    let gap = |axis: usize| if axis == 0 { req.gap.0 } else { req.gap.1 };
    let mut nodes = vec![
        Rect {
            x: 0.0,
            y: 0.0,
            w: 0.0,
            h: 0.0
        };
        n
    ];
    let mut offset = 0.0;
    for r in 0..ranks {
        let members: Vec<usize> = (0..n).filter(|&i| rank[i] == r).collect();
        let depth = members.iter().map(|&i| size(i, along)).fold(0.0, f64::max);
        let mut cursor = 0.0;
        for &i in &members {
            let mut c = [0.0; 2];
            c[along] = offset + depth / 2.0;
            c[across] = cursor + size(i, across) / 2.0;
            cursor += size(i, across) + 2.0 * gap(across);
            let (w, h) = req.node_sizes[i];
            nodes[i] = Rect {
                x: c[0],
                y: c[1],
                w,
                h,
            };
        }
        offset += depth + 2.0 * gap(along) + 20.0;
    }
    let mut routes = Vec::new();
    let mut labels = vec![None; req.edges.len()];
    for (index, &(a, b, label)) in req.edges.iter().enumerate() {
        if a >= n || b >= n || a == b {
            continue;
        }
        let (p, q) = (nodes[a], nodes[b]);
        let (start, end) = if req.top_to_bottom {
            ((p.x, p.y + p.h / 2.0), (q.x, q.y - q.h / 2.0))
        } else {
            ((p.x + p.w / 2.0, p.y), (q.x - q.w / 2.0, q.y))
        };
        routes.push(Route {
            edge: index,
            points: vec![start, start, end, end],
            reversed: false,
        });
        if let Some((w, h)) = label {
            let mid = ((start.0 + end.0) / 2.0, (start.1 + end.1) / 2.0);
            labels[index] = Some(Rect {
                x: mid.0,
                y: mid.1,
                w,
                h,
            });
        }
    }
    Placement {
        nodes,
        routes,
        labels,
    }
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
        let points = path
            .iter()
            .flat_map(|(a, b)| [(a.x, a.y), (b.x, b.y)])
            .collect();
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
