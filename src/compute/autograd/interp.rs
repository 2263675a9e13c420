//! Running a parsed script on the tape: names, Python-number arithmetic, torch calls, and
//! the checks that keep a script inside the dialect.

use super::ops::Op;
use super::script::{BinOp, Expr, ExprKind, Stmt, parse};
use super::tape::{Tape, Var};
use crate::diag::SpanError;
use std::collections::HashMap;
use std::ops::Range;

mod calls;

/// The torch functions (and tensor methods) of one tensor argument the dialect knows.
pub(crate) const UNARY: &[&str] = &["sin", "cos", "exp", "log", "tanh", "sigmoid", "relu"];

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
}

/// A value during evaluation: a Python number or a tensor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Number { value: f64, int: bool },
    Tensor(Var),
}

struct Binding {
    value: Value,
    /// Byte offset of the assignment (its line is computed only for error messages).
    at: usize,
}

struct Interp<'a> {
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
}

/// Parse and run `src`.
pub(crate) fn run(src: &str) -> Result<Program, SpanError> {
    let stmts = parse(src)?;
    let mut defined_at = HashMap::new();
    for s in &stmts {
        if let Stmt::Assign {
            target,
            target_span,
            ..
        } = s
        {
            defined_at
                .entry(target.clone())
                .or_insert(target_span.start);
        }
    }
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
    };
    for s in &stmts {
        it.stmt(s)?;
    }
    it.finish()
}

