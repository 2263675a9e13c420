//! Finite-difference checks of every differentiable tensor operation on random shapes.
//!
//! For an operation `f` with random inputs `x` of random shapes, the loss `L = Σ f(x) ⊙ R`
//! (R a random fixed tensor) is differentiated by the tape's reverse pass and by central
//! differences `(L(x + h e_k) − L(x − h e_k)) / 2h` on every element `k` of every input.
//! With h = 1e-6 on inputs of size O(1) the truncation error (h²/6·|L'''|) and rounding
//! (ε·|L|/h ≈ 1e-10) stay far below the tolerance 1e-6·(1 + |g|). Inputs are kept away from
//! kinks (ReLU, abs, clamp, max) and poles (log, sqrt, division) so the derivative exists.

use gradbook::compute::autograd::ops::Op;
use gradbook::compute::autograd::tape::{Operand, Tape, Var};
use gradbook::compute::autograd::tensor::Tensor;
use proptest::prelude::*;

type Build = dyn Fn(&mut Tape, &[Var]) -> Result<Var, String>;

/// L = Σ f(x) ⊙ R on a fresh tape; the tape, leaves and loss.
fn loss(build: &Build, inputs: &[Tensor], weights_seed: u64) -> (Tape, Vec<Var>, Var) {
    let mut tape = Tape::new();
    let leaves: Vec<Var> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| tape.leaf_tensor(&format!("x{i}"), t.clone()))
        .collect();
    let out = build(&mut tape, &leaves).expect("the operation applies");
    let shape = tape.tensor(out).shape.clone();
    let n: usize = shape.iter().product();
    let r = Tensor::new(
        shape,
        (0..n)
            .map(|k| ((k as u64 * 7919 + weights_seed) % 17) as f64 / 8.0 - 1.0)
            .collect(),
    );
    let r = tape.constant_tensor(r);
    let prod = tape
        .try_apply(
            Op::Mul,
            &[Operand::Tensor(out), Operand::Tensor(r)],
            &[],
            None,
        )
        .unwrap();
    let l = tape
        .try_apply(Op::Sum, &[Operand::Tensor(prod)], &[], None)
        .unwrap();
    (tape, leaves, l)
}

fn check(build: &Build, inputs: Vec<Tensor>, seed: u64) -> Result<(), TestCaseError> {
    let (tape, leaves, l) = loss(build, &inputs, seed);
    let grads = tape.backward(l);
    let h = 1e-6;
    for (i, input) in inputs.iter().enumerate() {
        let g = grads.tensor(leaves[i]).cloned();
        for k in 0..input.numel() {
            let at = |delta: f64| {
                let mut moved = inputs.clone();
                moved[i].data[k] += delta;
                let (t, _, l) = loss(build, &moved, seed);
                t.value(l)
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            let exact = g.as_ref().map_or(0.0, |g| g.data[k]);
            prop_assert!(
                (exact - numeric).abs() <= 1e-6 * (1.0 + exact.abs()),
                "input {i} element {k}: exact {exact} vs numeric {numeric}"
            );
        }
    }
    Ok(())
}

/// A shape of rank 1..=3 with sizes 1..=3.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, 1..=3)
}

/// A tensor of `shape` with elements in `lo..hi` whose magnitude is at least `gap` (away
/// from 0) when `gap > 0`, all distinct enough for max/ReLU kinks.
fn tensor(shape: Vec<usize>, lo: f64, hi: f64) -> impl Strategy<Value = Tensor> {
    let n: usize = shape.iter().product();
    prop::collection::vec(lo..hi, n).prop_map(move |data| Tensor::new(shape.clone(), data))
}

/// Values in ±(0.2..1.5): away from zero (ReLU, abs, division).
fn away_from_zero(shape: Vec<usize>) -> impl Strategy<Value = Tensor> {
    let n: usize = shape.iter().product();
    (
        prop::collection::vec(0.2f64..1.5, n),
        prop::collection::vec(any::<bool>(), n),
    )
        .prop_map(move |(m, s)| {
            let data = m
                .iter()
                .zip(&s)
                .map(|(x, neg)| if *neg { -x } else { *x })
                .collect();
            Tensor::new(shape.clone(), data)
        })
}

fn unary(op: Op) -> Box<Build> {
    Box::new(move |t: &mut Tape, x: &[Var]| t.try_apply(op, &[Operand::Tensor(x[0])], &[], None))
}

fn binary(op: Op) -> Box<Build> {
    Box::new(move |t: &mut Tape, x: &[Var]| {
        t.try_apply(
            op,
            &[Operand::Tensor(x[0]), Operand::Tensor(x[1])],
            &[],
            None,
        )
    })
}

