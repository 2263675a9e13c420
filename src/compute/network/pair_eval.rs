//! The sweep's evaluator of a chain and its skip network: [`LANES`] parameter sets (lanes)
//! side by side, stored as structure of arrays (every node holds one value per lane), so that
//! each operation of the networks' straight lists is a few vector operations and the
//! exponentials of every four lanes are one vector exponential ([`super::exp`]). The skip
//! network takes the nodes it shares with the chain (same inputs, same bias, only shared
//! sources) from the chain's forward pass instead of computing them again. Every value is bit
//! for bit the one [`Network::evaluate_into`] gives: the same operations in the same order,
//! lane by lane (IEEE addition, multiplication and division are exact per lane; nothing is
//! fused).

use super::exp::{self, Exp4, Libm};
use super::model::{Activation, Enters, Evaluation, Incoming, Network};

/// How many parameter sets are evaluated side by side: four vectors of four, so that the
/// processor overlaps independent chains of exponentials and divisions, and the cost of
/// walking the networks' lists of operations is shared by sixteen samples. The search's
/// sixteen walks per box (eight starts for each of two compared parameters) fill one group.
pub const LANES: usize = 16;

/// One value per lane.
pub type Lanes = [f64; LANES];

/// `[f(0), …, f(LANES − 1)]`. Always inlined, unlike `std::array::from_fn` and `map`, which
/// the compiler may leave out of line at sixteen lanes, and so compiled without the target
/// features of the loop that calls them.
#[inline(always)]
pub fn each_lane<T: Copy + Default>(mut f: impl FnMut(usize) -> T) -> [T; LANES] {
    let mut out = [T::default(); LANES];
    for (l, o) in out.iter_mut().enumerate() {
        *o = f(l);
    }
    out
}

/// The lanes where `m` holds, as the bits of an integer (lane `l` is bit `l`).
#[inline(always)]
pub fn lane_bits(m: [bool; LANES]) -> u32 {
    const { assert!(LANES < 32) };
    m.iter()
        .enumerate()
        .fold(0, |bits, (l, &b)| bits | (u32::from(b) << l))
}

/// The lanes set in `bits`, lowest first.
#[inline(always)]
pub fn set_lanes(mut bits: u32) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        let l = bits.trailing_zeros() as usize;
        bits &= bits.wrapping_sub(1);
        (l < 32).then_some(l)
    })
}

/// `new` where the mask `m` is all ones, `old` where it is zero: a selection without a branch.
#[inline(always)]
pub fn select(new: f64, old: f64, m: u64) -> f64 {
    f64::from_bits((new.to_bits() & m) | (old.to_bits() & !m))
}

#[inline(always)]
fn add(a: Lanes, b: Lanes) -> Lanes {
    each_lane(|l| a[l] + b[l])
}

#[inline(always)]
fn mul(a: Lanes, b: Lanes) -> Lanes {
    each_lane(|l| a[l] * b[l])
}

/// One input of a node, flattened.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `pre += values[weight] · h[from]`; `grad` says whether the reverse pass accumulates
    /// d output / d weight.
    Edge {
        from: usize,
        weight: usize,
        grad: bool,
    },
    /// `pre += wc · h[from]`.
    Pre { from: usize, wc: f64 },
    /// `post += wc · h[from]`.
    Post { from: usize, wc: f64 },
}

/// One non-input node, in the network's topological order.
#[derive(Debug, Clone, Copy)]
struct Step {
    /// The node.
    node: usize,
    /// Its bias parameter.
    bias: Option<usize>,
    /// Its bias parameter, if the reverse pass accumulates its gradient.
    bias_grad: Option<usize>,
    /// Its inputs: `ops[first..last]`, in the network's order.
    first: usize,
    last: usize,
    /// Whether its forward values can be copied from the chain's pass.
    shared: bool,
}

