//! `torch.nn` modules (`Linear`, `Sequential`, `ReLU`, `Sigmoid`, `Tanh`) and `torch.optim`
//! optimizers (`SGD`, `Adam`, computed by [`crate::compute::autograd::optim`]) in a script.
//!
//! Parameters are leaves named `<module variable>.<name in named_parameters()>`
//! (`net.0.weight`). gradbook has no random numbers, so a parameter starts unset and must be
//! written (`net[0].weight.copy_(…)` under `torch.no_grad()`) before the module runs.

use super::calls::{count, number};
use super::{Interp, Value, err};
use crate::compute::autograd::ops::Op;
use crate::compute::autograd::optim::{Optimizer, Spec};
use crate::compute::autograd::script::Expr;
use crate::compute::autograd::tape::{Operand, Var};
use crate::compute::autograd::tensor::Tensor;
use crate::diag::SpanError;
use std::collections::HashSet;
use std::ops::Range;

/// One module.
#[derive(Debug, Clone)]
enum Module {
    /// `nn.Linear(in, out, bias=True)`.
    Linear { weight: Var, bias: Option<Var> },
    /// `nn.ReLU()`, `nn.Sigmoid()`, `nn.Tanh()`.
    Activation(Op),
    /// `nn.Sequential(m0, m1, …)`.
    Sequential(Vec<usize>),
    /// `nn.MSELoss()`, `nn.CrossEntropyLoss()`, `nn.NLLLoss()`: the functional loss named.
    Loss(&'static str),
}

/// An optimizer and the parameters it updates.
#[derive(Debug, Clone)]
struct Optim {
    optimizer: Optimizer,
    params: Vec<Var>,
}

/// The modules and optimizers of a script.
#[derive(Debug, Clone, Default)]
pub(super) struct Modules {
    modules: Vec<Module>,
    /// Parameters not written yet.
    unset: HashSet<Var>,
    optimizers: Vec<Optim>,
}

impl Modules {
    /// Note that `var` was written (so a module may use it).
    pub(super) fn mark_set(&mut self, var: Var) {
        self.unset.remove(&var);
    }

    /// Child `k` of a `Sequential` (negative from the end).
    pub(super) fn child(&self, m: usize, k: i64) -> Option<usize> {
        let Some(Module::Sequential(children)) = self.modules.get(m) else {
            return None;
        };
        let at = if k < 0 { children.len() as i64 + k } else { k };
        usize::try_from(at)
            .ok()
            .and_then(|a| children.get(a))
            .copied()
    }

    /// `named_parameters()`: (dotted name, tensor) in PyTorch's order.
    fn named_parameters(&self, m: usize, prefix: &str, out: &mut Vec<(String, Var)>) {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            }
        };
        match self.modules.get(m) {
            Some(Module::Linear { weight, bias }) => {
                out.push((join("weight"), *weight));
                if let Some(b) = bias {
                    out.push((join("bias"), *b));
                }
            }
            Some(Module::Sequential(children)) => {
                for (k, &c) in children.iter().enumerate() {
                    self.named_parameters(c, &join(&k.to_string()), out);
                }
            }
            _ => {}
        }
    }
}

