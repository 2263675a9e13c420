//! The backward graph of a script: a petgraph [`StableDiGraph`] of the nodes reachable from
//! the output, and the serialisable [`GraphResult`] the site, the figure and
//! `gradbook graph` read.

use super::backward::Gradients;
use super::derive::{self, Term};
use super::interp::Program;
use super::schedule::{Task, engine_order};
use super::tape::{NodeId, Var};
use super::tensor::Tensor;
use crate::diag::SpanError;
use crate::format::num;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// A backward node with what it differentiates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphNode {
    /// Position in breadth-first order from the root (the root is 0).
    pub id: usize,
    /// PyTorch's class name (`MulBackward0`, `AccumulateGrad`, …).
    pub name: String,
    /// The forward statement, `u = a * b` (or `a * b` inside a larger expression); absent
    /// for leaves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The variable holding the node's tensor, if it has a name.
    pub var: Option<String>,
    /// The forward value of the node's tensor (a plain number in JSON when it has one
    /// element, nested lists otherwise). A leaf shows its value after the script's last
    /// statement (after the last optimizer step).
    pub value: Tensor,
    /// d output / d (the node's tensor): the gradient flowing into the node.
    pub grad: Tensor,
    /// The tensor's shape (left out of the results JSON for one-element tensors, which keep
    /// the first scripts' form; `graph --format json` always has it).
    #[serde(skip_serializing_if = "one_element")]
    pub shape: Vec<usize>,
    /// What the node is, in one cell: `k = r * g`, or `g (leaf)`.
    pub label: String,
    /// `leaf`, `op` or `output`.
    pub kind: &'static str,
    /// LaTeX symbol of the node's tensor (`u`, `x_{1}`, or `t_{3}` when unnamed).
    pub symbol: String,
    /// The forward operation without the assignment (`a * b`; `leaf` for leaves).
    pub forward: String,
    /// The operation's inputs in `next_functions` order, as written (`a, b`, `x, 2`).
    pub operands: String,
    /// `next_functions` by node id, `None` for an input without grad: `(4, None)`.
    pub next_functions: String,
    /// The chain rule for this node's gradient as a LaTeX `aligned` block in adjoint notation
    /// (`\bar{x}` is d output / d x), numbers filled in.
    pub derivation: String,
}

/// An edge from a backward node to one entry of its `next_functions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GraphEdge {
    /// The consumer (a `grad_fn`).
    pub from: usize,
    /// The node its input's gradient flows to.
    pub to: usize,
    /// Index in `next_functions` (PyTorch's order; inputs without grad take an index too).
    pub input: usize,
}

/// How many nodes of one class the graph has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassCount {
    /// The class name.
    pub name: String,
    /// How many nodes have it.
    pub count: usize,
}

/// A backward graph with every node's value and gradient.
///
/// `nodes`, `edges`, `root`, `output` and `grads` are the fields of `gradbook graph --format
/// json` (DESIGN.md); the rest serve the chapter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphResult {
    /// Nodes by id.
    pub nodes: Vec<GraphNode>,
    /// Edges in id order of the consumer, then input order.
    pub edges: Vec<GraphEdge>,
    /// Id of the output's `grad_fn`.
    pub root: usize,
    /// The output's value.
    pub output: Tensor,
    /// `.grad` of every leaf that reaches the output, in definition order.
    pub grads: serde_json::Map<String, serde_json::Value>,
    /// Name of the output variable.
    pub output_var: String,
    /// Ids of the `AccumulateGrad` nodes in the leaves' definition order.
    pub leaves: Vec<usize>,
    /// Ids in the order PyTorch's autograd engine runs them (the root first; see `schedule.rs`).
    pub backward_order: Vec<usize>,
    /// Node counts per class, most frequent first.
    pub counts: Vec<ClassCount>,
    /// Leaves with `requires_grad=True` that do not reach the output (`.grad` stays None).
    pub unused: Vec<String>,
    /// The script's text, for the chapter to show.
    pub script: String,
    /// Python lists the script filled (per-step records such as `losses.append(loss.item())`),
    /// by name; absent when there are none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Whether a shape holds exactly one element (`[1]` or `[]`).
fn one_element(shape: &[usize]) -> bool {
    shape.iter().product::<usize>() == 1
}

impl GraphResult {
    /// The graph as a petgraph graph (node index = id, edge weight = input index).
    pub fn graph(&self) -> StableDiGraph<GraphNode, usize> {
        let mut g = StableDiGraph::new();
        for n in &self.nodes {
            g.add_node(n.clone());
        }
        for e in &self.edges {
            g.add_edge(NodeIndex::new(e.from), NodeIndex::new(e.to), e.input);
        }
        g
    }

