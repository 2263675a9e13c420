//! The random sweep and the counterexample search: seeded, deterministic, parallel in fixed
//! chunks (each chunk has its own generator, so the result does not depend on thread count).

use super::exp;
use super::model::{Network, Role};
use super::pair_eval::{LANES, Lanes, PairEvaluator};
use super::radix;
use super::tally::{Comparison, Context, Offer, TAME, Tally, conditions};
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
    /// Both networks' forward and reverse passes.
    eval: PairEvaluator,
    /// The index of the input parameter.
    input: Option<usize>,
    /// The indices of the weight parameters.
    weights: Vec<usize>,
}

/// What every lane of an evaluation shows, whichever parameter is compared.
struct Lanewise {
    /// Every pre-activation of both networks is within ±[`TAME`] (or the input's `NaN`).
    tame: [bool; LANES],
    /// σ' of every node of the skip network is at least the chain's.
    sigma_prime_dominates: [bool; LANES],
    /// The largest absolute parameter value.
    size: Lanes,
    /// Every weight is at least 0.
    nonnegative: [bool; LANES],
}

impl Workspace {
    /// Empty buffers for samples of `pair` in `bx`.
    fn new(pair: &Pair, bx: &Region) -> Workspace {
        let params = &pair.skip.params;
        Workspace {
            draws: bx.sampler(&pair.skip),
            values: Vec::new(),
            eval: PairEvaluator::new(&pair.chain, &pair.skip),
            input: pair.skip.input_param(),
            weights: (0..params.len())
                .filter(|&i| params[i].role == Role::Weight)
                .collect(),
        }
    }

    /// Evaluate the parameter sets at unit coordinates `u[l]` in the box, one per lane.
    fn evaluate(&mut self, u: [&[f64]; LANES]) {
        values_into(&self.draws, u, &mut self.values);
        self.eval.evaluate(&self.values);
    }

    /// What every lane of the last evaluation shows.
    fn lanewise(&self, skip: &Network) -> Lanewise {
        let (a, b) = (&self.eval.chain, &self.eval.skip);
        let mut tame = [true; LANES];
        for z in a.z.iter().chain(&b.z) {
            for (t, z) in tame.iter_mut().zip(z) {
                *t &= z.is_nan() || z.abs() <= TAME;
            }
        }
        let mut sigma_prime_dominates = [true; LANES];
        for &k in &skip.order {
            for (d, (sb, sa)) in sigma_prime_dominates
                .iter_mut()
                .zip(b.dsigma[k].iter().zip(&a.dsigma[k]))
            {
                *d &= sb >= sa;
            }
        }
        let mut size = [0.0_f64; LANES];
        for v in &self.values {
            for (m, v) in size.iter_mut().zip(v) {
                *m = m.max(v.abs());
            }
        }
        let mut nonnegative = [true; LANES];
        for &w in &self.weights {
            for (n, v) in nonnegative.iter_mut().zip(&self.values[w]) {
                *n &= *v >= 0.0;
            }
        }
        Lanewise {
            tame,
            sigma_prime_dominates,
            size,
            nonnegative,
        }
    }

    /// Lane `l`'s comparison of the gradients with respect to parameter `param`.
    #[inline]
    fn compare(&self, param: usize, l: usize) -> Comparison {
        Comparison::new(
            self.eval.chain.grads[param][l],
            self.eval.skip.grads[param][l],
        )
    }

    /// Record lane `l` of the last evaluation in `tally` (compared parameter `ctx.param`,
    /// conditions `held` by condition and lane) and return its comparison.
    fn record(
        &self,
        l: usize,
        ctx: &Context,
        held: &[[bool; LANES]; 4],
        lanewise: &Lanewise,
        tally: &mut Tally,
        region: usize,
    ) -> Comparison {
        let c = self.compare(ctx.param, l);
        tally.count(held.map(|h| h[l]), c);
        if Tally::showable(c, lanewise.tame[l]) {
            tally.offer(&Offer {
                values: &self.values,
                lane: l,
                region,
                ratio: c.ratio,
                size: lanewise.size[l],
                nonnegative: lanewise.nonnegative[l],
            });
        }
        c
    }
}