impl Interp<'_> {
    /// `net = nn.Sequential(…)`: name the parameters `net.0.weight`, ….
    pub(super) fn name_module(&mut self, m: usize, name: &str) {
        let mut params = Vec::new();
        self.modules.named_parameters(m, name, &mut params);
        for (full, var) in params {
            self.tape.rename_leaf(var, &full);
            self.names.insert(var, full.clone());
            if let Some(entry) = self.leaves.iter_mut().find(|(_, v)| *v == var) {
                entry.0 = full;
            }
        }
    }

    fn parameter(&mut self, shape: &[usize]) -> Var {
        let name = format!("parameter{}", self.leaves.len());
        let var = self.tape.leaf_tensor(&name, Tensor::full(shape, 0.0));
        self.leaves.push((name, var));
        self.modules.unset.insert(var);
        self.sync_labels(&(0..0), &[String::new()]);
        var
    }

    /// `torch.nn.X(…)` or `torch.optim.X(…)`.
    pub(super) fn construct(
        &mut self,
        e: &Expr,
        path: &str,
        a: &mut super::calls::Args,
    ) -> Result<Value, SpanError> {
        let module = match path {
            "torch.nn.Linear" => {
                let (i, s1) = a.need(0, "in_features")?;
                let (o, s2) = a.need(1, "out_features")?;
                let (i, o) = (count(&i, &s1)?, count(&o, &s2)?);
                if i.saturating_mul(o) > super::MAX_ELEMENTS {
                    return err(&e.span, "the layer is larger than gradbook's tensor limit");
                }
                let bias = match a.get(2, "bias") {
                    None | Some((Value::Bool(true), _)) => true,
                    Some((Value::Bool(false), _)) => false,
                    Some((_, s)) => return err(&s, "bias must be True or False"),
                };
                let weight = self.parameter(&[o, i]);
                let bias = bias.then(|| self.parameter(&[o]));
                Module::Linear { weight, bias }
            }
            "torch.nn.ReLU" => Module::Activation(Op::Relu),
            "torch.nn.Sigmoid" => Module::Activation(Op::Sigmoid),
            "torch.nn.Tanh" => Module::Activation(Op::Tanh),
            "torch.nn.MSELoss" => Module::Loss("mse_loss"),
            "torch.nn.CrossEntropyLoss" => Module::Loss("cross_entropy"),
            "torch.nn.NLLLoss" => Module::Loss("nll_loss"),
            "torch.nn.Sequential" => {
                let mut children = Vec::new();
                for (v, s) in a.rest(0) {
                    let Value::Module(c) = v else {
                        return err(&s, format!("{} is not a Module subclass", v.kind()));
                    };
                    children.push(c);
                }
                Module::Sequential(children)
            }
            "torch.optim.SGD" | "torch.optim.Adam" => return self.optimizer(e, path, a),
            _ => {
                return err(
                    &e.span,
                    format!(
                        "unsupported `{path}`: the dialect has torch.nn.Linear, Sequential, ReLU, Sigmoid, Tanh, MSELoss, CrossEntropyLoss, NLLLoss and torch.optim.SGD, Adam"
                    ),
                );
            }
        };
        self.modules.modules.push(module);
        Ok(Value::Module(self.modules.modules.len() - 1))
    }

    fn optimizer(
        &mut self,
        e: &Expr,
        path: &str,
        a: &mut super::calls::Args,
    ) -> Result<Value, SpanError> {
        let (params, span) = a.need(0, "params")?;
        let (Value::List(items) | Value::Tuple(items)) = params else {
            return err(
                &span,
                "params must be a list of tensors or `net.parameters()`",
            );
        };
        let mut vars = Vec::new();
        for item in items {
            match item {
                Value::Tensor(v) if self.tape.is_leaf(v) => vars.push(v),
                _ => return err(&span, "can't optimize a non-leaf Tensor"),
            }
        }
        let f = |a: &mut super::calls::Args, name: &str, default: f64| -> Result<f64, SpanError> {
            match a.kw(name) {
                None => Ok(default),
                Some((v, s)) => number(&v, &s),
            }
        };
        let lr = f(a, "lr", 0.001)?;
        let spec = if path == "torch.optim.SGD" {
            let momentum = f(a, "momentum", 0.0)?;
            let dampening = f(a, "dampening", 0.0)?;
            let weight_decay = f(a, "weight_decay", 0.0)?;
            let nesterov = flag(a.kw("nesterov"))?;
            let maximize = flag(a.kw("maximize"))?;
            Spec::Sgd {
                lr,
                momentum,
                dampening,
                weight_decay,
                nesterov,
                maximize,
            }
        } else {
            let (beta1, beta2) = match a.kw("betas") {
                None => (0.9, 0.999),
                Some((Value::Tuple(b) | Value::List(b), s)) if b.len() == 2 => {
                    (number(&b[0], &s)?, number(&b[1], &s)?)
                }
                Some((_, s)) => return err(&s, "betas must be a pair (beta1, beta2)"),
            };
            let eps = f(a, "eps", 1e-8)?;
            let weight_decay = f(a, "weight_decay", 0.0)?;
            let amsgrad = flag(a.kw("amsgrad"))?;
            let maximize = flag(a.kw("maximize"))?;
            Spec::Adam {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                amsgrad,
                maximize,
            }
        };
        let lens: Vec<usize> = vars.iter().map(|&v| self.tape.tensor(v).numel()).collect();
        let optimizer =
            Optimizer::new(spec, &lens).map_err(|m| SpanError::new(e.span.clone(), m))?;
        self.modules.optimizers.push(Optim {
            optimizer,
            params: vars,
        });
        Ok(Value::Optimizer(self.modules.optimizers.len() - 1))
    }

    /// `opt.step()` / `opt.zero_grad()`.
    pub(super) fn optimizer_method(
        &mut self,
        o: usize,
        name: &str,
        name_span: &Range<usize>,
    ) -> Result<Value, SpanError> {
        let Some(optim) = self.modules.optimizers.get(o) else {
            return err(name_span, "unknown optimizer");
        };
        let params = optim.params.clone();
        match name {
            "zero_grad" => {
                for p in params {
                    self.grads.remove(&p);
                }
                Ok(Value::None)
            }
            "step" => {
                let mut values: Vec<Tensor> = params
                    .iter()
                    .map(|&p| self.tape.tensor(p).clone())
                    .collect();
                let grads: Vec<Option<Vec<f64>>> = params
                    .iter()
                    .map(|p| self.grads.get(p).map(|&g| self.tape.tensor(g).data.clone()))
                    .collect();
                let mut slices: Vec<&mut [f64]> =
                    values.iter_mut().map(|t| t.data.as_mut_slice()).collect();
                let grad_refs: Vec<Option<&[f64]>> = grads.iter().map(|g| g.as_deref()).collect();
                if let Some(optim) = self.modules.optimizers.get_mut(o) {
                    optim.optimizer.step(&mut slices, &grad_refs);
                }
                for (p, mut t) in params.into_iter().zip(values) {
                    t.round();
                    self.tape.set_tensor(p, t);
                }
                Ok(Value::None)
            }
            _ => err(
                name_span,
                format!(
                    "unsupported optimizer method `.{name}()`: the dialect has step() and zero_grad()"
                ),
            ),
        }
    }

    /// The functional name of a loss module (`mse_loss` for `nn.MSELoss()`).
    pub(super) fn loss_module(&self, m: usize) -> Option<&'static str> {
        match self.modules.modules.get(m) {
            Some(Module::Loss(name)) => Some(name),
            _ => None,
        }
    }

    /// `module(x)`.
    pub(super) fn module_forward(
        &mut self,
        e: &Expr,
        m: usize,
        x: Var,
    ) -> Result<Value, SpanError> {
        let Some(module) = self.modules.modules.get(m).cloned() else {
            return err(&e.span, "unknown module");
        };
        match module {
            Module::Linear { weight, bias } => {
                for p in std::iter::once(weight).chain(bias) {
                    if self.modules.unset.contains(&p) {
                        let name = self.tape.leaf_name(p).unwrap_or("a parameter").to_string();
                        return err(
                            &e.span,
                            format!(
                                "`{name}` is never set: gradbook has no random initialisation, so write it first, e.g. `with torch.no_grad(): {}.copy_(torch.tensor(…))`",
                                name
                            ),
                        );
                    }
                }
                self.record(e, &[], |t| t.linear(x, weight, bias))
            }
            Module::Activation(op) => self.record(e, &[], |t| {
                t.try_apply(op, &[Operand::Tensor(x)], &[], None)
            }),
            Module::Loss(name) => err(
                &e.span,
                format!("a loss module takes (input, target), as {name} does"),
            ),
            Module::Sequential(children) => {
                let mut current = x;
                for c in children {
                    match self.module_forward(e, c, current)? {
                        Value::Tensor(v) => current = v,
                        _ => return err(&e.span, "a module returned no tensor"),
                    }
                }
                Ok(Value::Tensor(current))
            }
        }
    }

    /// `net.parameters()`, `net.zero_grad()`.
    pub(super) fn module_method(
        &mut self,
        _e: &Expr,
        m: usize,
        name: &str,
        name_span: &Range<usize>,
        _a: &mut super::calls::Args,
    ) -> Result<Value, SpanError> {
        let mut params = Vec::new();
        self.modules.named_parameters(m, "", &mut params);
        match name {
            "parameters" => Ok(Value::List(
                params.into_iter().map(|(_, v)| Value::Tensor(v)).collect(),
            )),
            "zero_grad" => {
                for (_, p) in params {
                    self.grads.remove(&p);
                }
                Ok(Value::None)
            }
            _ => err(
                name_span,
                format!(
                    "unsupported module method `.{name}()`: the dialect has parameters() and zero_grad()"
                ),
            ),
        }
    }

    /// `layer.weight`, `layer.bias`.
    pub(super) fn module_attribute(
        &mut self,
        m: usize,
        name: &str,
        name_span: &Range<usize>,
    ) -> Result<Value, SpanError> {
        match (self.modules.modules.get(m), name) {
            (Some(Module::Linear { weight, .. }), "weight") => Ok(Value::Tensor(*weight)),
            (Some(Module::Linear { bias, .. }), "bias") => {
                Ok(bias.map_or(Value::None, Value::Tensor))
            }
            _ => err(
                name_span,
                format!("this module has no attribute '{name}' in the dialect"),
            ),
        }
    }
}

/// A `True`/`False` keyword argument (absent = `False`).
fn flag(v: Option<(Value, Range<usize>)>) -> Result<bool, SpanError> {
    match v {
        None | Some((Value::Bool(false), _)) => Ok(false),
        Some((Value::Bool(true), _)) => Ok(true),
        Some((_, s)) => err(&s, "expected True or False"),
    }
}
