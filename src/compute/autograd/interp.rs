//! Running a parsed script on the tape: names and values, statements (assignments, in-place
//! updates, `for` loops over `range`, `with torch.no_grad():`), `backward()` and `.grad`,
//! Python-number arithmetic, and the checks that keep a script inside the dialect.

use super::ops::Op;
use super::script::{BinOp, Expr, ExprKind, Index, Stmt, parse};
use super::tape::{Operand, Tape, Var};
use super::tensor::{Dtype, Tensor};
use crate::diag::SpanError;
use std::collections::{HashMap, HashSet};
use std::ops::Range;

mod calls;
mod modules;

/// The torch functions (and tensor methods) of one tensor argument the dialect knows.
pub(crate) const UNARY: &[&str] = &[
    "sin", "cos", "exp", "log", "tanh", "sigmoid", "relu", "sqrt", "abs",
];

/// Most loop iterations a script may run in total (keeps a typo from hanging a build).
const MAX_ITERATIONS: usize = 100_000;
/// Most elements one tensor may hold.
pub(crate) const MAX_ELEMENTS: usize = super::tensor::MAX_ELEMENTS;
/// Most numbers a script may keep on its tape (results and the inputs nodes save): bounds
/// the memory of a loop of large operations at about 400 MB. The training benchmark keeps
/// about 3·10⁶.
const MAX_STORED: usize = 50_000_000;
/// Most backward nodes a script may record.
const MAX_NODES: usize = 2_000_000;

/// What a backward node differentiates, for labels and error messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeLabel {
    /// The forward expression as written (whitespace collapsed), e.g. `a * b`.
    pub expr: String,
    /// The variable the result was assigned to, if the node computes a whole right-hand side.
    pub var: Option<String>,
    /// Where the expression is in the source.
    pub span: Range<usize>,
}

/// A script after it ran: the tape, labels, names and the output.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    /// The recorded tensors and nodes.
    pub tape: Tape,
    /// One label per node (by creation index).
    pub labels: Vec<NodeLabel>,
    /// Names of named tensors (leaves, constants, assigned results).
    pub names: HashMap<Var, String>,
    /// Leaves that require grad, in definition order.
    pub leaves: Vec<(String, Var)>,
    /// The tensor `backward()` starts from.
    pub output: Var,
    /// Its name.
    pub output_name: String,
    /// `.grad` of every leaf after the last statement, if `backward()` ran.
    pub leaf_grads: Option<HashMap<Var, Tensor>>,
    /// Python lists the script filled (per-step records), in order of first assignment.
    pub records: Vec<(String, Vec<serde_json::Value>)>,
}

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A Python `int` or `float`.
    Number { value: f64, int: bool },
    /// `True` / `False`.
    Bool(bool),
    /// `None`.
    None,
    /// A tensor on the tape.
    Tensor(Var),
    /// A Python list.
    List(Vec<Value>),
    /// A Python tuple (shapes, `betas=`).
    Tuple(Vec<Value>),
    /// A `torch.nn` module (index into the modules).
    Module(usize),
    /// A `torch.optim` optimizer (index into the optimizers).
    Optimizer(usize),
    /// A dtype such as `torch.float32`.
    Dtype(Dtype),
    /// The context manager `torch.no_grad()`.
    NoGrad,
}

impl Value {
    /// Python's name of the value's type, for messages.
    fn kind(&self) -> &'static str {
        match self {
            Value::Number { int: true, .. } => "an int",
            Value::Number { .. } => "a float",
            Value::Bool(_) => "a bool",
            Value::None => "None",
            Value::Tensor(_) => "a tensor",
            Value::List(_) => "a list",
            Value::Tuple(_) => "a tuple",
            Value::Module(_) => "a module",
            Value::Optimizer(_) => "an optimizer",
            Value::Dtype(_) => "a dtype",
            Value::NoGrad => "a context manager",
        }
    }
}

struct Binding {
    value: Value,
    /// Byte offset of the statement that bound it (its line is computed only for messages).
    at: usize,
}

