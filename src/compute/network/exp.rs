//! The exponential of four lanes at once, bit for bit equal to `f64::exp` on this machine.
//!
//! On x86-64 with glibc, `f64::exp` is glibc's `__exp_fma` whenever the processor has FMA
//! and AVX2 (glibc picks it at load time): Szabolcs Nagy's algorithm (glibc
//! `sysdeps/ieee754/dbl-64/e_exp.c`, table `e_exp_data.c`, N = 128) compiled with `-mfma`,
//! which fuses six of its multiply-adds. [`Avx2Fma`] is that sequence, fused where the
//! compiled function fuses, on four lanes; a lane whose magnitude is outside `[2^-54, 512)`
//! (zero, tiny, huge, infinite, NaN: glibc's special cases) is recomputed with `f64::exp`.
//! Another libm could round differently, so the vector path is used only after it has
//! reproduced `f64::exp` on a few thousand probes at first use ([`vector_active`]);
//! otherwise [`Libm`] calls `f64::exp` per lane, which is libm's by construction.

/// A way to take the exponential of four lanes, each bit for bit `f64::exp` of its input.
pub trait Exp4 {
    /// `x[l].exp()` for every lane `l`.
    fn exp4(x: [f64; 4]) -> [f64; 4];
}

/// `f64::exp` lane by lane.
#[derive(Debug, Clone, Copy)]
pub struct Libm;

impl Exp4 for Libm {
    #[inline(always)]
    fn exp4(x: [f64; 4]) -> [f64; 4] {
        x.map(f64::exp)
    }
}

/// glibc's `__exp_fma` on four lanes with AVX2 and FMA. Only inside a function compiled
/// with `#[target_feature(enable = "avx2,fma")]`, after [`vector_active`] returned true.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub struct Avx2Fma;

#[cfg(target_arch = "x86_64")]
impl Exp4 for Avx2Fma {
    #[inline(always)]
    fn exp4(x: [f64; 4]) -> [f64; 4] {
        // SAFETY: this type is only used where `vector_active` said AVX2 and FMA exist.
        unsafe { avx2::exp4(x) }
    }
}

/// `x[l].exp()` for every lane `l` with `E`, four lanes at a time (`N` a multiple of 4).
#[inline(always)]
pub fn each<E: Exp4, const N: usize>(x: [f64; N]) -> [f64; N] {
    const { assert!(N.is_multiple_of(4)) };
    let mut out = [0.0; N];
    for (o, x) in out.chunks_exact_mut(4).zip(x.chunks_exact(4)) {
        o.copy_from_slice(&E::exp4([x[0], x[1], x[2], x[3]]));
    }
    out
}

