//! The random sweep and the counterexample search: seeded, deterministic, parallel in fixed
//! chunks (each chunk has its own generator, so the result does not depend on thread count).

use super::exp;
use super::model::{Network, Role};
use super::pair_eval::{LANES, Lanes, PairEvaluator};
use super::radix;
use super::tally::{Context, TAME, Tally, conditions, ratio};
use super::validate::Pair;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A box of parameter values: per role, `(low, high, log scale)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Identifier.
    pub name: String,
    /// Description for tables.
    pub title: String,
    /// Weights.
    pub weights: (f64, f64, bool),
    /// Biases.
    pub biases: (f64, f64, bool),
    /// The input.
    pub input: (f64, f64, bool),
}

impl Region {
    fn range(&self, role: Role) -> (f64, f64, bool) {
        match role {
            Role::Weight => self.weights,
            Role::Bias => self.biases,
            Role::Input => self.input,
        }
    }

    /// How `net`'s parameters are drawn from this box, with the logarithms of log-scaled
    /// ranges taken once.
    fn sampler(&self, net: &Network) -> Vec<Draw> {
        net.params
            .iter()
            .map(|p| {
                let (lo, hi, log) = self.range(p.role);
                Draw {
                    lo,
                    hi,
                    log: log.then(|| (lo.ln(), hi.ln())),
                }
            })
            .collect()
    }
}

/// How one parameter is drawn: uniformly in `[lo, hi]`, or log-uniformly when `log` holds
/// `(ln lo, ln hi)`.
#[derive(Debug, Clone, Copy)]
struct Draw {
    lo: f64,
    hi: f64,
    log: Option<(f64, f64)>,
}

/// Map the unit coordinates `u[l]` of every lane to parameter values through `draws`,
/// written into `out` by parameter index (the exponentials of a log-scaled parameter's lanes
/// taken together).
fn values_into(draws: &[Draw], u: [&[f64]; LANES], out: &mut Vec<Lanes>) {
    out.clear();
    out.extend(draws.iter().enumerate().map(|(i, d)| {
        let t: Lanes = std::array::from_fn(|l| u[l][i]);
        match d.log {
            Some((ln_lo, ln_hi)) => {
                exp::exp_lanes(t.map(|t| ln_lo + (ln_hi - ln_lo) * t)).map(|v| v.clamp(d.lo, d.hi))
            }
            None => t.map(|t| d.lo + (d.hi - d.lo) * t),
        }
    }));
}

/// Settings of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Generator seed.
    pub seed: u64,
    /// Samples per region.
    pub samples: usize,
    /// Lowest-ratio samples refined per region and parameter.
    pub starts: usize,
    /// Random-walk steps per start.
    pub steps: usize,
    /// Initial step in unit coordinates.
    pub step: f64,
}

/// Per box and parameter: sweep ratios (sorted) and how many satisfied the inequality.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// Sorted finite-or-infinite ratios `|dy*/dθ| / |dy/dθ|` of the sweep samples.
    pub ratios: Vec<f64>,
    /// Samples where `|dy/dθ| ≤ |dy*/dθ|`.
    pub holds: usize,
}

/// The outcome for one variant: `stats[box][param]` and one tally per parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Sweep statistics by box, then compared parameter.
    pub stats: Vec<Vec<BoxStats>>,
    /// Conditions and counterexamples by compared parameter (sweep and search together).
    pub tallies: Vec<Tally>,
    /// The same for the sweep's samples alone (the search's points cluster around
    /// counterexamples, so they are not a sample of anything).
    pub sweep_tallies: Vec<Tally>,
    /// Evaluations made (sweep and search).
    pub evaluations: usize,
}

const CHUNK: usize = 512;

struct Chunk {
    ratios: Vec<Vec<f64>>,
    tallies: Vec<Tally>,
    starts: Vec<Vec<(f64, Vec<f64>)>>,
}

/// Run the sweep and the search for one variant.
pub fn run(
    pair: &Pair,
    contexts: &[Context],
    boxes: &[Region],
    s: &Settings,
    variant_index: usize,
) -> Outcome {
    let mut stats = Vec::new();
    let mut tallies = vec![Tally::default(); contexts.len()];
    let mut sweep_tallies = tallies.clone();
    let mut evaluations = 0;
    let step_sizes = step_sizes(s);
    for (b, bx) in boxes.iter().enumerate() {
        let chunks: Vec<Chunk> = (0..s.samples.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                let seed = mix(s.seed, variant_index as u64, b as u64, c as u64);
                let n = CHUNK.min(s.samples - c * CHUNK);
                chunk(pair, contexts, bx, b, seed, n, s.starts)
            })
            .collect();
        let mut ratios = vec![Vec::with_capacity(s.samples); contexts.len()];
        let mut starts = vec![Vec::new(); contexts.len()];
        for ch in chunks {
            for (i, t) in ch.tallies.into_iter().enumerate() {
                sweep_tallies[i].merge(t.clone());
                tallies[i].merge(t);
                ratios[i].extend(&ch.ratios[i]);
                starts[i].extend(ch.starts[i].iter().cloned());
            }
        }
        evaluations += s.samples;
        ratios.par_iter_mut().for_each(|r| radix::sort_total(r));
        let mut row = Vec::new();
        for (i, r) in ratios.into_iter().enumerate() {
            let holds = r.iter().filter(|&&x| x >= 1.0).count();
            row.push(BoxStats { ratios: r, holds });
            starts[i].sort_by(|a, b| a.0.total_cmp(&b.0));
            starts[i].truncate(s.starts);
        }
        // The searches are independent: run them in parallel, merge in a fixed order.
        let jobs: Vec<(usize, usize, &Vec<f64>)> = starts
            .iter()
            .enumerate()
            .flat_map(|(i, list)| list.iter().enumerate().map(move |(k, (_, u))| (i, k, u)))
            .collect();
        // Walks in groups of `LANES`, evaluated side by side (see `PairEvaluator`).
        let found: Vec<Vec<(usize, Tally)>> = jobs
            .par_chunks(LANES)
            .map(|group| {
                let walks: Vec<Walk> = group
                    .iter()
                    .map(|&(i, k, u)| Walk {
                        param: i,
                        start: u.clone(),
                        seed: mix(
                            s.seed ^ 0x5eed,
                            variant_index as u64,
                            b as u64,
                            (i * 1000 + k) as u64,
                        ),
                    })
                    .collect();
                search(pair, contexts, bx, b, &walks, &step_sizes)
            })
            .collect();
        for (i, t) in found.into_iter().flatten() {
            tallies[i].merge(t);
            evaluations += s.steps + 1;
        }
        stats.push(row);
    }
    Outcome {
        stats,
        tallies,
        sweep_tallies,
        evaluations,
    }
}

/// A well-mixed seed for one chunk (SplitMix64 steps over the indices).
fn mix(seed: u64, a: u64, b: u64, c: u64) -> u64 {
    let mut x = seed;
    for v in [a, b, c] {
        x = x.wrapping_add(v).wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
    }
    x
}

/// Buffers one thread reuses for every evaluation, so the hot loop allocates nothing.
struct Workspace {
    /// How each parameter is drawn from the box.
    draws: Vec<Draw>,
    /// Parameter values of the current samples by parameter index, one per lane.
    values: Vec<Lanes>,
    /// The same, lane by lane (what the tallies keep).
    lane_values: [Vec<f64>; LANES],
    /// Both networks' forward and reverse passes.
    eval: PairEvaluator,
    /// The ratio per compared parameter, per lane.
    ratios: [Vec<f64>; LANES],
}

impl Workspace {
    /// Empty buffers for samples of `pair` in `bx`.
    fn new(pair: &Pair, bx: &Region) -> Workspace {
        Workspace {
            draws: bx.sampler(&pair.skip),
            values: Vec::new(),
            lane_values: Default::default(),
            eval: PairEvaluator::new(&pair.chain, &pair.skip),
            ratios: Default::default(),
        }
    }

    /// Evaluate the parameter sets at unit coordinates `u[l]` in the box, one per lane.
    fn evaluate(&mut self, u: [&[f64]; LANES]) {
        values_into(&self.draws, u, &mut self.values);
        for (l, out) in self.lane_values.iter_mut().enumerate() {
            out.clear();
            out.extend(self.values.iter().map(|v| v[l]));
        }
        self.eval.evaluate(&self.values);
    }

    /// Record lane `l`'s last evaluation in `tallies` and leave its ratio per compared
    /// parameter in `self.ratios[l]`.
    fn record(
        &mut self,
        l: usize,
        pair: &Pair,
        contexts: &[Context],
        tallies: &mut [Tally],
        region: usize,
    ) {
        let (a, b) = (&self.eval.chain, &self.eval.skip);
        let values = &self.lane_values[l];
        let tame =
            a.z.iter()
                .chain(&b.z)
                .all(|z| z[l].is_nan() || z[l].abs() <= TAME);
        let sigma_prime_dominates = pair
            .skip
            .order
            .iter()
            .all(|&k| b.dsigma[k][l] >= a.dsigma[k][l]);
        let ratios = &mut self.ratios[l];
        ratios.clear();
        for (ctx, t) in contexts.iter().zip(tallies.iter_mut()) {
            let grads = (a.grads[ctx.param][l], b.grads[ctx.param][l]);
            let held = conditions(ctx, &pair.skip, values, sigma_prime_dominates);
            t.record(held, values, region, grads, tame, &pair.skip);
            ratios.push(ratio(grads.0, grads.1));
        }
    }
}

fn chunk(
    pair: &Pair,
    contexts: &[Context],
    bx: &Region,
    region: usize,
    seed: u64,
    n: usize,
    keep: usize,
) -> Chunk {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = pair.skip.params.len();
    let mut out = Chunk {
        ratios: vec![Vec::with_capacity(n); contexts.len()],
        tallies: vec![Tally::default(); contexts.len()],
        starts: vec![Vec::new(); contexts.len()],
    };
    let mut ws = Workspace::new(pair, bx);
    let mut us: [Vec<f64>; LANES] = std::array::from_fn(|_| Vec::with_capacity(d));
    let mut done = 0;
    while done < n {
        // The samples in their order, `LANES` at a time; a last short group fills its
        // spare lanes with copies of its last sample, evaluated and left out.
        let m = LANES.min(n - done);
        for u in &mut us[..m] {
            u.clear();
            u.extend((0..d).map(|_| rng.random::<f64>()));
        }
        for l in m..LANES {
            let (filled, spare) = us.split_at_mut(l);
            spare[0].clone_from(&filled[m - 1]);
        }
        ws.evaluate(std::array::from_fn(|l| us[l].as_slice()));
        for (l, u) in us[..m].iter().enumerate() {
            ws.record(l, pair, contexts, &mut out.tallies, region);
            for (i, &r) in ws.ratios[l].iter().enumerate() {
                out.ratios[i].push(r);
                let starts = &mut out.starts[i];
                if keep > 0
                    && r.is_finite()
                    && (starts.len() < keep || starts.iter().any(|s| r < s.0))
                {
                    starts.push((r, u.clone()));
                    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
                    starts.truncate(keep);
                }
            }
        }
        done += m;
    }
    out
}

/// The search's step size at each step: geometric decay from `step` to a thousandth of it.
fn step_sizes(s: &Settings) -> Vec<f64> {
    (0..s.steps)
        .map(|t| s.step * 1e-3_f64.powf(t as f64 / s.steps.max(1) as f64))
        .collect()
}

/// One random walk of the search: the compared parameter whose ratio it lowers, its start in
/// unit coordinates and its generator's seed.
struct Walk {
    param: usize,
    start: Vec<f64>,
    seed: u64,
}

/// Random walks (at most `LANES`, side by side) in unit coordinates, each accepting a step
/// when the ratio of its parameter drops; every visited point is recorded. `step_sizes`
/// holds one step size per step. Per walk: its parameter and its tally, each exactly what
/// the walk alone gives.
fn search(
    pair: &Pair,
    contexts: &[Context],
    bx: &Region,
    region: usize,
    walks: &[Walk],
    step_sizes: &[f64],
) -> Vec<(usize, Tally)> {
    // Spare lanes repeat the last walk; their results are left out.
    let walk = |l: usize| &walks[l.min(walks.len() - 1)];
    let mut rngs: [ChaCha8Rng; LANES] =
        std::array::from_fn(|l| ChaCha8Rng::seed_from_u64(walk(l).seed));
    let mut tallies: [Vec<Tally>; LANES] =
        std::array::from_fn(|_| vec![Tally::default(); contexts.len()]);
    let mut u: [Vec<f64>; LANES] = std::array::from_fn(|l| walk(l).start.clone());
    let mut v: [Vec<f64>; LANES] = std::array::from_fn(|l| Vec::with_capacity(u[l].len()));
    let mut ws = Workspace::new(pair, bx);
    ws.evaluate(std::array::from_fn(|l| u[l].as_slice()));
    let mut best = [0.0; LANES];
    for l in 0..LANES {
        ws.record(l, pair, contexts, &mut tallies[l], region);
        best[l] = ws.ratios[l][walk(l).param];
    }
    for &step in step_sizes {
        for l in 0..LANES {
            // Each coordinate moves with probability 1/2 so that single pre-activations can
            // be tuned.
            let rng = &mut rngs[l];
            v[l].clear();
            v[l].extend(u[l].iter().map(|&x| {
                if rng.random::<bool>() {
                    (x + step * (2.0 * rng.random::<f64>() - 1.0)).clamp(0.0, 1.0)
                } else {
                    x
                }
            }));
        }
        ws.evaluate(std::array::from_fn(|l| v[l].as_slice()));
        for l in 0..LANES {
            ws.record(l, pair, contexts, &mut tallies[l], region);
            let r = ws.ratios[l][walk(l).param];
            if r <= best[l] {
                best[l] = r;
                std::mem::swap(&mut u[l], &mut v[l]);
            }
        }
    }
    walks
        .iter()
        .zip(tallies)
        .map(|(w, mut t)| (w.param, t.swap_remove(w.param)))
        .collect()
}
