//! Assembles a [`StudyResult`]: worked examples (tape, reverse pass and path sums), the
//! certified bounds, the sweep and search, and the counterexamples re-checked on the tape.

use super::certificate::{self, Bound};
use super::model::Network;
use super::paths::PathTerm;
use super::prose;
use super::result::*;
use super::spec::{Range, Spec};
use super::sweep::{self, Region, Settings};
use super::tally::{CONDITIONS, Context};
use super::validate::Pair;
use super::worked::{disagreement, found, net_result, value_map};
use crate::format::num;
use rayon::prelude::*;
use serde_json::{Map, Value};

/// Run every variant of a validated study.
pub fn run(spec: &Spec, pairs: &[Pair]) -> StudyResult {
    let names: Vec<String> = spec
        .compare
        .get_ref()
        .parameters
        .iter()
        .map(|p| p.get_ref().clone())
        .collect();
    let search = spec
        .search
        .as_ref()
        .map(|s| s.get_ref().clone())
        .unwrap_or_default();
    // A walk of no steps would only evaluate its start, a sweep sample, again: no search.
    let steps = *search.steps.get_ref();
    let settings = Settings {
        seed: spec.sweep.get_ref().seed,
        samples: *spec.sweep.get_ref().samples.get_ref(),
        starts: if steps == 0 {
            0
        } else {
            *search.starts.get_ref()
        },
        steps,
        step: *search.step.get_ref(),
    };
    let input_bound = spec
        .certificate
        .as_ref()
        .map_or(2.0, |c| c.get_ref().input_bound);
    let regions: Vec<Region> = spec
        .sweep
        .get_ref()
        .regions
        .iter()
        .map(|r| {
            let r = r.get_ref();
            Region {
                name: r.name.get_ref().clone(),
                title: r.title.clone(),
                weights: triple(r.weights.get_ref()),
                biases: triple(r.biases.get_ref()),
                input: triple(r.input.get_ref()),
            }
        })
        .collect();
    let mut evaluations = 0;
    let mut variants = Vec::new();
    let mut summary = Vec::new();
    // The variants are independent: computed side by side (their sweeps in parallel too, so
    // no core waits at the end of a variant's region), assembled in order.
    let computed: Vec<(VariantResult, usize)> = pairs
        .par_iter()
        .enumerate()
        .map(|(vi, pair)| variant(pair, &names, &regions, &settings, input_bound, vi))
        .collect();
    for (v, evals) in computed {
        evaluations += evals;
        for c in &v.compare {
            let rows: Vec<&SweepRow> = v
                .sweep
                .iter()
                .filter(|r| r.parameter == c.parameter)
                .collect();
            let samples: usize = rows.iter().map(|r| r.samples).sum();
            let holds: usize = rows.iter().map(|r| r.holds).sum();
            let min_ratio = v
                .conditions
                .iter()
                .find(|r| r.parameter == c.parameter && r.condition == "none")
                .and_then(|r| r.min_ratio)
                .unwrap_or(f64::INFINITY);
            summary.push(SummaryRow {
                variant: v.name.clone(),
                parameter: c.parameter.clone(),
                samples,
                holds,
                fraction: holds as f64 / samples.max(1) as f64,
                min_ratio,
                nonnegative_counterexample: v.counterexamples.iter().any(|ce| {
                    ce.parameter == c.parameter && ce.kind == "nonnegative" && ce.verified
                }),
                w_max: c.bound.as_ref().map(|b| b.w_max),
                fails: samples - holds,
                input_bound: c
                    .bound
                    .as_ref()
                    .filter(|b| b.needs_input_bound)
                    .map(|b| b.input_bound),
                certified: certified_text(c.bound.as_ref(), &v.input),
                repeats: v.same_as.contains_key(&c.parameter),
            });
        }
        variants.push(v);
    }
    StudyResult {
        title: spec.title.clone(),
        parameters: names,
        seed: settings.seed,
        samples_per_region: settings.samples,
        searched: settings.starts > 0,
        evaluations,
        regions: regions
            .iter()
            .map(|r| RegionInfo {
                name: r.name.clone(),
                title: r.title.clone(),
                weights: [r.weights.0, r.weights.1],
                weights_log: r.weights.2,
                biases: [r.biases.0, r.biases.1],
                input: [r.input.0, r.input.1],
                variants: pairs.iter().map(|p| p.name.clone()).collect(),
            })
            .collect(),
        counterexample_z_bound: super::tally::TAME,
        input_bound,
        variants,
        summary_shown: summary.iter().filter(|r| !r.repeats).cloned().collect(),
        summary,
    }
}

fn triple(r: &Range) -> (f64, f64, bool) {
    (r.low, r.high, r.scale == "log")
}

/// Round `w` down to 3 significant digits, so that the stated bound is certified too.
fn floor3(w: f64) -> f64 {
    let e = 10f64.powf(w.log10().floor() - 2.0);
    (w / e).floor() * e
}

