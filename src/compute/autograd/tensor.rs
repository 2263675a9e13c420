//! Tensors on the tape: a shape, row-major data and a dtype, PyTorch's broadcasting, and the
//! shape-level kernels (broadcast maps, reductions over dims, matrix products, copies for
//! views) that the operations in [`super::kernels`] are built from.
//!
//! Values are held in f64; a float32 tensor holds values that are exactly representable in
//! f32 (every operation rounds its result), and an int64 tensor holds integers.

use serde::ser::{Serialize, SerializeSeq, Serializer};

/// Most elements one tensor may hold (a typo such as `zeros(10**6, 10**6)` is an error, not
/// an allocation failure).
pub const MAX_ELEMENTS: usize = 10_000_000;
/// Most dimensions a tensor may have.
pub const MAX_RANK: usize = 8;

/// PyTorch's shape check plus gradbook's size limits, for a result of `shape`.
pub fn check_size(shape: &[usize]) -> Result<(), String> {
    if shape.len() > MAX_RANK {
        return Err(format!(
            "a tensor of {} dimensions is more than gradbook's limit of {MAX_RANK}",
            shape.len()
        ));
    }
    let n = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .unwrap_or(usize::MAX);
    if n > MAX_ELEMENTS {
        return Err(format!(
            "a tensor of shape {} has more elements than gradbook's limit of {MAX_ELEMENTS}",
            Tensor::shape_text(shape)
        ));
    }
    Ok(())
}

/// The element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dtype {
    /// `torch.float64` (the book's default dtype).
    #[default]
    F64,
    /// `torch.float32`: every result is rounded to f32.
    F32,
    /// `torch.int64`: integer literals without `dtype=`; never requires grad.
    I64,
}

impl Dtype {
    /// PyTorch's type promotion between two tensor operands.
    pub fn promote(self, other: Dtype) -> Dtype {
        match (self, other) {
            (Dtype::F64, _) | (_, Dtype::F64) => Dtype::F64,
            (Dtype::F32, _) | (_, Dtype::F32) => Dtype::F32,
            _ => Dtype::I64,
        }
    }

    /// The dtype of a result that must be floating point (`x / y`, `exp`, …).
    pub fn float(self) -> Dtype {
        match self {
            Dtype::I64 => Dtype::F64,
            d => d,
        }
    }

    /// PyTorch's name, `torch.float64`.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "torch.float64",
            Dtype::F32 => "torch.float32",
            Dtype::I64 => "torch.int64",
        }
    }
}

/// A dense tensor: `shape` (empty for a 0-d tensor) and its elements in row-major order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensor {
    /// Size of every dimension.
    pub shape: Vec<usize>,
    /// `shape.iter().product()` elements, row-major.
    pub data: Vec<f64>,
    /// The element type.
    pub dtype: Dtype,
}

impl Tensor {
    /// A float64 tensor from its shape and data (`data.len()` must be the shape's product).
    pub fn new(shape: Vec<usize>, data: Vec<f64>) -> Tensor {
        Tensor {
            shape,
            data,
            dtype: Dtype::F64,
        }
    }

    /// The one-element, shape-(1) float64 tensor of `torch.tensor([x])`.
    pub fn scalar(x: f64) -> Tensor {
        Tensor::new(vec![1], vec![x])
    }

    /// The 0-d float64 tensor of `torch.tensor(x)` or a full reduction.
    pub fn zero_dim(x: f64) -> Tensor {
        Tensor::new(Vec::new(), vec![x])
    }

    /// A float64 tensor of `shape` filled with `x`.
    pub fn full(shape: &[usize], x: f64) -> Tensor {
        Tensor::new(shape.to_vec(), vec![x; shape.iter().product()])
    }

    /// The same tensor with dtype `dtype`, values rounded to it.
    pub fn with_dtype(mut self, dtype: Dtype) -> Tensor {
        self.dtype = dtype;
        self.round();
        self
    }

