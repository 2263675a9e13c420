//! `torch.optim.SGD` and `torch.optim.Adam`, operation for operation as PyTorch's single-tensor path.
//!
//! PyTorch on a CPU runs `_single_tensor_sgd` / `_single_tensor_adam` (the `foreach` kernels are
//! for CUDA-like devices only). Each tensor operation there is reproduced here with the rounding
//! its CPU kernel performs, as measured on torch 2.15 with ATen's AVX2 and AVX-512 kernels (any
//! x86-64 CPU since about 2013; the plain kernels, `ATEN_CPU_CAPABILITY=default`, round
//! `a·b + c` twice instead and move PyTorch's own results by an ulp or two):
//!
//! | PyTorch                           | computed here, per element                        |
//! |-----------------------------------|---------------------------------------------------|
//! | `a.add(b, alpha=s)`               | `fma(b, s, a)` (one rounding)                     |
//! | `a.lerp_(b, w)`, `abs(w) < 0.5`   | `fma(w, b − a, a)`                                |
//! | `a.lerp_(b, w)`, `abs(w) ≥ 0.5`   | `fma(w − 1, b − a, b)`                            |
//! | `a.addcmul_(b, c, value=s)`       | `fma(s·b, c, a)`                                  |
//! | `a.addcdiv_(b, c, value=s)`       | `a + (s·b) / c`                                   |
//! | `a.mul_(s)`, `a / s`, `a + s`     | one IEEE operation                                |
//! | `a.sqrt()`                        | IEEE `sqrt`; PyTorch calls Intel MKL's `vdSqrt`,  |
//! |                                   | one ulp off for about 2% of inputs                |
//! | Python `beta ** step`, `x ** 0.5` | `powf`, the C `pow` Python calls                  |
//!
//! So SGD is bit-for-bit PyTorch's; Adam is too wherever MKL's square root is the IEEE one,
//! and otherwise differs by the one-ulp square root it divides by (tests/torch_optim.rs).

/// An optimizer and its hyper-parameters, with PyTorch's names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spec {
    /// `torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov, maximize=)`.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum factor (0 = no momentum buffer).
        momentum: f64,
        /// Dampening of the gradient added to the momentum buffer.
        dampening: f64,
        /// L2 penalty: the gradient gets `weight_decay · param` added.
        weight_decay: f64,
        /// Nesterov momentum.
        nesterov: bool,
        /// Ascend instead of descend.
        maximize: bool,
    },
    /// `torch.optim.Adam(params, lr, betas=(beta1, beta2), eps, weight_decay, amsgrad, maximize=)`.
    Adam {
        /// Learning rate.
        lr: f64,
        /// Decay of the first moment.
        beta1: f64,
        /// Decay of the second moment.
        beta2: f64,
        /// Added to the denominator (0 allowed).
        eps: f64,
        /// L2 penalty added to the gradient (Adam's, not AdamW's decoupled decay).
        weight_decay: f64,
        /// Divide by the running maximum of the second moment (Reddi et al.).
        amsgrad: bool,
        /// Ascend instead of descend.
        maximize: bool,
    },
}

impl Spec {
    /// `torch.optim.SGD(params, lr=lr)` with PyTorch's defaults for everything else.
    pub fn sgd(lr: f64) -> Spec {
        Spec::Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }

    /// `torch.optim.Adam(params, lr=lr)` with PyTorch's defaults for everything else.
    pub fn adam(lr: f64) -> Spec {
        Spec::Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
        }
    }

    /// PyTorch's constructor checks, in its order, with its `ValueError` texts.
    fn validate(&self) -> Result<(), String> {
        match *self {
            // SGD writes `lr < 0.0`, so NaN passes, as in PyTorch.
            Spec::Sgd {
                lr,
                momentum,
                dampening,
                weight_decay,
                nesterov,
                ..
            } => {
                if lr < 0.0 {
                    return Err(format!("Invalid learning rate: {}", py_float(lr)));
                }
                if momentum < 0.0 {
                    return Err(format!("Invalid momentum value: {}", py_float(momentum)));
                }
                if weight_decay < 0.0 {
                    return Err(format!(
                        "Invalid weight_decay value: {}",
                        py_float(weight_decay)
                    ));
                }
                if nesterov && (momentum <= 0.0 || dampening != 0.0) {
                    return Err("Nesterov momentum requires a momentum and zero dampening".into());
                }
                Ok(())
            }
            // Adam writes `not 0.0 <= lr`, so NaN fails.
            Spec::Adam {
                lr,
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => {
                if lr.is_nan() || lr < 0.0 {
                    return Err(format!("Invalid learning rate: {}", py_float(lr)));
                }
                if eps.is_nan() || eps < 0.0 {
                    return Err(format!("Invalid epsilon value: {}", py_float(eps)));
                }
                if !(0.0..1.0).contains(&beta1) {
                    return Err(format!(
                        "Invalid beta parameter at index 0: {}",
                        py_float(beta1)
                    ));
                }
                if !(0.0..1.0).contains(&beta2) {
                    return Err(format!(
                        "Invalid beta parameter at index 1: {}",
                        py_float(beta2)
                    ));
                }
                if weight_decay.is_nan() || weight_decay < 0.0 {
                    return Err(format!(
                        "Invalid weight_decay value: {}",
                        py_float(weight_decay)
                    ));
                }
                Ok(())
            }
        }
    }
}

