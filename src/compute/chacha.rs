//! ChaCha8 with 16 blocks at a time in AVX-512 or AVX2: the stream of
//! `rand_chacha::ChaCha8Rng`.
//!
//! [`ChaCha8`] gives, for every seed and every mix of `next_u32`, `next_u64` and
//! `fill_bytes`, the words `rand_chacha::ChaCha8Rng` gives: the same key (the seed as eight
//! little-endian words), the same 64-bit block counter in words 12–13 and stream 0 in words
//! 14–15, the same `seed_from_u64` (rand_core's default, which rand_chacha keeps), and
//! rand_core's own [`BlockRng`] to hand out the words. Only block generation is new: 16
//! blocks per refill, one vector register per state word (16 blocks to an AVX-512 register,
//! 8 to an AVX2 one). Machines with neither take their blocks from `rand_chacha` itself, so
//! the stream is the same there by construction. [`unit_float`] is `rand`'s float of a word,
//! made of operations that vectorise.

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
    /// The block function this generator uses.
    pub fn block_function(&self) -> BlockFunction {
        match self.0.core.blocks {
            Blocks::Avx512 => BlockFunction::Avx512,
            Blocks::Avx2 => BlockFunction::Avx2,
            Blocks::Portable(_) => BlockFunction::Portable,
        }
    }

    /// This generator, at the same place in the same stream, making its blocks with `f`
    /// from now on; `None` if this machine cannot run `f`.
    pub fn with_block_function(mut self, f: BlockFunction) -> Option<ChaCha8> {
        self.0.core.blocks = Blocks::new(f, &self.0.core.key)?;
        let block = self.0.core.block;
        self.0.core.seek(block);
        Some(self)
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

    /// The words [`ChaCha8::read_ahead`] may fill after `front` to have `n` unread: fewer than
    /// `n` kept, then whole refills of [`REFILL`].
    pub const fn room(n: usize) -> usize {
        if n == 0 { REFILL } else { n - 1 + REFILL }
    }

    /// Read ahead into `buf`, whose unread words are `buf[at..end]`: move them to
    /// `buf[front..]`, then append [`REFILL`] words at a time until at least `n` are unread.
    /// The new `(at, end)`; `buf` must hold `front + ChaCha8::room(n)` words.
    pub fn read_ahead(
        &mut self,
        buf: &mut [u32],
        front: usize,
        (at, end): (usize, usize),
        n: usize,
    ) -> (usize, usize) {
        buf.copy_within(at..end, front);
        let mut end = front + end - at;
        while end - front < n {
            let fresh = (&mut buf[end..end + REFILL])
                .try_into()
                .expect("REFILL words");
            self.next_words(fresh);
            end += REFILL;
        }
        (front, end)
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
        let blocks = Blocks::new(BlockFunction::best(), &key).expect("the best is available");
        ChaCha8(BlockRng::new(Core {
            key,
            block: 0,
            blocks,
        }))
    }
}

/// What `rng.random::<f64>()` makes of the 64-bit word `bits`: `(bits >> 11) · 2⁻⁵³`, built
/// from bit operations and two exact additions, so that lanes of it are vector operations
/// (AVX2 has no vector conversion from 64-bit integers). With `n = bits >> 11`:
/// `1 + (n >> 1)·2⁻⁵²` is a float in [1, 2) made from its bits; less 1 it is exactly
/// `(n >> 1)·2⁻⁵²`, and adding the last bit of `n` as 0 or 2⁻⁵³ is exact too (the sum is a
/// multiple of 2⁻⁵³ below 1).
#[inline(always)]
pub fn unit_float(bits: u64) -> f64 {
    const ONE: u64 = 0x3ff0_0000_0000_0000;
    const HALF_ULP: u64 = 0x3ca0_0000_0000_0000; // 2⁻⁵³
    let n = bits >> 11;
    let high = f64::from_bits(ONE | (n >> 1)) - 1.0;
    high + f64::from_bits((n & 1).wrapping_neg() & HALF_ULP)
}

/// A way of making ChaCha8 blocks; each gives the same words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockFunction {
    /// 16 blocks at once in AVX-512 registers.
    Avx512,
    /// 8 blocks at once in AVX2 registers, twice per refill.
    Avx2,
    /// `rand_chacha`'s own generator.
    Portable,
}

impl BlockFunction {
    /// The block functions this machine runs, fastest first.
    pub fn available() -> Vec<BlockFunction> {
        [
            BlockFunction::Avx512,
            BlockFunction::Avx2,
            BlockFunction::Portable,
        ]
        .into_iter()
        .filter(|f| f.runs_here())
        .collect()
    }