    /// Round every element to the dtype (f32 rounding for float32, truncation for int64).
    pub fn round(&mut self) {
        match self.dtype {
            Dtype::F64 => {}
            Dtype::F32 => self.data.iter_mut().for_each(|x| *x = f64::from(*x as f32)),
            Dtype::I64 => self.data.iter_mut().for_each(|x| *x = x.trunc()),
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The element of a one-element tensor (NaN otherwise).
    pub fn item(&self) -> f64 {
        match self.data.as_slice() {
            [x] => *x,
            _ => f64::NAN,
        }
    }

    /// Whether every element is finite.
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// PyTorch's way of writing a shape: `(3, 4)`, `(3,)`, `()`.
    pub fn shape_text(shape: &[usize]) -> String {
        match shape {
            [n] => format!("({n},)"),
            _ => format!(
                "({})",
                shape
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Same data, new shape (the caller checked the element count).
    pub fn reshaped(&self, shape: &[usize]) -> Tensor {
        Tensor {
            shape: shape.to_vec(),
            data: self.data.clone(),
            dtype: self.dtype,
        }
    }

    /// The tensor as nested JSON lists (a plain number for one element, as scalar scripts
    /// always printed).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A one-element tensor serialises as a plain number; others as nested row-major lists.
impl Serialize for Tensor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let [x] = self.data.as_slice() {
            return s.serialize_f64(*x);
        }
        Nested {
            shape: &self.shape,
            data: &self.data,
        }
        .serialize(s)
    }
}

struct Nested<'a> {
    shape: &'a [usize],
    data: &'a [f64],
}

impl Serialize for Nested<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Some((&first, rest)) = self.shape.split_first() else {
            return s.serialize_f64(self.data.first().copied().unwrap_or(f64::NAN));
        };
        let inner: usize = rest.iter().product();
        let mut seq = s.serialize_seq(Some(first))?;
        for k in 0..first {
            let data = self.data.get(k * inner..(k + 1) * inner).unwrap_or(&[]);
            seq.serialize_element(&Nested { shape: rest, data })?;
        }
        seq.end()
    }
}

/// Row-major strides of `shape`.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The broadcast shape of `a` and `b`, or PyTorch's error message.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for k in 0..n {
        let da = if k < n - a.len() {
            1
        } else {
            a[k - (n - a.len())]
        };
        let db = if k < n - b.len() {
            1
        } else {
            b[k - (n - b.len())]
        };
        out[k] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            (x, y) => {
                return Err(format!(
                    "The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {k}"
                ));
            }
        };
    }
    Ok(out)
}

/// Strides to read a tensor of `shape` as if broadcast to `out` (0 along broadcast dims).
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let own = strides(shape);
    let offset = out.len() - shape.len();
    (0..out.len())
        .map(|k| {
            if k < offset || shape[k - offset] == 1 {
                0
            } else {
                own[k - offset]
            }
        })
        .collect()
}

/// For every element of `out` (row-major), the offsets into tensors read with `strides`.
fn offsets(out: &[usize], strides: &[&[usize]], mut visit: impl FnMut(&[usize])) {
    let n: usize = out.iter().product();
    let mut index = vec![0usize; out.len()];
    let mut at = vec![0usize; strides.len()];
    for _ in 0..n {
        visit(&at);
        for d in (0..out.len()).rev() {
            index[d] += 1;
            for (a, s) in at.iter_mut().zip(strides) {
                *a += s[d];
            }
            if index[d] < out[d] {
                break;
            }
            for (a, s) in at.iter_mut().zip(strides) {
                *a -= s[d] * out[d];
            }
            index[d] = 0;
        }
    }
}

/// `f` applied elementwise to the broadcast of `inputs` (one or more tensors).
pub fn broadcast_map(
    inputs: &[&Tensor],
    f: impl Fn(&[f64]) -> f64,
) -> Result<(Vec<usize>, Vec<f64>), String> {
    let mut shape: Vec<usize> = Vec::new();
    for t in inputs {
        shape = broadcast_shapes(&shape, &t.shape)?;
    }
    check_size(&shape)?;
    if inputs.iter().all(|t| t.shape == shape) {
        let n = shape.iter().product();
        let mut args = vec![0.0; inputs.len()];
        let data = (0..n)
            .map(|k| {
                for (a, t) in args.iter_mut().zip(inputs) {
                    *a = t.data[k];
                }
                f(&args)
            })
            .collect();
        return Ok((shape, data));
    }
    let st: Vec<Vec<usize>> = inputs
        .iter()
        .map(|t| broadcast_strides(&t.shape, &shape))
        .collect();
    let refs: Vec<&[usize]> = st.iter().map(Vec::as_slice).collect();
    let mut data = Vec::with_capacity(shape.iter().product());
    let mut args = vec![0.0; inputs.len()];
    offsets(&shape, &refs, |at| {
        for ((a, t), &o) in args.iter_mut().zip(inputs).zip(at) {
            *a = t.data[o];
        }
        data.push(f(&args));
    });
    Ok((shape, data))
}

