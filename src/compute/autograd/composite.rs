//! PyTorch's composite functions as the node sequences they record: `matmul` (`@`) picks
//! `DotBackward0`, `MmBackward0`, `MvBackward0`, or folds batch dims into one `mm`/`bmm`
//! between `ViewBackward0`/`ExpandBackward0` and `UnsafeViewBackward0`; `linear` records
//! `TBackward0` on the weight and `AddmmBackward0` (or `MmBackward0` without a bias). The
//! sequences were read off real PyTorch 2.15 (`grad_fn.next_functions`).

use super::ops::Op;
use super::tape::{Operand, Tape, Var};

impl Tape {
    fn shape(&self, v: Var) -> Vec<usize> {
        self.tensor(v).shape.clone()
    }

    fn op1(&mut self, op: Op, a: Var, target: Option<&[usize]>) -> Result<Var, String> {
        self.try_apply(op, &[Operand::Tensor(a)], &[], target)
    }

    fn op2(&mut self, op: Op, a: Var, b: Var) -> Result<Var, String> {
        self.try_apply(op, &[Operand::Tensor(a), Operand::Tensor(b)], &[], None)
    }

    /// `a @ b` (`torch.matmul`), with PyTorch's error messages for shapes that do not fit.
    pub fn matmul(&mut self, a: Var, b: Var) -> Result<Var, String> {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let mismatch = |n: &[usize], m: &[usize]| {
            format!(
                "mat1 and mat2 shapes cannot be multiplied ({} and {})",
                dims(n),
                dims(m)
            )
        };
        match (sa.as_slice(), sb.as_slice()) {
            ([], _) | (_, []) => Err(format!(
                "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
                sa.len(),
                sb.len()
            )),
            (&[n], &[m]) => {
                if n != m {
                    return Err(format!(
                        "inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number of elements, but got {n} and {m} elements respectively"
                    ));
                }
                self.op2(Op::Dot, a, b)
            }
            (&[_, k], &[k2, _]) => {
                if k != k2 {
                    return Err(mismatch(&sa, &sb));
                }
                self.op2(Op::Mm, a, b)
            }
            (&[n, k], &[m]) => {
                if k != m {
                    return Err(format!(
                        "size mismatch, got input ({n}), mat ({n}x{k}), vec ({m})"
                    ));
                }
                self.op2(Op::Mv, a, b)
            }
            (&[k], &[k2, _]) => {
                if k != k2 {
                    return Err(mismatch(&[1, k], &sb));
                }
                let row = self.op1(Op::Unsqueeze { dim: 0 }, a, None)?;
                let product = self.op2(Op::Mm, row, b)?;
                self.op1(Op::Squeeze { dim: 0 }, product, None)
            }
            (&[.., n, k], &[k2, m]) => {
                if k != k2 {
                    let rows: usize = sa[..sa.len() - 1].iter().product();
                    return Err(mismatch(&[rows, k], &sb));
                }
                let rows: usize = sa[..sa.len() - 1].iter().product();
                let folded = self.op1(Op::View, a, Some(&[rows, k]))?;
                let product = self.op2(Op::Mm, folded, b)?;
                let mut out = sa[..sa.len() - 2].to_vec();
                out.extend([n, m]);
                self.op1(Op::UnsafeView, product, Some(&out))
            }
            (&[.., n, k], &[.., k2, m]) if sa.len() >= 2 && sb.len() >= 3 || sa.len() >= 3 => {
                if k != k2 {
                    return Err(mismatch(&sa, &sb));
                }
                let batch =
                    super::tensor::broadcast_shapes(&sa[..sa.len() - 2], &sb[..sb.len() - 2])?;
                let count: usize = batch.iter().product();
                let mut ea = batch.clone();
                ea.extend([n, k]);
                let mut eb = batch.clone();
                eb.extend([k, m]);
                let xa = self.op1(Op::Expand, a, Some(&ea))?;
                let va = self.op1(Op::View, xa, Some(&[count, n, k]))?;
                let xb = self.op1(Op::Expand, b, Some(&eb))?;
                let vb = self.op1(Op::View, xb, Some(&[count, k, m]))?;
                let product = self.op2(Op::Bmm, va, vb)?;
                let mut out = batch;
                out.extend([n, m]);
                self.op1(Op::UnsafeView, product, Some(&out))
            }
            _ => Err(format!(
                "matmul of shapes {} and {} is not supported by gradbook",
                dims(&sa),
                dims(&sb)
            )),
        }
    }

