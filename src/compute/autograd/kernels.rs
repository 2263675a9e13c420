//! Forward values and vector-Jacobian products of every [`Op`] on tensors.
//!
//! Elementwise operations lift [`Op::forward`] and [`Op::local_derivative`] over PyTorch's
//! broadcasting, and their gradients are summed back to each input's shape (`sum_to`). The
//! others follow `tools/autograd/derivatives.yaml`: `mm` gives `grad @ mat2ᵀ` and
//! `selfᵀ @ grad`, reductions spread the gradient back over the reduced dims, `amax`/`max`
//! share it equally between tied maxima, `softmax` gives `y ⊙ (g − Σ g ⊙ y)`,
//! `log_softmax` gives `g − exp(y) Σ g`, views reshape or scatter it back.

use super::ops::Op;
use super::tensor::{self, Tensor};

/// The inputs of a node as the kernels read them: the operands in `next_functions` order,
/// then saved tensors that get no gradient (the condition of `where`, the target of
/// `nll_loss`).
type Inputs<'a> = &'a [&'a Tensor];

/// `op`'s result; `target` is the output shape of view operations (`view`, `expand`,
/// `_unsafe_view`, `slice`), which the inputs alone do not determine.
pub fn forward(op: Op, inputs: Inputs, target: Option<&[usize]>) -> Result<Tensor, String> {
    check_work(op, inputs, target)?;
    let dtype = inputs
        .iter()
        .filter(|t| !t.shape.is_empty() || inputs.len() == 1)
        .map(|t| t.dtype)
        .reduce(tensor::Dtype::promote)
        .unwrap_or_default();
    let first = inputs.first().copied().cloned().unwrap_or_default();
    let shape_of = |k: usize| inputs.get(k).map_or(&[][..], |t| t.shape.as_slice());
    let mut out = if op.is_elementwise() {
        let (shape, data) = tensor::broadcast_map(inputs, |x| op.forward(x))?;
        Tensor::new(shape, data)
    } else {
        match op {
            Op::Where => {
                let (a, b, c) = (inputs[0], inputs[1], inputs[2]);
                let (shape, data) =
                    tensor::broadcast_map(&[c, a, b], |x| if x[0] != 0.0 { x[1] } else { x[2] })?;
                Tensor::new(shape, data)
            }
            Op::Mm => {
                let (a, b) = (inputs[0], inputs[1]);
                let (n, k, m) = (a.shape[0], a.shape[1], b.shape[1]);
                Tensor::new(vec![n, m], tensor::mm(&a.data, &b.data, n, k, m))
            }
            Op::Mv => {
                let (a, v) = (inputs[0], inputs[1]);
                let (n, k) = (a.shape[0], a.shape[1]);
                Tensor::new(vec![n], tensor::mm(&a.data, &v.data, n, k, 1))
            }
            Op::Dot => {
                let (a, b) = (inputs[0], inputs[1]);
                Tensor::zero_dim(a.data.iter().zip(&b.data).map(|(x, y)| x * y).sum())
            }
            Op::Bmm => {
                let (a, b) = (inputs[0], inputs[1]);
                let (batch, n, k, m) = (a.shape[0], a.shape[1], a.shape[2], b.shape[2]);
                let mut data = Vec::with_capacity(batch * n * m);
                for p in 0..batch {
                    data.extend(tensor::mm(
                        &a.data[p * n * k..(p + 1) * n * k],
                        &b.data[p * k * m..(p + 1) * k * m],
                        n,
                        k,
                        m,
                    ));
                }
                Tensor::new(vec![batch, n, m], data)
            }
            Op::Addmm => {
                let (bias, a, b) = (inputs[0], inputs[1], inputs[2]);
                let (n, k, m) = (a.shape[0], a.shape[1], b.shape[1]);
                let product = Tensor::new(vec![n, m], tensor::mm(&a.data, &b.data, n, k, m));
                let (shape, data) = tensor::broadcast_map(&[bias, &product], |x| x[0] + x[1])?;
                Tensor::new(shape, data)
            }
            Op::T => transpose_2d(&first),
            Op::Permute { perm, rank } => {
                let perm: Vec<usize> = perm[..usize::from(rank)]
                    .iter()
                    .map(|&p| p.into())
                    .collect();
                tensor::permute(&first, &perm)
            }
            Op::View
            | Op::UnsafeView
            | Op::ReshapeAlias
            | Op::Unsqueeze { .. }
            | Op::Squeeze { .. } => first.reshaped(&view_shape(op, shape_of(0), target)),
            Op::Expand => tensor::expand(&first, target.unwrap_or(&first.shape)),
            Op::Select { dim, index } => {
                let dim = usize::from(dim);
                let mut t = tensor::slice(&first, dim, index, 1, 1);
                t.shape.remove(dim);
                t
            }
            Op::Slice { dim, start, step } => {
                let dim = usize::from(dim);
                let len = target.and_then(|s| s.get(dim)).copied().unwrap_or(0);
                tensor::slice(&first, dim, start, step, len)
            }
            Op::Cat { dim } => tensor::cat(inputs, usize::from(dim)),
            Op::Stack { dim } => {
                let dim = usize::from(dim);
                let parts: Vec<Tensor> = inputs
                    .iter()
                    .map(|t| {
                        let mut shape = t.shape.clone();
                        shape.insert(dim, 1);
                        t.reshaped(&shape)
                    })
                    .collect();
                tensor::cat(&parts.iter().collect::<Vec<_>>(), dim)
            }
            Op::Sum => Tensor::zero_dim(first.data.iter().sum()),
            Op::SumDim { mask, keepdim } => {
                let t = tensor::reduce(&first, mask, 0.0, |a, b| a + b);
                t.reshaped(&tensor::reduced_shape(&first.shape, mask, keepdim))
            }
            Op::Mean => Tensor::zero_dim(first.data.iter().sum::<f64>() / first.numel() as f64),
            Op::MeanDim { mask, keepdim } => {
                let count = reduced_count(&first.shape, mask) as f64;
                let mut t = tensor::reduce(&first, mask, 0.0, |a, b| a + b);
                t.data.iter_mut().for_each(|x| *x /= count);
                t.reshaped(&tensor::reduced_shape(&first.shape, mask, keepdim))
            }
            Op::Amax { mask, keepdim } => {
                let t = tensor::reduce(&first, mask, f64::NEG_INFINITY, max_nan);
                t.reshaped(&tensor::reduced_shape(&first.shape, mask, keepdim))
            }
            Op::Max => {
                Tensor::zero_dim(first.data.iter().copied().fold(f64::NEG_INFINITY, max_nan))
            }
            Op::Softmax { dim } => softmax(&first, usize::from(dim), false),
            Op::LogSoftmax { dim } => softmax(&first, usize::from(dim), true),
            Op::MseLoss { sum } => {
                let (_, sq) =
                    tensor::broadcast_map(&inputs[..2], |x| (x[0] - x[1]) * (x[0] - x[1]))?;
                let total: f64 = sq.iter().sum();
                Tensor::zero_dim(if sum { total } else { total / sq.len() as f64 })
            }
            Op::NllLoss { sum } => {
                let picked = nll_picks(&first, inputs[1]);
                let total: f64 = picked.iter().map(|&k| -first.data[k]).sum();
                Tensor::zero_dim(if sum {
                    total
                } else {
                    total / picked.len() as f64
                })
            }
            _ => return Err(format!("{} has no forward rule", op.class_name())),
        }
    };
    // Integer tensors stay integer only through operations that keep integers (`+ - *`,
    // views, sums, max); anything else, or a non-integer result (a float Python number
    // operand), is floating point as in PyTorch.
    let keeps_int = matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Neg
            | Op::Clone
            | Op::Abs
            | Op::Relu
            | Op::Where
            | Op::T
            | Op::Permute { .. }
            | Op::View
            | Op::UnsafeView
            | Op::ReshapeAlias
            | Op::Expand
            | Op::Unsqueeze { .. }
            | Op::Squeeze { .. }
            | Op::Select { .. }
            | Op::Slice { .. }
            | Op::Cat { .. }
            | Op::Stack { .. }
            | Op::Sum
            | Op::SumDim { .. }
            | Op::Amax { .. }
            | Op::Max
    );
    out.dtype = if dtype == tensor::Dtype::I64
        && (!keeps_int || out.data.iter().any(|x| x.fract() != 0.0))
    {
        tensor::Dtype::F64
    } else {
        dtype
    };
    out.round();
    Ok(out)
}