    /// Whether this machine runs this block function.
    fn runs_here(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            BlockFunction::Avx512 => is_x86_feature_detected!("avx512f"),
            #[cfg(target_arch = "x86_64")]
            BlockFunction::Avx2 => is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            BlockFunction::Avx512 | BlockFunction::Avx2 => false,
            BlockFunction::Portable => true,
        }
    }

    /// The fastest block function this machine runs.
    pub fn best() -> BlockFunction {
        static BEST: std::sync::OnceLock<BlockFunction> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| BlockFunction::available()[0])
    }
}

/// The block function of a [`Core`], with what it needs.
#[derive(Clone, Debug)]
enum Blocks {
    /// Only where AVX-512F was detected.
    Avx512,
    /// Only where AVX2 was detected.
    Avx2,
    /// `rand_chacha`'s generator, positioned at the core's next block.
    Portable(Box<ChaCha8Rng>),
}

impl Blocks {
    /// `f` for the key `key`, if this machine runs it.
    fn new(f: BlockFunction, key: &[u32; 8]) -> Option<Blocks> {
        if !f.runs_here() {
            return None;
        }
        Some(match f {
            BlockFunction::Avx512 => Blocks::Avx512,
            BlockFunction::Avx2 => Blocks::Avx2,
            BlockFunction::Portable => {
                let mut seed = [0; 32];
                for (bytes, word) in seed.chunks_exact_mut(4).zip(key) {
                    bytes.copy_from_slice(&word.to_le_bytes());
                }
                Blocks::Portable(Box::new(ChaCha8Rng::from_seed(seed)))
            }
        })
    }
}

/// The block function behind [`ChaCha8`]'s buffer.
#[derive(Clone, Debug)]
struct Core {
    /// The seed as eight little-endian words (state words 4–11).
    key: [u32; 8],
    /// The counter of the next block to generate.
    block: u64,
    /// How blocks are made.
    blocks: Blocks,
}

