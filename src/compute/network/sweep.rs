//! The random sweep and the counterexample search: seeded, deterministic, parallel in fixed
//! chunks (each chunk has its own generator, so the result does not depend on thread count).

use super::exp::{self, Exp4, Libm};
use super::model::{Network, Role};
use super::pair_eval::{LANES, Lanes, PairEvaluator, each_lane, lane_bits, select, set_lanes};
use super::proposal::{Propose, Streams};
use super::quantile;
use super::tally::{Comparisons, Context, LaneCounts, Offer, TAME, Tally, conditions};
use super::validate::Pair;
use crate::compute::chacha::{self, ChaCha8};
use rand::SeedableRng;
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

/// Map the unit coordinates `unit` (by parameter index, one per lane) to parameter values
/// through `draws`, written into `out` by parameter index (the exponentials of a log-scaled
/// parameter's lanes taken together, with `E`).
#[inline(always)]
fn values_into<E: Exp4>(draws: &[Draw], unit: &[Lanes], out: &mut Vec<Lanes>) {
    out.resize(draws.len(), [0.0; LANES]);
    for ((v, d), &t) in out.iter_mut().zip(draws).zip(unit) {
        *v = match d.log {
            Some((ln_lo, ln_hi)) => {
                let v = exp::each::<E, LANES>(each_lane(|l| ln_lo + (ln_hi - ln_lo) * t[l]));
                each_lane(|l| v[l].clamp(d.lo, d.hi))
            }
            None => each_lane(|l| d.lo + (d.hi - d.lo) * t[l]),
        };
    }
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

/// The quantiles of the sweep's ratios that are reported, ascending (see
/// [`BoxStats::quantiles`]): the minimum, the 1st and 5th percentiles, the median and the
/// 95th percentile.
pub const QUANTILES: [f64; 5] = [0.0, 0.01, 0.05, 0.5, 0.95];

/// Per box and parameter: the sweep's ratios `|dy*/dθ| / |dy/dθ|` summarised.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxStats {
    /// Samples drawn.
    pub samples: usize,
    /// Samples where `|dy/dθ| ≤ |dy*/dθ|`.
    pub holds: usize,
    /// For each `p` of [`QUANTILES`], the entry at index `(samples − 1)·p` (rounded) of the
    /// ratios sorted with `total_cmp` (`NaN` without samples).
    pub quantiles: [f64; QUANTILES.len()],
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

/// What the sweep and the search of one box share: the networks, the compared parameters'
/// contexts, the box and its index.
#[derive(Clone, Copy)]
struct BoxRun<'a> {
    pair: &'a Pair,
    contexts: &'a [Context],
    bx: &'a Region,
    region: usize,
}

/// What one chunk of a box's sweep gives, by compared parameter: its ratios in sample
/// order, its tally and its lowest ratios.
struct Chunk {
    ratios: Vec<Vec<f64>>,
    tallies: Vec<Tally>,
    lowest: Vec<Lowest>,
}

/// What one box contributes: the statistics of its sweep by compared parameter, its sweep's
/// chunks' tallies in order, and its search's tallies in order.
struct BoxOutcome {
    row: Vec<BoxStats>,
    sweep: Vec<Vec<Tally>>,
    search: Vec<(usize, Tally)>,
}

/// Run the sweep and the search for one variant.
pub fn run(
    pair: &Pair,
    contexts: &[Context],
    boxes: &[Region],
    s: &Settings,
    variant_index: usize,
) -> Outcome {
    let step_sizes = step_sizes(s);
    // The boxes are independent: run side by side, merged in box order.
    let outcomes: Vec<BoxOutcome> = boxes
        .par_iter()
        .enumerate()
        .map(|(b, bx)| {
            let job = BoxRun {
                pair,
                contexts,
                bx,
                region: b,
            };
            run_box(&job, s, variant_index, &step_sizes)
        })
        .collect();
    let mut tallies = vec![Tally::default(); contexts.len()];
    let mut sweep_tallies = tallies.clone();
    let mut evaluations = 0;
    let mut stats = Vec::new();
    for o in outcomes {
        for chunk in o.sweep {
            for (i, t) in chunk.into_iter().enumerate() {
                sweep_tallies[i].merge(t.clone());
                tallies[i].merge(t);
            }
        }
        evaluations += s.samples;
        for (i, t) in o.search {
            tallies[i].merge(t);
            evaluations += s.steps + 1;
        }
        stats.push(o.row);
    }
    Outcome {
        stats,
        tallies,
        sweep_tallies,
        evaluations,
    }
}

