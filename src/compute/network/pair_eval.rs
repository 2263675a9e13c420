//! The sweep's evaluator of a chain and its skip network: both flattened into straight lists
//! of operations, evaluated into buffers that are set up once, and the skip network takes the
//! nodes it shares with the chain (same inputs, same bias, only shared sources) from the
//! chain's forward pass instead of computing them again. Every value is bit for bit the one
//! [`Network::evaluate_into`] gives: the same operations in the same order.

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

    /// The forward pass into `eval`; nodes marked shared are copied from `chain`.
    fn forward(&self, values: &[f64], eval: &mut Evaluation, chain: Option<&Evaluation>) {
        let Evaluation { z, h, dsigma, .. } = eval;
        h[self.input] = self.input_param.map_or(0.0, |i| values[i]);
        for st in &self.steps {
            let k = st.node;
            if st.shared
                && let Some(c) = chain
            {
                z[k] = c.z[k];
                h[k] = c.h[k];
                dsigma[k] = c.dsigma[k];
                continue;
            }
            let mut pre = st.bias.map_or(0.0, |b| values[b]);
            let mut post = 0.0;
            for op in &self.ops[st.first..st.last] {
                match *op {
                    Op::Edge { from, weight } => pre += values[weight] * h[from],
                    Op::Pre { from, wc } => pre += wc * h[from],
                    Op::Post { from, wc } => post += wc * h[from],
                }
            }
            let (value, derivative) = self.activation.value_and_derivative(pre);
            z[k] = pre;
            h[k] = value + post;
            dsigma[k] = derivative;
        }
    }

    /// The reverse pass: d output / d parameter into `eval.grads`, `gh` as scratch.
    fn reverse(&self, values: &[f64], eval: &mut Evaluation, gh: &mut [f64]) {
        let Evaluation {
            h, dsigma, grads, ..
        } = eval;
        gh.fill(0.0);
        grads.fill(0.0);
        gh[self.output] = 1.0;
        for st in self.steps.iter().rev() {
            let k = st.node;
            let gz = gh[k] * dsigma[k];
            if let Some(b) = st.bias {
                grads[b] += gz;
            }
            for op in &self.ops[st.first..st.last] {
                match *op {
                    Op::Edge { from, weight } => {
                        gh[from] += values[weight] * gz;
                        grads[weight] += h[from] * gz;
                    }
                    Op::Pre { from, wc } => gh[from] += wc * gz,
                    Op::Post { from, wc } => gh[from] += wc * gh[k],
                }
            }
        }
        if let Some(x) = self.input_param {
            grads[x] += gh[self.input];
        }
    }
}

/// A chain and its skip network with their evaluation buffers.
#[derive(Debug, Clone)]
pub struct PairEvaluator {
    chain_net: Flat,
    skip_net: Flat,
    /// The chain's last evaluation.
    pub chain: Evaluation,
    /// The skip network's last evaluation.
    pub skip: Evaluation,
    gh: Vec<f64>,
}

impl PairEvaluator {
    /// The evaluator of `chain` and `skip` (two networks over the same parameters).
    pub fn new(chain: &Network, skip: &Network) -> PairEvaluator {
        let shared = shared_nodes(chain, skip);
        let n = chain.nodes.len().max(skip.nodes.len());
        let fresh = |net: &Network| Evaluation {
            z: vec![f64::NAN; net.nodes.len()],
            h: vec![0.0; net.nodes.len()],
            dsigma: vec![f64::NAN; net.nodes.len()],
            grads: vec![0.0; net.params.len()],
        };
        PairEvaluator {
            chain_net: Flat::new(chain, |_| false),
            skip_net: Flat::new(skip, |k| shared[k]),
            chain: fresh(chain),
            skip: fresh(skip),
            gh: vec![0.0; n],
        }
    }

    /// Evaluate both networks at `values` (by parameter index) into `self.chain` and
    /// `self.skip`: the same as `evaluate_into` of each network, to the last bit.
    pub fn evaluate(&mut self, values: &[f64]) {
        self.chain_net.forward(values, &mut self.chain, None);
        self.skip_net
            .forward(values, &mut self.skip, Some(&self.chain));
        let n = self.chain.h.len();
        self.chain_net
            .reverse(values, &mut self.chain, &mut self.gh[..n]);
        let n = self.skip.h.len();
        self.skip_net
            .reverse(values, &mut self.skip, &mut self.gh[..n]);
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