    /// `torch.nn.functional.linear(x, weight, bias)`: `x @ weight.T + bias`.
    pub fn linear(&mut self, x: Var, weight: Var, bias: Option<Var>) -> Result<Var, String> {
        let (sx, sw) = (self.shape(x), self.shape(weight));
        let &[outputs, inputs] = sw.as_slice() else {
            return Err(format!(
                "linear needs a 2-d weight, got shape {}",
                dims(&sw)
            ));
        };
        let Some(&features) = sx.last() else {
            return Err("linear needs an input of at least one dimension".into());
        };
        if features != inputs {
            let rows: usize = sx[..sx.len() - 1].iter().product();
            return Err(format!(
                "mat1 and mat2 shapes cannot be multiplied ({rows}x{features} and {inputs}x{outputs})"
            ));
        }
        let Some(bias) = bias else {
            let wt = self.op1(Op::T, weight, None)?;
            return self.matmul(x, wt);
        };
        if sx.len() == 2 {
            let wt = self.op1(Op::T, weight, None)?;
            return self.try_apply(
                Op::Addmm,
                &[
                    Operand::Tensor(bias),
                    Operand::Tensor(x),
                    Operand::Tensor(wt),
                ],
                &[],
                None,
            );
        }
        // ATen folds the input before it transposes the weight (the nodes' sequence numbers,
        // and so the engine's order, show it).
        let rows: usize = sx[..sx.len() - 1].iter().product();
        let folded = self.op1(Op::View, x, Some(&[rows, inputs]))?;
        let wt = self.op1(Op::T, weight, None)?;
        let product = self.try_apply(
            Op::Addmm,
            &[
                Operand::Tensor(bias),
                Operand::Tensor(folded),
                Operand::Tensor(wt),
            ],
            &[],
            None,
        )?;
        let mut out = sx[..sx.len() - 1].to_vec();
        out.push(outputs);
        self.op1(Op::UnsafeView, product, Some(&out))
    }
}

/// `2x4`: a shape as PyTorch's matmul errors write it.
fn dims(shape: &[usize]) -> String {
    shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

#[cfg(test)]
mod tests {
    use super::super::tensor::Tensor;
    use super::*;

    fn names(tape: &Tape) -> Vec<&'static str> {
        tape.nodes().map(|(_, n)| n.op.class_name()).collect()
    }

    #[test]
    fn matmul_picks_the_node_pytorch_records() {
        let mut tape = Tape::new();
        let w = tape.leaf_tensor("w", Tensor::full(&[3, 4], 1.0));
        let v = tape.leaf_tensor("v", Tensor::full(&[4], 2.0));
        let y = tape.matmul(w, v).unwrap();
        assert_eq!(tape.tensor(y).data, vec![8.0; 3]);
        let x = tape.constant_tensor(Tensor::full(&[5, 2, 3], 1.0));
        let z = tape.matmul(x, w).unwrap();
        assert_eq!(tape.tensor(z).shape, vec![5, 2, 4]);
        assert_eq!(
            names(&tape),
            [
                "AccumulateGrad",
                "AccumulateGrad",
                "MvBackward0",
                "MmBackward0",
                "UnsafeViewBackward0"
            ]
        );
        assert_eq!(
            tape.matmul(w, w).unwrap_err(),
            "mat1 and mat2 shapes cannot be multiplied (3x4 and 3x4)"
        );
    }

    #[test]
    fn linear_records_addmm_and_t() {
        let mut tape = Tape::new();
        let w = tape.leaf_tensor("w", Tensor::full(&[3, 4], 0.5));
        let b = tape.leaf_tensor("b", Tensor::full(&[3], 1.0));
        let x = tape.constant_tensor(Tensor::full(&[2, 4], 1.0));
        let y = tape.linear(x, w, Some(b)).unwrap();
        assert_eq!(tape.tensor(y).data, vec![3.0; 6]);
        assert_eq!(
            names(&tape),
            [
                "AccumulateGrad",
                "AccumulateGrad",
                "TBackward0",
                "AddmmBackward0"
            ]
        );
    }
}
