//! The operations the tape records: PyTorch's backward class names, forward values and local
//! derivatives.
//!
//! Class names follow PyTorch's code generator (`tools/autograd/load_derivatives.py`): the
//! name is the operator's CamelCase base plus `Backward` plus a counter over that base's
//! overloads in `tools/autograd/derivatives.yaml`, in file order. So `pow.Tensor_Scalar`
//! (`x ** 2`) is `PowBackward0`, `pow.Tensor_Tensor` (`x ** y`) is `PowBackward1`,
//! `pow.Scalar` (`2 ** x`, which `Tensor.__rpow__` sends to `torch.pow(2, x)`) is
//! `PowBackward2`, and `rsub.Scalar` (`2 - x`, via `Tensor.__rsub__`) is `RsubBackward1`.
//! The local derivatives are the formulas of `derivatives.yaml` and
//! `FunctionsManual.cpp` (`pow_backward`, `pow_backward_self`, `pow_backward_exponent`,
//! `threshold_backward` for ReLU), specialised to one-element f64 tensors.

use serde::Serialize;

/// One recorded operation, with any Python-number argument that is not a tensor input.
///
/// Tensor inputs are listed in the order of the ATen schema's arguments, which is the order
/// of the backward node's `next_functions`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A leaf tensor that requires grad: `AccumulateGrad`, no inputs.
    Leaf,
    /// `add.Tensor(self, other)`: `a + b`, `a + 2`, `2 + a` (`__radd__` is `add`).
    Add,
    /// `sub.Tensor(self, other)`: `a - b`, `a - 1`.
    Sub,
    /// `mul.Tensor(self, other)`: `a * b`, `a * 2`, `2 * a` (`__rmul__` is `mul`).
    Mul,
    /// `div.Tensor(self, other)`: `a / b`, `a / 2`.
    Div,
    /// `pow.Tensor_Tensor(self, exponent)`: `a ** b`.
    Pow,
    /// `pow.Tensor_Scalar(self, exponent)`: `a ** 2`.
    PowScalar {
        /// The Python-number exponent.
        exponent: f64,
    },
    /// `pow.Scalar(self, exponent)`: `2 ** a`; the one tensor input is the exponent.
    ScalarPow {
        /// The Python-number base.
        base: f64,
    },
    /// `rsub.Scalar(self, other)`: `2 - a` computes `other - self`.
    RsubScalar {
        /// The Python number subtracted from.
        other: f64,
    },
    /// `neg`: `-a`.
    Neg,
    /// `reciprocal`: the first half of `2 / a` (`__rtruediv__` is `a.reciprocal() * 2`).
    Reciprocal,
    /// `sin`.
    Sin,
    /// `cos`.
    Cos,
    /// `exp`.
    Exp,
    /// `log` (natural).
    Log,
    /// `tanh`.
    Tanh,
    /// `sigmoid`.
    Sigmoid,
    /// `relu`.
    Relu,
    /// `sqrt`.
    Sqrt,
    /// `clone()`: the copy `reshape` makes of a non-contiguous tensor.
    Clone,
    /// `abs`.
    Abs,
    /// `clamp(min, max)` with Python-number bounds (infinite when not given).
    Clamp {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `where(condition, self, other)`; the condition is a saved input after the two.
    Where,
    /// `mm(self, mat2)`: matrix × matrix.
    Mm,
    /// `mv(self, vec)`: matrix × vector.
    Mv,
    /// `dot(self, tensor)`: vector · vector.
    Dot,
    /// `bmm(self, mat2)`: batched matrix product of 3-d tensors.
    Bmm,
    /// `addmm(self, mat1, mat2)`: `self + mat1 @ mat2`, `self` broadcast (`nn.functional.linear`).
    Addmm,
    /// `t()`: transpose of a matrix.
    T,
    /// `permute(dims)`: output dim `d` is input dim `perm[d]` (the first `rank` entries).
    Permute {
        /// The permutation.
        perm: [u8; 8],
        /// How many entries of `perm` are used.
        rank: u8,
    },
    /// `view(shape)` / `reshape(shape)` of a contiguous tensor.
    View,
    /// `_unsafe_view`: the reshape `matmul` and `linear` end with.
    UnsafeView,
    /// `_reshape_alias`: `reshape` of a strided tensor that needs no copy.
    ReshapeAlias,
    /// `expand(shape)`.
    Expand,
    /// `unsqueeze(dim)`.
    Unsqueeze {
        /// The new dim.
        dim: u8,
    },
    /// `squeeze_(dim)` as `matmul` of a vector and a matrix records it.
    Squeeze {
        /// The dim removed.
        dim: u8,
    },
    /// `select(dim, index)`: `x[i]`.
    Select {
        /// The dim indexed.
        dim: u8,
        /// The index (non-negative).
        index: usize,
    },
    /// `slice(dim, start, end, step)`: `x[a:b:c]`.
    Slice {
        /// The dim sliced.
        dim: u8,
        /// First index.
        start: usize,
        /// Step (positive).
        step: usize,
    },
    /// `cat(tensors, dim)`.
    Cat {
        /// The dim joined along.
        dim: u8,
    },
    /// `stack(tensors, dim)`.
    Stack {
        /// The new dim.
        dim: u8,
    },
    /// `sum()`: every element.
    Sum,
    /// `sum(dim, keepdim)`: the dims in `mask` (bit d = dim d).
    SumDim {
        /// Reduced dims.
        mask: u32,
        /// Keep them as size 1.
        keepdim: bool,
    },
    /// `mean()`.
    Mean,
    /// `mean(dim, keepdim)`.
    MeanDim {
        /// Reduced dims.
        mask: u32,
        /// Keep them as size 1.
        keepdim: bool,
    },
    /// `amax(dim, keepdim)`; the gradient is shared equally between tied maxima.
    Amax {
        /// Reduced dims.
        mask: u32,
        /// Keep them as size 1.
        keepdim: bool,
    },
    /// `max()` of every element (ties share the gradient equally).
    Max,
    /// `softmax(dim)`.
    Softmax {
        /// The dim normalised.
        dim: u8,
    },
    /// `log_softmax(dim)`.
    LogSoftmax {
        /// The dim normalised.
        dim: u8,
    },
    /// `mse_loss(self, target)` with reduction `mean` (or `sum` when `sum` is set).
    MseLoss {
        /// `reduction="sum"`.
        sum: bool,
    },
    /// `nll_loss(self, target)` with reduction `mean` (or `sum`); the int64 target is a
    /// saved input after `self`.
    NllLoss {
        /// `reduction="sum"`.
        sum: bool,
    },
}

