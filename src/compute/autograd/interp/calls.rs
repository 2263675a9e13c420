//! Calls and attributes in a script: tensor creation (`torch.tensor`, `zeros`, `ones`, `full`,
//! `eye`, `arange`, `linspace`), `torch.*` and `torch.nn.functional.*` functions, tensor
//! methods (`.sum(dim=…)`, `.view(…)`, `.item()`, `.zero_()`, …) and attributes (`.T`,
//! `.grad`, `.shape`), with PyTorch's errors where it has them.

use super::{Interp, MAX_ELEMENTS, UNARY, Value, err};
use crate::compute::autograd::ops::Op;
use crate::compute::autograd::script::{Arg, Expr, ExprKind};
use crate::compute::autograd::tape::{Operand, Var};
use crate::compute::autograd::tensor::{Dtype, Tensor};
use crate::diag::SpanError;
use std::ops::Range;

/// Python's type name of a value (`int`, `float`, `Tensor`, …), for PyTorch-style messages.
pub(super) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Number { int: true, .. } => "int",
        Value::Number { .. } => "float",
        Value::Bool(_) => "bool",
        Value::None => "NoneType",
        Value::Tensor(_) => "Tensor",
        Value::List(_) => "list",
        Value::Tuple(_) => "tuple",
        Value::Module(_) => "Module",
        Value::Optimizer(_) => "Optimizer",
        Value::Dtype(_) => "dtype",
        Value::NoGrad => "no_grad",
    }
}

/// Evaluated call arguments: positional, then keyword.
pub(super) struct Args {
    pos: Vec<Option<(Value, Range<usize>)>>,
    kw: Vec<(String, Value, Range<usize>)>,
    span: Range<usize>,
    name: String,
}

impl Args {
    /// Argument `i` (positional) or `name` (keyword), removed from the unread ones.
    pub(super) fn get(&mut self, i: usize, name: &str) -> Option<(Value, Range<usize>)> {
        if let Some(k) = self.kw.iter().position(|(n, _, _)| n == name) {
            let (_, v, s) = self.kw.remove(k);
            return Some((v, s));
        }
        self.pos.get_mut(i).and_then(Option::take)
    }

    /// Keyword argument `name` only.
    pub(super) fn kw(&mut self, name: &str) -> Option<(Value, Range<usize>)> {
        let k = self.kw.iter().position(|(n, _, _)| n == name)?;
        let (_, v, s) = self.kw.remove(k);
        Some((v, s))
    }

    /// Every positional argument from `i` on.
    pub(super) fn rest(&mut self, i: usize) -> Vec<(Value, Range<usize>)> {
        if i >= self.pos.len() {
            return Vec::new();
        }
        self.pos.split_off(i).into_iter().flatten().collect()
    }

    /// Required argument `i`/`name`.
    pub(super) fn need(
        &mut self,
        i: usize,
        name: &str,
    ) -> Result<(Value, Range<usize>), SpanError> {
        self.get(i, name).ok_or_else(|| {
            SpanError::new(
                self.span.clone(),
                format!("{}() missing required argument '{name}'", self.name),
            )
        })
    }

    /// Error for any argument nobody read.
    pub(super) fn done(self) -> Result<(), SpanError> {
        if let Some((k, _, s)) = self.kw.first() {
            return err(
                s,
                format!("{}() got an unexpected keyword argument '{k}'", self.name),
            );
        }
        if let Some((_, s)) = self.pos.iter().flatten().next() {
            return err(
                s,
                format!("{}() got too many positional arguments", self.name),
            );
        }
        Ok(())
    }
}

/// `torch.a.b` as `"torch.a.b"` when `e` is an attribute chain on the name `torch`.
fn torch_path(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(n) if n == "torch" => Some("torch".into()),
        ExprKind::Attr { base, name, .. } => torch_path(base).map(|p| format!("{p}.{name}")),
        _ => None,
    }
}

/// Creation functions whose result can be a leaf.
const CREATION: &[&str] = &[
    "torch.tensor",
    "torch.zeros",
    "torch.ones",
    "torch.full",
    "torch.eye",
    "torch.arange",
    "torch.linspace",
];

