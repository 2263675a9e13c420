//! Sorting the sweep's ratios: a least-significant-digit radix sort on the bits of each
//! value mapped so that unsigned order is [`f64::total_cmp`]'s order. Values equal under
//! `total_cmp` have the same bits, so the result is exactly `sort_unstable_by(total_cmp)`'s.

/// The key of `x` whose unsigned order is `total_cmp`'s: negative values (sign set) have all
/// bits flipped, the others only the sign.
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The value whose key is `k`.
fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// Sort `xs` in `total_cmp` order: eight passes of one byte, skipping bytes where every key
/// agrees (the ratios share their sign and most of their exponent).
pub fn sort_total(xs: &mut [f64]) {
    let mut keys: Vec<u64> = xs.iter().map(|&x| key(x)).collect();
    let mut spare = vec![0; keys.len()];
    for pass in 0..8 {
        let shift = pass * 8;
        let mut counts = [0usize; 256];
        for &k in &keys {
            counts[(k >> shift) as usize & 0xff] += 1;
        }
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut offset = 0;
        for c in &mut counts {
            (*c, offset) = (offset, offset + *c);
        }
        for &k in &keys {
            let digit = (k >> shift) as usize & 0xff;
            spare[counts[digit]] = k;
            counts[digit] += 1;
        }
        std::mem::swap(&mut keys, &mut spare);
    }
    for (x, &k) in xs.iter_mut().zip(&keys) {
        *x = value(k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_total_cmp_to_the_bit() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let specials = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            5e-324,
            -5e-324,
            1.0,
            f64::MAX,
        ];
        for len in [0, 1, 2, 17, 1000, 20_000] {
            let mut xs: Vec<f64> = (0..len)
                .map(|i| match i % 4 {
                    0 => f64::from_bits(next()),
                    1 => (next() >> 11) as f64 / (1u64 << 53) as f64 * 3.0,
                    2 => specials[(next() % 10) as usize],
                    _ => 1.0 + (next() % 5) as f64,
                })
                .collect();
            let mut expected = xs.clone();
            expected.sort_unstable_by(f64::total_cmp);
            sort_total(&mut xs);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&xs), bits(&expected), "length {len}");
        }
    }
}