/// The gradient of input `i` of a node, given the gradient of its output.
pub fn backward(op: Op, i: usize, grad: &Tensor, inputs: Inputs, output: &Tensor) -> Tensor {
    let input = inputs[i];
    let like = |data: Vec<f64>| Tensor::new(input.shape.clone(), data);
    if op.is_elementwise() {
        let mut args: Vec<&Tensor> = vec![grad];
        args.extend_from_slice(inputs);
        args.push(output);
        let n = inputs.len();
        return match tensor::broadcast_map(&args, |x| {
            x[0] * op.local_derivative(i, &x[1..=n], x[n + 1])
        }) {
            Ok((shape, data)) => tensor::sum_to(&Tensor::new(shape, data), &input.shape),
            Err(_) => like(vec![f64::NAN; input.numel()]),
        };
    }
    match op {
        Op::Where => {
            let c = inputs[2];
            let pick = |x: &[f64]| {
                if (x[1] != 0.0) == (i == 0) { x[0] } else { 0.0 }
            };
            match tensor::broadcast_map(&[grad, c], pick) {
                Ok((shape, data)) => tensor::sum_to(&Tensor::new(shape, data), &input.shape),
                Err(_) => like(vec![f64::NAN; input.numel()]),
            }
        }
        Op::Mm | Op::Addmm => {
            let (a, b) = if op == Op::Mm {
                (inputs[0], inputs[1])
            } else {
                (inputs[1], inputs[2])
            };
            let (n, k, m) = (a.shape[0], a.shape[1], b.shape[1]);
            match (op, i) {
                (Op::Addmm, 0) => tensor::sum_to(grad, &input.shape),
                (Op::Mm, 0) | (Op::Addmm, 1) => like(tensor::mm(
                    &grad.data,
                    &tensor::transpose(&b.data, k, m),
                    n,
                    m,
                    k,
                )),
                _ => like(tensor::mm(
                    &tensor::transpose(&a.data, n, k),
                    &grad.data,
                    k,
                    n,
                    m,
                )),
            }
        }
        Op::Mv => {
            let (a, v) = (inputs[0], inputs[1]);
            let (n, k) = (a.shape[0], a.shape[1]);
            if i == 0 {
                like(tensor::mm(&grad.data, &v.data, n, 1, k))
            } else {
                like(tensor::mm(
                    &tensor::transpose(&a.data, n, k),
                    &grad.data,
                    k,
                    n,
                    1,
                ))
            }
        }
        Op::Dot => {
            let other = inputs[1 - i];
            like(other.data.iter().map(|x| grad.item() * x).collect())
        }
        Op::Bmm => {
            let (a, b) = (inputs[0], inputs[1]);
            let (batch, n, k, m) = (a.shape[0], a.shape[1], a.shape[2], b.shape[2]);
            let mut data = Vec::with_capacity(input.numel());
            for p in 0..batch {
                let g = &grad.data[p * n * m..(p + 1) * n * m];
                let ap = &a.data[p * n * k..(p + 1) * n * k];
                let bp = &b.data[p * k * m..(p + 1) * k * m];
                data.extend(if i == 0 {
                    tensor::mm(g, &tensor::transpose(bp, k, m), n, m, k)
                } else {
                    tensor::mm(&tensor::transpose(ap, n, k), g, k, n, m)
                });
            }
            like(data)
        }
        Op::T => transpose_2d(grad),
        Op::Permute { perm, rank } => {
            let rank = usize::from(rank);
            let mut inverse = vec![0; rank];
            for (d, &p) in perm[..rank].iter().enumerate() {
                inverse[usize::from(p)] = d;
            }
            tensor::permute(grad, &inverse)
        }
        Op::View
        | Op::UnsafeView
        | Op::ReshapeAlias
        | Op::Unsqueeze { .. }
        | Op::Squeeze { .. } => grad.reshaped(&input.shape),
        Op::Expand => tensor::sum_to(grad, &input.shape),
        Op::Select { dim, index } => {
            let dim = usize::from(dim);
            let mut g = grad.clone();
            g.shape.insert(dim, 1);
            tensor::unslice(&g, &input.shape, dim, index, 1)
        }
        Op::Slice { dim, start, step } => {
            tensor::unslice(grad, &input.shape, usize::from(dim), start, step)
        }
        Op::Cat { dim } => {
            let dim = usize::from(dim);
            let start: usize = inputs[..i].iter().map(|t| t.shape[dim]).sum();
            tensor::slice(grad, dim, start, 1, input.shape[dim])
        }
        Op::Stack { dim } => {
            let dim = usize::from(dim);
            let mut g = tensor::slice(grad, dim, i, 1, 1);
            g.shape.remove(dim);
            g
        }
        Op::Sum => Tensor::full(&input.shape, grad.item()),
        Op::Mean => Tensor::full(&input.shape, grad.item() / input.numel() as f64),
        Op::SumDim { mask, .. } | Op::MeanDim { mask, .. } => {
            let kept = tensor::reduced_shape(&input.shape, mask, true);
            let mut g = tensor::expand(&grad.reshaped(&kept), &input.shape);
            if matches!(op, Op::MeanDim { .. }) {
                let count = reduced_count(&input.shape, mask) as f64;
                g.data.iter_mut().for_each(|x| *x /= count);
            }
            g
        }
        Op::Amax { mask, .. } => share_between_maxima(grad, input, output, mask),
        Op::Max => share_between_maxima(grad, input, output, u32::MAX),
        Op::Softmax { dim } => {
            let dim = usize::from(dim);
            let (shape, gy) =
                tensor::broadcast_map(&[grad, output], |x| x[0] * x[1]).unwrap_or_default();
            let s = tensor::expand(
                &tensor::reduce(&Tensor::new(shape, gy), 1 << dim, 0.0, |a, b| a + b),
                &input.shape,
            );
            let data = (0..input.numel())
                .map(|k| output.data[k] * (grad.data[k] - s.data[k]))
                .collect();
            like(data)
        }
        Op::LogSoftmax { dim } => {
            let dim = usize::from(dim);
            let s = tensor::expand(
                &tensor::reduce(grad, 1 << dim, 0.0, |a, b| a + b),
                &input.shape,
            );
            let data = (0..input.numel())
                .map(|k| grad.data[k] - output.data[k].exp() * s.data[k])
                .collect();
            like(data)
        }
        Op::MseLoss { sum } => {
            let count = tensor::broadcast_shapes(&inputs[0].shape, &inputs[1].shape)
                .map_or(1, |s| s.iter().product::<usize>());
            let scale = if sum { 1.0 } else { 1.0 / count as f64 };
            let g = grad.item();
            let sign = if i == 0 { 1.0 } else { -1.0 };
            match tensor::broadcast_map(&inputs[..2], |x| sign * 2.0 * (x[0] - x[1]) * g * scale) {
                Ok((shape, data)) => tensor::sum_to(&Tensor::new(shape, data), &input.shape),
                Err(_) => like(vec![f64::NAN; input.numel()]),
            }
        }
        Op::NllLoss { sum } => {
            let picked = nll_picks(inputs[0], inputs[1]);
            let scale = if sum { 1.0 } else { 1.0 / picked.len() as f64 };
            let mut data = vec![0.0; input.numel()];
            for k in picked {
                data[k] = -grad.item() * scale;
            }
            like(data)
        }
        _ => like(vec![0.0; input.numel()]),
    }
}

