//! Quantiles of the sweep's ratios by selection: only a handful of order statistics are
//! reported, so the lists are partitioned around them instead of sorted. The selection runs
//! on the values written as integer keys that order as [`f64::total_cmp`] orders the values,
//! and values equal under `total_cmp` have the same bits, so each quantile is exactly the
//! entry of the list sorted with `total_cmp`.

/// The index of quantile `p` in a sorted list of `len` entries: `(len − 1)·p`, rounded.
fn index(len: usize, p: f64) -> usize {
    (len.saturating_sub(1) as f64 * p).round() as usize
}

/// The integer [`f64::total_cmp`] compares for a value with these bits (the magnitude bits
/// of a negative value flipped). Applied to a key it gives the bits back.
fn key(bits: u64) -> i64 {
    let bits = bits as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// For each `p` of `ps` (ascending, in `[0, 1]`), the entry at index `(len − 1)·p` (rounded)
/// of the values of `parts` (one list in pieces) sorted in `total_cmp` order; `NaN` when
/// there are none. `keys` is the scratch the values' keys are written to (its contents are
/// replaced; it is reused, so that lists of many thousand values do not each take fresh
/// memory).
///
/// The keys are first counted by their top 12 bits (sign and exponent: one binade each),
/// then written out grouped by those bits, lowest group first (one pass each, no
/// comparisons); each wanted entry is then selected among the keys of its group alone.
pub fn quantiles<'a, const N: usize>(
    parts: impl IntoIterator<Item = &'a [f64]> + Clone,
    keys: &mut Vec<i64>,
    ps: [f64; N],
) -> [f64; N] {
    debug_assert!(ps.is_sorted() && ps.iter().all(|p| (0.0..=1.0).contains(p)));
    let mut count = vec![0_usize; BUCKETS];
    for part in parts.clone() {
        for x in part {
            count[bucket(key(x.to_bits()))] += 1;
        }
    }
    let len: usize = count.iter().sum();
    if len == 0 {
        return [f64::NAN; N];
    }
    // Where each group starts among the grouped keys.
    let mut start = count;
    let mut at = 0;
    for s in start.iter_mut() {
        (*s, at) = (at, at + *s);
    }
    let begins = start.clone();
    keys.clear();
    keys.resize(len, 0);
    for part in parts {
        for x in part {
            let k = key(x.to_bits());
            let s = &mut start[bucket(k)];
            keys[*s] = k;
            *s += 1;
        }
    }
    // After the pass, `start[b]` is where group `b` ends.
    let ranks = ps.map(|p| index(len, p));
    let mut out = [f64::NAN; N];
    let mut i = 0;
    while i < N {
        // The wanted entries in the same group, selected together.
        let b = bucket_of_rank(&start, ranks[i]);
        let same = ranks[i..].iter().take_while(|&&r| r < start[b]).count();
        let range = begins[b]..start[b];
        let mut within: Vec<usize> = ranks[i..i + same].iter().map(|r| r - range.start).collect();
        within.dedup();
        let keys = &mut keys[range.clone()];
        select(keys, &within);
        for (o, r) in out[i..i + same].iter_mut().zip(&ranks[i..i + same]) {
            *o = f64::from_bits(key(keys[r - range.start] as u64) as u64);
        }
        i += same;
    }
    out
}

/// The group holding the entry of rank `r`, given where each group ends (`end`, ascending).
fn bucket_of_rank(end: &[usize], r: usize) -> usize {
    end.partition_point(|&e| e <= r)
}

/// How many buckets [`bucket`] sorts keys into.
const BUCKETS: usize = 1 << 12;

/// The bucket of a key by its top 12 bits, in key order (the sign bit flipped, so that
/// negative keys come first).
fn bucket(k: i64) -> usize {
    ((k as u64 ^ (1 << 63)) >> 52) as usize
}

/// Reorder `keys` so that each index of `ks` (ascending) holds the entry the sorted list
/// holds there: the middle one of `ks` first, then the ones below it among the entries
/// before it and the ones above among the entries after it, so each selection runs on a
/// part of the list.
fn select(keys: &mut [i64], ks: &[usize]) {
    let Some(&k) = ks.get(ks.len() / 2) else {
        return;
    };
    let (below, rest) = ks.split_at(ks.len() / 2);
    let (lower, _, upper) = keys.select_nth_unstable(k);
    // Indices equal to `k` (a short list rounds several to one) are already in place.
    let below: Vec<usize> = below.iter().copied().filter(|&j| j < k).collect();
    let above: Vec<usize> = rest[1..]
        .iter()
        .filter(|&&j| j > k)
        .map(|j| j - k - 1)
        .collect();
    select(lower, &below);
    select(upper, &above);
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
                // The scratch starts with leftovers of another list.
                let mut keys = vec![7; len % 5];
                let got = quantiles([&xs[..len / 3], &xs[len / 3..]], &mut keys, ps);
                for (p, q) in ps.iter().zip(got) {
                    let want = sorted.get(index(len, *p)).copied().unwrap_or(f64::NAN);
                    assert_eq!(
                        q.to_bits(),
                        want.to_bits(),
                        "len {len}, round {round}, p {p}"
                    );
                }
                // The scratch holds the list's keys, only reordered.
                let mut back: Vec<u64> = keys.iter().map(|&k| key(k as u64) as u64).collect();
                back.sort_by(|a, b| f64::from_bits(*a).total_cmp(&f64::from_bits(*b)));
                let bits: Vec<u64> = sorted.iter().map(|x| x.to_bits()).collect();
                assert_eq!(back, bits, "len {len}, round {round}");
            }
        }
    }
}