/// Sum `grad` (of the broadcast shape) down to `shape`: PyTorch's `sum_to`, the backward
/// of broadcasting.
pub fn sum_to(grad: &Tensor, shape: &[usize]) -> Tensor {
    if grad.shape == shape {
        return grad.clone();
    }
    let st = broadcast_strides(shape, &grad.shape);
    let mut data = vec![0.0; shape.iter().product()];
    let mut k = 0;
    offsets(&grad.shape, &[&st], |at| {
        data[at[0]] += grad.data[k];
        k += 1;
    });
    Tensor {
        shape: shape.to_vec(),
        data,
        dtype: grad.dtype,
    }
}

/// Expand `t` (broadcastable) to `shape` by copying.
pub fn expand(t: &Tensor, shape: &[usize]) -> Tensor {
    let st = broadcast_strides(&t.shape, shape);
    let mut data = Vec::with_capacity(shape.iter().product());
    offsets(shape, &[&st], |at| data.push(t.data[at[0]]));
    Tensor {
        shape: shape.to_vec(),
        data,
        dtype: t.dtype,
    }
}

/// The shape after reducing the dims in `mask` (bit d = dim d), kept as 1 with `keepdim`.
pub fn reduced_shape(shape: &[usize], mask: u32, keepdim: bool) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter_map(|(d, &n)| match (mask >> d & 1 == 1, keepdim) {
            (false, _) => Some(n),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// Fold the dims in `mask` of `t` with `f` starting from `init`, keeping them as size 1.
pub fn reduce(t: &Tensor, mask: u32, init: f64, f: impl Fn(f64, f64) -> f64) -> Tensor {
    let kept = reduced_shape(&t.shape, mask, true);
    let st = broadcast_strides(&kept, &t.shape);
    let mut data = vec![init; kept.iter().product()];
    let mut k = 0;
    offsets(&t.shape, &[&st], |at| {
        data[at[0]] = f(data[at[0]], t.data[k]);
        k += 1;
    });
    Tensor {
        shape: kept,
        data,
        dtype: t.dtype,
    }
}

/// `a @ b` for matrices `[n, k] @ [k, m]`, accumulating in f64 in the order of k.
pub fn mm(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        let row = &mut out[i * m..(i + 1) * m];
        for p in 0..k {
            let x = a[i * k + p];
            let b_row = &b[p * m..(p + 1) * m];
            for (o, &y) in row.iter_mut().zip(b_row) {
                *o += x * y;
            }
        }
    }
    out
}

/// Transpose of a `[n, m]` matrix.
pub fn transpose(a: &[f64], n: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            out[j * n + i] = a[i * m + j];
        }
    }
    out
}

/// `t` with its dims permuted: output dim `d` is input dim `perm[d]`.
pub fn permute(t: &Tensor, perm: &[usize]) -> Tensor {
    let own = strides(&t.shape);
    let shape: Vec<usize> = perm.iter().map(|&p| t.shape[p]).collect();
    let st: Vec<usize> = perm.iter().map(|&p| own[p]).collect();
    let mut data = Vec::with_capacity(t.numel());
    offsets(&shape, &[&st], |at| data.push(t.data[at[0]]));
    Tensor {
        shape,
        data,
        dtype: t.dtype,
    }
}

/// `(outer, size, inner)`: how `dim` of `shape` splits the row-major data.
pub fn split_at_dim(shape: &[usize], dim: usize) -> (usize, usize, usize) {
    let outer = shape[..dim].iter().product();
    let inner = shape[dim + 1..].iter().product();
    (outer, shape[dim], inner)
}