impl Interp<'_> {
    pub(super) fn require_torch(&self, span: &Range<usize>) -> Result<(), SpanError> {
        if self.torch {
            Ok(())
        } else {
            err(
                span,
                "name `torch` is not defined: add `import torch` at the top",
            )
        }
    }

    fn args(&mut self, name: &str, span: &Range<usize>, args: &[Arg]) -> Result<Args, SpanError> {
        let mut out = Args {
            pos: Vec::new(),
            kw: Vec::new(),
            span: span.clone(),
            name: name.to_string(),
        };
        for a in args {
            let v = self.eval(&a.value)?;
            match &a.keyword {
                Some((k, _)) => {
                    if out.kw.iter().any(|(n, _, _)| n == k) {
                        return err(&a.value.span, format!("keyword argument repeated: {k}"));
                    }
                    out.kw.push((k.clone(), v, a.value.span.clone()));
                }
                None => out.pos.push(Some((v, a.value.span.clone()))),
            }
        }
        Ok(out)
    }

    /// If `e` is a creation call (`torch.tensor(…)`, `torch.zeros(…)`, …), its tensor and
    /// whether it requires grad.
    pub(super) fn creation(&mut self, e: &Expr) -> Result<Option<(Tensor, bool)>, SpanError> {
        let ExprKind::Call { func, args } = &e.kind else {
            return Ok(None);
        };
        let Some(path) = torch_path(func) else {
            return Ok(None);
        };
        if !CREATION.contains(&path.as_str()) {
            return Ok(None);
        }
        self.require_torch(&func.span)?;
        let mut a = self.args(&path, &e.span, args)?;
        let requires_grad = match a.kw("requires_grad") {
            None | Some((Value::Bool(false), _)) => false,
            Some((Value::Bool(true), _)) => true,
            Some((_, s)) => return err(&s, "requires_grad must be True or False"),
        };
        let dtype = match a.kw("dtype") {
            None => None,
            Some((Value::Dtype(d), _)) => Some(d),
            Some((_, s)) => {
                return err(
                    &s,
                    "dtype must be torch.float64, torch.double, torch.float32, torch.float or torch.int64",
                );
            }
        };
        let t = self.create(&path, &mut a, dtype)?;
        a.done()?;
        sized(&t.shape, &e.span)?;
        Ok(Some((t, requires_grad)))
    }

    fn create(
        &mut self,
        path: &str,
        a: &mut Args,
        dtype: Option<Dtype>,
    ) -> Result<Tensor, SpanError> {
        let float = dtype.unwrap_or(Dtype::F64);
        let t = match path {
            "torch.tensor" => {
                let (data, span) = a.need(0, "data")?;
                let mut shape = Vec::new();
                let mut values = Vec::new();
                let mut all_int = true;
                self.flatten_literal(&data, &span, 0, &mut shape, &mut values, &mut all_int)?;
                let inferred = if all_int { Dtype::I64 } else { Dtype::F64 };
                Tensor::new(shape, values).with_dtype(dtype.unwrap_or(inferred))
            }
            "torch.zeros" | "torch.ones" => {
                let shape = self.size_args(a)?;
                sized(&shape, &a.span)?;
                let x = if path == "torch.zeros" { 0.0 } else { 1.0 };
                Tensor::full(&shape, x).with_dtype(float)
            }
            "torch.full" => {
                let (size, span) = a.need(0, "size")?;
                let shape = self.shape_value(&size, &span)?;
                sized(&shape, &span)?;
                let (fill, span) = a.need(1, "fill_value")?;
                let x = number(&fill, &span)?;
                let inferred = match fill {
                    Value::Number { int: true, .. } => Dtype::I64,
                    _ => Dtype::F64,
                };
                Tensor::full(&shape, x).with_dtype(dtype.unwrap_or(inferred))
            }
            "torch.eye" => {
                let (n, span) = a.need(0, "n")?;
                let n = count(&n, &span)?;
                let m = match a.get(1, "m") {
                    Some((m, span)) => count(&m, &span)?,
                    None => n,
                };
                sized(&[n, m], &a.span)?;
                let mut t = Tensor::full(&[n, m], 0.0);
                for k in 0..n.min(m) {
                    t.data[k * m + k] = 1.0;
                }
                t.with_dtype(float)
            }
            "torch.arange" => {
                let first = a.need(0, "end")?;
                let (start, end, step) = match (a.get(1, "end"), a.get(2, "step")) {
                    (None, None) => (
                        (
                            Value::Number {
                                value: 0.0,
                                int: true,
                            },
                            0..0,
                        ),
                        first,
                        None,
                    ),
                    (Some(end), step) => (first, end, step),
                    (None, Some(step)) => (
                        (
                            Value::Number {
                                value: 0.0,
                                int: true,
                            },
                            0..0,
                        ),
                        first,
                        Some(step),
                    ),
                };
                let step = step.unwrap_or((
                    Value::Number {
                        value: 1.0,
                        int: true,
                    },
                    0..0,
                ));
                let all_int = [&start.0, &end.0, &step.0]
                    .iter()
                    .all(|v| matches!(v, Value::Number { int: true, .. }));
                let (s, t, st) = (
                    number(&start.0, &start.1)?,
                    number(&end.0, &end.1)?,
                    number(&step.0, &step.1)?,
                );
                if st == 0.0 {
                    return err(&step.1, "step must be nonzero");
                }
                let n = ((t - s) / st).ceil();
                if n < 0.0 {
                    return err(
                        &a.span,
                        "upper bound and larger bound inconsistent with step sign",
                    );
                }
                if n > MAX_ELEMENTS as f64 {
                    return err(&a.span, format!("more than {MAX_ELEMENTS} elements"));
                }
                let data = (0..n as usize).map(|i| s + i as f64 * st).collect();
                let inferred = if all_int { Dtype::I64 } else { Dtype::F64 };
                Tensor::new(vec![n as usize], data).with_dtype(dtype.unwrap_or(inferred))
            }
            _ => {
                let (start, s1) = a.need(0, "start")?;
                let (end, s2) = a.need(1, "end")?;
                let (steps, s3) = a.need(2, "steps")?;
                let (start, end, steps) = (
                    number(&start, &s1)?,
                    number(&end, &s2)?,
                    count(&steps, &s3)?,
                );
                if steps > MAX_ELEMENTS {
                    return err(&s3, format!("more than {MAX_ELEMENTS} elements"));
                }
                // ATen's CPU kernel: the first half counts up from `start`, the second half
                // down from `end`, so both ends are exact.
                let step = if steps > 1 {
                    (end - start) / (steps - 1) as f64
                } else {
                    0.0
                };
                let half = steps / 2;
                let data = (0..steps)
                    .map(|i| {
                        if i < half {
                            start + step * i as f64
                        } else {
                            end - step * (steps - i - 1) as f64
                        }
                    })
                    .collect();
                Tensor::new(vec![steps], data).with_dtype(float)
            }
        };
        Ok(t)
    }

    /// Nested lists of numbers → shape and row-major data, with PyTorch's message for
    /// ragged lists.
    fn flatten_literal(
        &self,
        v: &Value,
        span: &Range<usize>,
        depth: usize,
        shape: &mut Vec<usize>,
        out: &mut Vec<f64>,
        all_int: &mut bool,
    ) -> Result<(), SpanError> {
        match v {
            Value::List(items) | Value::Tuple(items) => {
                match shape.get(depth) {
                    None if depth == shape.len()
                        && (depth == 0 || !out.is_empty() || shape.iter().all(|&n| n > 0)) =>
                    {
                        if depth > 0 && !out.is_empty() {
                            return err(
                                span,
                                format!("expected a number at dim {depth}, got a sequence"),
                            );
                        }
                        shape.push(items.len());
                    }
                    Some(&n) if n == items.len() => {}
                    Some(&n) => {
                        return err(
                            span,
                            format!(
                                "expected sequence of length {n} at dim {depth} (got {})",
                                items.len()
                            ),
                        );
                    }
                    None => {
                        return err(
                            span,
                            format!("expected a number at dim {depth}, got a sequence"),
                        );
                    }
                }
                for item in items {
                    self.flatten_literal(item, span, depth + 1, shape, out, all_int)?;
                }
                Ok(())
            }
            Value::Number { value, int } => {
                if depth != shape.len() {
                    return err(
                        span,
                        format!(
                            "expected sequence of length {} at dim {depth} (got a number)",
                            shape[depth]
                        ),
                    );
                }
                *all_int &= *int;
                out.push(*value);
                Ok(())
            }
            Value::Bool(b) => {
                out.push(f64::from(u8::from(*b)));
                Ok(())
            }
            Value::Tensor(t) if self.tape.tensor(*t).numel() == 1 && depth == shape.len() => {
                *all_int &= self.tape.tensor(*t).dtype == Dtype::I64;
                out.push(self.tape.tensor(*t).item());
                Ok(())
            }
            other => err(span, format!("Could not infer dtype of {}", py_type(other))),
        }
    }

    /// `zeros(2, 3)`, `zeros((2, 3))`, `zeros([2, 3])`, `zeros(size=(2, 3))`.
    fn size_args(&mut self, a: &mut Args) -> Result<Vec<usize>, SpanError> {
        if let Some((v, span)) = a.kw("size") {
            return self.shape_value(&v, &span);
        }
        let rest = a.rest(0);
        match rest.as_slice() {
            [(v @ (Value::List(_) | Value::Tuple(_)), span)] => self.shape_value(v, span),
            _ => rest.iter().map(|(v, s)| count(v, s)).collect(),
        }
    }

    /// A shape given as an int, list or tuple of ints.
    fn shape_value(&self, v: &Value, span: &Range<usize>) -> Result<Vec<usize>, SpanError> {
        match v {
            Value::List(xs) | Value::Tuple(xs) => xs.iter().map(|x| count(x, span)).collect(),
            other => Ok(vec![count(other, span)?]),
        }
    }

    /// A reshape target with at most one -1, checked against `numel` with PyTorch's message.
    fn view_target(
        &self,
        items: &[(Value, Range<usize>)],
        numel: usize,
        span: &Range<usize>,
    ) -> Result<Vec<usize>, SpanError> {
        let dims: Vec<i64> = match items {
            [(Value::List(xs) | Value::Tuple(xs), s)] => {
                xs.iter().map(|x| int(x, s)).collect::<Result<_, _>>()?
            }
            _ => items
                .iter()
                .map(|(v, s)| int(v, s))
                .collect::<Result<_, _>>()?,
        };
        let shown = format!(
            "[{}]",
            dims.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
        if dims.len() > crate::compute::autograd::tensor::MAX_RANK {
            return err(
                span,
                format!(
                    "a tensor of {} dimensions is more than gradbook's limit of {}",
                    dims.len(),
                    crate::compute::autograd::tensor::MAX_RANK
                ),
            );
        }
        let invalid = || {
            SpanError::new(
                span.clone(),
                format!("shape '{shown}' is invalid for input of size {numel}"),
            )
        };
        if dims.iter().filter(|&&d| d == -1).count() > 1 {
            return err(span, "only one dimension can be inferred");
        }
        if dims.iter().any(|&d| d < -1) {
            return Err(invalid());
        }
        // Checked: a typo such as view(2**40, 2**40) is an invalid shape, not an overflow.
        let known: usize = dims
            .iter()
            .filter(|&&d| d >= 0)
            .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
            .ok_or_else(invalid)?;
        let mut out = Vec::with_capacity(dims.len());
        for &d in &dims {
            if d == -1 {
                if known == 0 || !numel.is_multiple_of(known) {
                    return Err(invalid());
                }
                out.push(numel / known);
            } else {
                out.push(d as usize);
            }
        }
        if out.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(numel) {
            return Err(invalid());
        }
        Ok(out)
    }

    fn var_of(&self, v: &Value, span: &Range<usize>, what: &str) -> Result<Var, SpanError> {
        match v {
            Value::Tensor(t) => Ok(*t),
            other => err(
                span,
                format!(
                    "{what} needs a tensor, not {}",
                    match other {
                        Value::Number { .. } => "a Python number".to_string(),
                        o => o.kind().to_string(),
                    }
                ),
            ),
        }
    }

    /// Normalise `dim` against a tensor of `rank` dims, PyTorch's message when out of range.
    pub(super) fn dim(&self, d: i64, rank: usize, span: &Range<usize>) -> Result<usize, SpanError> {
        let r = rank.max(1) as i64;
        if d < -r || d >= r {
            return err(
                span,
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -r,
                    r - 1
                ),
            );
        }
        Ok(if d < 0 { (d + r) as usize } else { d as usize })
    }

    /// A reduction's `dim=` (int, tuple or list; `None` for all dims) as a bit mask.
    fn dim_mask(
        &self,
        v: Option<(Value, Range<usize>)>,
        rank: usize,
    ) -> Result<Option<u32>, SpanError> {
        let Some((v, span)) = v else { return Ok(None) };
        let list = match v {
            Value::None => return Ok(None),
            Value::List(xs) | Value::Tuple(xs) => xs,
            other => vec![other],
        };
        let mut mask = 0u32;
        for x in &list {
            let d = self.dim(int(x, &span)?, rank, &span)?;
            if mask >> d & 1 == 1 {
                return err(
                    &span,
                    format!("dim {d} appears multiple times in the list of dims"),
                );
            }
            mask |= 1 << d;
        }
        Ok(Some(mask))
    }

    fn op1(
        &mut self,
        e: &Expr,
        op: Op,
        v: Var,
        target: Option<&[usize]>,
    ) -> Result<Value, SpanError> {
        self.record(e, &[], |t| {
            t.try_apply(op, &[Operand::Tensor(v)], &[], target)
        })
    }

    pub(super) fn call(&mut self, e: &Expr, func: &Expr, args: &[Arg]) -> Result<Value, SpanError> {
        if let Some(path) = torch_path(func) {
            self.require_torch(&func.span)?;
            return self.torch_call(e, func, &path, args);
        }
        match &func.kind {
            ExprKind::Attr {
                base,
                name,
                name_span,
            } => {
                if name == "backward" {
                    return err(
                        &e.span,
                        "backward() returns None: call it on a line of its own, `out.backward()`",
                    );
                }
                if name == "append" {
                    return self.append(e, base, args);
                }
                let value = self.eval(base)?;
                self.method(e, value, &base.span, name, name_span, args)
            }
            ExprKind::Name(n) if !self.env.contains_key(n) => err(
                &func.span,
                format!(
                    "unsupported call `{n}(…)`: the dialect has torch functions, tensor methods and torch.nn modules"
                ),
            ),
            _ => match self.eval(func)? {
                Value::Module(m) => {
                    let mut a = self.args("forward", &e.span, args)?;
                    if let Some(loss) = self.loss_module(m) {
                        let v = self.loss_or_linear(e, loss, &mut a)?;
                        a.done()?;
                        return Ok(v);
                    }
                    let (x, span) = a.need(0, "input")?;
                    a.done()?;
                    let x = self.var_of(&x, &span, "a module")?;
                    self.module_forward(e, m, x)
                }
                other => err(
                    &func.span,
                    format!("'{}' object is not callable", py_type(&other)),
                ),
            },
        }
    }

    fn append(&mut self, e: &Expr, base: &Expr, args: &[Arg]) -> Result<Value, SpanError> {
        let ExprKind::Name(name) = &base.kind else {
            return err(&base.span, "append to a named list: `xs.append(v)`");
        };
        let mut a = self.args("append", &e.span, args)?;
        let (v, _) = a.need(0, "object")?;
        a.done()?;
        // A tensor appended is a snapshot of its value (as `.item()`/`.clone()` would be).
        let v = match v {
            Value::Tensor(t) => {
                Value::Tensor(self.tape.constant_tensor(self.tape.tensor(t).clone()))
            }
            other => other,
        };
        match self.env.get_mut(name) {
            Some(b) => match &mut b.value {
                Value::List(xs) => {
                    if xs.len() >= super::MAX_ITERATIONS {
                        return err(&e.span, "the list grows beyond gradbook's limit");
                    }
                    xs.push(v);
                    Ok(Value::None)
                }
                other => err(
                    &base.span,
                    format!("'{}' object has no attribute 'append'", py_type(other)),
                ),
            },
            None => self.lookup(name, &base.span),
        }
    }

    fn torch_call(
        &mut self,
        e: &Expr,
        func: &Expr,
        path: &str,
        args: &[Arg],
    ) -> Result<Value, SpanError> {
        if matches!(
            path,
            "torch.rand" | "torch.randn" | "torch.randint" | "torch.manual_seed" | "torch.randperm"
        ) {
            return err(
                &func.span,
                format!(
                    "`{path}`: gradbook has no random numbers, so every script gives the same numbers; write the values out or compute them (arange, linspace, sin)"
                ),
            );
        }
        if CREATION.contains(&path) {
            return match self.creation(e)? {
                Some((_, true)) => err(
                    &e.span,
                    "a tensor that requires grad needs a line of its own: `w = torch.tensor([…], requires_grad=True)`",
                ),
                Some((t, false)) => Ok(Value::Tensor(self.tape.constant_tensor(t))),
                None => err(&e.span, format!("unsupported use of {path}")),
            };
        }
        let short = path
            .strip_prefix("torch.nn.functional.")
            .or_else(|| path.strip_prefix("torch."))
            .unwrap_or(path);
        if path.starts_with("torch.nn.") && !path.starts_with("torch.nn.functional.")
            || path.starts_with("torch.optim.")
        {
            let mut a = self.args(path, &e.span, args)?;
            let v = self.construct(e, path, &mut a)?;
            a.done()?;
            return Ok(v);
        }
        if path == "torch.no_grad" {
            if !args.is_empty() {
                return err(&e.span, "no_grad() takes no arguments");
            }
            return Ok(Value::NoGrad);
        }
        let name_span = match &func.kind {
            ExprKind::Attr { name_span, .. } => name_span.clone(),
            _ => func.span.clone(),
        };
        let mut a = self.args(path, &e.span, args)?;
        match short {
            "cat" | "stack" => {
                let (list, span) = a.need(0, "tensors")?;
                let dim = match a.get(1, "dim") {
                    Some((d, s)) => int(&d, &s)?,
                    None => 0,
                };
                a.done()?;
                return self.join(e, short == "stack", &list, &span, dim);
            }
            "where" => {
                let (c, cs) = a.need(0, "condition")?;
                let (x, xs) = a.need(1, "input")?;
                let (y, ys) = a.need(2, "other")?;
                a.done()?;
                let c = self.var_of(&c, &cs, "torch.where's condition")?;
                let x = operand(&x, &xs)?;
                let y = operand(&y, &ys)?;
                return self.record(e, &[], |t| t.try_apply(Op::Where, &[x, y], &[c], None));
            }
            "mse_loss" | "cross_entropy" | "nll_loss" | "linear" => {
                return self.loss_or_linear(e, short, &mut a);
            }
            _ => {}
        }
        let known = UNARY.contains(&short) || TENSOR_FUNCTIONS.contains(&short);
        let is_functional = path.starts_with("torch.nn.functional.");
        if !known
            || is_functional && !FUNCTIONAL.contains(&short)
            || path.matches('.').count() > 1 && !is_functional
        {
            return err(
                &name_span,
                format!(
                    "unsupported call `{path}`: see the supported subset (torch.tensor, zeros, ones, full, eye, arange, linspace, sin … relu, sqrt, abs, matmul, sum, mean, amax, max, softmax, log_softmax, cat, stack, where, clamp, reshape, unsqueeze, t, nn.functional.linear/relu/sigmoid/tanh/softmax/log_softmax/mse_loss/cross_entropy/nll_loss)"
                ),
            );
        }
        let (first, span) = a.need(0, "input")?;
        let x = match first {
            Value::Tensor(v) => v,
            Value::Number { .. } => {
                return err(
                    &span,
                    format!("{path}() needs a tensor, not a Python number"),
                );
            }
            other => {
                return err(
                    &span,
                    format!("{path}() needs a tensor, not {}", other.kind()),
                );
            }
        };
        let mut rest = Args {
            pos: a.rest(1).into_iter().map(Some).collect(),
            kw: std::mem::take(&mut a.kw),
            span: a.span.clone(),
            name: path.to_string(),
        };
        let v = self.tensor_method(e, x, short, &mut rest)?;
        rest.done()?;
        Ok(v)
    }

    /// `torch.cat` / `torch.stack` of a list of tensors.
    fn join(
        &mut self,
        e: &Expr,
        stack: bool,
        list: &Value,
        span: &Range<usize>,
        dim: i64,
    ) -> Result<Value, SpanError> {
        let (Value::List(xs) | Value::Tuple(xs)) = list else {
            return err(span, "expected a list or tuple of tensors");
        };
        let vars: Vec<Var> = xs
            .iter()
            .map(|x| self.var_of(x, span, "cat/stack"))
            .collect::<Result<_, _>>()?;
        let Some(&first) = vars.first() else {
            return err(span, "expected a non-empty list of Tensors");
        };
        let shape0 = self.tape.tensor(first).shape.clone();
        let rank = if stack {
            shape0.len() + 1
        } else {
            shape0.len()
        };
        let d = self.dim(dim, rank, span)?;
        for (k, &v) in vars.iter().enumerate() {
            let s = &self.tape.tensor(v).shape;
            let fits = if stack {
                *s == shape0
            } else {
                s.len() == shape0.len()
                    && s.iter()
                        .zip(&shape0)
                        .enumerate()
                        .all(|(j, (a, b))| j == d || a == b)
            };
            if !fits {
                return err(
                    span,
                    if stack {
                        format!(
                            "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {k}",
                            shape0, s
                        )
                    } else {
                        format!(
                            "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {k} in the list.",
                            shape0.get(if d == 0 { 1 } else { 0 }).copied().unwrap_or(0),
                            s.get(if d == 0 { 1 } else { 0 }).copied().unwrap_or(0)
                        )
                    },
                );
            }
        }
        let op = if stack {
            Op::Stack { dim: d as u8 }
        } else {
            Op::Cat { dim: d as u8 }
        };
        let operands: Vec<Operand> = vars.iter().map(|&v| Operand::Tensor(v)).collect();
        self.record(e, &[], |t| t.try_apply(op, &operands, &[], None))
    }

    pub(super) fn loss_or_linear(
        &mut self,
        e: &Expr,
        name: &str,
        a: &mut Args,
    ) -> Result<Value, SpanError> {
        let (x, xs) = a.need(0, "input")?;
        let x = self.var_of(&x, &xs, name)?;
        if name == "linear" {
            let (w, ws) = a.need(1, "weight")?;
            let w = self.var_of(&w, &ws, "linear's weight")?;
            let b = match a.get(2, "bias") {
                None | Some((Value::None, _)) => None,
                Some((b, bs)) => Some(self.var_of(&b, &bs, "linear's bias")?),
            };
            return self.record(e, &[], |t| t.linear(x, w, b));
        }
        let (y, ys) = a.need(1, "target")?;
        let y = self.var_of(&y, &ys, name)?;
        let sum = match a.kw("reduction") {
            None => false,
            Some((_, s)) => {
                return err(
                    &s,
                    "reduction= is not supported (strings are not part of the dialect): the loss is the mean",
                );
            }
        };
        if name == "mse_loss" {
            let (sx, sy) = (&self.tape.tensor(x).shape, &self.tape.tensor(y).shape);
            if crate::compute::autograd::tensor::broadcast_shapes(sx, sy).is_err() {
                return err(
                    &e.span,
                    format!(
                        "The size of tensor a ({}) must match the size of tensor b ({})",
                        sx.iter().product::<usize>(),
                        sy.iter().product::<usize>()
                    ),
                );
            }
            return self.record(e, &[], |t| {
                t.try_apply(
                    Op::MseLoss { sum },
                    &[Operand::Tensor(x), Operand::Tensor(y)],
                    &[],
                    None,
                )
            });
        }
        let target = self.tape.tensor(y).clone();
        if target.dtype != Dtype::I64 {
            return err(
                &ys,
                format!(
                    "expected scalar type Long but found {}",
                    match target.dtype {
                        Dtype::F32 => "Float",
                        _ => "Double",
                    }
                ),
            );
        }
        let shape = self.tape.tensor(x).shape.clone();
        let (rows, classes, want) = match shape.as_slice() {
            [n, c] => (*n, *c, vec![*n]),
            [c] => (1, *c, vec![]),
            _ => {
                return err(
                    &xs,
                    format!("{name} expects a 1-d or 2-d input, got shape {:?}", shape),
                );
            }
        };
        if target.shape != want && !(rows == 1 && target.numel() == 1 && shape.len() == 1) {
            return err(
                &ys,
                format!(
                    "Expected input batch_size ({rows}) to match target batch_size ({}).",
                    target.shape.first().copied().unwrap_or(1)
                ),
            );
        }
        if let Some(bad) = target
            .data
            .iter()
            .find(|&&t| t < 0.0 || t >= classes as f64)
        {
            return err(&ys, format!("Target {bad} is out of bounds."));
        }
        let input = if name == "cross_entropy" {
            let dim = (shape.len() - 1) as u8;
            match self.record(e, &[], |t| {
                t.try_apply(Op::LogSoftmax { dim }, &[Operand::Tensor(x)], &[], None)
            })? {
                Value::Tensor(v) => v,
                _ => return err(&e.span, "log_softmax failed"),
            }
        } else {
            x
        };
        self.record(e, &[], |t| {
            t.try_apply(Op::NllLoss { sum }, &[Operand::Tensor(input)], &[y], None)
        })
    }

    /// `value.name(args)`.
    fn method(
        &mut self,
        e: &Expr,
        value: Value,
        base_span: &Range<usize>,
        name: &str,
        name_span: &Range<usize>,
        args: &[Arg],
    ) -> Result<Value, SpanError> {
        let mut a = self.args(name, &e.span, args)?;
        let v = match value {
            Value::Tensor(x) => {
                if !UNARY.contains(&name)
                    && !TENSOR_FUNCTIONS.contains(&name)
                    && !TENSOR_METHODS.contains(&name)
                {
                    return err(
                        name_span,
                        format!(
                            "unsupported method `.{name}()`: see the supported subset of tensor methods"
                        ),
                    );
                }
                self.tensor_method(e, x, name, &mut a)?
            }
            Value::Module(m) => self.module_method(e, m, name, name_span, &mut a)?,
            Value::Optimizer(o) => self.optimizer_method(o, name, name_span)?,
            Value::Number { .. } => {
                return err(
                    base_span,
                    format!("a Python number has no method `.{name}()`"),
                );
            }
            other => {
                return err(
                    name_span,
                    format!("'{}' object has no attribute '{name}'", py_type(&other)),
                );
            }
        };
        a.done()?;
        Ok(v)
    }

    /// An in-place method on `x`: PyTorch refuses it on a leaf that requires grad while
    /// grad mode is on.
    fn in_place(&mut self, e: &Expr, x: Var, value: &Value) -> Result<Value, SpanError> {
        if self.tape.grad_enabled() && self.tape.is_leaf(x) {
            return err(
                &e.span,
                "a leaf Variable that requires grad is being used in an in-place operation.",
            );
        }
        if self.tape.grad_enabled() && self.tape.requires_grad(x) {
            return err(
                &e.span,
                "in-place operations on tensors that require grad are not supported: assign the result to a name",
            );
        }
        self.write_in_place(x, value, &e.span)?;
        Ok(Value::Tensor(x))
    }

    /// `torch.name(x, …)` or `x.name(…)` on a tensor.
    fn tensor_method(
        &mut self,
        e: &Expr,
        x: Var,
        name: &str,
        a: &mut Args,
    ) -> Result<Value, SpanError> {
        let shape = self.tape.tensor(x).shape.clone();
        let rank = shape.len();
        if UNARY.contains(&name) {
            let op = match name {
                "sin" => Op::Sin,
                "cos" => Op::Cos,
                "exp" => Op::Exp,
                "log" => Op::Log,
                "tanh" => Op::Tanh,
                "sigmoid" => Op::Sigmoid,
                "sqrt" => Op::Sqrt,
                "abs" => Op::Abs,
                _ => Op::Relu,
            };
            return self.op1(e, op, x, None);
        }
        match name {
            "item" => {
                let t = self.tape.tensor(x);
                if t.numel() != 1 {
                    return err(
                        &e.span,
                        format!(
                            "a Tensor with {} elements cannot be converted to Scalar",
                            t.numel()
                        ),
                    );
                }
                Ok(Value::Number {
                    value: t.item(),
                    int: t.dtype == Dtype::I64,
                })
            }
            "detach" | "clone" => {
                if name == "clone" && self.tape.requires_grad(x) && self.tape.grad_enabled() {
                    return err(
                        &e.span,
                        "clone() of a tensor that requires grad is not supported: use .detach().clone()",
                    );
                }
                Ok(Value::Tensor(
                    self.tape.constant_tensor(self.tape.tensor(x).clone()),
                ))
            }
            "numel" => Ok(Value::Number {
                value: self.tape.tensor(x).numel() as f64,
                int: true,
            }),
            "dim" => Ok(Value::Number {
                value: rank as f64,
                int: true,
            }),
            "zero_" => self.in_place(
                e,
                x,
                &Value::Number {
                    value: 0.0,
                    int: false,
                },
            ),
            "fill_" => {
                let (v, _) = a.need(0, "value")?;
                self.in_place(e, x, &v)
            }
            "copy_" => {
                let (v, _) = a.need(0, "src")?;
                self.in_place(e, x, &v)
            }
            "pow" => {
                let (p, _) = a.need(0, "exponent")?;
                self.binary(
                    e,
                    crate::compute::autograd::script::BinOp::Pow,
                    Value::Tensor(x),
                    p,
                )
            }
            "matmul" | "mm" | "mv" | "dot" | "bmm" => {
                let (other, span) = a.need(0, "other")?;
                let y = self.var_of(&other, &span, name)?;
                let ys = self.tape.tensor(y).shape.len();
                let expected = match name {
                    "mm" => Some((2, 2)),
                    "mv" => Some((2, 1)),
                    "dot" => Some((1, 1)),
                    "bmm" => Some((3, 3)),
                    _ => None,
                };
                if let Some((ra, rb)) = expected
                    && (rank != ra || ys != rb)
                {
                    return err(
                        &e.span,
                        format!(
                            "{name}: expected {ra}-D and {rb}-D tensors, got {rank}-D and {ys}-D"
                        ),
                    );
                }
                if name == "bmm" {
                    // torch.bmm records BmmBackward0 itself, without matmul's expand/view.
                    let (sa, sb) = (shape.clone(), self.tape.tensor(y).shape.clone());
                    if sa[0] != sb[0] || sa[2] != sb[1] {
                        return err(
                            &e.span,
                            format!(
                                "Expected size for first two dimensions of batch2 tensor to be: [{}, {}] but got: [{}, {}].",
                                sa[0], sa[2], sb[0], sb[1]
                            ),
                        );
                    }
                    return self.record(e, &[], |t| {
                        t.try_apply(
                            Op::Bmm,
                            &[Operand::Tensor(x), Operand::Tensor(y)],
                            &[],
                            None,
                        )
                    });
                }
                self.record(e, &[], |t| t.matmul(x, y))
            }
            "t" => {
                if rank > 2 {
                    return err(
                        &e.span,
                        format!("t() expects a tensor with <= 2 dimensions, but self is {rank}D"),
                    );
                }
                self.op1(e, Op::T, x, None)
            }
            "reshape" | "view" => {
                let mut items = a.rest(0);
                if let Some(s) = a.kw("shape").or_else(|| a.kw("size")) {
                    items.push(s);
                }
                let target = self.view_target(&items, self.tape.tensor(x).numel(), &e.span)?;
                self.reshape(e, x, &target, name == "view")
            }
            "flatten" => {
                if rank == 1 {
                    return Ok(Value::Tensor(x));
                }
                let n = self.tape.tensor(x).numel();
                self.reshape(e, x, &[n], false)
            }
            "unsqueeze" => {
                let (d, span) = a.need(0, "dim")?;
                if rank >= crate::compute::autograd::tensor::MAX_RANK {
                    return err(
                        &e.span,
                        "the result would have more dimensions than gradbook's limit",
                    );
                }
                let d = self.dim(int(&d, &span)?, rank + 1, &span)?;
                self.op1(e, Op::Unsqueeze { dim: d as u8 }, x, None)
            }
            "sum" | "mean" | "amax" => {
                let mask = self.dim_mask(a.get(0, "dim"), rank)?;
                let keepdim = match a.get(1, "keepdim") {
                    None | Some((Value::Bool(false), _)) => false,
                    Some((Value::Bool(true), _)) => true,
                    Some((_, s)) => return err(&s, "keepdim must be True or False"),
                };
                let op = match (name, mask) {
                    ("sum", None) if !keepdim => Op::Sum,
                    ("mean", None) if !keepdim => Op::Mean,
                    (n, m) => {
                        let mask = m.unwrap_or(if rank == 0 { 0 } else { (1u32 << rank) - 1 });
                        match n {
                            "sum" => Op::SumDim { mask, keepdim },
                            "mean" => Op::MeanDim { mask, keepdim },
                            _ => Op::Amax { mask, keepdim },
                        }
                    }
                };
                if matches!(op, Op::Amax { .. } | Op::Max) && self.tape.tensor(x).numel() == 0 {
                    return err(
                        &e.span,
                        "max(): Expected reduction dim to be specified for input.numel() == 0.",
                    );
                }
                self.op1(e, op, x, None)
            }
            "max" => {
                if let Some((_, s)) = a.get(0, "dim") {
                    return err(
                        &s,
                        "max(dim=…) returns values and indices, which the dialect does not have: use amax(dim=…)",
                    );
                }
                if self.tape.tensor(x).numel() == 0 {
                    return err(
                        &e.span,
                        "max(): Expected reduction dim to be specified for input.numel() == 0.",
                    );
                }
                self.op1(e, Op::Max, x, None)
            }
            "softmax" | "log_softmax" => {
                let (d, span) = a.need(0, "dim")?;
                if rank == 0 {
                    return err(
                        &e.span,
                        format!("{name} of a 0-d tensor is not supported: unsqueeze(0) it first"),
                    );
                }
                let d = self.dim(int(&d, &span)?, rank, &span)? as u8;
                let op = if name == "softmax" {
                    Op::Softmax { dim: d }
                } else {
                    Op::LogSoftmax { dim: d }
                };
                self.op1(e, op, x, None)
            }
            "clamp" => {
                let bound =
                    |v: Option<(Value, Range<usize>)>, default: f64| -> Result<f64, SpanError> {
                        match v {
                            None | Some((Value::None, _)) => Ok(default),
                            Some((v, s)) => number(&v, &s),
                        }
                    };
                let min = bound(a.get(0, "min"), f64::NEG_INFINITY)?;
                let max = bound(a.get(1, "max"), f64::INFINITY)?;
                if min == f64::NEG_INFINITY && max == f64::INFINITY {
                    return err(
                        &e.span,
                        "torch.clamp: At least one of 'min' or 'max' must not be None",
                    );
                }
                self.op1(e, Op::Clamp { min, max }, x, None)
            }
            _ => err(&e.span, format!("unsupported method `.{name}()`")),
        }
    }

    /// `view`/`reshape` to `target`, as ATen decides: a contiguous tensor is viewed
    /// (`ViewBackward0`); a strided one (after `.T`, a column slice, …) whose strides allow the
    /// shape is viewed by `view` and aliased by `reshape` (`ReshapeAliasBackward0`); otherwise
    /// `view` is an error and `reshape` copies first (`CloneBackward0`, `UnsafeViewBackward0`).
    fn reshape(
        &mut self,
        e: &Expr,
        x: Var,
        target: &[usize],
        view: bool,
    ) -> Result<Value, SpanError> {
        let shape = self.tape.tensor(x).shape.clone();
        let strides = self.tape.strides(x).to_vec();
        if view || crate::compute::autograd::kernels::is_contiguous(&shape, &strides) {
            if crate::compute::autograd::kernels::view_strides(&shape, &strides, target).is_some() {
                return self.op1(e, Op::View, x, Some(target));
            }
        } else if crate::compute::autograd::kernels::view_strides(&shape, &strides, target)
            .is_some()
        {
            return self.op1(e, Op::ReshapeAlias, x, Some(target));
        }
        if view {
            return err(
                &e.span,
                "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
            );
        }
        let Value::Tensor(copy) = self.record(e, &[], |t| {
            t.try_apply(Op::Clone, &[Operand::Tensor(x)], &[], None)
        })?
        else {
            return err(&e.span, "reshape failed");
        };
        self.op1(e, Op::UnsafeView, copy, Some(target))
    }

    /// `x.T`, `x.grad`, `x.shape`, `torch.float32`, `layer.weight`, ….
    pub(super) fn attribute(
        &mut self,
        e: &Expr,
        base: &Expr,
        name: &str,
        name_span: &Range<usize>,
    ) -> Result<Value, SpanError> {
        if let Some(path) = torch_path(e) {
            self.require_torch(&base.span)?;
            return match path.as_str() {
                "torch.float64" | "torch.double" => Ok(Value::Dtype(Dtype::F64)),
                "torch.float32" | "torch.float" => Ok(Value::Dtype(Dtype::F32)),
                "torch.int64" | "torch.long" => Ok(Value::Dtype(Dtype::I64)),
                _ => err(name_span, format!("unsupported attribute `{path}`")),
            };
        }
        match self.eval(base)? {
            Value::Tensor(x) => match name {
                "T" => {
                    let rank = self.tape.tensor(x).shape.len();
                    if rank < 2 {
                        return Ok(Value::Tensor(x));
                    }
                    let mut perm = [0u8; 8];
                    if rank > perm.len() {
                        return err(name_span, "too many dims for .T");
                    }
                    for (d, p) in perm.iter_mut().take(rank).enumerate() {
                        *p = (rank - 1 - d) as u8;
                    }
                    self.op1(
                        e,
                        Op::Permute {
                            perm,
                            rank: rank as u8,
                        },
                        x,
                        None,
                    )
                }
                "grad" => Ok(self
                    .grads
                    .get(&x)
                    .map_or(Value::None, |&g| Value::Tensor(g))),
                "shape" => Ok(Value::Tuple(
                    self.tape
                        .tensor(x)
                        .shape
                        .iter()
                        .map(|&n| Value::Number {
                            value: n as f64,
                            int: true,
                        })
                        .collect(),
                )),
                "requires_grad" => Ok(Value::Bool(self.tape.requires_grad(x))),
                "is_leaf" => Ok(Value::Bool(
                    !self.tape.requires_grad(x) || self.tape.is_leaf(x),
                )),
                "dtype" => Ok(Value::Dtype(self.tape.tensor(x).dtype)),
                _ => err(
                    name_span,
                    format!("unsupported attribute `.{name}` of a tensor"),
                ),
            },
            Value::Module(m) => self.module_attribute(m, name, name_span),
            Value::Number { .. } => err(
                name_span,
                format!(
                    "unsupported attribute `.{name}`: the dialect only computes with tensors and numbers"
                ),
            ),
            other => err(
                name_span,
                format!("'{}' object has no attribute '{name}'", py_type(&other)),
            ),
        }
    }
}