pub(crate) struct Interp<'a> {
    src: &'a str,
    tape: Tape,
    env: HashMap<String, Binding>,
    /// First assignment of every name in the script (to tell "later" from "never").
    defined_at: HashMap<String, usize>,
    torch: bool,
    labels: Vec<NodeLabel>,
    names: HashMap<Var, String>,
    leaves: Vec<(String, Var)>,
    last: Option<(String, Range<usize>)>,
    backward: Option<(String, Var, Range<usize>)>,
    /// Nodes whose saved values a `backward()` already used (PyTorch frees them).
    freed: HashSet<usize>,
    /// `.grad` of leaves, as tensors that do not require grad.
    grads: HashMap<Var, Var>,
    /// Whether any `backward()` ran.
    backward_ran: bool,
    iterations: usize,
    /// Numbers kept on the tape so far (see [`MAX_STORED`]).
    stored: usize,
    /// How many `for` bodies are running (a loop body may rebind names set before it).
    loop_depth: usize,
    modules: modules::Modules,
    /// List names in order of first assignment.
    list_names: Vec<String>,
}

/// Parse and run `src`.
pub(crate) fn run(src: &str) -> Result<Program, SpanError> {
    let stmts = parse(src)?;
    let mut defined_at = HashMap::new();
    collect_targets(&stmts, &mut defined_at);
    let mut it = Interp {
        src,
        tape: Tape::new(),
        env: HashMap::new(),
        defined_at,
        torch: false,
        labels: Vec::new(),
        names: HashMap::new(),
        leaves: Vec::new(),
        last: None,
        backward: None,
        freed: HashSet::new(),
        grads: HashMap::new(),
        backward_ran: false,
        iterations: 0,
        loop_depth: 0,
        stored: 0,
        modules: modules::Modules::default(),
        list_names: Vec::new(),
    };
    it.block(&stmts)?;
    it.finish()
}

fn collect_targets(stmts: &[Stmt], out: &mut HashMap<String, usize>) {
    for s in stmts {
        match s {
            Stmt::Assign {
                target,
                target_span,
                ..
            } => {
                out.entry(target.clone()).or_insert(target_span.start);
            }
            Stmt::For {
                var,
                var_span,
                body,
                ..
            } => {
                out.entry(var.clone()).or_insert(var_span.start);
                collect_targets(body, out);
            }
            Stmt::With { body, .. } => collect_targets(body, out),
            _ => {}
        }
    }
}

pub(crate) fn err<T>(span: &Range<usize>, message: impl Into<String>) -> Result<T, SpanError> {
    Err(SpanError::new(span.clone(), message))
}