/// Two shapes that broadcast: `a`, and `a` with some dims set to 1 and maybe leading dims
/// dropped.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (shape(), prop::collection::vec(any::<bool>(), 3), 0usize..=2).prop_map(|(a, ones, drop)| {
        let mut b: Vec<usize> = a
            .iter()
            .zip(&ones)
            .map(|(&n, &one)| if one { 1 } else { n })
            .collect();
        let drop = drop.min(b.len() - 1);
        b.drain(..drop);
        (a, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn elementwise_unary(x in shape().prop_flat_map(away_from_zero), seed in 0u64..100) {
        for op in [Op::Neg, Op::Sin, Op::Cos, Op::Exp, Op::Tanh, Op::Sigmoid, Op::Relu, Op::Abs,
                   Op::Reciprocal, Op::PowScalar { exponent: 3.0 }, Op::ScalarPow { base: 1.7 },
                   Op::RsubScalar { other: 2.0 }, Op::Clamp { min: -0.1, max: 0.1 }] {
            check(&*unary(op), vec![x.clone()], seed)?;
        }
    }

    #[test]
    fn elementwise_positive_domain(x in shape().prop_flat_map(|s| tensor(s, 0.3, 2.0)), seed in 0u64..100) {
        for op in [Op::Log, Op::Sqrt, Op::PowScalar { exponent: 0.5 }] {
            check(&*unary(op), vec![x.clone()], seed)?;
        }
    }

    #[test]
    fn broadcasting_binary(
        (a, b) in broadcast_pair().prop_flat_map(|(a, b)| (tensor(a, 0.3, 2.0), tensor(b, 0.3, 2.0))),
        swap in any::<bool>(),
        seed in 0u64..100,
    ) {
        let inputs = if swap { vec![b, a] } else { vec![a, b] };
        for op in [Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Pow] {
            check(&*binary(op), inputs.clone(), seed)?;
        }
    }

    #[test]
    fn where_selects_gradients(
        (a, b) in broadcast_pair().prop_flat_map(|(a, b)| (tensor(a, -1.0, 1.0), tensor(b, -1.0, 1.0))),
        seed in 0u64..100,
    ) {
        let cond = Tensor::new(a.shape.clone(), a.data.iter().map(|x| f64::from(u8::from(*x > 0.0))).collect());
        let build = move |t: &mut Tape, x: &[Var]| {
            let c = t.constant_tensor(cond.clone());
            t.try_apply(Op::Where, &[Operand::Tensor(x[0]), Operand::Tensor(x[1])], &[c], None)
        };
        check(&build, vec![a, b], seed)?;
    }

    #[test]
    fn matrix_products(
        (n, k, m, batch) in (1usize..=3, 1usize..=3, 1usize..=3, 1usize..=3),
        data in prop::collection::vec(-1.0f64..1.0, 64),
        seed in 0u64..100,
    ) {
        let take = |shape: &[usize], from: usize| {
            let count: usize = shape.iter().product();
            Tensor::new(shape.to_vec(), data[from..from + count].to_vec())
        };
        let matmul = |t: &mut Tape, x: &[Var]| t.matmul(x[0], x[1]);
        // mm, mv, dot, vector @ matrix, batched @ matrix, bmm, broadcast batch.
        let cases: Vec<(Vec<usize>, Vec<usize>)> = vec![
            (vec![n, k], vec![k, m]),
            (vec![n, k], vec![k]),
            (vec![k], vec![k]),
            (vec![k], vec![k, m]),
            (vec![batch, n, k], vec![k, m]),
            (vec![batch, n, k], vec![batch, k, m]),
            (vec![1, n, k], vec![batch, k, m]),
        ];
        for (sa, sb) in cases {
            check(&matmul, vec![take(&sa, 0), take(&sb, 27)], seed)?;
        }
        let linear = |t: &mut Tape, x: &[Var]| t.linear(x[0], x[1], Some(x[2]));
        for sx in [vec![n, k], vec![k], vec![batch, n, k]] {
            check(&linear, vec![take(&sx, 0), take(&[m, k], 27), take(&[m], 40)], seed)?;
        }
        let addmm = |t: &mut Tape, x: &[Var]| {
            t.try_apply(Op::Addmm, &[Operand::Tensor(x[0]), Operand::Tensor(x[1]), Operand::Tensor(x[2])], &[], None)
        };
        check(&addmm, vec![take(&[m], 40), take(&[n, k], 0), take(&[k, m], 27)], seed)?;
    }

    #[test]
    fn reductions_over_dims(
        x in shape().prop_flat_map(|s| tensor(s, -1.0, 1.0)),
        mask_bits in 1u32..8,
        keepdim in any::<bool>(),
        seed in 0u64..100,
    ) {
        let rank = x.shape.len();
        let mask = mask_bits & ((1u32 << rank) - 1);
        let mask = if mask == 0 { 1 } else { mask };
        let mut ops = vec![Op::Sum, Op::Mean, Op::Max, Op::SumDim { mask, keepdim }, Op::MeanDim { mask, keepdim }, Op::Amax { mask, keepdim }];
        // max/amax have a derivative only without ties: random reals have none.
        let distinct = {
            let mut d = x.data.clone();
            d.sort_by(f64::total_cmp);
            d.windows(2).all(|w| w[1] - w[0] > 1e-3)
        };
        if !distinct {
            ops.retain(|op| !matches!(op, Op::Max | Op::Amax { .. }));
        }
        for op in ops {
            check(&*unary(op), vec![x.clone()], seed)?;
        }
    }

    #[test]
    fn softmax_and_log_softmax(x in shape().prop_flat_map(|s| tensor(s, -2.0, 2.0)), dim in 0u8..3, seed in 0u64..100) {
        let dim = dim % x.shape.len() as u8;
        check(&*unary(Op::Softmax { dim }), vec![x.clone()], seed)?;
        check(&*unary(Op::LogSoftmax { dim }), vec![x], seed)?;
    }

    #[test]
    fn views_and_copies(x in shape().prop_flat_map(|s| tensor(s, -1.0, 1.0)), d in 0u8..3, seed in 0u64..100) {
        let rank = x.shape.len();
        let dim = d % rank as u8;
        let size = x.shape[usize::from(dim)];
        let n = x.numel();
        let reversed = {
            let mut perm = [0u8; 8];
            for (k, p) in perm.iter_mut().take(rank).enumerate() {
                *p = (rank - 1 - k) as u8;
            }
            Op::Permute { perm, rank: rank as u8 }
        };
        check(&*unary(reversed), vec![x.clone()], seed)?;
        check(&*unary(Op::Unsqueeze { dim }), vec![x.clone()], seed)?;
        check(&*unary(Op::Select { dim, index: size - 1 }), vec![x.clone()], seed)?;
        let view = move |t: &mut Tape, v: &[Var]| t.try_apply(Op::View, &[Operand::Tensor(v[0])], &[], Some(&[n]));
        check(&view, vec![x.clone()], seed)?;
        let mut sliced = x.shape.clone();
        sliced[usize::from(dim)] = size.div_ceil(2);
        let slice = move |t: &mut Tape, v: &[Var]| {
            t.try_apply(Op::Slice { dim, start: 0, step: 2 }, &[Operand::Tensor(v[0])], &[], Some(&sliced))
        };
        check(&slice, vec![x.clone()], seed)?;
        let mut wide = x.shape.clone();
        wide.insert(0, 2);
        let expand = move |t: &mut Tape, v: &[Var]| t.try_apply(Op::Expand, &[Operand::Tensor(v[0])], &[], Some(&wide));
        check(&expand, vec![x.clone()], seed)?;
        if rank == 2 {
            check(&*unary(Op::T), vec![x.clone()], seed)?;
        }
        let join = move |op: Op| move |t: &mut Tape, v: &[Var]| {
            t.try_apply(op, &[Operand::Tensor(v[0]), Operand::Tensor(v[1]), Operand::Tensor(v[0])], &[], None)
        };
        let y = Tensor::new(x.shape.clone(), x.data.iter().map(|v| v * 0.5 + 0.1).collect());
        check(&join(Op::Cat { dim }), vec![x.clone(), y.clone()], seed)?;
        check(&join(Op::Stack { dim }), vec![x, y], seed)?;
    }

    #[test]
    fn losses(
        (rows, classes) in (1usize..=4, 1usize..=4),
        data in prop::collection::vec(-1.0f64..1.0, 32),
        targets in prop::collection::vec(0usize..4, 4),
        seed in 0u64..100,
    ) {
        let x = Tensor::new(vec![rows, classes], data[..rows * classes].to_vec());
        let y = Tensor::new(vec![rows, classes], data[16..16 + rows * classes].to_vec());
        check(&*binary(Op::MseLoss { sum: false }), vec![x.clone(), y], seed)?;
        let target = Tensor::new(vec![rows], targets[..rows].iter().map(|&t| (t % classes) as f64).collect());
        let nll = move |t: &mut Tape, v: &[Var]| {
            let tg = t.constant_tensor(target.clone());
            let l = t.try_apply(Op::LogSoftmax { dim: 1 }, &[Operand::Tensor(v[0])], &[], None)?;
            t.try_apply(Op::NllLoss { sum: false }, &[Operand::Tensor(l)], &[tg], None)
        };
        check(&nll, vec![x], seed)?;
    }
}