/// Elements `start, start + step, …` (`len` of them) along `dim`.
pub fn slice(t: &Tensor, dim: usize, start: usize, step: usize, len: usize) -> Tensor {
    let (outer, size, inner) = split_at_dim(&t.shape, dim);
    let mut data = Vec::with_capacity(outer * len * inner);
    for o in 0..outer {
        for j in 0..len {
            let at = (o * size + start + j * step) * inner;
            data.extend_from_slice(&t.data[at..at + inner]);
        }
    }
    let mut shape = t.shape.clone();
    shape[dim] = len;
    Tensor {
        shape,
        data,
        dtype: t.dtype,
    }
}

/// The backward of [`slice()`]: `grad` placed into zeros of `shape`.
pub fn unslice(grad: &Tensor, shape: &[usize], dim: usize, start: usize, step: usize) -> Tensor {
    let (outer, size, inner) = split_at_dim(shape, dim);
    let len = grad.shape.get(dim).copied().unwrap_or(1);
    let mut data = vec![0.0; shape.iter().product()];
    let mut k = 0;
    for o in 0..outer {
        for j in 0..len {
            let at = (o * size + start + j * step) * inner;
            data[at..at + inner].copy_from_slice(&grad.data[k..k + inner]);
            k += inner;
        }
    }
    Tensor {
        shape: shape.to_vec(),
        data,
        dtype: grad.dtype,
    }
}

/// Tensors of equal shape except along `dim`, joined along it.
pub fn cat(parts: &[&Tensor], dim: usize) -> Tensor {
    let Some(first) = parts.first() else {
        return Tensor::default();
    };
    let (outer, _, inner) = split_at_dim(&first.shape, dim);
    let mut data = Vec::new();
    for o in 0..outer {
        for p in parts {
            let chunk = p.shape[dim] * inner;
            data.extend_from_slice(&p.data[o * chunk..(o + 1) * chunk]);
        }
    }
    let mut shape = first.shape.clone();
    shape[dim] = parts.iter().map(|p| p.shape[dim]).sum();
    Tensor {
        shape,
        data,
        dtype: first.dtype,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_pytorch() {
        assert_eq!(broadcast_shapes(&[3, 1], &[4]), Ok(vec![3, 4]));
        assert_eq!(broadcast_shapes(&[], &[2, 2]), Ok(vec![2, 2]));
        assert_eq!(
            broadcast_shapes(&[3], &[4]).unwrap_err(),
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"
        );
        let a = Tensor::new(vec![2, 1], vec![1.0, 2.0]);
        let b = Tensor::new(vec![3], vec![10.0, 20.0, 30.0]);
        let (shape, data) = broadcast_map(&[&a, &b], |x| x[0] + x[1]).unwrap();
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(data, vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
        let g = Tensor::new(shape, vec![1.0; 6]);
        assert_eq!(sum_to(&g, &[2, 1]).data, vec![3.0, 3.0]);
        assert_eq!(sum_to(&g, &[3]).data, vec![2.0, 2.0, 2.0]);
    }

    #[test]
    fn reductions_views_and_products() {
        let t = Tensor::new(vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            reduce(&t, 0b01, 0.0, |a, b| a + b).data,
            vec![5.0, 7.0, 9.0]
        );
        assert_eq!(reduce(&t, 0b10, 0.0, |a, b| a + b).data, vec![6.0, 15.0]);
        assert_eq!(reduced_shape(&[2, 3], 0b10, false), vec![2]);
        assert_eq!(
            permute(&t, &[1, 0]).data,
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        assert_eq!(mm(&t.data, &[1.0, 0.0, 1.0], 2, 3, 1), vec![4.0, 10.0]);
        let s = slice(&t, 1, 1, 1, 2);
        assert_eq!(s.data, vec![2.0, 3.0, 5.0, 6.0]);
        assert_eq!(
            unslice(&s, &[2, 3], 1, 1, 1).data,
            vec![0.0, 2.0, 3.0, 0.0, 5.0, 6.0]
        );
        assert_eq!(cat(&[&t, &t], 0).shape, vec![4, 3]);
        assert_eq!(cat(&[&t, &s], 1).data[..5], [1.0, 2.0, 3.0, 2.0, 3.0]);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "[[1.0,2.0,3.0],[4.0,5.0,6.0]]");
        assert_eq!(serde_json::to_string(&Tensor::scalar(2.5)).unwrap(), "2.5");
    }
}