/// One parameter's optimizer state (`optimizer.state[p]` in PyTorch).
#[derive(Debug, Clone, PartialEq)]
enum State {
    /// SGD: the momentum buffer, created from the first gradient.
    Sgd { momentum_buffer: Option<Vec<f64>> },
    /// Adam: the step count and the moments (zeros until the first step).
    Adam {
        step: u64,
        exp_avg: Vec<f64>,
        exp_avg_sq: Vec<f64>,
        max_exp_avg_sq: Vec<f64>,
    },
}

/// An optimizer over a fixed list of parameters, each a flat f64 tensor of a fixed length.
#[derive(Debug, Clone, PartialEq)]
pub struct Optimizer {
    spec: Spec,
    lens: Vec<usize>,
    states: Vec<State>,
}

impl Optimizer {
    /// The optimizer for parameters of these lengths; PyTorch's `ValueError` text for a bad
    /// hyper-parameter (e.g. `Invalid learning rate: -1.0`) or for no parameters at all.
    pub fn new(spec: Spec, param_lens: &[usize]) -> Result<Self, String> {
        spec.validate()?;
        if param_lens.is_empty() {
            return Err("optimizer got an empty parameter list".into());
        }
        let states = param_lens
            .iter()
            .map(|&n| match spec {
                Spec::Sgd { .. } => State::Sgd {
                    momentum_buffer: None,
                },
                Spec::Adam { amsgrad, .. } => State::Adam {
                    step: 0,
                    exp_avg: vec![0.0; n],
                    exp_avg_sq: vec![0.0; n],
                    max_exp_avg_sq: if amsgrad { vec![0.0; n] } else { Vec::new() },
                },
            })
            .collect();
        Ok(Self {
            spec,
            lens: param_lens.to_vec(),
            states,
        })
    }

    /// The hyper-parameters.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// One step exactly as torch.optim's single-tensor path; a None grad skips that parameter.
    ///
    /// `params[i]` and `grads[i]` must have the length given to [`Optimizer::new`] for
    /// parameter `i` (the caller's tensors guarantee it); a parameter whose slices do not is
    /// left unchanged rather than half-updated.
    pub fn step(&mut self, params: &mut [&mut [f64]], grads: &[Option<&[f64]>]) {
        let spec = self.spec;
        for (((param, grad), state), &len) in params
            .iter_mut()
            .zip(grads)
            .zip(self.states.iter_mut())
            .zip(&self.lens)
        {
            let Some(grad) = grad else { continue };
            if param.len() != len || grad.len() != len {
                continue;
            }
            match (spec, state) {
                (
                    Spec::Sgd {
                        lr,
                        momentum,
                        dampening,
                        weight_decay,
                        nesterov,
                        maximize,
                    },
                    State::Sgd { momentum_buffer },
                ) => sgd_step(
                    param,
                    grad,
                    momentum_buffer,
                    SgdHyper {
                        lr,
                        momentum,
                        dampening,
                        weight_decay,
                        nesterov,
                        maximize,
                    },
                ),
                (
                    Spec::Adam {
                        lr,
                        beta1,
                        beta2,
                        eps,
                        weight_decay,
                        amsgrad,
                        maximize,
                    },
                    State::Adam {
                        step,
                        exp_avg,
                        exp_avg_sq,
                        max_exp_avg_sq,
                    },
                ) => {
                    *step += 1;
                    adam_step(
                        param,
                        grad,
                        AdamState {
                            step: *step,
                            exp_avg,
                            exp_avg_sq,
                            max_exp_avg_sq,
                        },
                        AdamHyper {
                            lr,
                            beta1,
                            beta2,
                            eps,
                            weight_decay,
                            amsgrad,
                            maximize,
                        },
                    );
                }
                // `new` builds the state from the spec, so the kinds always agree.
                _ => {}
            }
        }
    }
}