/// Whether [`Avx2Fma`] may be used: the processor has AVX2 and FMA and the vector
/// exponential reproduced `f64::exp` on every probe. Decided once per process.
pub fn vector_active() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static ACTIVE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *ACTIVE.get_or_init(|| {
            is_x86_feature_detected!("avx2")
                && is_x86_feature_detected!("fma")
                && probes().chunks_exact(4).all(|x| {
                    let x = [x[0], x[1], x[2], x[3]];
                    // SAFETY: AVX2 and FMA were detected just above.
                    let fast = unsafe { avx2::exp4(x) };
                    fast.map(f64::to_bits) == x.map(|v| v.exp().to_bits())
                })
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Inputs across the whole vector range (every table entry is met many times), the
/// sigmoid's range and glibc's special cases: enough to tell another libm's rounding.
#[cfg(target_arch = "x86_64")]
fn probes() -> Vec<f64> {
    let mut out: Vec<f64> = (0..4096)
        .flat_map(|i| {
            let t = i as f64 / 4096.0;
            [-745.5 + 1455.0 * t, -40.0 * t, 1.0 - 2.0 * t]
        })
        .collect();
    out.extend([0.0, -0.0, 1e-300, -1e-17, f64::INFINITY, f64::NEG_INFINITY]);
    out.extend([f64::NAN, 1e-16, -1e-16, 600.0, -720.0, 710.0]);
    out
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// glibc's `__exp_data`: 1/ln2 · N, the rounding shift, −ln2/N in two parts and the
    /// polynomial C2..C5 (read from glibc 2.36's libm; the same in `e_exp_data.c`).
    const INV_LN2_N: f64 = f64::from_bits(0x4067_1547_652b_82fe);
    const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
    const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf76_2e42_fefa_0000);
    const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0c_f79a_bc9e_3b3a);
    const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
    const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
    const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
    const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);

    /// `__exp_data.tab`: per k in 0..128, the tail and the bits of 2^(k/128) less k << 45.
    const TAB: [u64; 256] = [
        0x0000000000000000,
        0x3ff0000000000000,
        0x3c9b3b4f1a88bf6e,
        0x3feff63da9fb3335,
        0xbc7160139cd8dc5d,
        0x3fefec9a3e778061,
        0xbc905e7a108766d1,
        0x3fefe315e86e7f85,
        0x3c8cd2523567f613,
        0x3fefd9b0d3158574,
        0xbc8bce8023f98efa,
        0x3fefd06b29ddf6de,
        0x3c60f74e61e6c861,
        0x3fefc74518759bc8,
        0x3c90a3e45b33d399,
        0x3fefbe3ecac6f383,
        0x3c979aa65d837b6d,
        0x3fefb5586cf9890f,
        0x3c8eb51a92fdeffc,
        0x3fefac922b7247f7,
        0x3c3ebe3d702f9cd1,
        0x3fefa3ec32d3d1a2,
        0xbc6a033489906e0b,
        0x3fef9b66affed31b,
        0xbc9556522a2fbd0e,
        0x3fef9301d0125b51,
        0xbc5080ef8c4eea55,
        0x3fef8abdc06c31cc,
        0xbc91c923b9d5f416,
        0x3fef829aaea92de0,
        0x3c80d3e3e95c55af,
        0x3fef7a98c8a58e51,
        0xbc801b15eaa59348,
        0x3fef72b83c7d517b,
        0xbc8f1ff055de323d,
        0x3fef6af9388c8dea,
        0x3c8b898c3f1353bf,
        0x3fef635beb6fcb75,
        0xbc96d99c7611eb26,
        0x3fef5be084045cd4,
        0x3c9aecf73e3a2f60,
        0x3fef54873168b9aa,
        0xbc8fe782cb86389d,
        0x3fef4d5022fcd91d,
        0x3c8a6f4144a6c38d,
        0x3fef463b88628cd6,
        0x3c807a05b0e4047d,
        0x3fef3f49917ddc96,
        0x3c968efde3a8a894,
        0x3fef387a6e756238,
        0x3c875e18f274487d,
        0x3fef31ce4fb2a63f,
        0x3c80472b981fe7f2,
        0x3fef2b4565e27cdd,
        0xbc96b87b3f71085e,
        0x3fef24dfe1f56381,
        0x3c82f7e16d09ab31,
        0x3fef1e9df51fdee1,
        0xbc3d219b1a6fbffa,
        0x3fef187fd0dad990,
        0x3c8b3782720c0ab4,
        0x3fef1285a6e4030b,
        0x3c6e149289cecb8f,
        0x3fef0cafa93e2f56,
        0x3c834d754db0abb6,
        0x3fef06fe0a31b715,
        0x3c864201e2ac744c,
        0x3fef0170fc4cd831,
        0x3c8fdd395dd3f84a,
        0x3feefc08b26416ff,
        0xbc86a3803b8e5b04,
        0x3feef6c55f929ff1,
        0xbc924aedcc4b5068,
        0x3feef1a7373aa9cb,
        0xbc9907f81b512d8e,
        0x3feeecae6d05d866,
        0xbc71d1e83e9436d2,
        0x3feee7db34e59ff7,
        0xbc991919b3ce1b15,
        0x3feee32dc313a8e5,
        0x3c859f48a72a4c6d,
        0x3feedea64c123422,
        0xbc9312607a28698a,
        0x3feeda4504ac801c,
        0xbc58a78f4817895b,
        0x3feed60a21f72e2a,
        0xbc7c2c9b67499a1b,
        0x3feed1f5d950a897,
        0x3c4363ed60c2ac11,
        0x3feece086061892d,
        0x3c9666093b0664ef,
        0x3feeca41ed1d0057,
        0x3c6ecce1daa10379,
        0x3feec6a2b5c13cd0,
        0x3c93ff8e3f0f1230,
        0x3feec32af0d7d3de,
        0x3c7690cebb7aafb0,
        0x3feebfdad5362a27,
        0x3c931dbdeb54e077,
        0x3feebcb299fddd0d,
        0xbc8f94340071a38e,
        0x3feeb9b2769d2ca7,
        0xbc87deccdc93a349,
        0x3feeb6daa2cf6642,
        0xbc78dec6bd0f385f,
        0x3feeb42b569d4f82,
        0xbc861246ec7b5cf6,
        0x3feeb1a4ca5d920f,
        0x3c93350518fdd78e,
        0x3feeaf4736b527da,
        0x3c7b98b72f8a9b05,
        0x3feead12d497c7fd,
        0x3c9063e1e21c5409,
        0x3feeab07dd485429,
        0x3c34c7855019c6ea,
        0x3feea9268a5946b7,
        0x3c9432e62b64c035,
        0x3feea76f15ad2148,
        0xbc8ce44a6199769f,
        0x3feea5e1b976dc09,
        0xbc8c33c53bef4da8,
        0x3feea47eb03a5585,
        0xbc845378892be9ae,
        0x3feea34634ccc320,
        0xbc93cedd78565858,
        0x3feea23882552225,
        0x3c5710aa807e1964,
        0x3feea155d44ca973,
        0xbc93b3efbf5e2228,
        0x3feea09e667f3bcd,
        0xbc6a12ad8734b982,
        0x3feea012750bdabf,
        0xbc6367efb86da9ee,
        0x3fee9fb23c651a2f,
        0xbc80dc3d54e08851,
        0x3fee9f7df9519484,
        0xbc781f647e5a3ecf,
        0x3fee9f75e8ec5f74,
        0xbc86ee4ac08b7db0,
        0x3fee9f9a48a58174,
        0xbc8619321e55e68a,
        0x3fee9feb564267c9,
        0x3c909ccb5e09d4d3,
        0x3feea0694fde5d3f,
        0xbc7b32dcb94da51d,
        0x3feea11473eb0187,
        0x3c94ecfd5467c06b,
        0x3feea1ed0130c132,
        0x3c65ebe1abd66c55,
        0x3feea2f336cf4e62,
        0xbc88a1c52fb3cf42,
        0x3feea427543e1a12,
        0xbc9369b6f13b3734,
        0x3feea589994cce13,
        0xbc805e843a19ff1e,
        0x3feea71a4623c7ad,
        0xbc94d450d872576e,
        0x3feea8d99b4492ed,
        0x3c90ad675b0e8a00,
        0x3feeaac7d98a6699,
        0x3c8db72fc1f0eab4,
        0x3feeace5422aa0db,
        0xbc65b6609cc5e7ff,
        0x3feeaf3216b5448c,
        0x3c7bf68359f35f44,
        0x3feeb1ae99157736,
        0xbc93091fa71e3d83,
        0x3feeb45b0b91ffc6,
        0xbc5da9b88b6c1e29,
        0x3feeb737b0cdc5e5,
        0xbc6c23f97c90b959,
        0x3feeba44cbc8520f,
        0xbc92434322f4f9aa,
        0x3feebd829fde4e50,
        0xbc85ca6cd7668e4b,
        0x3feec0f170ca07ba,
        0x3c71affc2b91ce27,
        0x3feec49182a3f090,
        0x3c6dd235e10a73bb,
        0x3feec86319e32323,
        0xbc87c50422622263,
        0x3feecc667b5de565,
        0x3c8b1c86e3e231d5,
        0x3feed09bec4a2d33,
        0xbc91bbd1d3bcbb15,
        0x3feed503b23e255d,
        0x3c90cc319cee31d2,
        0x3feed99e1330b358,
        0x3c8469846e735ab3,
        0x3feede6b5579fdbf,
        0xbc82dfcd978e9db4,
        0x3feee36bbfd3f37a,
        0x3c8c1a7792cb3387,
        0x3feee89f995ad3ad,
        0xbc907b8f4ad1d9fa,
        0x3feeee07298db666,
        0xbc55c3d956dcaeba,
        0x3feef3a2b84f15fb,
        0xbc90a40e3da6f640,
        0x3feef9728de5593a,
        0xbc68d6f438ad9334,
        0x3feeff76f2fb5e47,
        0xbc91eee26b588a35,
        0x3fef05b030a1064a,
        0x3c74ffd70a5fddcd,
        0x3fef0c1e904bc1d2,
        0xbc91bdfbfa9298ac,
        0x3fef12c25bd71e09,
        0x3c736eae30af0cb3,
        0x3fef199bdd85529c,
        0x3c8ee3325c9ffd94,
        0x3fef20ab5fffd07a,
        0x3c84e08fd10959ac,
        0x3fef27f12e57d14b,
        0x3c63cdaf384e1a67,
        0x3fef2f6d9406e7b5,
        0x3c676b2c6c921968,
        0x3fef3720dcef9069,
        0xbc808a1883ccb5d2,
        0x3fef3f0b555dc3fa,
        0xbc8fad5d3ffffa6f,
        0x3fef472d4a07897c,
        0xbc900dae3875a949,
        0x3fef4f87080d89f2,
        0x3c74a385a63d07a7,
        0x3fef5818dcfba487,
        0xbc82919e2040220f,
        0x3fef60e316c98398,
        0x3c8e5a50d5c192ac,
        0x3fef69e603db3285,
        0x3c843a59ac016b4b,
        0x3fef7321f301b460,
        0xbc82d52107b43e1f,
        0x3fef7c97337b9b5f,
        0xbc892ab93b470dc9,
        0x3fef864614f5a129,
        0x3c74b604603a88d3,
        0x3fef902ee78b3ff6,
        0x3c83c5ec519d7271,
        0x3fef9a51fbc74c83,
        0xbc8ff7128fd391f0,
        0x3fefa4afa2a490da,
        0xbc8dae98e223747d,
        0x3fefaf482d8e67f1,
        0x3c8ec3bc41aa2008,
        0x3fefba1bee615a27,
        0x3c842b94c3a9eb32,
        0x3fefc52b376bba97,
        0x3c8a64a931d185ee,
        0x3fefd0765b6e4540,
        0xbc8e37bae43be3ed,
        0x3fefdbfdad9cbe14,
        0x3c77893b4d91cd9d,
        0x3fefe7c1819e90d8,
        0x3c5305c14160cc89,
        0x3feff3c22b8f71f1,
    ];

    /// The table's `(tail, bits)` of each lane's `k` (0..128): one 16-byte load per lane,
    /// its two halves regrouped, rather than two gathers (which are slow on many processors).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn table_entries(k: __m256i) -> (__m256d, __m256i) {
        let mut at = [0_i64; 4];
        // SAFETY: `at` holds four 64-bit integers.
        unsafe { _mm256_storeu_si256(at.as_mut_ptr().cast(), k) };
        // Entry `k` is `TAB[2k]` and `TAB[2k + 1]`, side by side.
        let entry = |l: usize| {
            let pair = &TAB[2 * (at[l] & 0x7f) as usize..][..2];
            // SAFETY: `pair` holds two 64-bit words; the load is unaligned.
            unsafe { _mm_loadu_pd(pair.as_ptr().cast()) }
        };
        let (e0, e1, e2, e3) = (entry(0), entry(1), entry(2), entry(3));
        let tail = _mm256_set_m128d(_mm_unpacklo_pd(e2, e3), _mm_unpacklo_pd(e0, e1));
        let bits = _mm256_set_m128d(_mm_unpackhi_pd(e2, e3), _mm_unpackhi_pd(e0, e1));
        (tail, _mm256_castpd_si256(bits))
    }

    /// `x[l].exp()` for every lane, bit for bit.
    ///
    /// # Safety
    /// The processor must have AVX2 and FMA.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub unsafe fn exp4(x: [f64; 4]) -> [f64; 4] {
        // SAFETY: `x` holds four doubles.
        let xv = unsafe { _mm256_loadu_pd(x.as_ptr()) };
        let bits = _mm256_castpd_si256(xv);
        // glibc's `abstop - top12(0x1p-54) < top12(512) - top12(0x1p-54)`, per lane.
        let abstop = _mm256_and_si256(_mm256_srli_epi64::<52>(bits), _mm256_set1_epi64x(0x7ff));
        let in_range = _mm256_and_si256(
            _mm256_cmpgt_epi64(abstop, _mm256_set1_epi64x(0x3c8)),
            _mm256_cmpgt_epi64(_mm256_set1_epi64x(0x408), abstop),
        );
        // kd = round(x · N/ln2) through the shift, fused as glibc's build fuses it.
        let kd = _mm256_fmadd_pd(xv, _mm256_set1_pd(INV_LN2_N), _mm256_set1_pd(SHIFT));
        let ki = _mm256_castpd_si256(kd);
        let kd = _mm256_sub_pd(kd, _mm256_set1_pd(SHIFT));
        let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_HI_N), xv);
        let r = _mm256_fmadd_pd(kd, _mm256_set1_pd(NEG_LN2_LO_N), r);
        let (tail, sbits) = table_entries(_mm256_and_si256(ki, _mm256_set1_epi64x(0x7f)));
        let scale = _mm256_castsi256_pd(_mm256_add_epi64(sbits, _mm256_slli_epi64::<45>(ki)));
        let r2 = _mm256_mul_pd(r, r);
        let low = _mm256_fmadd_pd(
            _mm256_fmadd_pd(r, _mm256_set1_pd(C3), _mm256_set1_pd(C2)),
            r2,
            _mm256_add_pd(tail, r),
        );
        let high = _mm256_fmadd_pd(r, _mm256_set1_pd(C5), _mm256_set1_pd(C4));
        let tmp = _mm256_fmadd_pd(_mm256_mul_pd(r2, r2), high, low);
        let y = _mm256_fmadd_pd(scale, tmp, scale);
        let mut out = [0.0; 4];
        // SAFETY: `out` holds four doubles.
        unsafe { _mm256_storeu_pd(out.as_mut_ptr(), y) };
        let special = !_mm256_movemask_pd(_mm256_castsi256_pd(in_range)) & 0xf;
        if special != 0 {
            for (l, (o, &v)) in out.iter_mut().zip(&x).enumerate() {
                if special & (1 << l) != 0 {
                    *o = v.exp();
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `exp4` of the active path: the vector one where [`vector_active`] allows it.
    fn exp_lanes(x: [f64; 4]) -> [f64; 4] {
        #[cfg(target_arch = "x86_64")]
        if vector_active() {
            return Avx2Fma::exp4(x);
        }
        Libm::exp4(x)
    }

    /// `exp4` of the active path on `xs` four at a time, starting every `stride` values
    /// (with stride 1 every value meets different neighbours), against `f64::exp`.
    fn check(xs: &[f64], stride: usize) {
        for i in (0..xs.len()).step_by(stride) {
            let x: [f64; 4] = std::array::from_fn(|l| xs[(i + l) % xs.len()]);
            let got = exp_lanes(x);
            for l in 0..4 {
                assert_eq!(
                    got[l].to_bits(),
                    x[l].exp().to_bits(),
                    "exp({:e}) = {:e}, f64::exp says {:e}",
                    x[l],
                    got[l],
                    x[l].exp()
                );
            }
        }
    }

    #[test]
    fn the_vector_path_is_active_on_glibc_with_avx2_and_fma() {
        // Says which path the other tests check, and fails if a glibc machine with AVX2 and
        // FMA lost the fast path (a libm that rounds differently would be a finding).
        #[cfg(all(target_arch = "x86_64", target_env = "gnu"))]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            assert!(vector_active(), "glibc's exp was not reproduced");
            return;
        }
        eprintln!("the exponential falls back to f64::exp lane by lane on this machine");
        assert!(!vector_active() || cfg!(target_arch = "x86_64"));
    }

    /// A xorshift stream: cheap, deterministic, every bit pattern reachable.
    fn stream(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    #[test]
    fn equals_f64_exp_on_random_bit_patterns() {
        // Every finite and non-finite double, sign and exponent uniform: mostly the special
        // cases, which must fall back exactly.
        let mut next = stream(0x9e37_79b9_7f4a_7c15);
        let xs: Vec<f64> = (0..8_000_000).map(|_| f64::from_bits(next())).collect();
        check(&xs, 4);
    }

    #[test]
    fn equals_f64_exp_across_the_range_and_the_sigmoids_range() {
        let mut next = stream(0x2545_f491_4f6c_dd1d);
        let mut unit = move || (next() >> 11) as f64 / (1u64 << 53) as f64;
        // The sweep's arguments (−|z|, z up to a few hundred), everything that does not
        // overflow or vanish, and the log-scaled sampler's arguments.
        let xs: Vec<f64> = (0..12_000_000)
            .map(|i| match i % 3 {
                0 => -60.0 * unit(),
                1 => -746.0 + 1456.0 * unit(),
                _ => -5.0 + 9.0 * unit(),
            })
            .collect();
        check(&xs, 4);
    }

    #[test]
    fn equals_f64_exp_next_to_every_rounding_boundary_of_the_table() {
        // k = round(x · 128/ln2) changes at x = (k + 1/2) · ln2/128: the ulps on either side
        // of every boundary where the result is finite and normal or subnormal.
        let step = std::f64::consts::LN_2 / 128.0;
        let mut xs = Vec::new();
        for k in -138_000..131_000 {
            let mid = (k as f64 + 0.5) * step;
            let mut below = mid;
            let mut above = mid;
            xs.push(mid);
            for _ in 0..3 {
                below = below.next_down();
                above = above.next_up();
                xs.extend([below, above]);
            }
        }
        check(&xs, 4);
    }

    #[test]
    fn equals_f64_exp_on_special_values() {
        let tiny = f64::from_bits(0x3c90_0000_0000_0000); // 2^-54
        let mut xs = vec![
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            5e-324,
            -5e-324,
            tiny,
            tiny.next_down(),
            -tiny,
            -tiny.next_down(),
            512.0,
            512.0_f64.next_down(),
            -512.0,
            (-512.0_f64).next_up(),
            709.782712893384,
            709.7827128933841,
            -708.3964185322641,
            -708.4,
            -744.4400719213812,
            -745.1332191019411,
            -745.1332191019412,
            -746.0,
            710.0,
            1e308,
            -1e308,
            1.0,
            -1.0,
            f64::MAX,
            f64::MIN,
        ];
        // Subnormal results, densely.
        xs.extend((0..4000).map(|i| -708.0 - 37.2 * i as f64 / 4000.0));
        check(&xs, 1);
    }
}
