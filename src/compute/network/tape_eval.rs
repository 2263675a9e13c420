//! Networks evaluated through the autograd tape (the engine behind Q3), for exact gradients
//! that do not depend on this module's own reverse pass.

use super::model::{Activation, Enters, Incoming, Network};
use crate::compute::autograd::tape::{Tape, Var};

/// Output value and `d output / d parameter` (by parameter index) from the autograd tape.
pub fn gradients(net: &Network, values: &[f64]) -> (f64, Vec<f64>) {
    let mut tape = Tape::new();
    let leaves: Vec<Var> = net
        .params
        .iter()
        .zip(values)
        .map(|(p, &v)| tape.leaf(&p.name, v))
        .collect();
    let mut h: Vec<Option<Var>> = vec![None; net.nodes.len()];
    h[net.input] = net.input_param().map(|i| leaves[i]);
    for &k in &net.order {
        let mut pre: Option<Var> = None;
        let mut post: Vec<Var> = Vec::new();
        for inc in &net.incoming[k] {
            let term = match *inc {
                Incoming::Edge { from, weight } => h[from].map(|src| tape.mul(leaves[weight], src)),
                Incoming::Skip { from, wc, enters } => {
                    let scaled = h[from].map(|src| tape.mul_scalar(src, wc));
                    if enters == Enters::PostActivation {
                        post.extend(scaled);
                        continue;
                    }
                    scaled
                }
            };
            pre = sum(&mut tape, pre, term);
        }
        pre = sum(&mut tape, pre, net.bias[k].map(|b| leaves[b]));
        let Some(pre) = pre else { continue };
        let mut out = match net.activation {
            Activation::Sigmoid => tape.sigmoid(pre),
            Activation::Tanh => tape.tanh(pre),
        };
        for p in post {
            out = tape.add(out, p);
        }
        h[k] = Some(out);
    }
    let Some(y) = h[net.output] else {
        return (f64::NAN, vec![f64::NAN; net.params.len()]);
    };
    let grads = tape.backward(y);
    (tape.value(y), leaves.iter().map(|&l| grads.of(l)).collect())
}

fn sum(tape: &mut Tape, acc: Option<Var>, term: Option<Var>) -> Option<Var> {
    match (acc, term) {
        (Some(a), Some(t)) => Some(tape.add(a, t)),
        (a, t) => a.or(t),
    }
}