fn variant(
    pair: &Pair,
    names: &[String],
    regions: &[Region],
    s: &Settings,
    input_bound: f64,
    vi: usize,
) -> (VariantResult, usize) {
    let params: Vec<usize> = names.iter().filter_map(|n| pair.chain.param(n)).collect();
    let (chain, chain_tape) = net_result(&pair.chain, &pair.values, &params);
    let (skip, skip_tape) = net_result(&pair.skip, &pair.values, &params);
    let mut compare = Vec::new();
    let mut contexts = Vec::new();
    for &p in &params {
        let name = &pair.chain.params[p].name;
        let terms = skip.terms_of(name);
        let applies = certificate::sign_definite(&pair.skip, p);
        let bound = certificate::bound(&pair.skip, p, &terms, input_bound).map(|b| Bound {
            w_max: floor3(b.w_max),
            ..b
        });
        let ratio = super::tally::ratio(chain_tape[p], skip_tape[p]);
        let (long_path, short_paths) = prose::split(&terms);
        let (rho, s) = prose::rho_and_s(long_path, chain_tape[p], skip_tape[p]);
        compare.push(Comparison {
            parameter: name.clone(),
            chain: chain_tape[p],
            skip: skip_tape[p],
            ratio,
            holds: chain_tape[p].abs() <= skip_tape[p].abs(),
            path_sum_error: disagreement(&chain, name, chain_tape[p]).max(disagreement(
                &skip,
                name,
                skip_tape[p],
            )),
            argument_applies: applies,
            bound: bound.clone(),
            long_path,
            short_paths,
            rho,
            s,
            long_path_smaller: long_path.abs() < chain_tape[p].abs(),
            short_paths_add: short_paths * long_path > 0.0,
        });
        contexts.push(Context {
            param: p,
            path_weights: pair.skip.path_weights(),
            wc_nonnegative: pair.skip.skip_weights_nonnegative(),
            bound: bound
                .as_ref()
                .map(|b| (b.w_max, b.needs_input_bound.then_some(b.input_bound))),
        });
    }
    let mut boxes = regions.to_vec();
    if let Some(w) = compare
        .iter()
        .map(|c| c.bound.as_ref().map(|b| b.w_max))
        .collect::<Option<Vec<f64>>>()
        .and_then(|ws| ws.into_iter().reduce(f64::min))
    {
        let needs = compare
            .iter()
            .any(|c| c.bound.as_ref().is_some_and(|b| b.needs_input_bound));
        let wide = |f: fn(&Region) -> (f64, f64, bool)| {
            regions
                .iter()
                .map(f)
                .fold((0.0_f64, 0.0_f64, false), |a, b| {
                    (a.0.min(b.0), a.1.max(b.1), false)
                })
        };
        boxes.push(Region {
            name: "certified".into(),
            title: format!("weights in [0, {}] (the certified box)", num(w, 3)),
            weights: (0.0, w, false),
            biases: wide(|r| r.biases),
            input: if needs {
                (-input_bound, input_bound, false)
            } else {
                wide(|r| r.input)
            },
        });
    }
    let outcome = sweep::run(pair, &contexts, &boxes, s, vi);
    let mut sweep_rows = Vec::new();
    for (b, bx) in boxes.iter().enumerate() {
        for (i, c) in compare.iter().enumerate() {
            let st = &outcome.stats[b][i];
            let [min, q01, q05, median, q95] = st.quantiles;
            sweep_rows.push(SweepRow {
                parameter: c.parameter.clone(),
                region: bx.name.clone(),
                region_title: bx.title.clone(),
                samples: st.samples,
                holds: st.holds,
                fraction: st.holds as f64 / st.samples.max(1) as f64,
                min,
                q01,
                q05,
                median,
                q95,
            });
        }
    }
    let mut conditions = Vec::new();
    let mut counterexamples = Vec::new();
    for (i, c) in compare.iter().enumerate() {
        let tally = &outcome.tallies[i];
        for (k, id) in CONDITIONS.iter().enumerate() {
            let count = tally.conditions[k];
            let sweep = outcome.sweep_tallies[i].conditions[k];
            let (statement, proven) = statement(id, c);
            conditions.push(ConditionRow {
                parameter: c.parameter.clone(),
                condition: id.to_string(),
                statement,
                proven,
                samples: count.samples,
                violations: count.violations,
                min_ratio: (count.samples > 0).then_some(count.min_ratio),
                unresolved: count.unresolved,
                sweep_samples: sweep.samples,
                sweep_violations: sweep.violations,
                sweep_min_ratio: (sweep.samples > 0).then_some(sweep.min_ratio),
                search_samples: count.samples - sweep.samples,
                search_violations: count.violations - sweep.violations,
            });
        }
        counterexamples.extend(found(pair, &params, params[i], tally, &boxes));
    }
    let same_as = repeated(pair, &params, &skip.paths);
    let shown = |p: &String| !same_as.contains_key(p);
    let v = VariantResult {
        sweep_shown: sweep_rows
            .iter()
            .filter(|r| shown(&r.parameter))
            .cloned()
            .collect(),
        conditions_shown: conditions
            .iter()
            .filter(|r| shown(&r.parameter))
            .cloned()
            .collect(),
        same_as,
        name: pair.name.clone(),
        title: pair.title.clone(),
        reading: pair.reading.clone(),
        reading_title: pair.reading_title.clone(),
        activation: format!("{:?}", pair.chain.activation).to_lowercase(),
        input: pair.chain.nodes[pair.chain.input].clone(),
        output: pair.chain.nodes[pair.chain.output].clone(),
        edges: chain_edges(&pair.chain),
        biases: pair
            .chain
            .bias
            .iter()
            .enumerate()
            .filter_map(|(k, b)| {
                Some((
                    pair.chain.nodes[k].clone(),
                    pair.chain.params[(*b)?].name.clone().into(),
                ))
            })
            .collect(),
        skips: pair
            .skip
            .skips()
            .into_iter()
            .map(|(from, to, wc, enters)| SkipInfo {
                from: pair.skip.nodes[from].clone(),
                to: pair.skip.nodes[to].clone(),
                wc,
                enters: match enters {
                    super::model::Enters::PreActivation => "pre-activation".into(),
                    super::model::Enters::PostActivation => "post-activation".into(),
                },
            })
            .collect(),
        values: value_map(&pair.chain, &pair.values),
        chain,
        skip,
        compare,
        sweep: sweep_rows,
        conditions,
        counterexamples,
        prose: prose::describe(
            &pair.chain,
            &pair.skip,
            &pair.chain.evaluate(&pair.values),
            &pair.skip.evaluate(&pair.values),
        ),
    };
    (v, outcome.evaluations)
}