/// Refuse results beyond gradbook's size limits and matrix products beyond its work limit
/// before anything is allocated.
fn check_work(op: Op, inputs: Inputs, target: Option<&[usize]>) -> Result<(), String> {
    if let Some(t) = target {
        tensor::check_size(t)?;
    }
    let dims = |k: usize| inputs.get(k).map_or(&[][..], |t| t.shape.as_slice());
    let (batch, n, k, m) = match (op, dims(0), dims(1), dims(2)) {
        (Op::Mm, &[n, k], &[_, m], _) => (1, n, k, m),
        (Op::Mv, &[n, k], _, _) => (1, n, k, 1),
        (Op::Bmm, &[b, n, k], &[_, _, m], _) => (b, n, k, m),
        (Op::Addmm, _, &[n, k], &[_, m]) => (1, n, k, m),
        _ => return Ok(()),
    };
    tensor::check_size(&[batch, n, m])?;
    let work = [batch, n, k, m]
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    if work > MAX_PRODUCT_WORK {
        return Err(format!(
            "this matrix product needs {work} multiply-adds, more than gradbook's limit of {MAX_PRODUCT_WORK}"
        ));
    }
    Ok(())
}

/// Most multiply-adds one matrix product may take.
const MAX_PRODUCT_WORK: usize = 1_000_000_000;

