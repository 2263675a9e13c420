//! The sweep's evaluator of a chain and its skip network: both flattened into straight lists
//! of operations, evaluated into buffers that are set up once, and the skip network takes the
//! nodes it shares with the chain (same inputs, same bias, only shared sources) from the
//! chain's forward pass instead of computing them again. Several parameter sets (lanes) go
//! through the lists side by side, so that the processor overlaps their chains of dependent
//! exponentials and divisions. Every value is bit for bit the one [`Network::evaluate_into`]
//! gives: the same operations in the same order.

use super::model::{Activation, Enters, Evaluation, Incoming, Network};

/// One input of a node, flattened.
#[derive(Debug, Clone, Copy)]
enum Op {
    /// `pre += values[weight] · h[from]`.
    Edge { from: usize, weight: usize },
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
    steps: Vec<Step>,
    ops: Vec<Op>,
}

impl Flat {
    /// `net` flattened; `shared(k)` says whether node `k`'s forward values may be copied.
    fn new(net: &Network, shared: impl Fn(usize) -> bool) -> Flat {
        let mut ops = Vec::new();
        let steps = net
            .order
            .iter()
            .map(|&k| {
                let first = ops.len();
                ops.extend(net.incoming[k].iter().map(|inc| match *inc {
                    Incoming::Edge { from, weight } => Op::Edge { from, weight },
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
            steps,
            ops,
        }
    }

    /// The forward passes of `L` parameter sets into `evals`, node by node across the lanes
    /// (the lanes' chains of dependent operations overlap); nodes marked shared are copied
    /// from `chain`.
    fn forward<const L: usize>(
        &self,
        values: [&[f64]; L],
        evals: &mut [Evaluation; L],
        chain: Option<&[Evaluation; L]>,
    ) {
        for (e, v) in evals.iter_mut().zip(values) {
            e.h[self.input] = self.input_param.map_or(0.0, |i| v[i]);
        }
        for st in &self.steps {
            let k = st.node;
            if st.shared
                && let Some(c) = chain
            {
                for (e, c) in evals.iter_mut().zip(c) {
                    e.z[k] = c.z[k];
                    e.h[k] = c.h[k];
                    e.dsigma[k] = c.dsigma[k];
                }
                continue;
            }
            let mut pre: [f64; L] = std::array::from_fn(|l| st.bias.map_or(0.0, |b| values[l][b]));
            let mut post = [0.0; L];
            for op in &self.ops[st.first..st.last] {
                for l in 0..L {
                    let h = &evals[l].h;
                    match *op {
                        Op::Edge { from, weight } => pre[l] += values[l][weight] * h[from],
                        Op::Pre { from, wc } => pre[l] += wc * h[from],
                        Op::Post { from, wc } => post[l] += wc * h[from],
                    }
                }
            }
            for l in 0..L {
                let (value, derivative) = self.activation.value_and_derivative(pre[l]);
                let e = &mut evals[l];
                e.z[k] = pre[l];
                e.h[k] = value + post[l];
                e.dsigma[k] = derivative;
            }
        }
    }

    /// The reverse passes: d output / d parameter into each lane's `grads`, `gh` as scratch.
    fn reverse<const L: usize>(
        &self,
        values: [&[f64]; L],
        evals: &mut [Evaluation; L],
        gh: &mut [Vec<f64>; L],
    ) {
        for (e, g) in evals.iter_mut().zip(gh.iter_mut()) {
            g.fill(0.0);
            e.grads.fill(0.0);
            g[self.output] = 1.0;
        }
        for st in self.steps.iter().rev() {
            let k = st.node;
            let gz: [f64; L] = std::array::from_fn(|l| gh[l][k] * evals[l].dsigma[k]);
            if let Some(b) = st.bias {
                for l in 0..L {
                    evals[l].grads[b] += gz[l];
                }
            }
            for op in &self.ops[st.first..st.last] {
                for l in 0..L {
                    let (e, g) = (&mut evals[l], &mut gh[l]);
                    match *op {
                        Op::Edge { from, weight } => {
                            g[from] += values[l][weight] * gz[l];
                            e.grads[weight] += e.h[from] * gz[l];
                        }
                        Op::Pre { from, wc } => g[from] += wc * gz[l],
                        Op::Post { from, wc } => g[from] += wc * g[k],
                    }
                }
            }
        }
        if let Some(x) = self.input_param {
            for (e, g) in evals.iter_mut().zip(gh.iter()) {
                e.grads[x] += g[self.input];
            }
        }
    }
}

/// A chain and its skip network with the evaluation buffers of `L` parameter sets evaluated
/// side by side (lanes): each lane's values are bit for bit those of evaluating it alone,
/// and the processor overlaps the lanes' chains of dependent operations (exp, division).
#[derive(Debug, Clone)]
pub struct PairEvaluator<const L: usize = 1> {
    chain_net: Flat,
    skip_net: Flat,
    /// The chain's last evaluation, per lane.
    pub chain: [Evaluation; L],
    /// The skip network's last evaluation, per lane.
    pub skip: [Evaluation; L],
    chain_gh: [Vec<f64>; L],
    skip_gh: [Vec<f64>; L],
}

impl<const L: usize> PairEvaluator<L> {
    /// The evaluator of `chain` and `skip` (two networks over the same parameters).
    pub fn new(chain: &Network, skip: &Network) -> PairEvaluator<L> {
        let shared = shared_nodes(chain, skip);
        let fresh = |net: &Network| Evaluation {
            z: vec![f64::NAN; net.nodes.len()],
            h: vec![0.0; net.nodes.len()],
            dsigma: vec![f64::NAN; net.nodes.len()],
            grads: vec![0.0; net.params.len()],
        };
        PairEvaluator {
            chain_net: Flat::new(chain, |_| false),
            skip_net: Flat::new(skip, |k| shared[k]),
            chain: std::array::from_fn(|_| fresh(chain)),
            skip: std::array::from_fn(|_| fresh(skip)),
            chain_gh: std::array::from_fn(|_| vec![0.0; chain.nodes.len()]),
            skip_gh: std::array::from_fn(|_| vec![0.0; skip.nodes.len()]),
        }
    }

    /// Evaluate both networks at `values[l]` (by parameter index) into `self.chain[l]` and
    /// `self.skip[l]`, for every lane `l`: the same as `evaluate_into` of each network, to the
    /// last bit.
    pub fn evaluate(&mut self, values: [&[f64]; L]) {
        self.chain_net.forward(values, &mut self.chain, None);
        self.skip_net
            .forward(values, &mut self.skip, Some(&self.chain));
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
