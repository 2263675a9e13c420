//! The search's proposals: the generators of [`LANES`] walks read ahead into one buffer, and
//! the steps drawn from them, every lane reading its own stream as `rand`'s `random` calls
//! would. With AVX2 every coordinate's words are gathered for all lanes at once.

#[cfg(target_arch = "x86_64")]
use super::exp::Avx2Fma;
use super::exp::Libm;
use super::pair_eval::{LANES, Lanes, each_lane, select};
use crate::compute::chacha::{ChaCha8, unit_float};
use rand::SeedableRng;

/// The streams of [`LANES`] walks, read ahead in blocks: lane `l`'s words are
/// `buf[at[l]..end[l]]`, inside its own stretch `buf[l·stride..(l + 1)·stride]`. Each stream
/// belongs to one walk, so words read ahead and never used change nothing.
pub struct Streams {
    rngs: [ChaCha8; LANES],
    buf: Vec<u32>,
    stride: usize,
    /// The most words a step may read per lane.
    most: usize,
    at: [usize; LANES],
    end: [usize; LANES],
}

impl Streams {
    /// The streams of `ChaCha8::seed_from_u64(seeds[l])`, for steps of `d` coordinates.
    pub fn new(seeds: [u64; LANES], d: usize) -> Streams {
        let most = 3 * d;
        // Each lane's stretch holds what a refill up to `most` words may fill.
        let stride = ChaCha8::room(most);
        Streams {
            rngs: seeds.map(ChaCha8::seed_from_u64),
            buf: vec![0; LANES * stride],
            stride,
            most,
            at: each_lane(|l| l * stride),
            end: each_lane(|l| l * stride),
        }
    }

    /// Make sure every lane has a whole step's words read ahead.
    #[inline(always)]
    fn fill(&mut self) {
        for l in 0..LANES {
            if self.end[l] - self.at[l] < self.most {
                self.refill(l);
            }
        }
    }

    /// Move lane `l`'s words read ahead to the front of its stretch and read blocks until
    /// there are a step's worth.
    #[inline(never)]
    fn refill(&mut self, l: usize) {
        let unread = (self.at[l], self.end[l]);
        (self.at[l], self.end[l]) =
            self.rngs[l].read_ahead(&mut self.buf, l * self.stride, unread, self.most);
    }

    /// The next word of lane `l`'s stream, without using it.
    #[cfg(test)]
    pub fn peek(&mut self, l: usize) -> u32 {
        self.fill();
        self.buf[self.at[l]]
    }
}

/// How the words of a step are read: lane by lane, or gathered.
pub trait Propose {
    /// Every lane's proposed step from `u` into `v` (both by parameter index), lane `l`
    /// drawing from its stream in `streams`: each coordinate moves with probability 1/2 (so
    /// that single pre-activations can be tuned) by up to `step`, clamped to `[0, 1]`. The
    /// words are used as `rng.random::<bool>()` and, for a coordinate that moves,
    /// `rng.random::<f64>()` would use them: a bool is the sign bit of one word, a float the
    /// top 53 bits of the next two (low word first) times 2⁻⁵³.
    fn propose(streams: &mut Streams, u: &[Lanes], v: &mut [Lanes], step: f64);
}

/// Every lane's step at each coordinate from `u` into `v`, the words of each coordinate
/// read by `read`: from the buffer and every lane's place in it (advanced past the words
/// read), the mask of each lane's move and the 64 bits of its float.
#[inline(always)]
fn step_with(
    streams: &mut Streams,
    u: &[Lanes],
    v: &mut [Lanes],
    step: f64,
    mut read: impl FnMut(&[u32], &mut [usize; LANES]) -> ([u64; LANES], [u64; LANES]),
) {
    // `fill` reads a step of the size the streams were made for; the gathers rely on it.
    assert!(3 * u.len() <= streams.most);
    streams.fill();
    let mut at = streams.at;
    for (v, u) in v.iter_mut().zip(u) {
        let (moves, bits) = read(&streams.buf, &mut at);
        let moved: Lanes =
            each_lane(|l| (u[l] + step * (2.0 * unit_float(bits[l]) - 1.0)).clamp(0.0, 1.0));
        // A selection by mask: which of the two it is varies at random, so a branch would be
        // mispredicted half the time.
        *v = each_lane(|l| select(moved[l], u[l], moves[l]));
    }
    streams.at = at;
}

/// Lane by lane: where a lane reads next depends on the word it just read, so the reads
/// are scalar (the lanes' chains of reads overlap), and the arithmetic of all lanes follows
/// at once.
impl Propose for Libm {
    #[inline(always)]
    fn propose(streams: &mut Streams, u: &[Lanes], v: &mut [Lanes], step: f64) {
        step_with(streams, u, v, step, |buf, at| {
            let mut moves = [0_u64; LANES];
            let mut bits = [0_u64; LANES];
            for l in 0..LANES {
                let [first, low, high] = [buf[at[l]], buf[at[l] + 1], buf[at[l] + 2]];
                let moved = (first >> 31) as usize;
                moves[l] = (moved as u64).wrapping_neg();
                bits[l] = (u64::from(high) << 32) | u64::from(low);
                at[l] += 1 + 2 * moved;
            }
            (moves, bits)
        });
    }
}