/// The strides PyTorch gives `op`'s result, from its inputs' shapes and strides and its
/// output shape: `t`, `permute`, `expand`, `select`, `slice`, `unsqueeze` and views give
/// strided views of their input; every computed result is row-major.
pub fn strides(op: Op, inputs: &[(&[usize], &[usize])], out: &[usize]) -> Vec<usize> {
    let fresh = || tensor::strides(out);
    let Some(&(shape, st)) = inputs.first() else {
        return fresh();
    };
    if st.len() != shape.len() {
        return fresh();
    }
    match op {
        Op::T if shape.len() == 2 => vec![st[1], st[0]],
        Op::Permute { perm, rank } => perm[..usize::from(rank)]
            .iter()
            .map(|&p| st.get(usize::from(p)).copied().unwrap_or(1))
            .collect(),
        Op::Expand => {
            let offset = out.len() - shape.len();
            (0..out.len())
                .map(|d| {
                    if d < offset || (shape[d - offset] == 1 && out[d] != 1) {
                        0
                    } else {
                        st[d - offset]
                    }
                })
                .collect()
        }
        Op::Select { dim, .. } => {
            let mut s = st.to_vec();
            s.remove(usize::from(dim).min(s.len().saturating_sub(1)));
            s
        }
        Op::Slice { dim, step, .. } => {
            let mut s = st.to_vec();
            if let Some(x) = s.get_mut(usize::from(dim)) {
                *x *= step;
            }
            s
        }
        Op::Unsqueeze { dim } => {
            let d = usize::from(dim);
            let mut s = st.to_vec();
            let new = if d < shape.len() { shape[d] * st[d] } else { 1 };
            s.insert(d.min(s.len()), new);
            s
        }
        Op::Squeeze { dim } => {
            let mut s = st.to_vec();
            if shape.get(usize::from(dim)) == Some(&1) {
                s.remove(usize::from(dim));
            }
            s
        }
        Op::View | Op::ReshapeAlias => view_strides(shape, st, out).unwrap_or_else(fresh),
        _ => fresh(),
    }
}