impl Op {
    /// PyTorch's class name of the backward node this operation records.
    pub fn class_name(self) -> &'static str {
        match self {
            Op::Leaf => "AccumulateGrad",
            Op::Add => "AddBackward0",
            Op::Sub => "SubBackward0",
            Op::Mul => "MulBackward0",
            Op::Div => "DivBackward0",
            Op::Pow => "PowBackward1",
            Op::PowScalar { .. } => "PowBackward0",
            Op::ScalarPow { .. } => "PowBackward2",
            Op::RsubScalar { .. } => "RsubBackward1",
            Op::Neg => "NegBackward0",
            Op::Reciprocal => "ReciprocalBackward0",
            Op::Sin => "SinBackward0",
            Op::Cos => "CosBackward0",
            Op::Exp => "ExpBackward0",
            Op::Log => "LogBackward0",
            Op::Tanh => "TanhBackward0",
            Op::Sigmoid => "SigmoidBackward0",
            Op::Relu => "ReluBackward0",
            Op::Sqrt => "SqrtBackward0",
            Op::Clone => "CloneBackward0",
            Op::Abs => "AbsBackward0",
            Op::Clamp { .. } => "ClampBackward1",
            Op::Where => "WhereBackward0",
            Op::Mm => "MmBackward0",
            Op::Mv => "MvBackward0",
            Op::Dot => "DotBackward0",
            Op::Bmm => "BmmBackward0",
            Op::Addmm => "AddmmBackward0",
            Op::T => "TBackward0",
            Op::Permute { .. } => "PermuteBackward0",
            Op::View => "ViewBackward0",
            Op::UnsafeView => "UnsafeViewBackward0",
            Op::ReshapeAlias => "ReshapeAliasBackward0",
            Op::Expand => "ExpandBackward0",
            Op::Unsqueeze { .. } => "UnsqueezeBackward0",
            Op::Squeeze { .. } => "SqueezeBackward4",
            Op::Select { .. } => "SelectBackward0",
            Op::Slice { .. } => "SliceBackward0",
            Op::Cat { .. } => "CatBackward0",
            Op::Stack { .. } => "StackBackward0",
            Op::Sum => "SumBackward0",
            Op::SumDim { .. } => "SumBackward1",
            Op::Mean => "MeanBackward0",
            Op::MeanDim { .. } => "MeanBackward1",
            Op::Amax { .. } => "AmaxBackward0",
            Op::Max => "MaxBackward1",
            Op::Softmax { .. } => "SoftmaxBackward0",
            Op::LogSoftmax { .. } => "LogSoftmaxBackward0",
            Op::MseLoss { .. } => "MseLossBackward0",
            Op::NllLoss { .. } => "NllLossBackward0",
        }
    }

    /// Whether the operation works element by element ([`Op::forward`] and
    /// [`Op::local_derivative`] describe it completely, with broadcasting around them).
    pub fn is_elementwise(self) -> bool {
        matches!(
            self,
            Op::Add
                | Op::Sub
                | Op::Mul
                | Op::Div
                | Op::Pow
                | Op::PowScalar { .. }
                | Op::ScalarPow { .. }
                | Op::RsubScalar { .. }
                | Op::Neg
                | Op::Reciprocal
                | Op::Sin
                | Op::Cos
                | Op::Exp
                | Op::Log
                | Op::Tanh
                | Op::Sigmoid
                | Op::Relu
                | Op::Sqrt
                | Op::Clone
                | Op::Abs
                | Op::Clamp { .. }
        )
    }

    /// How many tensor inputs (entries of `next_functions`) the operation has; `cat` and
    /// `stack` take any number (`usize::MAX` here).
    pub fn arity(self) -> usize {
        match self {
            Op::Leaf => 0,
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Pow
            | Op::Where
            | Op::Mm
            | Op::Mv
            | Op::Dot
            | Op::Bmm
            | Op::MseLoss { .. } => 2,
            Op::Addmm => 3,
            Op::Cat { .. } | Op::Stack { .. } => usize::MAX,
            _ => 1,
        }
    }

    /// The forward value from the input values (`inputs.len() == self.arity()`).
    ///
    /// Out-of-domain inputs give NaN or infinities, as in PyTorch; callers decide whether
    /// that is an error. Operations that are not elementwise give NaN here (see
    /// [`super::kernels::forward`]).
    pub fn forward(self, inputs: &[f64]) -> f64 {
        let x = |i: usize| inputs.get(i).copied().unwrap_or(f64::NAN);
        match self {
            Op::Leaf => f64::NAN,
            Op::Add => x(0) + x(1),
            Op::Sub => x(0) - x(1),
            Op::Mul => x(0) * x(1),
            Op::Div => x(0) / x(1),
            Op::Pow => x(0).powf(x(1)),
            Op::PowScalar { exponent } => x(0).powf(exponent),
            Op::ScalarPow { base } => base.powf(x(0)),
            Op::RsubScalar { other } => other - x(0),
            Op::Neg => -x(0),
            Op::Reciprocal => 1.0 / x(0),
            Op::Sin => x(0).sin(),
            Op::Cos => x(0).cos(),
            Op::Exp => x(0).exp(),
            Op::Log => x(0).ln(),
            Op::Tanh => x(0).tanh(),
            Op::Sigmoid => 1.0 / (1.0 + (-x(0)).exp()),
            Op::Relu => {
                if x(0) > 0.0 {
                    x(0)
                } else {
                    0.0
                }
            }
            Op::Sqrt => x(0).sqrt(),
            Op::Clone => x(0),
            Op::Abs => x(0).abs(),
            Op::Clamp { min, max } => x(0).max(min).min(max),
            _ => f64::NAN,
        }
    }

    /// ∂output/∂input `i` of an elementwise operation, from the input values and the forward
    /// `output`, with PyTorch's conventions at the special points (a zero exponent gives 0;
    /// `0 ** b` with `b ≥ 0` gives 0 for the exponent; ReLU's slope at 0 is 0). Operations
    /// that are not elementwise give 0 here; [`super::kernels::backward`] differentiates them.
    pub fn local_derivative(self, i: usize, inputs: &[f64], output: f64) -> f64 {
        let x = |k: usize| inputs.get(k).copied().unwrap_or(f64::NAN);
        match (self, i) {
            (Op::Add, _) => 1.0,
            (Op::Sub, 0) => 1.0,
            (Op::Sub, _) => -1.0,
            (Op::Mul, 0) => x(1),
            (Op::Mul, _) => x(0),
            (Op::Div, 0) => 1.0 / x(1),
            (Op::Div, _) => -x(0) / (x(1) * x(1)),
            (Op::Pow, 0) => pow_self(x(0), x(1)),
            (Op::Pow, _) => pow_exponent(x(0), x(1), output),
            (Op::PowScalar { exponent }, _) => pow_self(x(0), exponent),
            (Op::ScalarPow { base }, _) => pow_exponent(base, x(0), output),
            (Op::RsubScalar { .. }, _) => -1.0,
            (Op::Neg, _) => -1.0,
            (Op::Reciprocal, _) => -(output * output),
            (Op::Sin, _) => x(0).cos(),
            (Op::Cos, _) => -x(0).sin(),
            (Op::Exp, _) => output,
            (Op::Log, _) => 1.0 / x(0),
            (Op::Tanh, _) => 1.0 - output * output,
            (Op::Sigmoid, _) => (1.0 - output) * output,
            (Op::Relu, _) => f64::from(u8::from(output > 0.0)),
            (Op::Sqrt, _) => 1.0 / (2.0 * output),
            (Op::Clone, _) => 1.0,
            (Op::Abs, _) => {
                if x(0) > 0.0 {
                    1.0
                } else if x(0) < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            (Op::Clamp { min, max }, _) => f64::from(u8::from(x(0) >= min && x(0) <= max)),
            _ => 0.0,
        }
    }
}