impl Core {
    /// Make `block` the next block to generate.
    fn seek(&mut self, block: u64) {
        self.block = block;
        if let Blocks::Portable(rng) = &mut self.blocks {
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
        match &mut self.blocks {
            Blocks::Portable(rng) => out.iter_mut().for_each(|w| *w = rng.next_u32()),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Blocks::new` made `Avx512` only where AVX-512F was detected.
            Blocks::Avx512 => unsafe { avx512::blocks(&self.key, self.block, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Blocks::new` made `Avx2` only where AVX2 was detected.
            Blocks::Avx2 => unsafe { avx2::blocks(&self.key, self.block, out) },
            #[cfg(not(target_arch = "x86_64"))]
            Blocks::Avx512 | Blocks::Avx2 => unreachable!("only detected on x86_64"),
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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{BLOCK_WORDS, BLOCKS, WORDS};
    use std::arch::x86_64::*;

    /// Blocks per AVX2 register.
    const EIGHT: usize = 8;

    /// "expand 32-byte k", state words 0–3.
    const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

    /// The byte shuffle that rotates every 32-bit lane left by `8·k` bits: byte `i` of a lane
    /// comes from byte `i − k` (mod 4) of the same lane.
    const fn rotation(k: usize) -> [u8; 32] {
        let mut bytes = [0; 32];
        let mut i = 0;
        while i < 32 {
            bytes[i] = ((i & !3) + (i + 4 - k) % 4) as u8;
            i += 1;
        }
        bytes
    }

    /// Every 32-bit lane of `x` rotated left by `8·k` bits (`k` 1 to 3), as a byte shuffle.
    #[inline(always)]
    fn rotate_bytes<const K: usize>(x: __m256i) -> __m256i {
        let bytes = const { rotation(K) };
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled; `bytes` holds 32.
        unsafe { _mm256_shuffle_epi8(x, _mm256_loadu_si256(bytes.as_ptr().cast())) }
    }

    /// Every 32-bit lane of `x` rotated left by 16 bits.
    #[inline(always)]
    fn rotate16(x: __m256i) -> __m256i {
        rotate_bytes::<2>(x)
    }

    /// Every 32-bit lane of `x` rotated left by 8 bits.
    #[inline(always)]
    fn rotate8(x: __m256i) -> __m256i {
        rotate_bytes::<1>(x)
    }

    /// Every 32-bit lane of `x` rotated left by 12 bits.
    #[inline(always)]
    fn rotate12(x: __m256i) -> __m256i {
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled.
        unsafe { _mm256_or_si256(_mm256_slli_epi32::<12>(x), _mm256_srli_epi32::<20>(x)) }
    }

    /// Every 32-bit lane of `x` rotated left by 7 bits.
    #[inline(always)]
    fn rotate7(x: __m256i) -> __m256i {
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled.
        unsafe { _mm256_or_si256(_mm256_slli_epi32::<7>(x), _mm256_srli_epi32::<25>(x)) }
    }

    /// One ChaCha quarter round on state words `a`, `b`, `c`, `d`, 8 blocks at once.
    #[inline(always)]
    fn quarter(x: &mut [__m256i; 16], a: usize, b: usize, c: usize, d: usize) {
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled.
        unsafe {
            x[a] = _mm256_add_epi32(x[a], x[b]);
            x[d] = rotate16(_mm256_xor_si256(x[d], x[a]));
            x[c] = _mm256_add_epi32(x[c], x[d]);
            x[b] = rotate12(_mm256_xor_si256(x[b], x[c]));
            x[a] = _mm256_add_epi32(x[a], x[b]);
            x[d] = rotate8(_mm256_xor_si256(x[d], x[a]));
            x[c] = _mm256_add_epi32(x[c], x[d]);
            x[b] = rotate7(_mm256_xor_si256(x[b], x[c]));
        }
    }

    /// Blocks `block`, `block + 1`, … `block + 15` (wrapping) of ChaCha8 with `key`, stream 0,
    /// one after another in `out`: eight at a time.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn blocks(key: &[u32; 8], block: u64, out: &mut [u32; WORDS]) {
        const { assert!(BLOCKS.is_multiple_of(EIGHT)) };
        for (k, out) in out.chunks_exact_mut(EIGHT * BLOCK_WORDS).enumerate() {
            eight(key, block.wrapping_add((k * EIGHT) as u64), out);
        }
    }

    /// Blocks `block` … `block + 7` (wrapping) into `out` (`8 × 16` words).
    #[inline(always)]
    fn eight(key: &[u32; 8], block: u64, out: &mut [u32]) {
        let counters: [u64; EIGHT] = std::array::from_fn(|i| block.wrapping_add(i as u64));
        let low: [u32; EIGHT] = counters.map(|c| c as u32);
        let high: [u32; EIGHT] = counters.map(|c| (c >> 32) as u32);
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled; `low` and `high`
        // are 32 bytes each and the loads unaligned.
        let input: [__m256i; 16] = std::array::from_fn(|w| unsafe {
            match w {
                0..4 => _mm256_set1_epi32(SIGMA[w] as i32),
                4..12 => _mm256_set1_epi32(key[w - 4] as i32),
                12 => _mm256_loadu_si256(low.as_ptr().cast()),
                13 => _mm256_loadu_si256(high.as_ptr().cast()),
                _ => _mm256_setzero_si256(),
            }
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
        // SAFETY: as above.
        let x: [__m256i; 16] = std::array::from_fn(|w| unsafe { _mm256_add_epi32(x[w], input[w]) });
        // Words 0–7 and words 8–15 of the eight blocks, each an 8 × 8 transpose: from one
        // register per word to one register per block.
        for (half, x) in x.chunks_exact(EIGHT).enumerate() {
            for (i, row) in transpose(x.try_into().expect("eight words"))
                .into_iter()
                .enumerate()
            {
                let at = i * BLOCK_WORDS + half * EIGHT;
                // SAFETY: `at + 8 <= out.len()`; the store is unaligned.
                unsafe { _mm256_storeu_si256(out[at..at + EIGHT].as_mut_ptr().cast(), row) };
            }
        }
    }

    /// The 8 × 8 transpose of 32-bit lanes: lane `j` of row `i` is lane `i` of `a[j]`.
    #[inline(always)]
    fn transpose(a: [__m256i; EIGHT]) -> [__m256i; EIGHT] {
        // SAFETY (all intrinsics here): the callers run with AVX2 enabled.
        unsafe {
            // Pairs of rows interleaved by word, then by pairs of words: each 128-bit half
            // of `u[k]` holds lane k (low half) or lane k + 4 (high half) of four rows.
            let t: [__m256i; EIGHT] = std::array::from_fn(|i| {
                let (p, q) = (a[i & !1], a[i | 1]);
                if i % 2 == 0 {
                    _mm256_unpacklo_epi32(p, q)
                } else {
                    _mm256_unpackhi_epi32(p, q)
                }
            });
            let u: [__m256i; EIGHT] = std::array::from_fn(|i| {
                // Rows 0–3 for i < 4, rows 4–7 above; lanes (0, 4), (1, 5), (2, 6), (3, 7).
                let (g, k) = (i / 4, i % 4);
                let (p, q) = (t[4 * g + k / 2], t[4 * g + k / 2 + 2]);
                if k % 2 == 0 {
                    _mm256_unpacklo_epi64(p, q)
                } else {
                    _mm256_unpackhi_epi64(p, q)
                }
            });
            std::array::from_fn(|i| {
                let k = i % 4;
                if i < 4 {
                    _mm256_permute2x128_si256::<0x20>(u[k], u[4 + k])
                } else {
                    _mm256_permute2x128_si256::<0x31>(u[k], u[4 + k])
                }
            })
        }
    }
}