/// Gathered: eight lanes' first words in one gather, and their floats' 64 bits (two words
/// at any place, read as one) in two more.
#[cfg(target_arch = "x86_64")]
impl Propose for Avx2Fma {
    #[inline(always)]
    fn propose(streams: &mut Streams, u: &[Lanes], v: &mut [Lanes], step: f64) {
        use std::arch::x86_64::*;
        const { assert!(LANES.is_multiple_of(8)) };
        // Every place in the buffer fits the gathers' 32-bit indices.
        assert!(streams.buf.len() <= i32::MAX as usize);
        step_with(streams, u, v, step, |buf, at| {
            let mut moves = [0_u64; LANES];
            let mut bits = [0_u64; LANES];
            let base = buf.as_ptr();
            for g in 0..LANES / 8 {
                let place: [i32; 8] = std::array::from_fn(|k| at[8 * g + k] as i32);
                let mut after = [0_i32; 8];
                // SAFETY: this type is only used where `vector_active` said AVX2 exists.
                // `fill` read three words ahead per coordinate at every lane's place, and a
                // lane moves at most three words per coordinate, so the gathers read inside
                // `buf`; the stores write inside the arrays (8 lanes from lane 8·g).
                unsafe {
                    let i = _mm256_loadu_si256(place.as_ptr().cast());
                    let first = _mm256_i32gather_epi32::<4>(base.cast(), i);
                    // All ones where the sign bit is set: the lane moves.
                    let sign = _mm256_srai_epi32::<31>(first);
                    let next = _mm256_add_epi32(i, _mm256_set1_epi32(1));
                    let low = _mm256_castsi256_si128(next);
                    let high = _mm256_extracti128_si256::<1>(next);
                    let b = bits.as_mut_ptr().add(8 * g).cast::<__m256i>();
                    _mm256_storeu_si256(b, _mm256_i32gather_epi64::<4>(base.cast(), low));
                    _mm256_storeu_si256(b.add(1), _mm256_i32gather_epi64::<4>(base.cast(), high));
                    let m = moves.as_mut_ptr().add(8 * g).cast::<__m256i>();
                    let sign_low = _mm256_castsi256_si128(sign);
                    let sign_high = _mm256_extracti128_si256::<1>(sign);
                    _mm256_storeu_si256(m, _mm256_cvtepi32_epi64(sign_low));
                    _mm256_storeu_si256(m.add(1), _mm256_cvtepi32_epi64(sign_high));
                    let skip = _mm256_and_si256(sign, _mm256_set1_epi32(2));
                    _mm256_storeu_si256(after.as_mut_ptr().cast(), _mm256_add_epi32(next, skip));
                }
                for (a, after) in at[8 * g..8 * g + 8].iter_mut().zip(after) {
                    *a = after as usize;
                }
            }
            (moves, bits)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, RngCore};
    use rand_chacha::ChaCha8Rng;

    /// The proposal drawn with the generator's own `random` calls, coordinate by coordinate.
    fn propose_with_rng(rng: &mut ChaCha8Rng, u: &[Lanes], v: &mut [Lanes], l: usize, step: f64) {
        for (v, u) in v.iter_mut().zip(u) {
            let x = u[l];
            v[l] = if rng.random::<bool>() {
                (x + step * (2.0 * rng.random::<f64>() - 1.0)).clamp(0.0, 1.0)
            } else {
                x
            };
        }
    }

    /// `P`'s proposals against the `random` calls' for walks of 1 to 13 coordinates.
    fn proposals_match<P: Propose>() {
        for seed in [0, 1, 2026, u64::MAX] {
            let lane_seed = |l: usize| seed.wrapping_add(7_919 * l as u64);
            let mut points = ChaCha8Rng::seed_from_u64(!seed);
            for d in 1..=13 {
                let mut rngs: [ChaCha8Rng; LANES] =
                    std::array::from_fn(|l| ChaCha8Rng::seed_from_u64(lane_seed(l)));
                let mut streams = Streams::new(std::array::from_fn(lane_seed), d);
                // Enough steps that every lane's reads straddle the read-ahead blocks, and the
                // generator's own buffer, at many offsets (each lane at its own pace).
                for k in 0..300 {
                    let u: Vec<Lanes> = (0..d)
                        .map(|_| std::array::from_fn(|_| points.random::<f64>()))
                        .collect();
                    let step = [0.2, 1e-4, 1.0][k % 3];
                    let (mut want, mut got) = (u.clone(), u.clone());
                    for (l, rng) in rngs.iter_mut().enumerate() {
                        propose_with_rng(rng, &u, &mut want, l, step);
                    }
                    P::propose(&mut streams, &u, &mut got, step);
                    let bits =
                        |v: &[Lanes]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
                    assert_eq!(bits(&got), bits(&want), "seed {seed}, d {d}, step {k}");
                }
                // Every lane is at the same place in its stream afterwards.
                for (l, rng) in rngs.iter_mut().enumerate() {
                    assert_eq!(streams.peek(l), rng.next_u32(), "seed {seed}, d {d}");
                }
            }
        }
    }

    #[test]
    fn lane_by_lane_proposals_read_the_stream_as_the_random_calls_do() {
        proposals_match::<Libm>();
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn gathered_proposals_read_the_stream_as_the_random_calls_do() {
        if super::super::exp::vector_active() {
            proposals_match::<Avx2Fma>();
        } else {
            eprintln!("skipped: this processor has no AVX2 and FMA");
        }
    }
}