/// SGD's hyper-parameters for one step.
struct SgdHyper {
    lr: f64,
    momentum: f64,
    dampening: f64,
    weight_decay: f64,
    nesterov: bool,
    maximize: bool,
}

/// `_single_tensor_sgd` for one parameter.
fn sgd_step(param: &mut [f64], grad: &[f64], buffer: &mut Option<Vec<f64>>, h: SgdHyper) {
    // Every tensor operation is elementwise, so one pass per element does them all in order.
    // The momentum buffer is created from the first step's (decayed) gradient.
    let first = buffer.is_none() && h.momentum != 0.0;
    let buf = match buffer {
        Some(buf) => buf,
        None if h.momentum != 0.0 => buffer.insert(vec![0.0; param.len()]),
        None => &mut Vec::new(),
    };
    for (i, p) in param.iter_mut().enumerate() {
        // grad = grads[i] if not maximize else -grads[i]
        let mut g = if h.maximize { -grad[i] } else { grad[i] };
        if h.weight_decay != 0.0 {
            // grad = grad.add(param, alpha=weight_decay)
            g = add_alpha(g, *p, h.weight_decay);
        }
        if h.momentum != 0.0 {
            buf[i] = if first {
                // buf = grad.detach().clone()
                g
            } else {
                // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                add_alpha(buf[i] * h.momentum, g, 1.0 - h.dampening)
            };
            g = if h.nesterov {
                // grad = grad.add(buf, alpha=momentum)
                add_alpha(g, buf[i], h.momentum)
            } else {
                // grad = buf
                buf[i]
            };
        }
        // param.add_(grad, alpha=-lr)
        *p = add_alpha(*p, g, -h.lr);
    }
}

/// Adam's hyper-parameters for one step.
struct AdamHyper {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    maximize: bool,
}

/// One parameter's Adam state, with the step count already incremented.
struct AdamState<'a> {
    step: u64,
    exp_avg: &'a mut [f64],
    exp_avg_sq: &'a mut [f64],
    max_exp_avg_sq: &'a mut [f64],
}

/// `_single_tensor_adam` (not capturable, not differentiable) for one parameter.
fn adam_step(param: &mut [f64], grad: &[f64], s: AdamState<'_>, h: AdamHyper) {
    // Python floats: step = _get_value(step_t); the count is exact in a float.
    let step = s.step as f64;
    let bias_correction1 = 1.0 - h.beta1.powf(step);
    let bias_correction2 = 1.0 - h.beta2.powf(step);
    let step_size = h.lr / bias_correction1;
    // bias_correction2 ** 0.5 is Python's pow, not sqrt.
    let bias_correction2_sqrt = bias_correction2.powf(0.5);
    let one_minus_beta1 = 1.0 - h.beta1;
    let one_minus_beta2 = 1.0 - h.beta2;
    for i in 0..param.len() {
        let mut g = if h.maximize { -grad[i] } else { grad[i] };
        if h.weight_decay != 0.0 {
            // grad = grad.add(param, alpha=weight_decay)
            g = add_alpha(g, param[i], h.weight_decay);
        }
        // exp_avg.lerp_(grad, 1 - beta1)
        s.exp_avg[i] = lerp(s.exp_avg[i], g, one_minus_beta1);
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        s.exp_avg_sq[i] = addcmul(s.exp_avg_sq[i] * h.beta2, g, g, one_minus_beta2);
        let second = if h.amsgrad {
            // torch.maximum(max_exp_avg_sqs[i], exp_avg_sq, out=max_exp_avg_sqs[i])
            s.max_exp_avg_sq[i] = maximum(s.max_exp_avg_sq[i], s.exp_avg_sq[i]);
            s.max_exp_avg_sq[i]
        } else {
            s.exp_avg_sq[i]
        };
        // denom = (second.sqrt() / bias_correction2_sqrt).add_(eps)
        let denom = second.sqrt() / bias_correction2_sqrt + h.eps;
        // param.addcdiv_(exp_avg, denom, value=-step_size)
        param[i] = addcdiv(param[i], s.exp_avg[i], denom, -step_size);
    }
}

/// `self.add(other, alpha=alpha)`: ATen's CPU kernel computes `fma(other, alpha, self)`.
fn add_alpha(this: f64, other: f64, alpha: f64) -> f64 {
    other.mul_add(alpha, this)
}

/// `self.lerp(end, weight)` as ATen computes it: from the nearer end, with one fused rounding.
fn lerp(this: f64, end: f64, weight: f64) -> f64 {
    if weight.abs() < 0.5 {
        weight.mul_add(end - this, this)
    } else {
        (weight - 1.0).mul_add(end - this, end)
    }
}