/// d(x^b)/dx as `pow_backward_self`: zero where the exponent is zero.
fn pow_self(x: f64, b: f64) -> f64 {
    if b == 0.0 { 0.0 } else { b * x.powf(b - 1.0) }
}

/// d(x^b)/db as `pow_backward_exponent`: zero where `x == 0` and `b >= 0`.
fn pow_exponent(x: f64, b: f64, output: f64) -> f64 {
    if x == 0.0 && b >= 0.0 {
        0.0
    } else {
        output * x.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference of `op` in input `i` (step chosen for f64, error O(h²)).
    fn central(op: Op, inputs: &[f64], i: usize) -> f64 {
        let h = 1e-6;
        let mut up = inputs.to_vec();
        let mut down = inputs.to_vec();
        up[i] += h;
        down[i] -= h;
        (op.forward(&up) - op.forward(&down)) / (2.0 * h)
    }

    #[test]
    fn local_derivatives_match_finite_differences() {
        let cases: &[(Op, &[f64])] = &[
            (Op::Add, &[1.5, -2.0]),
            (Op::Sub, &[1.5, -2.0]),
            (Op::Mul, &[1.5, -2.0]),
            (Op::Div, &[1.5, -2.0]),
            (Op::Pow, &[1.5, -2.0]),
            (Op::PowScalar { exponent: 3.0 }, &[1.5]),
            (Op::ScalarPow { base: 2.0 }, &[0.7]),
            (Op::RsubScalar { other: 3.0 }, &[0.7]),
            (Op::Neg, &[0.7]),
            (Op::Reciprocal, &[0.7]),
            (Op::Sin, &[0.7]),
            (Op::Cos, &[0.7]),
            (Op::Exp, &[0.7]),
            (Op::Log, &[0.7]),
            (Op::Tanh, &[0.7]),
            (Op::Sigmoid, &[0.7]),
            (Op::Relu, &[0.7]),
            (Op::Relu, &[-0.7]),
            (Op::Sqrt, &[0.7]),
            (Op::Abs, &[-0.7]),
            (Op::Clamp { min: 0.0, max: 1.0 }, &[0.7]),
        ];
        for &(op, inputs) in cases {
            let out = op.forward(inputs);
            for i in 0..op.arity() {
                let exact = op.local_derivative(i, inputs, out);
                let numeric = central(op, inputs, i);
                // h = 1e-6: truncation ~h² · f''' and rounding ~1e-16/h, both below 1e-8.
                assert!(
                    (exact - numeric).abs() <= 1e-8 * (1.0 + exact.abs()),
                    "{op:?} input {i}: {exact} vs {numeric}"
                );
            }
        }
    }

    #[test]
    fn pytorch_conventions_at_special_points() {
        assert_eq!(
            Op::PowScalar { exponent: 0.0 }.local_derivative(0, &[0.0], 1.0),
            0.0
        );
        assert_eq!(Op::Pow.local_derivative(1, &[0.0, 2.0], 0.0), 0.0);
        assert_eq!(Op::Relu.local_derivative(0, &[0.0], 0.0), 0.0);
        assert_eq!(Op::RsubScalar { other: 2.0 }.forward(&[0.5]), 1.5);
        assert_eq!(Op::ScalarPow { base: 2.0 }.forward(&[3.0]), 8.0);
    }
}