impl Interp<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.src
            .get(..offset)
            .map_or(1, |s| s.matches('\n').count() + 1)
    }

    /// The source text of `span`, comments dropped and whitespace collapsed.
    fn text(&self, span: &Range<usize>) -> String {
        let raw = self.src.get(span.clone()).unwrap_or("");
        let no_comments: Vec<&str> = raw
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect();
        no_comments
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn block(&mut self, stmts: &[Stmt]) -> Result<(), SpanError> {
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, stmt: &Stmt) -> Result<(), SpanError> {
        match stmt {
            Stmt::Import { module, span } => {
                if module != "torch" {
                    return err(
                        span,
                        format!("only `import torch` is supported, not `import {module}`"),
                    );
                }
                self.torch = true;
                Ok(())
            }
            Stmt::Assign {
                target,
                target_span,
                value,
            } => self.assign(target, target_span, value),
            Stmt::AugAssign {
                target,
                target_span,
                op,
                value,
                span,
            } => self.aug_assign(target, target_span, *op, value, span),
            Stmt::SetAttr {
                base,
                name,
                name_span,
                value,
            } => self.set_attr(base, name, name_span, value),
            Stmt::For {
                var,
                var_span,
                iter,
                body,
            } => self.for_loop(var, var_span, iter, body),
            Stmt::With { context, body } => {
                if self.eval(context)? != Value::NoGrad {
                    return err(
                        &context.span,
                        "only `with torch.no_grad():` is supported as a `with` block",
                    );
                }
                let was = self.tape.grad_enabled();
                self.tape.set_grad_enabled(false);
                let result = self.block(body);
                self.tape.set_grad_enabled(was);
                result
            }
            Stmt::Expr(e) => self.expression_statement(e),
        }
    }

    fn for_loop(
        &mut self,
        var: &str,
        var_span: &Range<usize>,
        iter: &Expr,
        body: &[Stmt],
    ) -> Result<(), SpanError> {
        let ExprKind::Call { func, args } = &iter.kind else {
            return err(
                &iter.span,
                "a loop runs over `range(…)` only: write `for t in range(N):`",
            );
        };
        if !matches!(&func.kind, ExprKind::Name(n) if n == "range") {
            return err(
                &iter.span,
                "a loop runs over `range(…)` only: write `for t in range(N):`",
            );
        }
        let mut bounds = Vec::new();
        for a in args {
            if a.keyword.is_some() {
                return err(&a.value.span, "range() takes no keyword arguments");
            }
            match self.eval(&a.value)? {
                Value::Number { value, int: true } => bounds.push(value as i64),
                other => {
                    return err(
                        &a.value.span,
                        format!(
                            "'{}' object cannot be interpreted as an integer",
                            calls::py_type(&other)
                        ),
                    );
                }
            }
        }
        let (start, stop, step) = match bounds.as_slice() {
            [n] => (0, *n, 1),
            [a, b] => (*a, *b, 1),
            [a, b, s] => (*a, *b, *s),
            _ => {
                return err(
                    &iter.span,
                    format!("range expected 1 to 3 arguments, got {}", bounds.len()),
                );
            }
        };
        if step == 0 {
            return err(&iter.span, "range() arg 3 must not be zero");
        }
        // In i128: bounds up to ±2^63 cannot overflow here.
        let (start128, stop128, step128) = (i128::from(start), i128::from(stop), i128::from(step));
        let count = if step > 0 {
            (stop128 - start128 + step128 - 1).max(0) / step128
        } else {
            (start128 - stop128 - step128 - 1).max(0) / -step128
        };
        if count > (MAX_ITERATIONS - self.iterations) as i128 {
            return err(
                &iter.span,
                format!("the script would run more than {MAX_ITERATIONS} loop iterations"),
            );
        }
        self.loop_depth += 1;
        let result = self.iterate(var, var_span, start, step, count as i64, body);
        self.loop_depth -= 1;
        result
    }

    fn iterate(
        &mut self,
        var: &str,
        var_span: &Range<usize>,
        start: i64,
        step: i64,
        count: i64,
        body: &[Stmt],
    ) -> Result<(), SpanError> {
        for k in 0..count {
            self.iterations += 1;
            self.bind(
                var,
                Value::Number {
                    value: (i128::from(start) + i128::from(k) * i128::from(step)) as f64,
                    int: true,
                },
                var_span.start,
            );
            self.block(body)?;
        }
        Ok(())
    }

    fn bind(&mut self, name: &str, value: Value, at: usize) {
        if matches!(value, Value::List(_)) && !self.list_names.iter().any(|n| n == name) {
            self.list_names.push(name.to_string());
        }
        self.env.insert(name.to_string(), Binding { value, at });
    }

    fn assign(&mut self, target: &str, span: &Range<usize>, value: &Expr) -> Result<(), SpanError> {
        if target == "torch" {
            return err(span, "assigning to `torch` would hide the module");
        }
        // Outside loops a name is assigned once, so every graph node has one name; a loop
        // body updates names (`h = torch.tanh(h @ w)`), as recurrent and training code does.
        if let Some(b) = self.env.get(target)
            && b.at != span.start
            && self.loop_depth == 0
        {
            return err(
                span,
                format!(
                    "`{target}` is already assigned on line {}: reassigning would silently give two graph nodes one name; use a new name",
                    self.line_of(b.at)
                ),
            );
        }
        let tensors_before = self.tape.tensor_count();
        let nodes_before = self.tape.node_count();
        let result = match self.creation(value)? {
            Some((t, true)) => {
                if t.dtype == Dtype::I64 {
                    return err(
                        &value.span,
                        "only floating point tensors can require gradients: write the value with a decimal point",
                    );
                }
                let var = self.tape.leaf_tensor(target, t);
                self.leaves.push((target.to_string(), var));
                self.sync_labels(&value.span, &[self.text(&value.span)]);
                Value::Tensor(var)
            }
            Some((t, false)) => Value::Tensor(self.tape.constant_tensor(t)),
            None => self.eval(value)?,
        };
        if let Value::Module(m) = result {
            self.name_module(m, target);
        }
        // `out = q` makes `out` another name of the same tensor (same grad_fn), as in Python;
        // nodes and labels keep the tensor's first name.
        let is_alias = matches!(result, Value::Tensor(var) if var.0 < tensors_before);
        if let Value::Tensor(var) = result
            && !is_alias
        {
            self.names.insert(var, target.to_string());
            if let Some(node) = self
                .tape
                .grad_edge(var)
                .filter(|n| n.index() >= nodes_before)
            {
                self.labels[node.index()].var = Some(target.to_string());
            }
        }
        self.bind(target, result, span.start);
        self.last = Some((target.to_string(), span.clone()));
        Ok(())
    }

    /// `target op= value`: in place on a tensor (PyTorch's rules for leaves), a rebinding
    /// for a Python number.
    fn aug_assign(
        &mut self,
        target: &str,
        target_span: &Range<usize>,
        op: BinOp,
        value: &Expr,
        span: &Range<usize>,
    ) -> Result<(), SpanError> {
        let current = self.lookup(target, target_span)?;
        let rhs = self.eval(value)?;
        let e = Expr {
            kind: ExprKind::Name(target.to_string()),
            span: span.clone(),
        };
        match current {
            Value::Tensor(var) => {
                if self.tape.grad_enabled() && self.tape.is_leaf(var) {
                    return err(
                        span,
                        "a leaf Variable that requires grad is being used in an in-place operation.",
                    );
                }
                if self.tape.grad_enabled() && self.tape.requires_grad(var) {
                    let result = self.binary(&e, op, Value::Tensor(var), rhs)?;
                    let at = self.env.get(target).map_or(span.start, |b| b.at);
                    if let Value::Tensor(v) = result {
                        self.names.insert(v, target.to_string());
                    }
                    self.bind(target, result, at);
                    return Ok(());
                }
                let result = self.binary(&e, op, Value::Tensor(var), rhs)?;
                self.write_in_place(var, &result, span)
            }
            Value::Number { .. } => {
                let result = self.binary(&e, op, current, rhs)?;
                let at = self.env.get(target).map_or(span.start, |b| b.at);
                self.bind(target, result, at);
                Ok(())
            }
            other => err(
                target_span,
                format!(
                    "unsupported operand for an augmented assignment: `{target}` is {}",
                    other.kind()
                ),
            ),
        }
    }

    /// Overwrite `var`'s data with `value` (broadcast to `var`'s shape), as an in-place
    /// operation does.
    pub(crate) fn write_in_place(
        &mut self,
        var: Var,
        value: &Value,
        span: &Range<usize>,
    ) -> Result<(), SpanError> {
        let target = self.tape.tensor(var).clone();
        let source = match value {
            Value::Tensor(v) => self.tape.tensor(*v).clone(),
            Value::Number { value, .. } => Tensor::zero_dim(*value),
            other => {
                return err(span, format!("cannot write {} into a tensor", other.kind()));
            }
        };
        let shape = super::tensor::broadcast_shapes(&target.shape, &source.shape)
            .map_err(|m| SpanError::new(span.clone(), m))?;
        if shape != target.shape {
            return err(
                span,
                format!(
                    "output with shape {:?} doesn't match the broadcast shape {:?}",
                    target.shape, shape
                ),
            );
        }
        let mut written = super::tensor::expand(&source, &target.shape);
        written.dtype = target.dtype;
        written.round();
        self.tape.set_tensor(var, written);
        self.modules.mark_set(var);
        Ok(())
    }

    fn set_attr(
        &mut self,
        base: &Expr,
        name: &str,
        name_span: &Range<usize>,
        value: &Expr,
    ) -> Result<(), SpanError> {
        if name != "grad" {
            return err(
                name_span,
                format!("only `.grad` can be assigned to, not `.{name}`"),
            );
        }
        let Value::Tensor(var) = self.eval(base)? else {
            return err(&base.span, "only a tensor has `.grad`");
        };
        match self.eval(value)? {
            Value::None => {
                self.grads.remove(&var);
                Ok(())
            }
            Value::Tensor(g) => {
                let t = self.tape.tensor(g).clone();
                if t.shape != self.tape.tensor(var).shape {
                    return err(&value.span, "assigned grad has data of a different size");
                }
                let c = self.tape.constant_tensor(t);
                self.grads.insert(var, c);
                Ok(())
            }
            other => err(
                &value.span,
                format!(
                    "assigned grad expected to be a Tensor or None but got {}",
                    other.kind()
                ),
            ),
        }
    }

    fn expression_statement(&mut self, e: &Expr) -> Result<(), SpanError> {
        if let ExprKind::Call { func, args } = &e.kind
            && let ExprKind::Attr { base, name, .. } = &func.kind
        {
            match name.as_str() {
                "backward" => return self.backward(e, base, args),
                "append" | "step" | "zero_grad" | "zero_" | "copy_" | "fill_" => {
                    self.eval(e)?;
                    return Ok(());
                }
                _ => {}
            }
        }
        self.eval(e)?;
        err(
            &e.span,
            "an expression on its own does nothing: assign it to a name",
        )
    }

    fn backward(
        &mut self,
        e: &Expr,
        base: &Expr,
        args: &[super::script::Arg],
    ) -> Result<(), SpanError> {
        let target = match &base.kind {
            ExprKind::Name(target) => target.clone(),
            _ => self.text(&base.span),
        };
        if !args.is_empty() {
            return err(&e.span, "backward() takes no arguments in this dialect");
        }
        let Value::Tensor(var) = self.eval(base)? else {
            return err(
                &base.span,
                format!("`{target}` is a Python number: it has no backward()"),
            );
        };
        let Some(root) = self.tape.grad_edge(var) else {
            return err(
                &base.span,
                "element 0 of tensors does not require grad and does not have a grad_fn",
            );
        };
        if self.tape.tensor(var).numel() != 1 {
            return err(
                &base.span,
                "grad can be implicitly created only for scalar outputs",
            );
        }
        let grads = self.tape.backward(var);
        let reached: Vec<usize> = (0..=root.index())
            .filter(|&n| grads.node_tensor(super::tape::NodeId(n)).is_some())
            .filter(|&n| self.tape.node(super::tape::NodeId(n)).op != Op::Leaf)
            .collect();
        if reached.iter().any(|n| self.freed.contains(n)) {
            return err(
                &e.span,
                "backward() is called twice: PyTorch frees the graph after the first call",
            );
        }
        self.freed.extend(reached);
        for (_, leaf) in self.leaves.clone() {
            let Some(g) = grads.tensor(leaf) else {
                continue;
            };
            let sum = match self.grads.get(&leaf) {
                Some(&old) => {
                    let old = self.tape.tensor(old);
                    let mut t = g.clone();
                    for (x, y) in t.data.iter_mut().zip(&old.data) {
                        *x += y;
                    }
                    t.round();
                    t
                }
                None => g.clone(),
            };
            let c = self.tape.constant_tensor(sum);
            self.grads.insert(leaf, c);
        }
        self.backward_ran = true;
        self.backward = Some((target, var, base.span.clone()));
        Ok(())
    }

    fn finish(self) -> Result<Program, SpanError> {
        let (name, var, span) = match (self.backward, self.last) {
            (Some(b), _) => b,
            (None, Some((name, span))) => match self.env.get(&name).map(|b| &b.value) {
                Some(Value::Tensor(v)) => (name, *v, span),
                _ => {
                    return err(
                        &span,
                        format!("the output `{name}` is a Python number, not a tensor"),
                    );
                }
            },
            (None, None) => {
                return err(&(0..0), "the script assigns nothing, so there is no output");
            }
        };
        if !self.tape.requires_grad(var) {
            return err(
                &span,
                format!(
                    "the output `{name}` does not require grad: no tensor with requires_grad=True flows into it"
                ),
            );
        }
        let leaf_grads = self.backward_ran.then(|| {
            self.grads
                .iter()
                .map(|(&leaf, &g)| (leaf, self.tape.tensor(g).clone()))
                .collect()
        });
        let records = self
            .list_names
            .iter()
            .filter_map(|n| match self.env.get(n).map(|b| &b.value) {
                Some(Value::List(items)) => Some((
                    n.clone(),
                    items.iter().map(|v| record_json(&self.tape, v)).collect(),
                )),
                _ => None,
            })
            .collect();
        Ok(Program {
            tape: self.tape,
            labels: self.labels,
            names: self.names,
            leaves: self.leaves,
            output: var,
            output_name: name,
            leaf_grads,
            records,
        })
    }

    /// Give labels to the nodes recorded since the last call: one text per new node, the
    /// last text repeating.
    fn sync_labels(&mut self, span: &Range<usize>, texts: &[String]) {
        let start = self.labels.len();
        for k in start..self.tape.node_count() {
            let expr = texts
                .get(k - start)
                .or(texts.last())
                .cloned()
                .unwrap_or_default();
            self.labels.push(NodeLabel {
                expr,
                var: None,
                span: span.clone(),
            });
        }
    }

    fn lookup(&self, name: &str, span: &Range<usize>) -> Result<Value, SpanError> {
        match name {
            "torch" => return err(span, "`torch` is a module, not a value"),
            "True" => return Ok(Value::Bool(true)),
            "False" => return Ok(Value::Bool(false)),
            "None" => return Ok(Value::None),
            _ => {}
        }
        if let Some(b) = self.env.get(name) {
            return Ok(b.value.clone());
        }
        match self.defined_at.get(name) {
            Some(&at) => err(
                span,
                format!(
                    "`{name}` is used before it is assigned (on line {})",
                    self.line_of(at)
                ),
            ),
            None => err(span, format!("unknown name `{name}`")),
        }
    }

    fn eval(&mut self, e: &Expr) -> Result<Value, SpanError> {
        match &e.kind {
            ExprKind::Number { value, int } => Ok(Value::Number {
                value: *value,
                int: *int,
            }),
            ExprKind::Name(n) => self.lookup(n, &e.span),
            ExprKind::Paren(inner) => self.eval(inner),
            ExprKind::Pos(inner) => self.eval(inner),
            ExprKind::Neg(inner) => match self.eval(inner)? {
                Value::Number { value, int } => Ok(Value::Number { value: -value, int }),
                Value::Tensor(v) => self.record(e, &[], |t| Ok(t.neg(v))),
                other => err(
                    &inner.span,
                    format!("bad operand type for unary -: {}", other.kind()),
                ),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.eval(lhs)?;
                let b = self.eval(rhs)?;
                self.binary(e, *op, a, b)
            }
            ExprKind::Call { func, args } => self.call(e, func, args),
            ExprKind::Attr {
                base,
                name,
                name_span,
            } => self.attribute(e, base, name, name_span),
            ExprKind::List(items) => {
                let values = items
                    .iter()
                    .map(|x| self.eval(x))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::List(values))
            }
            ExprKind::Tuple(items) => {
                let values = items
                    .iter()
                    .map(|x| self.eval(x))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Value::Tuple(values))
            }
            ExprKind::Index { base, items } => self.index(e, base, items),
        }
    }

    /// Run a tape operation for expression `e`, label the nodes it records and check that
    /// the value is finite. `extra` holds labels for nodes before the last one.
    pub(crate) fn record(
        &mut self,
        e: &Expr,
        extra: &[String],
        f: impl FnOnce(&mut Tape) -> Result<Var, String>,
    ) -> Result<Value, SpanError> {
        let first_new = self.labels.len();
        let var = f(&mut self.tape).map_err(|m| SpanError::new(e.span.clone(), m))?;
        let saved: usize = (first_new..self.tape.node_count())
            .map(|n| {
                let node = self.tape.node(super::tape::NodeId(n));
                node.inputs.iter().map(Tensor::numel).sum::<usize>()
            })
            .sum();
        self.stored = self
            .stored
            .saturating_add(saved)
            .saturating_add(self.tape.tensor(var).numel());
        if self.stored > MAX_STORED {
            return err(
                &e.span,
                format!("the script keeps more than {MAX_STORED} numbers on its tape"),
            );
        }
        if self.tape.node_count() > MAX_NODES {
            return err(
                &e.span,
                format!("the script records more than {MAX_NODES} backward nodes"),
            );
        }
        let mut texts = extra.to_vec();
        texts.push(self.text(&e.span));
        self.sync_labels(&e.span, &texts);
        let value = self.tape.tensor(var);
        if !value.is_finite() {
            let why = match self.tape.grad_edge(var) {
                Some(n) if value.numel() == 1 => {
                    let node = self.tape.node(n);
                    super::numeric::why_not_finite(node.op, &node.input_values(), value.item())
                }
                _ if value.numel() == 1 => "this value is not finite".to_string(),
                _ => "an element of this tensor is not finite".to_string(),
            };
            return err(&e.span, why);
        }
        Ok(Value::Tensor(var))
    }

    pub(crate) fn binary(
        &mut self,
        e: &Expr,
        op: BinOp,
        a: Value,
        b: Value,
    ) -> Result<Value, SpanError> {
        use Value::{Number as N, Tensor as T};
        let tensor_op = match op {
            BinOp::Add => Op::Add,
            BinOp::Sub => Op::Sub,
            BinOp::Mul => Op::Mul,
            BinOp::Div => Op::Div,
            BinOp::Pow => Op::Pow,
            BinOp::MatMul => {
                return match (a, b) {
                    (T(x), T(y)) => self.record(e, &[], |t| t.matmul(x, y)),
                    (a, b) => err(
                        &e.span,
                        format!(
                            "unsupported operand types for @: {} and {}",
                            a.kind(),
                            b.kind()
                        ),
                    ),
                };
            }
            BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => return self.compare(e, op, a, b),
        };
        match (a, b) {
            (N { value: x, int: i }, N { value: y, int: j }) => {
                let (value, int) = super::numeric::python_number(op, (x, i), (y, j))
                    .map_err(|m| SpanError::new(e.span.clone(), m))?;
                Ok(N { value, int })
            }
            (T(x), T(y)) => self.record(e, &[], |t| {
                t.try_apply(
                    tensor_op,
                    &[Operand::Tensor(x), Operand::Tensor(y)],
                    &[],
                    None,
                )
            }),
            (T(x), N { value: c, .. }) => match op {
                BinOp::Add => self.record(e, &[], |t| Ok(t.add_scalar(x, c))),
                BinOp::Sub => self.record(e, &[], |t| Ok(t.sub_scalar(x, c))),
                BinOp::Mul => self.record(e, &[], |t| Ok(t.mul_scalar(x, c))),
                BinOp::Div => self.record(e, &[], |t| Ok(t.div_scalar(x, c))),
                _ => self.record(e, &[], |t| Ok(t.pow_scalar(x, c))),
            },
            (N { value: c, .. }, T(x)) => match op {
                BinOp::Add => self.record(e, &[], |t| Ok(t.add_scalar(x, c))),
                BinOp::Sub => self.record(e, &[], |t| Ok(t.rsub_scalar(c, x))),
                BinOp::Mul => self.record(e, &[], |t| Ok(t.mul_scalar(x, c))),
                BinOp::Div => {
                    let rhs_text = match &e.kind {
                        ExprKind::Binary { rhs, .. } => self.atomic_text(rhs),
                        _ => self.text(&e.span),
                    };
                    let reciprocal = format!("{rhs_text}.reciprocal()");
                    self.record(e, &[reciprocal], |t| Ok(t.rdiv_scalar(c, x)))
                }
                _ => self.record(e, &[], |t| Ok(t.rpow_scalar(c, x))),
            },
            (a, b) => err(
                &e.span,
                format!(
                    "unsupported operand types for {}: {} and {}",
                    symbol(op),
                    a.kind(),
                    b.kind()
                ),
            ),
        }
    }

    /// `a < b` and friends: a Python bool for numbers, a tensor of 0/1 (no graph) for tensors.
    fn compare(&mut self, e: &Expr, op: BinOp, a: Value, b: Value) -> Result<Value, SpanError> {
        let test = move |x: f64, y: f64| match op {
            BinOp::Lt => x < y,
            BinOp::Gt => x > y,
            BinOp::Le => x <= y,
            _ => x >= y,
        };
        let as_tensor = |it: &Self, v: &Value| -> Option<Tensor> {
            match v {
                Value::Tensor(t) => Some(it.tape.tensor(*t).clone()),
                Value::Number { value, .. } => Some(Tensor::zero_dim(*value)),
                _ => None,
            }
        };
        if let (Value::Number { value: x, .. }, Value::Number { value: y, .. }) = (&a, &b) {
            return Ok(Value::Bool(test(*x, *y)));
        }
        let (Some(x), Some(y)) = (as_tensor(self, &a), as_tensor(self, &b)) else {
            return err(
                &e.span,
                format!(
                    "'{}' not supported between {} and {}",
                    symbol(op),
                    a.kind(),
                    b.kind()
                ),
            );
        };
        let (shape, data) =
            super::tensor::broadcast_map(&[&x, &y], |v| f64::from(u8::from(test(v[0], v[1]))))
                .map_err(|m| SpanError::new(e.span.clone(), m))?;
        let t = Tensor {
            shape,
            data,
            dtype: Dtype::I64,
        };
        Ok(Value::Tensor(self.tape.constant_tensor(t)))
    }

    /// The text of `e`, in parentheses unless it is a name, call or parenthesised already.
    fn atomic_text(&self, e: &Expr) -> String {
        let text = self.text(&e.span);
        match e.kind {
            ExprKind::Name(_)
            | ExprKind::Call { .. }
            | ExprKind::Paren(_)
            | ExprKind::Number { .. } => text,
            _ => format!("({text})"),
        }
    }

    /// `x[i, a:b]` on a tensor (select/slice nodes), `xs[i]` on a list, `net[i]` on a
    /// `Sequential`.
    fn index(&mut self, e: &Expr, base: &Expr, items: &[Index]) -> Result<Value, SpanError> {
        let value = self.eval(base)?;
        let var = match value {
            Value::Tensor(v) => v,
            Value::List(xs) | Value::Tuple(xs) => {
                let [Index::At(i)] = items else {
                    return err(&e.span, "a list takes one integer index");
                };
                let k = self.int(i)?;
                let at = if k < 0 { xs.len() as i64 + k } else { k };
                return usize::try_from(at)
                    .ok()
                    .and_then(|a| xs.get(a).cloned())
                    .ok_or_else(|| SpanError::new(i.span.clone(), "list index out of range"));
            }
            Value::Module(m) => {
                let [Index::At(i)] = items else {
                    return err(&e.span, "a Sequential takes one integer index");
                };
                let k = self.int(i)?;
                return self.modules.child(m, k).map(Value::Module).ok_or_else(|| {
                    SpanError::new(i.span.clone(), format!("index {k} is out of range"))
                });
            }
            other => {
                return err(&base.span, format!("{} cannot be indexed", other.kind()));
            }
        };
        let mut current = var;
        let mut dim = 0usize;
        for item in items {
            let shape = self.tape.tensor(current).shape.clone();
            let Some(&size) = shape.get(dim) else {
                return err(
                    &e.span,
                    format!(
                        "too many indices for tensor of dimension {}",
                        self.tape.tensor(var).shape.len()
                    ),
                );
            };
            match item {
                Index::At(i) => {
                    let k = self.int(i)?;
                    let at = if k < 0 { size as i64 + k } else { k };
                    if at < 0 || at >= size as i64 {
                        return err(
                            &i.span,
                            format!(
                                "index {k} is out of bounds for dimension {dim} with size {size}"
                            ),
                        );
                    }
                    let op = Op::Select {
                        dim: dim as u8,
                        index: at as usize,
                    };
                    let Value::Tensor(v) = self.record(e, &[], |t| {
                        t.try_apply(op, &[Operand::Tensor(current)], &[], None)
                    })?
                    else {
                        return err(&e.span, "indexing failed");
                    };
                    current = v;
                }
                Index::Slice {
                    start, stop, step, ..
                } => {
                    let n = size as i64;
                    let bound = |it: &mut Self, x: &Option<Expr>, default: i64| match x {
                        Some(x) => it.int(x).map(|k| {
                            let k = if k < 0 { n + k } else { k };
                            k.clamp(0, n)
                        }),
                        None => Ok(default),
                    };
                    let s = bound(self, start, 0)?;
                    let t = bound(self, stop, n)?;
                    let st = match step {
                        Some(x) => self.int(x)?,
                        None => 1,
                    };
                    if st <= 0 {
                        let span = step.as_ref().map_or(e.span.clone(), |x| x.span.clone());
                        return err(&span, "step must be greater than zero");
                    }
                    let len = if t > s { (t - s - 1) / st + 1 } else { 0 };
                    if !(s == 0 && len == n && st == 1) {
                        let mut target = shape.clone();
                        target[dim] = len as usize;
                        let op = Op::Slice {
                            dim: dim as u8,
                            start: s as usize,
                            step: st as usize,
                        };
                        let Value::Tensor(v) = self.record(e, &[], |tp| {
                            tp.try_apply(op, &[Operand::Tensor(current)], &[], Some(&target))
                        })?
                        else {
                            return err(&e.span, "slicing failed");
                        };
                        current = v;
                    }
                    dim += 1;
                }
            }
        }
        Ok(Value::Tensor(current))
    }

    /// A Python int from `e`.
    pub(crate) fn int(&mut self, e: &Expr) -> Result<i64, SpanError> {
        match self.eval(e)? {
            Value::Number { value, int: true } => Ok(value as i64),
            other => err(
                &e.span,
                format!("expected an integer here, got {}", other.kind()),
            ),
        }
    }
}

/// The Python operator symbol of `op`.
fn symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Pow => "**",
        BinOp::MatMul => "@",
        BinOp::Lt => "<",
        BinOp::Gt => ">",
        BinOp::Le => "<=",
        BinOp::Ge => ">=",
    }
}

/// A recorded list element as JSON: numbers as they are, tensors as nested lists.
fn record_json(tape: &Tape, v: &Value) -> serde_json::Value {
    match v {
        Value::Number { value, .. } => serde_json::json!(value),
        Value::Bool(b) => serde_json::json!(b),
        Value::Tensor(t) => tape.tensor(*t).to_json(),
        Value::List(xs) | Value::Tuple(xs) => {
            serde_json::Value::Array(xs.iter().map(|x| record_json(tape, x)).collect())
        }
        _ => serde_json::Value::Null,
    }
}