/// Compared parameters whose inequality repeats an earlier one's: both enter the network at
/// the same single node, with an entry factor (the input, 1 for a bias, or a node the short
/// circuits leave unchanged) that is the same in both networks, and the same paths follow.
/// Then `dy/dθ` and `dy*/dθ` are that factor times gradients common to both parameters, and
/// the ratio is the same whenever the factor is not 0.
fn repeated(pair: &Pair, params: &[usize], paths: &[PathTerm]) -> Map<String, Value> {
    let net = &pair.skip;
    let stars = super::paths::starred(net);
    let route = |p: usize| -> Option<Vec<&Vec<String>>> {
        let name = &net.params[p].name;
        let nodes: Vec<&Vec<String>> = paths
            .iter()
            .filter(|t| &t.parameter == name)
            .map(|t| &t.nodes)
            .collect();
        let entry = nodes.first()?.first()?;
        let single = nodes.iter().all(|n| n.first() == Some(entry));
        let entries = net.incoming.iter().flatten().filter(
            |inc| matches!(**inc, super::model::Incoming::Edge { weight, .. } if weight == p),
        );
        let sources_fixed = entries.clone().all(|inc| match *inc {
            super::model::Incoming::Edge { from, .. } => from == net.input || !stars[from],
            _ => true,
        });
        let uses = entries.count() + net.bias.iter().filter(|b| **b == Some(p)).count();
        (single && sources_fixed && uses == 1).then_some(nodes)
    };
    let mut out = Map::new();
    for (i, &p) in params.iter().enumerate() {
        let Some(mine) = route(p) else { continue };
        if let Some(&q) = params[..i]
            .iter()
            .find(|&&q| !out.contains_key(&net.params[q].name) && route(q) == Some(mine.clone()))
        {
            out.insert(
                net.params[p].name.clone(),
                net.params[q].name.clone().into(),
            );
        }
    }
    out
}

/// The certified bound in words, with the input range it needs.
fn certified_text(bound: Option<&Bound>, input: &str) -> String {
    match bound {
        Some(b) if b.needs_input_bound => format!(
            "{} for |{input}| ≤ {}",
            num(b.w_max, 3),
            num(b.input_bound, 3)
        ),
        Some(b) => format!("{} for every {input}", num(b.w_max, 3)),
        None => "none".into(),
    }
}

fn chain_edges(net: &Network) -> Vec<EdgeInfo> {
    let mut out = Vec::new();
    for &k in &net.order {
        for inc in &net.incoming[k] {
            if let super::model::Incoming::Edge { from, weight } = *inc {
                out.push(EdgeInfo {
                    from: net.nodes[from].clone(),
                    to: net.nodes[k].clone(),
                    weight: net.params[weight].name.clone(),
                });
            }
        }
    }
    out
}

fn statement(id: &str, c: &Comparison) -> (String, bool) {
    match id {
        "nonnegative-weights" => ("every weight is ≥ 0".into(), false),
        "sigma-prime-dominates" => (
            "every weight on a path to y is ≥ 0 and σ′(z*) ≥ σ′(z) at every node".into(),
            c.argument_applies,
        ),
        "bounded-weights" => match &c.bound {
            Some(b) if b.needs_input_bound => (
                format!(
                    "every weight on a path to y lies in [0, {}] and |x| ≤ {}",
                    num(b.w_max, 3),
                    num(b.input_bound, 3)
                ),
                true,
            ),
            Some(b) => (
                format!(
                    "every weight on a path to y lies in [0, {}]",
                    num(b.w_max, 3)
                ),
                true,
            ),
            None => ("no certified weight bound for this parameter".into(), false),
        },
        _ => ("no assumption".into(), false),
    }
}
