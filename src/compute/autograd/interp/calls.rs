//! Calls in a script: `torch.tensor(...)`, `torch.sin(x)` and friends, and the method forms
//! `x.sin()`, with the errors for everything else.

use super::{Interp, UNARY, Value, err};
use crate::compute::autograd::numeric;
use crate::compute::autograd::ops::Op;
use crate::compute::autograd::script::{Arg, Expr, ExprKind};
use crate::compute::autograd::tape::{Operand, Var};
use crate::diag::SpanError;
use std::ops::Range;

impl Interp<'_> {
    /// If `e` is `torch.tensor(...)`, its (value, is_int, requires_grad).
    pub(super) fn tensor_call(&mut self, e: &Expr) -> Result<Option<(f64, bool, bool)>, SpanError> {
        let ExprKind::Call { func, args } = &e.kind else {
            return Ok(None);
        };
        let ExprKind::Attr { base, name, .. } = &func.kind else {
            return Ok(None);
        };
        if !matches!(&base.kind, ExprKind::Name(n) if n == "torch") || name != "tensor" {
            return Ok(None);
        }
        self.require_torch(&base.span)?;
        numeric::tensor_literal(args, &e.span, |x| {
            self.eval(x).map(|v| match v {
                Value::Number { value, int } => Some((value, int)),
                Value::Tensor(_) => None,
            })
        })
        .map(Some)
    }

    fn require_torch(&self, span: &Range<usize>) -> Result<(), SpanError> {
        if self.torch {
            Ok(())
        } else {
            err(
                span,
                "name `torch` is not defined: add `import torch` at the top",
            )
        }
    }

    pub(super) fn call(&mut self, e: &Expr, func: &Expr, args: &[Arg]) -> Result<Value, SpanError> {
        let supported = "torch.tensor, torch.sin/cos/exp/log/tanh/sigmoid/relu and the methods .sin() … .relu()";
        match &func.kind {
            ExprKind::Attr {
                base,
                name,
                name_span,
            } if matches!(&base.kind, ExprKind::Name(n) if n == "torch") => {
                self.require_torch(&base.span)?;
                if name == "tensor" {
                    return match self.tensor_call(e)? {
                        Some((_, _, true)) => err(
                            &e.span,
                            "a tensor that requires grad needs a line of its own: `w = torch.tensor([…], requires_grad=True)`",
                        ),
                        Some((x, _, false)) => Ok(Value::Tensor(self.tape.constant(x))),
                        None => err(&e.span, "unsupported use of torch.tensor"),
                    };
                }
                if !UNARY.contains(&name.as_str()) {
                    return err(
                        name_span,
                        format!("unsupported call `torch.{name}`: the dialect has {supported}"),
                    );
                }
                let [
                    Arg {
                        keyword: None,
                        value,
                    },
                ] = args
                else {
                    return err(
                        &e.span,
                        format!("torch.{name} takes exactly one tensor argument here"),
                    );
                };
                match self.eval(value)? {
                    Value::Tensor(v) => self.unary(e, name, v),
                    Value::Number { .. } => err(
                        &value.span,
                        format!("torch.{name}() needs a tensor, not a Python number"),
                    ),
                }
            }
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
                if !UNARY.contains(&name.as_str()) {
                    return err(
                        name_span,
                        format!("unsupported method `.{name}()`: the dialect has {supported}"),
                    );
                }
                if !args.is_empty() {
                    return err(&e.span, format!(".{name}() takes no arguments"));
                }
                match self.eval(base)? {
                    Value::Tensor(v) => self.unary(e, name, v),
                    Value::Number { .. } => err(
                        &base.span,
                        format!("a Python number has no method `.{name}()`"),
                    ),
                }
            }
            ExprKind::Name(n) => err(
                &func.span,
                format!("unsupported call `{n}(…)`: the dialect has {supported}"),
            ),
            _ => err(&func.span, "this cannot be called"),
        }
    }

    fn unary(&mut self, e: &Expr, name: &str, v: Var) -> Result<Value, SpanError> {
        let op = match name {
            "sin" => Op::Sin,
            "cos" => Op::Cos,
            "exp" => Op::Exp,
            "log" => Op::Log,
            "tanh" => Op::Tanh,
            "sigmoid" => Op::Sigmoid,
            _ => Op::Relu,
        };
        self.record(e, &[], |t| t.apply(op, &[Operand::Tensor(v)]))
    }
}