    /// The JSON of `gradbook graph --format json`: exactly the fields DESIGN.md documents.
    pub fn design_json(&self) -> serde_json::Value {
        let nodes: Vec<serde_json::Value> = self
            .nodes
            .iter()
            .map(|n| {
                let mut o = serde_json::Map::new();
                o.insert("id".into(), n.id.into());
                o.insert("name".into(), n.name.clone().into());
                if let Some(expr) = &n.expr {
                    o.insert("expr".into(), expr.clone().into());
                }
                o.insert("var".into(), n.var.clone().into());
                o.insert("shape".into(), n.shape.clone().into());
                o.insert("value".into(), n.value.to_json());
                o.insert("grad".into(), n.grad.to_json());
                o.into()
            })
            .collect();
        serde_json::json!({
            "nodes": nodes,
            "edges": self.edges,
            "root": self.root,
            "output": self.output.to_json(),
            "grads": self.grads,
        })
    }
}

/// Build the graph of `program` (run from `source`) from its reverse pass.
pub(crate) fn build(program: &Program, source: &str) -> Result<GraphResult, SpanError> {
    let tape = &program.tape;
    let grads = tape.backward(program.output);
    check_finite(program, &grads)?;
    let Some(root) = grads.root() else {
        return Err(SpanError::new(0..0, "the output does not require grad"));
    };
    // Breadth-first from the root, following next_functions in order.
    let mut ids: HashMap<NodeId, usize> = HashMap::from([(root, 0)]);
    let mut order = vec![root];
    let mut queue = VecDeque::from([root]);
    let mut g: StableDiGraph<NodeId, usize> = StableDiGraph::new();
    g.add_node(root);
    while let Some(n) = queue.pop_front() {
        for (input, next) in tape.node(n).next.iter().enumerate() {
            let Some(next) = *next else { continue };
            let id = *ids.entry(next).or_insert_with(|| {
                order.push(next);
                queue.push_back(next);
                g.add_node(next).index()
            });
            g.add_edge(NodeIndex::new(ids[&n]), NodeIndex::new(id), input);
        }
    }
    let symbols: Vec<String> = order
        .iter()
        .enumerate()
        .map(|(id, &n)| {
            name_of(program, n).map_or_else(|| format!("t_{{{id}}}"), |v| derive::symbol(&v))
        })
        .collect();
    let operand_latex = |n: NodeId| -> Vec<String> {
        let node = tape.node(n);
        (0..node.next.len())
            .map(|k| {
                match (
                    node.next.get(k).copied().flatten(),
                    node.sources.get(k).copied().flatten(),
                ) {
                    (Some(m), _) => ids
                        .get(&m)
                        .map_or_else(String::new, |&id| symbols[id].clone()),
                    (None, Some(v)) => program.names.get(&v).map_or_else(
                        || derive::number(node.input_value(k)),
                        |s| derive::symbol(s),
                    ),
                    (None, None) => derive::number(node.input_value(k)),
                }
            })
            .collect()
    };
    // A chain rule with one number per node exists when every node is one element and
    // every operation elementwise (the first scripts); tensor graphs carry none.
    let scalar = order.iter().all(|&n| {
        let node = tape.node(n);
        (node.op.is_elementwise() || node.next.is_empty()) && tape.tensor(node.output).numel() == 1
    });
    let mut nodes = Vec::with_capacity(order.len());
    for (id, &n) in order.iter().enumerate() {
        let node = tape.node(n);
        let label = program.labels.get(n.index());
        let var = name_of(program, n);
        let is_leaf = node.next.is_empty();
        let text = label.map_or_else(String::new, |l| l.expr.clone());
        let value = tape.tensor(node.output).clone();
        let grad_tensor = grads.node_tensor(n).cloned().unwrap_or_else(|| Tensor {
            data: vec![0.0; value.numel()],
            ..value.clone()
        });
        let grad = grad_tensor.data.first().copied().unwrap_or(0.0);
        let mut terms: Vec<Term> = Vec::new();
        // Where each consumer's term sits in `terms`: a leaf used by every line of a long
        // script has as many consumers as the script has lines, so no linear search.
        let mut term_of: HashMap<usize, usize> = HashMap::new();
        let incoming = if scalar {
            g.edges_directed(NodeIndex::new(id), petgraph::Direction::Incoming)
                .collect::<Vec<_>>()
        } else {
            Vec::new()
        };
        for e in incoming {
            let consumer = order[e.source().index()];
            let c = tape.node(consumer);
            let local = derive::local(c.op, *e.weight(), &operand_latex(consumer));
            let value =
                c.op.local_derivative(*e.weight(), &c.input_values(), tape.value(c.output));
            match term_of.get(&e.source().index()) {
                Some(&k) => {
                    let t = &mut terms[k];
                    t.local = format!("{} + {}", t.local, local);
                    t.local_value += value;
                }
                None => {
                    term_of.insert(e.source().index(), terms.len());
                    terms.push(Term {
                        consumer: symbols[e.source().index()].clone(),
                        consumer_grad: grads.node(consumer).unwrap_or(0.0),
                        local,
                        local_value: value,
                    });
                }
            }
        }
        terms.reverse(); // petgraph lists incoming edges newest first
        nodes.push(GraphNode {
            id,
            name: node.op.class_name().to_string(),
            expr: (!is_leaf).then(|| {
                var.as_ref()
                    .map_or_else(|| text.clone(), |v| format!("{v} = {text}"))
            }),
            label: if is_leaf {
                format!("{} (leaf)", var.as_deref().unwrap_or(""))
            } else {
                var.as_ref()
                    .map_or_else(|| text.clone(), |v| format!("{v} = {text}"))
            },
            var,
            shape: value.shape.clone(),
            value,
            grad: grad_tensor,
            kind: if id == 0 {
                "output"
            } else if is_leaf {
                "leaf"
            } else {
                "op"
            },
            symbol: symbols[id].clone(),
            forward: if is_leaf { "leaf".to_string() } else { text },
            operands: operands_text(program, n),
            next_functions: format!(
                "({})",
                node.next
                    .iter()
                    .map(|m| m
                        .and_then(|m| ids.get(&m))
                        .map_or_else(|| "None".to_string(), |&i| i.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            derivation: if scalar {
                derive::adjoint(&symbols[id], &terms, grad)
            } else {
                String::new()
            },
        });
    }
    let tasks: Vec<Task> = order
        .iter()
        .map(|&n| Task {
            created: n.index(),
            leaf: tape.node(n).next.is_empty(),
        })
        .collect();
    let pairs: Vec<(usize, usize)> = g
        .edge_indices()
        .filter_map(|e| g.edge_endpoints(e))
        .map(|(a, b)| (a.index(), b.index()))
        .collect();
    let backward_order = engine_order(&tasks, &pairs, 0);
    let mut leaves = Vec::new();
    let mut unused = Vec::new();
    let mut grads_map = serde_json::Map::new();
    for (name, var) in &program.leaves {
        match tape.grad_edge(*var).and_then(|n| ids.get(&n)) {
            Some(&id) => {
                leaves.push(id);
                let grad = match &program.leaf_grads {
                    Some(g) => g.get(var).map_or(serde_json::Value::Null, Tensor::to_json),
                    None => nodes[id].grad.to_json(),
                };
                grads_map.insert(name.clone(), grad);
            }
            None => unused.push(name.clone()),
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &nodes {
        *counts.entry(n.name.as_str()).or_default() += 1;
    }
    let mut counts: Vec<ClassCount> = counts
        .into_iter()
        .map(|(name, count)| ClassCount {
            name: name.into(),
            count,
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let edges = g
        .edge_indices()
        .filter_map(|e| {
            g.edge_endpoints(e).map(|(a, b)| GraphEdge {
                from: a.index(),
                to: b.index(),
                input: g[e],
            })
        })
        .collect();
    Ok(GraphResult {
        nodes,
        edges,
        root: 0,
        output: tape.tensor(program.output).clone(),
        grads: grads_map,
        output_var: program.output_name.clone(),
        leaves,
        backward_order,
        counts,
        unused,
        script: source.to_string(),
        records: program.records.iter().cloned().collect(),
    })
}

/// The name of a node's tensor (the leaf's name, or the variable assigned).
fn name_of(program: &Program, n: NodeId) -> Option<String> {
    let node = program.tape.node(n);
    program
        .tape
        .leaf_name(node.output)
        .map(str::to_string)
        .or_else(|| program.labels.get(n.index()).and_then(|l| l.var.clone()))
}

/// The inputs of node `n` as written: names, numbers, or the sub-expression text.
fn operands_text(program: &Program, n: NodeId) -> String {
    let tape = &program.tape;
    let node = tape.node(n);
    let show = |k: usize| -> String {
        let value = node.input_value(k);
        let Some(v): Option<Var> = node.sources.get(k).copied().flatten() else {
            return num(value, 6);
        };
        if let Some(name) = program.names.get(&v) {
            return name.clone();
        }
        match tape.grad_edge(v) {
            Some(m) => program
                .labels
                .get(m.index())
                .map_or_else(|| num(value, 6), |l| format!("({})", l.expr)),
            None => num(value, 6),
        }
    };
    (0..node.next.len())
        .map(show)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every gradient that flows must be finite; point at the operation where one stops being.
fn check_finite(program: &Program, grads: &Gradients) -> Result<(), SpanError> {
    let tape = &program.tape;
    for (id, node) in tape.nodes() {
        let Some(g) = grads.node_tensor(id) else {
            continue;
        };
        if !g.is_finite() {
            continue; // reported at the consumer that produced it
        }
        let label = program.labels.get(id.index());
        let span = label.map_or(0..0, |l| l.span.clone());
        let expr = label.map_or("", |l| l.expr.as_str());
        let one = node.inputs.iter().all(|t| t.numel() == 1) && node.op.is_elementwise();
        for (i, next) in node.next.iter().enumerate() {
            let Some(next) = next else { continue };
            if one {
                let local =
                    node.op
                        .local_derivative(i, &node.input_values(), tape.value(node.output));
                if !(g.item() * local).is_finite() {
                    return Err(SpanError::new(
                        span,
                        format!(
                            "the derivative of `{expr}` with respect to its input {i} is {} here, so the gradient is not finite",
                            num(local, 6)
                        ),
                    ));
                }
            } else if grads.node_tensor(*next).is_some_and(|t| !t.is_finite()) {
                return Err(SpanError::new(
                    span,
                    format!(
                        "the gradient of `{expr}` with respect to its input {i} is not finite here"
                    ),
                ));
            }
        }
    }
    Ok(())
}
