//! ChaCha8 with 16 blocks at a time in AVX-512: the stream of `rand_chacha::ChaCha8Rng`.
//!
//! [`ChaCha8`] gives, for every seed and every mix of `next_u32`, `next_u64` and
//! `fill_bytes`, the words `rand_chacha::ChaCha8Rng` gives: the same key (the seed as eight
//! little-endian words), the same 64-bit block counter in words 12–13 and stream 0 in words
//! 14–15, the same `seed_from_u64` (rand_core's default, which rand_chacha keeps), and
//! rand_core's own [`BlockRng`] to hand out the words. Only block generation is new: 16
//! blocks per call, one AVX-512 register per state word. Machines without AVX-512 take their
//! blocks from `rand_chacha` itself, so the stream is the same there by construction.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::block::{BlockRng, BlockRngCore};
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Blocks made per refill.
const BLOCKS: usize = 16;
/// Words in one ChaCha block.
const BLOCK_WORDS: usize = 16;
/// Words per refill.
const WORDS: usize = BLOCKS * BLOCK_WORDS;

/// How many words [`ChaCha8::next_words`] hands out at a time.
pub const REFILL: usize = WORDS;

/// A generator whose stream equals `rand_chacha::ChaCha8Rng`'s (stream 0).
#[derive(Clone, Debug)]
pub struct ChaCha8(BlockRng<Core>);

impl ChaCha8 {
    /// Whether this generator makes its blocks with AVX-512 (else `rand_chacha` makes them).
    pub fn uses_avx512(&self) -> bool {
        self.0.core.portable.is_none()
    }

    /// The offset from the start of the stream in words, as `ChaCha8Rng::get_word_pos`.
    pub fn get_word_pos(&self) -> u128 {
        let start = self.0.core.block.wrapping_sub(BLOCKS as u64);
        let index = self.0.index() as u64;
        let block = start.wrapping_add(index / BLOCK_WORDS as u64);
        u128::from(block) * BLOCK_WORDS as u128 + u128::from(index % BLOCK_WORDS as u64)
    }

    /// Move to `word` words from the start of the stream (modulo 2^68), as
    /// `ChaCha8Rng::set_word_pos`.
    pub fn set_word_pos(&mut self, word: u128) {
        self.0.core.seek((word / BLOCK_WORDS as u128) as u64);
        self.0
            .generate_and_set((word % BLOCK_WORDS as u128) as usize);
    }

    /// The next [`REFILL`] words of the stream into `out`, as that many `next_u32` calls
    /// give them. When the generator's own buffer is used up (as it is after whole calls of
    /// this), the blocks are made straight into `out`, with no copy.
    pub fn next_words(&mut self, out: &mut [u32; REFILL]) {
        if self.0.index() >= WORDS {
            self.0.core.fill(out);
        } else {
            out.iter_mut().for_each(|w| *w = self.0.next_u32());
        }
    }
}

impl RngCore for ChaCha8 {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    #[inline]
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        self.0.fill_bytes(dst)
    }
}

impl SeedableRng for ChaCha8 {
    type Seed = [u8; 32];

    fn from_seed(seed: Self::Seed) -> Self {
        let key = std::array::from_fn(|i| {
            u32::from_le_bytes([
                seed[4 * i],
                seed[4 * i + 1],
                seed[4 * i + 2],
                seed[4 * i + 3],
            ])
        });
        let portable = (!avx512_available()).then(|| Box::new(ChaCha8Rng::from_seed(seed)));
        ChaCha8(BlockRng::new(Core {
            key,
            block: 0,
            portable,
        }))
    }
}

/// Whether this machine runs the AVX-512 block function.
fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The block function behind [`ChaCha8`]'s buffer.
#[derive(Clone, Debug)]
struct Core {
    /// The seed as eight little-endian words (state words 4–11).
    key: [u32; 8],
    /// The counter of the next block to generate.
    block: u64,
    /// `rand_chacha`'s generator, positioned at `block`, on machines without AVX-512.
    portable: Option<Box<ChaCha8Rng>>,
}

impl Core {
    /// Make `block` the next block to generate.
    fn seek(&mut self, block: u64) {
        self.block = block;
        if let Some(rng) = &mut self.portable {
            rng.set_word_pos(u128::from(block) * BLOCK_WORDS as u128);
        }
    }
}

/// [`WORDS`] words; an array this long has no `Default` of its own.
#[derive(Clone, Debug)]
struct Words([u32; WORDS]);

impl Default for Words {
    fn default() -> Self {
        Words([0; WORDS])
    }
}

impl AsRef<[u32]> for Words {
    fn as_ref(&self) -> &[u32] {
        &self.0
    }
}

impl AsMut<[u32]> for Words {
    fn as_mut(&mut self) -> &mut [u32] {
        &mut self.0
    }
}

impl BlockRngCore for Core {
    type Item = u32;
    type Results = Words;

    #[inline]
    fn generate(&mut self, out: &mut Words) {
        self.fill(&mut out.0);
    }
}