fn err<T>(span: &Range<usize>, message: impl Into<String>) -> Result<T, SpanError> {
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
            Stmt::Expr(e) => self.expression_statement(e),
        }
    }

    fn assign(&mut self, target: &str, span: &Range<usize>, value: &Expr) -> Result<(), SpanError> {
        if target == "torch" {
            return err(span, "assigning to `torch` would hide the module");
        }
        if let Some(b) = self.env.get(target) {
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
        let result = match self.tensor_call(value)? {
            Some((x, int, true)) => {
                if int {
                    return err(
                        &value.span,
                        "only floating point tensors can require gradients: write the value with a decimal point",
                    );
                }
                let var = self.tape.leaf(target, x);
                self.leaves.push((target.to_string(), var));
                self.sync_labels(&value.span, &[self.text(&value.span)]);
                Value::Tensor(var)
            }
            Some((x, _, false)) => Value::Tensor(self.tape.constant(x)),
            None => self.eval(value)?,
        };
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
        self.env.insert(
            target.to_string(),
            Binding {
                value: result,
                at: span.start,
            },
        );
        self.last = Some((target.to_string(), span.clone()));
        Ok(())
    }

    fn expression_statement(&mut self, e: &Expr) -> Result<(), SpanError> {
        if let ExprKind::Call { func, args } = &e.kind
            && let ExprKind::Attr { base, name, .. } = &func.kind
            && name == "backward"
        {
            let ExprKind::Name(target) = &base.kind else {
                return err(
                    &base.span,
                    "call backward() on a named tensor: `out.backward()`",
                );
            };
            if !args.is_empty() {
                return err(&e.span, "backward() takes no arguments in this dialect");
            }
            if self.backward.is_some() {
                return err(
                    &e.span,
                    "backward() is called twice: PyTorch frees the graph after the first call",
                );
            }
            let Value::Tensor(var) = self.eval(base)? else {
                return err(
                    &base.span,
                    format!("`{target}` is a Python number: it has no backward()"),
                );
            };
            self.backward = Some((target.clone(), var, base.span.clone()));
            return Ok(());
        }
        self.eval(e)?;
        err(
            &e.span,
            "an expression on its own does nothing: assign it to a name",
        )
    }

    fn finish(self) -> Result<Program, SpanError> {
        let (name, var, span) = match (self.backward, self.last) {
            (Some(b), _) => b,
            (None, Some((name, span))) => match self.env.get(&name).map(|b| b.value) {
                Some(Value::Tensor(v)) => (name, v, span),
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
        Ok(Program {
            tape: self.tape,
            labels: self.labels,
            names: self.names,
            leaves: self.leaves,
            output: var,
            output_name: name,
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
            "True" | "False" | "None" => {
                return err(
                    span,
                    format!("`{name}` is not a number or tensor in this dialect"),
                );
            }
            _ => {}
        }
        if let Some(b) = self.env.get(name) {
            return Ok(b.value);
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
                Value::Tensor(v) => self.record(e, &[], |t| t.neg(v)),
            },
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.eval(lhs)?;
                let b = self.eval(rhs)?;
                self.binary(e, *op, a, b, lhs)
            }
            ExprKind::Call { func, args } => self.call(e, func, args),
            ExprKind::Attr {
                name, name_span, ..
            } => err(
                name_span,
                format!(
                    "unsupported attribute `.{name}`: the dialect only computes with tensors and numbers"
                ),
            ),
            ExprKind::List(_) => err(&e.span, "a list only appears as `torch.tensor([value])`"),
        }
    }

    /// Run a tape operation for expression `e`, label the nodes it records and check that
    /// the value is finite. `extra` holds labels for nodes before the last one.
    fn record(
        &mut self,
        e: &Expr,
        extra: &[String],
        f: impl FnOnce(&mut Tape) -> Var,
    ) -> Result<Value, SpanError> {
        let var = f(&mut self.tape);
        let mut texts = extra.to_vec();
        texts.push(self.text(&e.span));
        self.sync_labels(&e.span, &texts);
        let value = self.tape.value(var);
        if !value.is_finite() {
            let why = self.tape.grad_edge(var).map_or_else(
                || "the value is not finite".to_string(),
                |n| {
                    let node = self.tape.node(n);
                    super::numeric::why_not_finite(node.op, &node.inputs, value)
                },
            );
            return err(&e.span, why);
        }
        Ok(Value::Tensor(var))
    }

    fn binary(
        &mut self,
        e: &Expr,
        op: BinOp,
        a: Value,
        b: Value,
        lhs: &Expr,
    ) -> Result<Value, SpanError> {
        use Value::{Number as N, Tensor as T};
        match (a, b) {
            (N { value: x, int: i }, N { value: y, int: j }) => {
                let (value, int) = super::numeric::python_number(op, (x, i), (y, j))
                    .map_err(|m| SpanError::new(e.span.clone(), m))?;
                Ok(N { value, int })
            }
            (T(x), T(y)) => {
                let op = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                    BinOp::Pow => Op::Pow,
                };
                self.record(e, &[], |t| {
                    t.apply(
                        op,
                        &[
                            super::tape::Operand::Tensor(x),
                            super::tape::Operand::Tensor(y),
                        ],
                    )
                })
            }
            (T(x), N { value: c, .. }) => match op {
                BinOp::Add => self.record(e, &[], |t| t.add_scalar(x, c)),
                BinOp::Sub => self.record(e, &[], |t| t.sub_scalar(x, c)),
                BinOp::Mul => self.record(e, &[], |t| t.mul_scalar(x, c)),
                BinOp::Div => self.record(e, &[], |t| t.div_scalar(x, c)),
                BinOp::Pow => self.record(e, &[], |t| t.pow_scalar(x, c)),
            },
            (N { value: c, .. }, T(x)) => match op {
                BinOp::Add => self.record(e, &[], |t| t.add_scalar(x, c)),
                BinOp::Sub => self.record(e, &[], |t| t.rsub_scalar(c, x)),
                BinOp::Mul => self.record(e, &[], |t| t.mul_scalar(x, c)),
                BinOp::Div => {
                    let rhs_text = match &e.kind {
                        ExprKind::Binary { rhs, .. } => self.atomic_text(rhs),
                        _ => self.text(&lhs.span),
                    };
                    let reciprocal = format!("{rhs_text}.reciprocal()");
                    self.record(e, &[reciprocal], |t| t.rdiv_scalar(c, x))
                }
                BinOp::Pow => self.record(e, &[], |t| t.rpow_scalar(c, x)),
            },
        }
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
}