/// Whether `strides` are row-major for `shape`, ignoring dims of size 1 (PyTorch's
/// `is_contiguous`).
pub fn is_contiguous(shape: &[usize], strides: &[usize]) -> bool {
    let mut expected = 1;
    for (&n, &s) in shape.iter().zip(strides).rev() {
        if n != 1 {
            if s != expected {
                return false;
            }
            expected *= n;
        }
    }
    true
}

/// ATen's `computeStride`: the strides that show a tensor of `shape`/`strides` as `target`
/// without copying, or `None` when the target shape crosses a stride gap.
pub fn view_strides(shape: &[usize], strides: &[usize], target: &[usize]) -> Option<Vec<usize>> {
    if shape.is_empty() || target.is_empty() || shape.contains(&0) {
        return Some(tensor::strides(target));
    }
    let mut out = vec![0; target.len()];
    let mut view_d = target.len() as isize - 1;
    let mut chunk_base_stride = *strides.last()?;
    let mut tensor_numel = 1;
    let mut view_numel = 1;
    for tensor_d in (0..shape.len()).rev() {
        tensor_numel *= shape[tensor_d];
        if tensor_d == 0
            || (shape[tensor_d - 1] != 1
                && strides[tensor_d - 1] != tensor_numel * chunk_base_stride)
        {
            while view_d >= 0 && (view_numel < tensor_numel || target[view_d as usize] == 1) {
                out[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= target[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = strides[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    (view_d == -1).then_some(out)
}

/// PyTorch's `max`: NaN wins.
fn max_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// How many elements one reduced group of `mask` holds.
fn reduced_count(shape: &[usize], mask: u32) -> usize {
    shape
        .iter()
        .enumerate()
        .filter(|(d, _)| mask >> d & 1 == 1)
        .map(|(_, &n)| n)
        .product()
}

/// The output shape of a reshaping view op.
fn view_shape(op: Op, input: &[usize], target: Option<&[usize]>) -> Vec<usize> {
    let mut shape = input.to_vec();
    match op {
        Op::Unsqueeze { dim } => shape.insert(usize::from(dim).min(shape.len()), 1),
        Op::Squeeze { dim } => {
            if shape.get(usize::from(dim)) == Some(&1) {
                shape.remove(usize::from(dim));
            }
        }
        _ => shape = target.unwrap_or(input).to_vec(),
    }
    shape
}

/// `t()` of a matrix (vectors and 0-d tensors are their own transpose).
fn transpose_2d(t: &Tensor) -> Tensor {
    match t.shape.as_slice() {
        &[n, m] => Tensor {
            shape: vec![m, n],
            data: tensor::transpose(&t.data, n, m),
            dtype: t.dtype,
        },
        _ => t.clone(),
    }
}

/// `amax`/`max` backward: `grad` spread over the elements equal to the maximum of their
/// group, divided by how many there are.
fn share_between_maxima(grad: &Tensor, input: &Tensor, output: &Tensor, mask: u32) -> Tensor {
    let mask = if mask == u32::MAX {
        (1u32 << input.shape.len()) - 1
    } else {
        mask
    };
    let kept = tensor::reduced_shape(&input.shape, mask, true);
    let out = tensor::expand(&output.reshaped(&kept), &input.shape);
    let g = tensor::expand(&grad.reshaped(&kept), &input.shape);
    let hits: Vec<f64> = (0..input.numel())
        .map(|k| f64::from(u8::from(input.data[k] == out.data[k])))
        .collect();
    let count = tensor::expand(
        &tensor::reduce(
            &Tensor::new(input.shape.clone(), hits.clone()),
            mask,
            0.0,
            |a, b| a + b,
        ),
        &input.shape,
    );
    let data = (0..input.numel())
        .map(|k| {
            if hits[k] == 1.0 {
                g.data[k] / count.data[k]
            } else {
                0.0
            }
        })
        .collect();
    Tensor::new(input.shape.clone(), data)
}

/// `softmax` or `log_softmax` along `dim`, computed as PyTorch's CPU kernel does: subtract
/// the maximum, exponentiate, sum.
fn softmax(t: &Tensor, dim: usize, log: bool) -> Tensor {
    let (outer, size, inner) = tensor::split_at_dim(&t.shape, dim);
    let mut data = vec![0.0; t.numel()];
    for o in 0..outer {
        for j in 0..inner {
            let at = |k: usize| (o * size + k) * inner + j;
            let max = (0..size)
                .map(|k| t.data[at(k)])
                .fold(f64::NEG_INFINITY, max_nan);
            let sum: f64 = (0..size).map(|k| (t.data[at(k)] - max).exp()).sum();
            for k in 0..size {
                let shifted = t.data[at(k)] - max;
                data[at(k)] = if log {
                    shifted - sum.ln()
                } else {
                    shifted.exp() / sum
                };
            }
        }
    }
    Tensor::new(t.shape.clone(), data)
}

/// Flat indices `x[n, target[n]]` (or `x[target]` for one sample) that `nll_loss` picks.
fn nll_picks(x: &Tensor, target: &Tensor) -> Vec<usize> {
    match x.shape.as_slice() {
        &[n, c] => (0..n)
            .map(|r| r * c + target.data.get(r).map_or(0, |&t| t as usize))
            .collect(),
        _ => vec![target.item() as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_rows_sum_to_one_and_log_softmax_agrees() {
        let t = Tensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, -1.0, 0.0, 5.0]);
        let s = forward(Op::Softmax { dim: 1 }, &[&t], None).unwrap();
        let l = forward(Op::LogSoftmax { dim: 1 }, &[&t], None).unwrap();
        for r in 0..2 {
            let row: f64 = s.data[r * 3..r * 3 + 3].iter().sum();
            assert!((row - 1.0).abs() < 1e-15);
        }
        for k in 0..6 {
            assert!((l.data[k].exp() - s.data[k]).abs() < 1e-15);
        }
    }

    #[test]
    fn addmm_broadcasts_its_bias_and_sums_its_gradient_back() {
        let b = Tensor::new(vec![2], vec![1.0, -1.0]);
        let x = Tensor::new(vec![3, 1], vec![1.0, 2.0, 3.0]);
        let w = Tensor::new(vec![1, 2], vec![10.0, 20.0]);
        let y = forward(Op::Addmm, &[&b, &x, &w], None).unwrap();
        assert_eq!(y.data, vec![11.0, 19.0, 21.0, 39.0, 31.0, 59.0]);
        let g = Tensor::full(&[3, 2], 1.0);
        let gb = backward(Op::Addmm, 0, &g, &[&b, &x, &w], &y);
        assert_eq!(gb.data, vec![3.0, 3.0]);
        let gw = backward(Op::Addmm, 2, &g, &[&b, &x, &w], &y);
        assert_eq!(gw.data, vec![6.0, 6.0]);
    }

    #[test]
    fn strides_follow_aten() {
        // A (3, 4) matrix transposed: strides (1, 4); flattening it needs a copy, a (4, 3)
        // view of its row-major data does not exist either, but splitting a dim does.
        let t = strides(Op::T, &[(&[3, 4], &[4, 1])], &[4, 3]);
        assert_eq!(t, vec![1, 4]);
        assert!(!is_contiguous(&[4, 3], &t));
        assert_eq!(view_strides(&[4, 3], &t, &[12]), None);
        assert_eq!(view_strides(&[4, 3], &t, &[2, 2, 3]), Some(vec![2, 1, 4]));
        // A column (stride 4) can be a (3, 1) alias (torch: strides (4, 4)); rows of a matrix stay
        // contiguous when sliced whole.
        let col = strides(Op::Select { dim: 1, index: 2 }, &[(&[3, 4], &[4, 1])], &[3]);
        assert_eq!(col, vec![4]);
        assert_eq!(view_strides(&[3], &col, &[3, 1]), Some(vec![4, 4]));
        let rows = strides(
            Op::Slice {
                dim: 0,
                start: 1,
                step: 1,
            },
            &[(&[3, 4], &[4, 1])],
            &[2, 4],
        );
        assert!(is_contiguous(&[2, 4], &rows));
        let expanded = strides(Op::Expand, &[(&[1, 3], &[3, 1])], &[2, 3]);
        assert_eq!(expanded, vec![0, 1]);
    }

    #[test]
    fn tied_maxima_share_the_gradient() {
        let t = Tensor::new(vec![4], vec![1.0, 3.0, 3.0, 0.0]);
        let y = forward(Op::Max, &[&t], None).unwrap();
        let g = backward(Op::Max, 0, &Tensor::zero_dim(1.0), &[&t], &y);
        assert_eq!(g.data, vec![0.0, 0.5, 0.5, 0.0]);
    }
}