/// The `keep` lowest finite ratios seen, lowest first (of equal ones the earlier first),
/// with their samples' unit coordinates.
struct Lowest {
    keep: usize,
    list: Vec<(f64, Vec<f64>)>,
}

impl Lowest {
    /// Offer the sample at unit coordinates `u` with ratio `r`.
    #[inline]
    fn offer(&mut self, r: f64, u: &[f64]) {
        let full = self.list.len() == self.keep;
        // Ratios are never −0, so `<` and `total_cmp` order the finite ones alike.
        if !r.is_finite() || self.keep == 0 || (full && r >= self.list[self.keep - 1].0) {
            return;
        }
        let at = self.list.partition_point(|s| s.0.total_cmp(&r).is_le());
        let entry = match full.then(|| self.list.pop()).flatten() {
            Some((_, mut v)) => {
                v.clear();
                v.extend_from_slice(u);
                (r, v)
            }
            None => (r, u.to_vec()),
        };
        self.list.insert(at, entry);
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
    let mut ratios = vec![Vec::with_capacity(n); contexts.len()];
    let mut tallies = vec![Tally::default(); contexts.len()];
    let mut lowest: Vec<Lowest> = contexts
        .iter()
        .map(|_| Lowest {
            keep,
            list: Vec::with_capacity(keep),
        })
        .collect();
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
        let lanewise = ws.lanewise(&pair.skip);
        for (i, ctx) in contexts.iter().enumerate() {
            let held = conditions(ctx, ws.input, &ws.values, lanewise.sigma_prime_dominates);
            for (l, u) in us[..m].iter().enumerate() {
                let c = ws.record(l, ctx, &held, &lanewise, &mut tallies[i], region);
                ratios[i].push(c.ratio);
                lowest[i].offer(c.ratio, u);
            }
        }
        done += m;
    }
    Chunk {
        ratios,
        tallies,
        starts: lowest.into_iter().map(|l| l.list).collect(),
    }
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
    let mut tallies: [Tally; LANES] = std::array::from_fn(|_| Tally::default());
    let mut u: [Vec<f64>; LANES] = std::array::from_fn(|l| walk(l).start.clone());
    let mut v: [Vec<f64>; LANES] = std::array::from_fn(|l| Vec::with_capacity(u[l].len()));
    let mut ws = Workspace::new(pair, bx);
    // Record every lane's evaluation under its walk's parameter; its ratios by lane.
    let record = |ws: &Workspace, tallies: &mut [Tally; LANES]| -> Lanes {
        let lanewise = ws.lanewise(&pair.skip);
        // Walks side by side mostly share their parameter: conditions once per run of them.
        let mut held: Option<(usize, [[bool; LANES]; 4])> = None;
        std::array::from_fn(|l| {
            let ctx = &contexts[walk(l).param];
            let h = match held {
                Some((p, h)) if p == ctx.param => h,
                _ => {
                    let h = conditions(ctx, ws.input, &ws.values, lanewise.sigma_prime_dominates);
                    held = Some((ctx.param, h));
                    h
                }
            };
            ws.record(l, ctx, &h, &lanewise, &mut tallies[l], region)
                .ratio
        })
    };
    ws.evaluate(std::array::from_fn(|l| u[l].as_slice()));
    let mut best = record(&ws, &mut tallies);
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
        let ratios = record(&ws, &mut tallies);
        for l in 0..LANES {
            if ratios[l] <= best[l] {
                best[l] = ratios[l];
                std::mem::swap(&mut u[l], &mut v[l]);
            }
        }
    }
    walks
        .iter()
        .zip(tallies)
        .map(|(w, t)| (w.param, t))
        .collect()
}