/// A network as straight lists of operations.
#[derive(Debug, Clone)]
struct Flat {
    activation: Activation,
    input: usize,
    output: usize,
    input_param: Option<usize>,
    /// The input parameter, if the reverse pass accumulates its gradient.
    input_grad: Option<usize>,
    /// The parameters whose gradients the reverse pass accumulates (the others' entries are
    /// never written, so they stay 0).
    grads: Vec<usize>,
    steps: Vec<Step>,
    ops: Vec<Op>,
}

/// One network's forward and reverse values for every lane, by node (by parameter for
/// `grads`): the fields of [`Evaluation`], each entry holding the lanes side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneEvaluation {
    /// Pre-activation of every node (`NaN` for the input).
    pub z: Vec<Lanes>,
    /// Value of every node.
    pub h: Vec<Lanes>,
    /// σ'(z) of every node (`NaN` for the input).
    pub dsigma: Vec<Lanes>,
    /// d output / d parameter, by parameter index (0 for a parameter whose gradient was not
    /// asked for; see [`PairEvaluator::with_gradients`]).
    pub grads: Vec<Lanes>,
}

impl LaneEvaluation {
    /// Buffers for `net`.
    fn new(net: &Network) -> LaneEvaluation {
        let n = net.nodes.len();
        LaneEvaluation {
            z: vec![[f64::NAN; LANES]; n],
            h: vec![[0.0; LANES]; n],
            dsigma: vec![[f64::NAN; LANES]; n],
            grads: vec![[0.0; LANES]; net.params.len()],
        }
    }

    /// Lane `l` alone.
    pub fn lane(&self, l: usize) -> Evaluation {
        let pick = |v: &Vec<Lanes>| v.iter().map(|x| x[l]).collect();
        Evaluation {
            z: pick(&self.z),
            h: pick(&self.h),
            dsigma: pick(&self.dsigma),
            grads: pick(&self.grads),
        }
    }
}

/// `(σ(z), σ'(z))` of every lane, bit for bit [`Activation::value_and_derivative`].
#[inline(always)]
fn activate<E: Exp4>(activation: Activation, z: Lanes) -> (Lanes, Lanes) {
    match activation {
        Activation::Sigmoid => {
            // The same branches as the scalar function, as selections: e = exp(−|z|).
            let nonnegative = each_lane(|l| z[l] >= 0.0);
            let e = exp::each::<E, LANES>(each_lane(|l| if nonnegative[l] { -z[l] } else { z[l] }));
            let large: Lanes = each_lane(|l| 1.0 / (1.0 + e[l]));
            let small: Lanes = each_lane(|l| e[l] / (1.0 + e[l]));
            let s: Lanes = each_lane(|l| if nonnegative[l] { large[l] } else { small[l] });
            let s_neg: Lanes = each_lane(|l| if nonnegative[l] { small[l] } else { large[l] });
            (s, mul(s, s_neg))
        }
        Activation::Tanh => {
            let both = z.map(|z| activation.value_and_derivative(z));
            (both.map(|b| b.0), both.map(|b| b.1))
        }
    }
}

impl Flat {
    /// `net` flattened; `shared(k)` says whether node `k`'s forward values may be copied, and
    /// `wanted[p]` whether the reverse pass accumulates the gradient of parameter `p`.
    fn new(net: &Network, shared: impl Fn(usize) -> bool, wanted: &[bool]) -> Flat {
        let mut ops = Vec::new();
        let steps = net
            .order
            .iter()
            .map(|&k| {
                let first = ops.len();
                ops.extend(net.incoming[k].iter().map(|inc| match *inc {
                    Incoming::Edge { from, weight } => Op::Edge {
                        from,
                        weight,
                        grad: wanted[weight],
                    },
                    Incoming::Skip {
                        from,
                        wc,
                        enters: Enters::PreActivation,
                    } => Op::Pre { from, wc },
                    Incoming::Skip {
                        from,
                        wc,
                        enters: Enters::PostActivation,
                    } => Op::Post { from, wc },
                }));
                Step {
                    node: k,
                    bias: net.bias[k],
                    bias_grad: net.bias[k].filter(|&b| wanted[b]),
                    first,
                    last: ops.len(),
                    shared: shared(k),
                }
            })
            .collect();
        Flat {
            activation: net.activation,
            input: net.input,
            output: net.output,
            input_param: net.input_param(),
            input_grad: net.input_param().filter(|&x| wanted[x]),
            grads: (0..wanted.len()).filter(|&p| wanted[p]).collect(),
            steps,
            ops,
        }
    }