/// The sweep of `job`'s box, then the searches from its lowest ratios.
fn run_box(job: &BoxRun, s: &Settings, variant_index: usize, step_sizes: &[f64]) -> BoxOutcome {
    let (contexts, b) = (job.contexts, job.region);
    let chunks: Vec<Chunk> = (0..s.samples.div_ceil(CHUNK))
        .into_par_iter()
        // One workspace per batch of chunks a thread takes, not one per chunk.
        .map_init(
            || Workspace::new(job),
            |ws, c| {
                let seed = mix(s.seed, variant_index as u64, b as u64, c as u64);
                let n = CHUNK.min(s.samples - c * CHUNK);
                chunk(job, ws, seed, n, s.starts)
            },
        )
        .collect();
    let mut keys = Vec::with_capacity(s.samples);
    let row = (0..contexts.len())
        .map(|i| {
            // The box's ratios for this parameter, in sample order.
            let ratios = || chunks.iter().map(|ch| ch.ratios[i].as_slice());
            BoxStats {
                samples: ratios().map(<[f64]>::len).sum(),
                holds: ratios()
                    .map(|r| r.iter().filter(|&&x| x >= 1.0).count())
                    .sum(),
                quantiles: quantile::quantiles(ratios(), &mut keys, QUANTILES),
            }
        })
        .collect();
    // The box's lowest ratios: its chunks' in chunk order, stably sorted.
    let starts: Vec<Vec<(f64, &[f64])>> = (0..contexts.len())
        .map(|i| {
            let mut list: Vec<(f64, &[f64])> =
                chunks.iter().flat_map(|ch| ch.lowest[i].kept()).collect();
            list.sort_by(|a, b| a.0.total_cmp(&b.0));
            list.truncate(s.starts);
            list
        })
        .collect();
    // The searches are independent: run them in parallel, merge in a fixed order.
    let jobs: Vec<(usize, usize, &[f64])> = starts
        .iter()
        .enumerate()
        .flat_map(|(i, list)| list.iter().enumerate().map(move |(k, &(_, u))| (i, k, u)))
        .collect();
    // Walks in groups of `LANES`, evaluated side by side (see `PairEvaluator`).
    let found: Vec<Vec<(usize, Tally)>> = jobs
        .par_chunks(LANES)
        .map(|group| {
            let walks: Vec<Walk> = group
                .iter()
                .map(|&(i, k, u)| Walk {
                    param: i,
                    start: u.to_vec(),
                    seed: mix(
                        s.seed ^ 0x5eed,
                        variant_index as u64,
                        b as u64,
                        (i * 1000 + k) as u64,
                    ),
                })
                .collect();
            search(job, &walks, step_sizes)
        })
        .collect();
    BoxOutcome {
        row,
        sweep: chunks.into_iter().map(|ch| ch.tallies).collect(),
        search: found.into_iter().flatten().collect(),
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
    /// Whether every short circuit's fixed weight is at least 0 (else no sample has every
    /// weight non-negative).
    wc_nonnegative: bool,
}

/// What every lane of an evaluation shows, whichever parameter is compared.
struct Lanewise {
    /// Every pre-activation of both networks is within ±[`TAME`] (or the input's `NaN`).
    tame: [bool; LANES],
    /// σ' of every node of the skip network is at least the chain's.
    sigma_prime_dominates: [bool; LANES],
    /// The largest absolute parameter value.
    size: Lanes,
    /// Every weight is at least 0, the short circuits' fixed ones too.
    nonnegative: [bool; LANES],
}

impl Workspace {
    /// Empty buffers for samples of `job`'s pair in its box, with the gradients of its
    /// compared parameters.
    fn new(job: &BoxRun) -> Workspace {
        let pair = job.pair;
        let params = &pair.skip.params;
        let compared: Vec<usize> = job.contexts.iter().map(|c| c.param).collect();
        Workspace {
            draws: job.bx.sampler(&pair.skip),
            values: Vec::new(),
            eval: PairEvaluator::with_gradients(&pair.chain, &pair.skip, &compared),
            input: pair.skip.input_param(),
            weights: (0..params.len())
                .filter(|&i| params[i].role == Role::Weight)
                .collect(),
            wc_nonnegative: pair.skip.skip_weights_nonnegative(),
        }
    }

    /// Evaluate the parameter sets at unit coordinates `unit` in the box (by parameter
    /// index, one per lane), with the exponential `E`.
    #[inline(always)]
    fn evaluate<E: Exp4>(&mut self, unit: &[Lanes]) {
        values_into::<E>(&self.draws, unit, &mut self.values);
        self.eval.evaluate_with::<E>(&self.values);
    }

    /// What every lane of the last evaluation shows.
    #[inline(always)]
    fn lanewise(&self, skip: &Network) -> Lanewise {
        let (a, b) = (&self.eval.chain, &self.eval.skip);
        // The largest |pre-activation| of each lane; `max` passes over the input's `NaN`.
        let mut widest = [0.0_f64; LANES];
        for z in a.z.iter().chain(&b.z) {
            for (m, z) in widest.iter_mut().zip(z) {
                *m = m.max(z.abs());
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
        let mut nonnegative = [self.wc_nonnegative; LANES];
        for &w in &self.weights {
            for (n, v) in nonnegative.iter_mut().zip(&self.values[w]) {
                *n &= *v >= 0.0;
            }
        }
        Lanewise {
            tame: each_lane(|l| widest[l] <= TAME),
            sigma_prime_dominates,
            size,
            nonnegative,
        }
    }

    /// Every lane's comparison of the gradients with respect to parameter `param`.
    #[inline(always)]
    fn compare(&self, param: usize) -> Comparisons {
        Comparisons::new(self.eval.chain.grads[param], self.eval.skip.grads[param])
    }

    /// Every lane's comparison of the gradients with respect to its own parameter,
    /// `params[l]` for lane `l`.
    #[inline(always)]
    fn compare_by_lane(&self, params: [usize; LANES]) -> Comparisons {
        let (a, b) = (&self.eval.chain.grads, &self.eval.skip.grads);
        Comparisons::new(
            each_lane(|l| a[params[l]][l]),
            each_lane(|l| b[params[l]][l]),
        )
    }

    /// Offer lane `l` of the last evaluation (compared as `c`) to `tally`: a lane that
    /// [`Comparisons::showable_lanes`] holds, a counterexample that may be shown.
    #[inline(always)]
    fn offer(
        &self,
        l: usize,
        c: &Comparisons,
        lanewise: &Lanewise,
        tally: &mut Tally,
        region: usize,
    ) {
        tally.offer(&Offer {
            values: &self.values,
            lane: l,
            region,
            ratio: c.ratio[l],
            size: lanewise.size[l],
            nonnegative: lanewise.nonnegative[l],
        });
    }
}

/// The `keep` lowest finite ratios seen, lowest first (of equal ones the earlier first),
/// with their samples' unit coordinates.
struct Lowest {
    keep: usize,
    /// Coordinates per sample.
    d: usize,
    /// The kept ratios in order, each with the slot of its sample's coordinates.
    kept: Vec<(f64, usize)>,
    /// Slot `s`'s coordinates are `coords[s·d..(s + 1)·d]` (`d` coordinates per sample);
    /// a dropped sample's slot is written over by the next one kept.
    coords: Vec<f64>,
    /// Ratios below this enter the list: +∞ until it is full, then its last ratio (−∞ when
    /// nothing is kept).
    bar: f64,
}

impl Lowest {
    /// An empty list of the `keep` lowest samples of `d` coordinates.
    fn new(keep: usize, d: usize) -> Lowest {
        Lowest {
            keep,
            d,
            kept: Vec::with_capacity(keep),
            coords: vec![0.0; keep * d],
            bar: if keep == 0 {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
        }
    }

    /// Per lane, whether [`Lowest::offer`] could take a sample with these ratios as things
    /// stand (a superset of what it takes: the bar only falls).
    #[inline(always)]
    fn may_take(&self, ratio: &Lanes) -> [bool; LANES] {
        each_lane(|l| self.takes(ratio[l]))
    }

    /// Whether a sample with ratio `r` enters the list now. Ratios are never −0, so `<` and
    /// `total_cmp` order the finite ones alike; `NaN` and +∞ are never below the bar.
    #[inline(always)]
    fn takes(&self, r: f64) -> bool {
        (r < self.bar) & r.is_finite()
    }

    /// Offer the sample of lane `l` of the unit coordinates `unit` with ratio `r`.
    #[inline(always)]
    fn offer(&mut self, r: f64, unit: &[Lanes], l: usize) {
        if self.takes(r) {
            self.insert(r, unit, l);
        }
    }

    /// Put the sample in its place, dropping the last one if the list is full.
    #[inline(never)]
    fn insert(&mut self, r: f64, unit: &[Lanes], l: usize) {
        let slot = if self.kept.len() == self.keep {
            self.kept.pop().expect("a full list of at least one").1
        } else {
            self.kept.len()
        };
        let d = self.d;
        debug_assert_eq!(unit.len(), d);
        for (c, u) in self.coords[slot * d..(slot + 1) * d].iter_mut().zip(unit) {
            *c = u[l];
        }
        // Moved up past the larger ratios from the end, as in an insertion sort (the list is
        // short): after the equal ones, which came earlier.
        self.kept.push((r, slot));
        let mut at = self.kept.len() - 1;
        while at > 0 && self.kept[at - 1].0.total_cmp(&r).is_gt() {
            self.kept[at] = self.kept[at - 1];
            at -= 1;
        }
        self.kept[at] = (r, slot);
        if self.kept.len() == self.keep {
            self.bar = self.kept[self.keep - 1].0;
        }
    }

    /// The kept samples in order: each ratio with its sample's coordinates.
    fn kept(&self) -> impl Iterator<Item = (f64, &[f64])> {
        let d = self.d;
        self.kept
            .iter()
            .map(move |&(r, s)| (r, &self.coords[s * d..(s + 1) * d]))
    }
}

/// The `n` samples of one chunk of `job`'s box from the stream of `seed`, with the `keep`
/// lowest ratios per compared parameter, evaluated in `ws` (a workspace for `job`'s box).
fn chunk(job: &BoxRun, ws: &mut Workspace, seed: u64, n: usize, keep: usize) -> Chunk {
    #[cfg(target_arch = "x86_64")]
    if exp::vector_active() {
        // SAFETY: `vector_active` says the processor has AVX2 and FMA.
        return unsafe { chunk_avx2(job, ws, seed, n, keep) };
    }
    chunk_with::<Libm>(job, ws, seed, n, keep)
}

/// [`chunk`] with the whole loop compiled for AVX2 and FMA (the per-lane bookkeeping is
/// vectorised too; nothing is fused that the portable code does not fuse).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn chunk_avx2(job: &BoxRun, ws: &mut Workspace, seed: u64, n: usize, keep: usize) -> Chunk {
    chunk_with::<exp::Avx2Fma>(job, ws, seed, n, keep)
}

/// [`chunk`] with the exponential `E`.
#[inline(always)]
fn chunk_with<E: Exp4>(
    job: &BoxRun,
    ws: &mut Workspace,
    seed: u64,
    n: usize,
    keep: usize,
) -> Chunk {
    let mut words = Words::new(seed);
    let d = job.pair.skip.params.len();
    // (`vec![v; k]` would clone `v`, and a clone does not keep the capacity.)
    let mut ratios: Vec<Vec<f64>> = job.contexts.iter().map(|_| Vec::with_capacity(n)).collect();
    let mut tallies = vec![Tally::default(); job.contexts.len()];
    let mut counts = vec![LaneCounts::default(); job.contexts.len()];
    let mut lowest: Vec<Lowest> = job.contexts.iter().map(|_| Lowest::new(keep, d)).collect();
    let mut unit = vec![[0.0; LANES]; d];
    let mut floats = vec![0.0; d * LANES];
    // The conditions of each context, computed once for contexts with the same conditions
    // (`first_alike[i]`: the first context whose conditions are context `i`'s).
    let first_alike = first_alike(job.contexts);
    let mut held = vec![[[false; LANES]; 4]; job.contexts.len()];
    let mut done = 0;
    while done < n {
        // The samples in their order, `LANES` at a time; a last short group fills its
        // spare lanes with copies of its last sample, evaluated and left out.
        let m = LANES.min(n - done);
        // Lane `l`'s coordinates are the stream's next `d` floats, one per two words:
        // converted in stream order (vector operations), then placed by lane.
        let w = words.ahead(2 * d * m);
        for (f, pair) in floats.iter_mut().zip(w[..2 * d * m].chunks_exact(2)) {
            *f = float_of_words(pair[0], pair[1]);
        }
        words.consume(2 * d * m);
        for (l, lane) in floats[..d * m].chunks_exact(d).enumerate() {
            for (u, &f) in unit.iter_mut().zip(lane) {
                u[l] = f;
            }
        }
        for u in unit.iter_mut() {
            let last = u[m - 1];
            u[m..].fill(last);
        }
        ws.evaluate::<E>(&unit);
        let lanewise = ws.lanewise(&job.pair.skip);
        for (i, ctx) in job.contexts.iter().enumerate() {
            if first_alike[i] == i {
                held[i] = conditions(
                    ctx,
                    ws.input,
                    &ws.values,
                    lanewise.nonnegative,
                    lanewise.sigma_prime_dominates,
                );
                for h in &mut held[i] {
                    h[m..].fill(false);
                }
            } else {
                held[i] = held[first_alike[i]];
            }
            let held = &held[i];
            let c = ws.compare(ctx.param);
            counts[i].count(held, &c);
            // The lanes that may be kept, found for all lanes at once (most are not), then
            // offered one by one in sample order.
            let first_m = (1_u32 << m) - 1;
            let may_show = lane_bits(c.showable_lanes(&lanewise.tame))
                & lane_bits(tallies[i].may_take(&c.ratio, &lanewise.size, &lanewise.nonnegative));
            for l in set_lanes(may_show & first_m) {
                ws.offer(l, &c, &lanewise, &mut tallies[i], job.region);
            }
            for l in set_lanes(lane_bits(lowest[i].may_take(&c.ratio)) & first_m) {
                lowest[i].offer(c.ratio[l], &unit, l);
            }
            ratios[i].extend_from_slice(&c.ratio[..m]);
        }
        done += m;
    }
    for (c, t) in counts.iter().zip(&mut tallies) {
        c.add_all(t);
    }
    Chunk {
        ratios,
        tallies,
        lowest,
    }
}

/// For each context, the index of the first context with the same conditions (its own
/// when none before it has them).
fn first_alike(contexts: &[Context]) -> Vec<usize> {
    contexts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            contexts[..i]
                .iter()
                .position(|d| d.same_conditions(c))
                .unwrap_or(i)
        })
        .collect()
}

/// The search's step size at each step: geometric decay from `step` to a thousandth of it.
fn step_sizes(s: &Settings) -> Vec<f64> {
    (0..s.steps)
        .map(|t| s.step * 1e-3_f64.powf(t as f64 / s.steps.max(1) as f64))
        .collect()
}

/// A generator read ahead in blocks of words, so that a loop reads its words without a call
/// per word. Each generator belongs to one chunk of the sweep, so words read ahead and never
/// used change nothing (the search's walks read theirs from [`Streams`]).
struct Words {
    rng: ChaCha8,
    /// The words read ahead are `buf[at..end]`; the buffer only grows, so that a refill
    /// writes over old words instead of zeroing new ones first.
    buf: Vec<u32>,
    at: usize,
    end: usize,
}

impl Words {
    /// The words of `ChaCha8::seed_from_u64(seed)`.
    fn new(seed: u64) -> Words {
        Words {
            rng: ChaCha8::seed_from_u64(seed),
            buf: Vec::new(),
            at: 0,
            end: 0,
        }
    }

    /// The next words of the stream, at least `n` of them; consume them with
    /// [`Words::consume`].
    #[inline(always)]
    fn ahead(&mut self, n: usize) -> &[u32] {
        if self.end - self.at < n {
            self.refill(n);
        }
        &self.buf[self.at..self.end]
    }

    /// Move the words read ahead to the front of the buffer and read blocks until there are
    /// at least `n`.
    #[inline(never)]
    fn refill(&mut self, n: usize) {
        let room = ChaCha8::room(n);
        if self.buf.len() < room {
            self.buf.resize(room, 0);
        }
        (self.at, self.end) = self
            .rng
            .read_ahead(&mut self.buf, 0, (self.at, self.end), n);
    }

    /// Mark `n` words as used.
    fn consume(&mut self, n: usize) {
        self.at += n;
    }
}

/// What `rng.random::<f64>()` makes of the two words `lo`, `hi` it reads (in that order):
/// the top 53 bits of the 64-bit word they form, times 2⁻⁵³.
#[inline(always)]
fn float_of_words(lo: u32, hi: u32) -> f64 {
    chacha::unit_float((u64::from(hi) << 32) | u64::from(lo))
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
fn search(job: &BoxRun, walks: &[Walk], step_sizes: &[f64]) -> Vec<(usize, Tally)> {
    #[cfg(target_arch = "x86_64")]
    if exp::vector_active() {
        // SAFETY: `vector_active` says the processor has AVX2 and FMA.
        return unsafe { search_avx2(job, walks, step_sizes) };
    }
    search_with::<Libm>(job, walks, step_sizes)
}

/// [`search`] compiled for AVX2 and FMA, as [`chunk_avx2`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn search_avx2(job: &BoxRun, walks: &[Walk], step_sizes: &[f64]) -> Vec<(usize, Tally)> {
    search_with::<exp::Avx2Fma>(job, walks, step_sizes)
}

/// [`search`] with the exponential `E`.
#[inline(always)]
fn search_with<E: Exp4 + Propose>(
    job: &BoxRun,
    walks: &[Walk],
    step_sizes: &[f64],
) -> Vec<(usize, Tally)> {
    // Spare lanes repeat the last walk; their results are left out.
    let walk = |l: usize| &walks[l.min(walks.len() - 1)];
    let mut streams = Streams::new(std::array::from_fn(|l| walk(l).seed), walks[0].start.len());
    let mut tallies: [Tally; LANES] = std::array::from_fn(|_| Tally::default());
    // The walks' current points and proposed steps, by parameter index, one per lane.
    let mut u: Vec<Lanes> = (0..walks[0].start.len())
        .map(|i| std::array::from_fn(|l| walk(l).start[i]))
        .collect();
    let mut v = u.clone();
    let mut next = u.clone();
    let mut ws = Workspace::new(job);
    // Lane `l` compares the parameter of its walk's context; the lanes of each context.
    let params: [usize; LANES] = std::array::from_fn(|l| job.contexts[walk(l).param].param);
    // (Contexts with the same conditions are one group: their conditions are computed once.)
    let mut by_context: Vec<(&Context, [bool; LANES])> = Vec::new();
    for l in 0..LANES {
        let ctx = &job.contexts[walk(l).param];
        match by_context.iter_mut().find(|(c, _)| c.same_conditions(ctx)) {
            Some((_, lanes)) => lanes[l] = true,
            None => by_context.push((ctx, std::array::from_fn(|m| m == l))),
        }
    }
    // Every lane's counts are its walk's (spare lanes are counted and left out).
    let mut counts = LaneCounts::default();
    ws.evaluate::<E>(&u);
    let mut best = record_walks(&ws, job, &by_context, params, &mut counts, &mut tallies);
    for &step in step_sizes {
        E::propose(&mut streams, &u, &mut v, step);
        ws.evaluate::<E>(&v);
        let ratios = record_walks(&ws, job, &by_context, params, &mut counts, &mut tallies);
        // A walk moves when its ratio did not rise. Which walks move varies at random, so
        // the points are selected by mask rather than by a branch per lane.
        let moves: [u64; LANES] = each_lane(|l| u64::from(ratios[l] <= best[l]).wrapping_neg());
        best = each_lane(|l| select(ratios[l], best[l], moves[l]));
        // Into a third buffer: selected back into `u` in place, the points would be stored
        // with masked stores, which are slow on some processors.
        for ((next, u), v) in next.iter_mut().zip(&u).zip(&v) {
            *next = each_lane(|l| select(v[l], u[l], moves[l]));
        }
        std::mem::swap(&mut u, &mut next);
    }
    walks
        .iter()
        .zip(tallies)
        .enumerate()
        .map(|(l, (w, mut t))| {
            counts.add_lane(l, &mut t);
            (w.param, t)
        })
        .collect()
}

/// Record every lane's last evaluation of `ws` under its walk's parameter (`params[l]`,
/// conditions of the contexts `by_context` holding it) in `counts` and `tallies[l]`; the
/// ratios by lane. Inlined (a closure would not be), so that it is compiled with the
/// caller's target features.
#[inline(always)]
fn record_walks(
    ws: &Workspace,
    job: &BoxRun,
    by_context: &[(&Context, [bool; LANES])],
    params: [usize; LANES],
    counts: &mut LaneCounts,
    tallies: &mut [Tally; LANES],
) -> Lanes {
    let lanewise = ws.lanewise(&job.pair.skip);
    let mut held = [[false; LANES]; 4];
    for (ctx, lanes) in by_context {
        let h = conditions(
            ctx,
            ws.input,
            &ws.values,
            lanewise.nonnegative,
            lanewise.sigma_prime_dominates,
        );
        for (held, h) in held.iter_mut().zip(h) {
            // Bitwise, not `if`: a selection of bytes the processor makes sixteen at a time.
            *held = each_lane(|l| (lanes[l] & h[l]) | (!lanes[l] & held[l]));
        }
    }
    let c = ws.compare_by_lane(params);
    counts.count(&held, &c);
    for l in set_lanes(lane_bits(c.showable_lanes(&lanewise.tame))) {
        ws.offer(l, &c, &lanewise, &mut tallies[l], job.region);
    }
    c.ratio
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn the_lowest_are_the_first_of_the_stably_sorted_finite_ratios() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for keep in [0, 1, 3, 8] {
            for round in 0..50 {
                // Ties, infinities and NaN among ordinary ratios.
                let ratios: Vec<f64> = (0..200)
                    .map(|_| match rng.random_range(0..8) {
                        0 => f64::INFINITY,
                        1 => f64::NAN,
                        2 => f64::from(rng.random_range(0..3_u8)),
                        _ => rng.random::<f64>() * 2.0,
                    })
                    .collect();
                let mut lowest = Lowest::new(keep, 1);
                let mut prefiltered = Lowest::new(keep, 1);
                for (k, &r) in ratios.iter().enumerate() {
                    // Lane 3 of one coordinate holds the sample's index.
                    let unit = [std::array::from_fn(
                        |l| if l == 3 { k as f64 } else { -1.0 },
                    )];
                    lowest.offer(r, &unit, 3);
                    // Offered only where `may_take` lets it through, as the sweep does.
                    if prefiltered.may_take(&[r; LANES])[3] {
                        prefiltered.offer(r, &unit, 3);
                    }
                }
                let (lowest, prefiltered): (Vec<_>, Vec<_>) =
                    (lowest.kept().collect(), prefiltered.kept().collect());
                assert_eq!(prefiltered, lowest, "keep {keep}, round {round}");
                let mut want: Vec<(f64, usize)> = ratios
                    .iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, r)| r.is_finite())
                    .map(|(k, r)| (r, k))
                    .collect();
                want.sort_by(|a, b| a.0.total_cmp(&b.0));
                want.truncate(keep);
                let got: Vec<(f64, usize)> =
                    lowest.iter().map(|(r, u)| (*r, u[0] as usize)).collect();
                assert_eq!(got, want, "keep {keep}, round {round}");
            }
        }
    }

    #[test]
    fn lane_bits_name_the_lanes_that_hold() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..200 {
            let m: [bool; LANES] = std::array::from_fn(|_| rng.random());
            let bits = lane_bits(m);
            let want: Vec<usize> = (0..LANES).filter(|&l| m[l]).collect();
            assert_eq!(set_lanes(bits).collect::<Vec<_>>(), want);
        }
        assert_eq!(set_lanes(0).count(), 0);
        assert_eq!(lane_bits([true; LANES]), (1 << LANES) - 1);
    }

    #[test]
    fn unit_floats_are_the_exact_products() {
        // Every bit of the 53 taken, alone and with its neighbours, at both ends.
        let mut words = vec![
            0,
            u64::MAX,
            1 << 11,
            (1 << 11) - 1,
            1 << 63,
            (1 << 12) | (1 << 11),
        ];
        words.extend((11..64).flat_map(|b| [1_u64 << b, (1_u64 << b) - 1, !(1_u64 << b)]));
        for bits in words {
            let want = (bits >> 11) as f64 * (1.0 / (1_u64 << 53) as f64);
            let got = float_of_words(bits as u32, (bits >> 32) as u32);
            assert_eq!(got.to_bits(), want.to_bits(), "{bits:#x}");
        }
    }

    #[test]
    fn unit_floats_are_the_random_calls_floats() {
        for seed in [0, 7, u64::MAX] {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut words = Words::new(seed);
            // Runs of every length, so that reads straddle every buffer boundary.
            for n in (0..2_000).map(|k| k % 37) {
                let w = words.ahead(2 * n);
                let got: Vec<u64> = (0..n)
                    .map(|k| float_of_words(w[2 * k], w[2 * k + 1]).to_bits())
                    .collect();
                words.consume(2 * n);
                let want: Vec<u64> = (0..n).map(|_| rng.random::<f64>().to_bits()).collect();
                assert_eq!(got, want, "seed {seed}");
            }
        }
    }
}