impl Core {
    /// The next [`BLOCKS`] blocks into `out`.
    #[inline]
    fn fill(&mut self, out: &mut [u32; WORDS]) {
        match &mut self.portable {
            Some(rng) => out.iter_mut().for_each(|w| *w = rng.next_u32()),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `portable` is `None` only when `avx512_available` found AVX-512F.
            None => unsafe { avx512::blocks(&self.key, self.block, out) },
            #[cfg(not(target_arch = "x86_64"))]
            None => unreachable!("AVX-512 is only detected on x86_64"),
        }
        self.block = self.block.wrapping_add(BLOCKS as u64);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{BLOCK_WORDS, BLOCKS, WORDS};
    use std::arch::x86_64::*;

    /// "expand 32-byte k", state words 0–3.
    const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

    /// One ChaCha quarter round on state words `a`, `b`, `c`, `d`, 16 blocks at once.
    #[inline(always)]
    fn quarter(x: &mut [__m512i; 16], a: usize, b: usize, c: usize, d: usize) {
        // SAFETY (all intrinsics here): the callers run with AVX-512F enabled.
        unsafe {
            x[a] = _mm512_add_epi32(x[a], x[b]);
            x[d] = _mm512_rol_epi32::<16>(_mm512_xor_si512(x[d], x[a]));
            x[c] = _mm512_add_epi32(x[c], x[d]);
            x[b] = _mm512_rol_epi32::<12>(_mm512_xor_si512(x[b], x[c]));
            x[a] = _mm512_add_epi32(x[a], x[b]);
            x[d] = _mm512_rol_epi32::<8>(_mm512_xor_si512(x[d], x[a]));
            x[c] = _mm512_add_epi32(x[c], x[d]);
            x[b] = _mm512_rol_epi32::<7>(_mm512_xor_si512(x[b], x[c]));
        }
    }

    /// Blocks `block`, `block + 1`, … `block + 15` (wrapping) of ChaCha8 with `key`, stream 0,
    /// one after another in `out`.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn blocks(key: &[u32; 8], block: u64, out: &mut [u32; WORDS]) {
        let counters: [u64; BLOCKS] = std::array::from_fn(|i| block.wrapping_add(i as u64));
        let low: [u32; BLOCKS] = counters.map(|c| c as u32);
        let high: [u32; BLOCKS] = counters.map(|c| (c >> 32) as u32);
        // Word w of the input state of all 16 blocks, lane i for block `block + i`.
        let input: [__m512i; 16] = std::array::from_fn(|w| match w {
            0..4 => _mm512_set1_epi32(SIGMA[w] as i32),
            4..12 => _mm512_set1_epi32(key[w - 4] as i32),
            // SAFETY: `low` and `high` are 64 bytes each; the loads are unaligned.
            12 => unsafe { _mm512_loadu_si512(low.as_ptr().cast()) },
            13 => unsafe { _mm512_loadu_si512(high.as_ptr().cast()) },
            _ => _mm512_setzero_si512(),
        });
        let mut x = input;
        for _ in 0..4 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        let x: [__m512i; 16] = std::array::from_fn(|w| _mm512_add_epi32(x[w], input[w]));
        // Transpose from one register per word to one register per block: interleave words,
        // then pairs of words (each 128-bit lane now holds four words of one block), then
        // gather the four lanes of each block.
        let t: [__m512i; 16] = std::array::from_fn(|i| {
            let (a, b) = (x[i & !1], x[i | 1]);
            if i % 2 == 0 {
                _mm512_unpacklo_epi32(a, b)
            } else {
                _mm512_unpackhi_epi32(a, b)
            }
        });
        // u[4g + j], lane L: words 4g..4g+4 of block 4L + j.
        let u: [__m512i; 16] = std::array::from_fn(|i| {
            let (g, j) = (i / 4, i % 4);
            let (a, b) = (t[4 * g + j / 2], t[4 * g + j / 2 + 2]);
            if j % 2 == 0 {
                _mm512_unpacklo_epi64(a, b)
            } else {
                _mm512_unpackhi_epi64(a, b)
            }
        });
        for j in 0..4 {
            let (a, b, c, d) = (u[j], u[4 + j], u[8 + j], u[12 + j]);
            let ab01 = _mm512_shuffle_i32x4::<0x44>(a, b);
            let ab23 = _mm512_shuffle_i32x4::<0xEE>(a, b);
            let cd01 = _mm512_shuffle_i32x4::<0x44>(c, d);
            let cd23 = _mm512_shuffle_i32x4::<0xEE>(c, d);
            let rows = [
                _mm512_shuffle_i32x4::<0x88>(ab01, cd01),
                _mm512_shuffle_i32x4::<0xDD>(ab01, cd01),
                _mm512_shuffle_i32x4::<0x88>(ab23, cd23),
                _mm512_shuffle_i32x4::<0xDD>(ab23, cd23),
            ];
            for (l, row) in rows.into_iter().enumerate() {
                let at = (4 * l + j) * BLOCK_WORDS;
                // SAFETY: `at + 16 <= WORDS` since `4 * l + j < BLOCKS`; the store is unaligned.
                unsafe { _mm512_storeu_si512(out[at..at + 16].as_mut_ptr().cast(), row) };
            }
        }
    }
}