    /// The forward passes at `values` (by parameter index) into `out`; nodes marked shared
    /// are copied from `chain`.
    #[inline(always)]
    fn forward<E: Exp4>(
        &self,
        values: &[Lanes],
        out: &mut LaneEvaluation,
        chain: Option<&LaneEvaluation>,
    ) {
        out.h[self.input] = self.input_param.map_or([0.0; LANES], |i| values[i]);
        for st in &self.steps {
            let k = st.node;
            if st.shared
                && let Some(c) = chain
            {
                out.z[k] = c.z[k];
                out.h[k] = c.h[k];
                out.dsigma[k] = c.dsigma[k];
                continue;
            }
            let mut pre = st.bias.map_or([0.0; LANES], |b| values[b]);
            let mut post = [0.0; LANES];
            for op in &self.ops[st.first..st.last] {
                match *op {
                    Op::Edge { from, weight, .. } => {
                        pre = add(pre, mul(values[weight], out.h[from]))
                    }
                    Op::Pre { from, wc } => pre = add(pre, mul([wc; LANES], out.h[from])),
                    Op::Post { from, wc } => post = add(post, mul([wc; LANES], out.h[from])),
                }
            }
            let (value, derivative) = activate::<E>(self.activation, pre);
            out.z[k] = pre;
            out.h[k] = add(value, post);
            out.dsigma[k] = derivative;
        }
    }

    /// The reverse passes: d output / d parameter into `ev.grads` for the parameters asked
    /// for, `gh` as scratch.
    #[inline(always)]
    fn reverse(&self, values: &[Lanes], ev: &mut LaneEvaluation, gh: &mut [Lanes]) {
        gh.fill([0.0; LANES]);
        for &p in &self.grads {
            ev.grads[p] = [0.0; LANES];
        }
        gh[self.output] = [1.0; LANES];
        for st in self.steps.iter().rev() {
            let k = st.node;
            let gz = mul(gh[k], ev.dsigma[k]);
            if let Some(b) = st.bias_grad {
                ev.grads[b] = add(ev.grads[b], gz);
            }
            for op in &self.ops[st.first..st.last] {
                match *op {
                    Op::Edge { from, weight, grad } => {
                        gh[from] = add(gh[from], mul(values[weight], gz));
                        if grad {
                            ev.grads[weight] = add(ev.grads[weight], mul(ev.h[from], gz));
                        }
                    }
                    Op::Pre { from, wc } => gh[from] = add(gh[from], mul([wc; LANES], gz)),
                    Op::Post { from, wc } => gh[from] = add(gh[from], mul([wc; LANES], gh[k])),
                }
            }
        }
        if let Some(x) = self.input_grad {
            ev.grads[x] = add(ev.grads[x], gh[self.input]);
        }
    }
}

/// A chain and its skip network with the evaluation buffers of [`LANES`] parameter sets
/// evaluated side by side: each lane's values are bit for bit those of evaluating it alone.
#[derive(Debug, Clone)]
pub struct PairEvaluator {
    chain_net: Flat,
    skip_net: Flat,
    /// The chain's last evaluation.
    pub chain: LaneEvaluation,
    /// The skip network's last evaluation.
    pub skip: LaneEvaluation,
    chain_gh: Vec<Lanes>,
    skip_gh: Vec<Lanes>,
}

impl PairEvaluator {
    /// The evaluator of `chain` and `skip` (two networks over the same parameters), with
    /// the gradients of every parameter.
    pub fn new(chain: &Network, skip: &Network) -> PairEvaluator {
        let all: Vec<usize> = (0..chain.params.len()).collect();
        PairEvaluator::with_gradients(chain, skip, &all)
    }