/// `self.addcmul(t1, t2, value=value)`: `fma(value·t1, t2, self)`.
fn addcmul(this: f64, t1: f64, t2: f64, value: f64) -> f64 {
    (value * t1).mul_add(t2, this)
}

/// `self.addcdiv(t1, t2, value=value)`: `self + value·t1 / t2`.
fn addcdiv(this: f64, t1: f64, t2: f64, value: f64) -> f64 {
    this + value * t1 / t2
}

/// `torch.maximum`: the larger, NaN if either is NaN.
fn maximum(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// A float as Python's `repr` writes it (`-1.0`, `1e-05`, `1e+16`, `nan`, `inf`).
fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if x == 0.0 || (-4..16).contains(&exponent) {
        // Rust's Debug is shortest round-trip and positional in exactly this range.
        format!("{x:?}")
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        assert_eq!(py_float(-1.0), "-1.0");
        assert_eq!(py_float(-0.001), "-0.001");
        assert_eq!(py_float(-1e-5), "-1e-05");
        assert_eq!(py_float(-1.5e-10), "-1.5e-10");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(123456789012345.6), "123456789012345.6");
        assert_eq!(py_float(1.1), "1.1");
        assert_eq!(py_float(f64::NAN), "nan");
        assert_eq!(py_float(f64::NEG_INFINITY), "-inf");
        assert_eq!(py_float(-0.0), "-0.0");
    }

    #[test]
    fn lerp_uses_the_nearer_end() {
        // Exact in both branches: 0 → 8 by a quarter and by three quarters.
        assert_eq!(lerp(0.0, 8.0, 0.25), 2.0);
        assert_eq!(lerp(0.0, 8.0, 0.75), 6.0);
        // The fused form keeps the low bits a two-rounding form loses.
        let (a, b, w) = (0.1, 0.7, 0.1);
        assert_eq!(lerp(a, b, w), w.mul_add(b - a, a));
    }

    #[test]
    fn sgd_first_momentum_step_takes_the_gradient_as_buffer() {
        let spec = Spec::Sgd {
            lr: 0.5,
            momentum: 0.9,
            dampening: 0.5,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        };
        let mut opt = Optimizer::new(spec, &[1]).unwrap();
        let mut w = [0.0];
        opt.step(&mut [&mut w], &[Some(&[2.0])]);
        // Buffer = 2 (no dampening on the first step): w = 0 − 0.5·2.
        assert_eq!(w, [-1.0]);
        opt.step(&mut [&mut w], &[Some(&[2.0])]);
        // Buffer = 0.9·2 + 0.5·2 = 2.8: w = −1 − 1.4.
        assert_eq!(w, [-2.4]);
    }

    #[test]
    fn none_gradient_skips_the_parameter_and_its_step_count() {
        let mut opt = Optimizer::new(Spec::adam(0.1), &[1, 1]).unwrap();
        let (mut a, mut b) = ([1.0], [1.0]);
        opt.step(&mut [&mut a, &mut b], &[Some(&[1.0]), None]);
        assert_eq!(b, [1.0]);
        let first_move = 1.0 - a[0];
        assert!(first_move > 0.0);
        opt.step(&mut [&mut a, &mut b], &[Some(&[1.0]), Some(&[1.0])]);
        // b's state was untouched, so its first step is a's first step.
        assert_eq!(1.0 - b[0], first_move);
    }

    #[test]
    fn a_parameter_of_the_wrong_length_is_left_unchanged() {
        let mut opt = Optimizer::new(Spec::sgd(0.5), &[2, 1]).unwrap();
        let (mut short, mut ok) = ([1.0], [1.0]);
        opt.step(&mut [&mut short, &mut ok], &[Some(&[1.0]), Some(&[1.0])]);
        assert_eq!((short, ok), ([1.0], [0.5]));
    }

    #[test]
    fn amsgrad_maximum_propagates_nan_like_torch_maximum() {
        assert!(maximum(f64::NAN, 1.0).is_nan());
        assert!(maximum(1.0, f64::NAN).is_nan());
        assert_eq!(maximum(-0.5, 2.0), 2.0);
    }

    #[test]
    fn invalid_hyper_parameters_have_pytorchs_texts() {
        let bad = |spec: Spec| Optimizer::new(spec, &[1]).unwrap_err();
        assert_eq!(bad(Spec::sgd(-1.0)), "Invalid learning rate: -1.0");
        assert_eq!(bad(Spec::adam(-0.5)), "Invalid learning rate: -0.5");
        let nesterov = Spec::Sgd {
            lr: 0.1,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: true,
            maximize: false,
        };
        assert_eq!(
            bad(nesterov),
            "Nesterov momentum requires a momentum and zero dampening"
        );
    }
}
