//! Quantiles of the sweep's ratios by selection: only a handful of order statistics are
//! reported, so the lists are partitioned around them instead of sorted. Values equal under
//! [`f64::total_cmp`] have the same bits, so each quantile is exactly the entry of the list
//! sorted with `total_cmp`.

/// The index of quantile `p` in a sorted list of `len` entries: `(len − 1)·p`, rounded.
fn index(len: usize, p: f64) -> usize {
    (len.saturating_sub(1) as f64 * p).round() as usize
}

/// For each `p` of `ps` (ascending, in `[0, 1]`), the entry at index `(len − 1)·p` (rounded)
/// of `xs` sorted in `total_cmp` order; `NaN` when `xs` is empty. Reorders `xs`.
pub fn quantiles<const N: usize>(xs: &mut [f64], ps: [f64; N]) -> [f64; N] {
    debug_assert!(ps.is_sorted() && ps.iter().all(|p| (0.0..=1.0).contains(p)));
    if xs.is_empty() {
        return [f64::NAN; N];
    }
    // After selecting index `k`, every entry before it is at most it and every entry after
    // it at least it, so the next (larger) index is selected among the entries from `k` on.
    let mut from = 0;
    ps.map(|p| {
        let k = index(xs.len(), p);
        let (_, x, _) = xs[from..].select_nth_unstable_by(k - from, f64::total_cmp);
        from = k;
        *x
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn quantiles_are_the_entries_of_the_sorted_list() {
        let ps = [0.0, 0.01, 0.05, 0.5, 0.95, 1.0];
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let specials = [0.0, -0.0, f64::INFINITY, f64::NAN, 1.0, f64::MIN_POSITIVE];
        for len in [0, 1, 2, 3, 7, 100, 1_001, 20_000] {
            for round in 0..4 {
                let xs: Vec<f64> = (0..len)
                    .map(|_| match round {
                        // Ratios of every size, as in the sweep.
                        0 => f64::exp(rng.random_range(-30.0..30.0)),
                        // Many ties.
                        1 => f64::from(rng.random_range(0..5u8)),
                        // Special values among ordinary ones.
                        2 => {
                            if rng.random::<bool>() {
                                specials[rng.random_range(0..specials.len())]
                            } else {
                                rng.random::<f64>()
                            }
                        }
                        // Arbitrary bit patterns (negative values, NaNs of both signs).
                        _ => f64::from_bits(rng.random()),
                    })
                    .collect();
                let mut sorted = xs.clone();
                sorted.sort_by(f64::total_cmp);
                let mut work = xs.clone();
                let got = quantiles(&mut work, ps);
                for (p, q) in ps.iter().zip(got) {
                    let want = sorted.get(index(len, *p)).copied().unwrap_or(f64::NAN);
                    assert_eq!(
                        q.to_bits(),
                        want.to_bits(),
                        "len {len}, round {round}, p {p}"
                    );
                }
                // Selection only reorders the list.
                work.sort_by(f64::total_cmp);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&work), bits(&sorted));
            }
        }
    }
}