    /// The evaluator of `chain` and `skip` with the gradients of the parameters `wanted` (by
    /// index) only: the reverse passes skip the others', whose entries stay 0.
    pub fn with_gradients(chain: &Network, skip: &Network, wanted: &[usize]) -> PairEvaluator {
        let shared = shared_nodes(chain, skip);
        let wanted: Vec<bool> = (0..chain.params.len())
            .map(|p| wanted.contains(&p))
            .collect();
        PairEvaluator {
            chain_net: Flat::new(chain, |_| false, &wanted),
            skip_net: Flat::new(skip, |k| shared[k], &wanted),
            chain: LaneEvaluation::new(chain),
            skip: LaneEvaluation::new(skip),
            chain_gh: vec![[0.0; LANES]; chain.nodes.len()],
            skip_gh: vec![[0.0; LANES]; skip.nodes.len()],
        }
    }

    /// Evaluate both networks at `values` (by parameter index, one value per lane) into
    /// `self.chain` and `self.skip`: lane by lane the same as `evaluate_into` of each
    /// network, to the last bit.
    #[inline]
    pub fn evaluate(&mut self, values: &[Lanes]) {
        #[cfg(target_arch = "x86_64")]
        if exp::vector_active() {
            // SAFETY: `vector_active` says the processor has AVX2 and FMA.
            unsafe { self.evaluate_avx2(values) };
            return;
        }
        self.evaluate_with::<Libm>(values);
    }

    /// [`PairEvaluator::evaluate_with`] compiled for AVX2 and FMA, with the vector
    /// exponential.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn evaluate_avx2(&mut self, values: &[Lanes]) {
        self.evaluate_with::<exp::Avx2Fma>(values);
    }

    /// [`PairEvaluator::evaluate`] with the exponential `E`, for callers that choose the
    /// path once for many evaluations ([`exp::Avx2Fma`] only inside a function compiled for
    /// AVX2 and FMA, after [`exp::vector_active`] returned true).
    #[inline(always)]
    pub fn evaluate_with<E: Exp4>(&mut self, values: &[Lanes]) {
        self.chain_net.forward::<E>(values, &mut self.chain, None);
        self.skip_net
            .forward::<E>(values, &mut self.skip, Some(&self.chain));
        self.chain_net
            .reverse(values, &mut self.chain, &mut self.chain_gh);
        self.skip_net
            .reverse(values, &mut self.skip, &mut self.skip_gh);
    }
}
/// Per node of `skip`: whether its forward values equal the chain's by construction (the
/// same activation, input and parameters; the node computed by the chain from the same
/// inputs and bias; every source the input or itself shared).
fn shared_nodes(chain: &Network, skip: &Network) -> Vec<bool> {
    let mut shared = vec![false; skip.nodes.len()];
    let comparable = chain.activation == skip.activation
        && chain.input == skip.input
        && chain.params == skip.params
        && chain.nodes == skip.nodes;
    if !comparable {
        return shared;
    }
    for &k in &skip.order {
        shared[k] = chain.order.contains(&k)
            && chain.bias[k] == skip.bias[k]
            && chain.incoming[k] == skip.incoming[k]
            && skip.incoming[k].iter().all(|inc| {
                let from = match *inc {
                    Incoming::Edge { from, .. } | Incoming::Skip { from, .. } => from,
                };
                from == skip.input || shared[from]
            });
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skip_shares_the_nodes_before_its_target() {
        let source = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/content/networks.toml"
        ))
        .expect("content/networks.toml");
        let spec = super::super::spec::parse(&source).expect("parses");
        let pairs = super::super::validate::pairs(&spec).expect("validates");
        let default = pairs.iter().find(|p| p.name == "default").expect("default");
        let shared = shared_nodes(&default.chain, &default.skip);
        let names: Vec<&str> = (0..shared.len())
            .filter(|&k| shared[k])
            .map(|k| default.skip.nodes[k].as_str())
            .collect();
        // Short circuits h1 → h3 and h3 → y: x is the input, h1 and h2 come before h3.
        assert_eq!(names, ["h1", "h2"]);
    }
}