/// Functions of `torch.` that take a tensor first (besides [`UNARY`]).
const TENSOR_FUNCTIONS: &[&str] = &[
    "matmul",
    "mm",
    "mv",
    "dot",
    "bmm",
    "sum",
    "mean",
    "amax",
    "max",
    "softmax",
    "log_softmax",
    "clamp",
    "reshape",
    "unsqueeze",
    "t",
    "flatten",
    "pow",
];

/// Tensor methods that are not `torch.` functions here.
const TENSOR_METHODS: &[&str] = &[
    "item", "detach", "clone", "numel", "dim", "zero_", "fill_", "copy_", "view",
];

/// `torch.nn.functional` functions besides the losses and `linear`.
const FUNCTIONAL: &[&str] = &["relu", "sigmoid", "tanh", "softmax", "log_softmax"];

/// The size limits for a shape about to be allocated, located at `span`.
fn sized(shape: &[usize], span: &Range<usize>) -> Result<(), SpanError> {
    crate::compute::autograd::tensor::check_size(shape).map_err(|m| SpanError::new(span.clone(), m))
}

/// A tensor or Python-number operand.
fn operand(v: &Value, span: &Range<usize>) -> Result<Operand, SpanError> {
    match v {
        Value::Tensor(t) => Ok(Operand::Tensor(*t)),
        Value::Number { value, .. } => Ok(Operand::Number(*value)),
        other => err(
            span,
            format!("expected a tensor or a number, got {}", other.kind()),
        ),
    }
}

/// A Python number's value.
pub(super) fn number(v: &Value, span: &Range<usize>) -> Result<f64, SpanError> {
    match v {
        Value::Number { value, .. } => Ok(*value),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        other => err(span, format!("expected a number, got {}", other.kind())),
    }
}

/// A Python int.
pub(super) fn int(v: &Value, span: &Range<usize>) -> Result<i64, SpanError> {
    match v {
        Value::Number { value, int: true } => Ok(*value as i64),
        other => err(span, format!("expected an integer, got {}", other.kind())),
    }
}

/// A non-negative Python int (a size).
pub(super) fn count(v: &Value, span: &Range<usize>) -> Result<usize, SpanError> {
    let n = int(v, span)?;
    if n < 0 {
        return err(span, format!("negative dimension {n}"));
    }
    if n as u64 > MAX_ELEMENTS as u64 {
        return err(
            span,
            format!("{n} is more than gradbook's limit of {MAX_ELEMENTS} elements"),
        );
    }
    Ok(n as usize)
}
