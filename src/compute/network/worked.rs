//! One network at one parameter set: gradients from the tape and from the reverse pass, the
//! paths and their LaTeX; and the sweep's counterexamples re-evaluated the same way.

use super::model::Network;
use super::paths;
use super::result::{Counterexample, NetResult, NodeValue};
use super::sweep::Region;
use super::tally::{Candidate, Tally};
use super::tape_eval;
use super::validate::Pair;
use serde_json::{Map, Value};

/// Evaluate `net` at `values`: tape gradients, reverse pass, paths and derivations.
pub fn net_result(net: &Network, values: &[f64], params: &[usize]) -> (NetResult, Vec<f64>) {
    with_tape(net, values, params, tape_eval::gradients(net, values))
}

/// [`net_result`] with the tape's output and gradients at `values` already taken.
fn with_tape(
    net: &Network,
    values: &[f64],
    params: &[usize],
    (y, tape): (f64, Vec<f64>),
) -> (NetResult, Vec<f64>) {
    let eval = net.evaluate(values);
    let stars = paths::starred(net);
    let mut result = NetResult {
        y,
        nodes: net
            .nodes
            .iter()
            .enumerate()
            .map(|(k, name)| NodeValue {
                name: name.clone(),
                z: (k != net.input).then_some(eval.z[k]),
                h: eval.h[k],
                dsigma: (k != net.input).then_some(eval.dsigma[k]),
                starred: stars[k],
            })
            .collect(),
        derivatives: Map::new(),
        paths: Vec::new(),
        derivation: Map::new(),
        derivation_lines: Map::new(),
        path_sum: Map::new(),
        reverse_pass: Map::new(),
    };
    for &p in params {
        let name = &net.params[p].name;
        let terms = paths::enumerate(net, &eval, values, p);
        result
            .derivatives
            .insert(format!("dy_d{name}"), tape[p].into());
        result
            .derivation
            .insert(name.clone(), paths::derivation(net, p, &terms).into());
        let lines = paths::derivation_lines(net, p, &terms);
        result.derivation_lines.insert(name.clone(), lines.into());
        result.path_sum.insert(
            name.clone(),
            terms.iter().map(|t| t.value).sum::<f64>().into(),
        );
        result
            .reverse_pass
            .insert(name.clone(), eval.grads[p].into());
        result.paths.extend(terms);
    }
    (result, tape)
}

pub(super) fn relative(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// Largest disagreement between tape, reverse pass and path sum for parameter `name`.
pub(super) fn disagreement(r: &NetResult, name: &str, tape: f64) -> f64 {
    let get = |m: &Map<String, Value>| m.get(name).and_then(Value::as_f64).unwrap_or(f64::NAN);
    let (sum, rev) = (get(&r.path_sum), get(&r.reverse_pass));
    let d = relative(sum, tape).max(relative(rev, tape));
    if d.is_nan() { f64::INFINITY } else { d }
}

pub(super) fn value_map(net: &Network, values: &[f64]) -> Map<String, Value> {
    net.params
        .iter()
        .zip(values)
        .map(|(p, &v)| (p.name.clone(), v.into()))
        .collect()
}

/// The counterexamples of one parameter, re-evaluated through the tape.
pub(super) fn found(
    pair: &Pair,
    params: &[usize],
    p: usize,
    tally: &Tally,
    boxes: &[Region],
) -> Vec<Counterexample> {
    let kinds: [(&str, &Option<Candidate>); 3] = [
        ("most-extreme", &tally.most_extreme),
        ("smallest", &tally.smallest),
        ("nonnegative", &tally.nonnegative),
    ];
    kinds
        .into_iter()
        .filter_map(|(kind, cand)| {
            let cand = cand.as_ref()?;
            let shown = printable(pair, p, &cand.values);
            let (digits, values) = (shown.digits, &shown.values);
            let (chain_net, chain) = with_tape(&pair.chain, values, params, shown.chain);
            let (skip_net, skip) = with_tape(&pair.skip, values, params, shown.skip);
            let name = &pair.chain.params[p].name;
            let (long_path, _) = super::prose::split(&skip_net.terms_of(name));
            let (rho, s) = super::prose::rho_and_s(long_path, chain[p], skip[p]);
            Some(Counterexample {
                parameter: name.clone(),
                kind: kind.into(),
                region: boxes
                    .get(cand.region)
                    .map_or_else(String::new, |b| b.name.clone()),
                values: value_map(&pair.chain, values),
                size: values.iter().fold(0.0_f64, |m, v| m.max(v.abs())),
                chain: chain[p],
                skip: skip[p],
                ratio: super::tally::ratio(chain[p], skip[p]),
                verified: chain[p].abs() > skip[p].abs(),
                digits,
                found_ratio: cand.ratio,
                rho,
                s,
                chain_net,
                skip_net,
            })
        })
        .collect()
}

/// Fewest significant digits shown for a counterexample's values.
const MIN_DIGITS: usize = 4;

/// A counterexample's values as the page shows them, with the tape's output and gradients
/// of both networks there.
struct Printable {
    digits: usize,
    values: Vec<f64>,
    chain: (f64, Vec<f64>),
    skip: (f64, Vec<f64>),
}

/// The values rounded to as few significant digits (from [`MIN_DIGITS`]) as keep them a
/// counterexample whose ratio the page can print: the tape confirms `|dy/dθ| > |dy*/dθ|` at
/// the rounded values, every pre-activation stays within ±[`TAME`](super::tally::TAME), and
/// the tape and the reverse pass agree on the ratio to 1e-6 (a
/// point on a near-cancellation, where the ratio rests on rounding errors, is not shown
/// rounded). The originals at 17 digits when no rounding keeps them a counterexample.
fn printable(pair: &Pair, p: usize, values: &[f64]) -> Printable {
    for digits in MIN_DIGITS..=17 {
        let rounded = round_values(values, digits);
        let chain_tape = tape_eval::gradients(&pair.chain, &rounded);
        let skip_tape = tape_eval::gradients(&pair.skip, &rounded);
        let (chain, skip) = (chain_tape.1[p], skip_tape.1[p]);
        let ratio = super::tally::ratio(chain, skip);
        let evaluations = [pair.chain.evaluate(&rounded), pair.skip.evaluate(&rounded)];
        let reverse = super::tally::ratio(evaluations[0].grads[p], evaluations[1].grads[p]);
        let tiny = chain.abs().min(skip.abs()) < super::tally::TINY;
        let tame = evaluations.iter().all(|e| {
            e.z.iter()
                .all(|z| z.is_nan() || z.abs() <= super::tally::TAME)
        });
        if chain.abs() > skip.abs() && !tiny && tame && relative(ratio, reverse) <= 1e-6 {
            return Printable {
                digits,
                values: rounded,
                chain: chain_tape,
                skip: skip_tape,
            };
        }
    }
    Printable {
        digits: 17,
        values: values.to_vec(),
        chain: tape_eval::gradients(&pair.chain, values),
        skip: tape_eval::gradients(&pair.skip, values),
    }
}

/// Every value rounded to `digits` significant digits exactly as the page prints it.
fn round_values(values: &[f64], digits: usize) -> Vec<f64> {
    values
        .iter()
        .map(|&v| crate::format::num(v, digits).parse().unwrap_or(v))
        .collect()
}
