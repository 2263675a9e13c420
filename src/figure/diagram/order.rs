//! Ordering the items of each rank to reduce crossings: sweeps up and down from three
//! starting orders (as given, depth-first and its mirror image), placing each item at the
//! barycentre or (on alternate pairs of sweeps, as Graphviz does) the weighted median of its
//! neighbours, with adjacent swaps, keeping the order with the fewest crossings seen; then,
//! while the rows are short enough, sifting (every item moved to its best place in its row)
//! until nothing improves. The number of sweeps shrinks as the graph grows and sifting only
//! runs below a work bound, so the work stays linear in the items of large graphs.

use super::layered::{Grid, Links};

/// Item and edge visits the sweeps of all starts may make together: sweeps per start = this
/// / (starts × (items + edges)), within [`SWEEPS`].
const SWEEP_WORK: usize = 2_000_000;
/// Fewest and most sweeps per start.
const SWEEPS: (usize, usize) = (4, 32);
/// Starting orders tried while each still gets [`SWEEPS`]`.0` sweeps within [`SWEEP_WORK`]
/// (larger graphs sweep from the given order only).
const STARTS: usize = 5;
/// Items up to which adjacent items are tried swapped after every sweep (beyond, the swaps
/// run once, after the last sweep).
const SWAP_ITEMS: usize = 20_000;
/// Most passes of adjacent swaps at a time: up to [`SWAP_ITEMS`] items, and beyond.
const SWAP_ROUNDS: (usize, usize) = (8, 2);
/// Pairs of items in one row (squared row lengths, summed) the rounds of sifting of one start
/// may pass in all: rounds = this / pairs, at most [`SIFT_ROUNDS`].
const SIFT_WORK: usize = 4_000_000;
/// Most rounds of sifting and swaps after the sweeps.
const SIFT_ROUNDS: usize = 8;

/// Neighbours of every item in the rank above and the rank below.
fn links(grid: &Grid) -> (Links, Links) {
    let steps = grid
        .chains
        .iter()
        .flat_map(|(_, chain)| chain.windows(2).map(|w| (w[0], w[1])));
    let n = grid.items.len();
    (
        Links::new(n, steps.clone().map(|(a, b)| (b, a))),
        Links::new(n, steps),
    )
}

fn positions(rows: &[Vec<usize>], len: usize) -> Vec<f64> {
    let mut pos = vec![0.0; len];
    for row in rows {
        for (k, &i) in row.iter().enumerate() {
            pos[i] = k as f64;
        }
    }
    pos
}

/// Crossings between every pair of consecutive ranks (inversions counted with a Fenwick
/// tree). The edges of a rank are taken in order of their upper ends, which is the rank's
/// own order (`pos` holds each item's place in its row), and of their lower ends among the
/// few edges of one item, so no rank's edges need a sort of their own.
fn crossings(rows: &[Vec<usize>], down: &Links, pos: &[f64]) -> usize {
    let mut total = 0;
    let (mut ends, mut tree): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    for r in 0..rows.len().saturating_sub(1) {
        let size = rows[r + 1].len() + 1;
        tree.clear();
        tree.resize(size + 1, 0);
        let mut seen = 0;
        for &u in &rows[r] {
            ends.clear();
            ends.extend(down[u].iter().map(|&d| pos[d] as usize));
            ends.sort_unstable();
            for &d in &ends {
                // Count earlier edges ending strictly right of d.
                let mut at = d + 1;
                let mut not_right = 0;
                while at > 0 {
                    not_right += tree[at];
                    at &= at - 1;
                }
                total += seen - not_right;
                seen += 1;
                let mut at = d + 1;
                while at <= size {
                    tree[at] += 1;
                    at += at & at.wrapping_neg();
                }
            }
        }
    }
    total
}

/// Crossings among the edges of `u` and `v` towards their neighbours `nb`, with `u` left of
/// `v` and with `v` left of `u`, counted in one pass over the pairs of their edges.
fn pair_crossings(u: usize, v: usize, nb: &Links, pos: &[f64]) -> (usize, usize) {
    let (mut u_left, mut v_left) = (0, 0);
    for &a in &nb[u] {
        let pa = pos[a];
        for &b in &nb[v] {
            u_left += usize::from(pa > pos[b]);
            v_left += usize::from(pa < pos[b]);
        }
    }
    (u_left, v_left)
}

/// Swap neighbours in a row wherever that removes crossings; with `sideways`, also where it
/// keeps them equal (once per pair and pass, as Graphviz's transpose does on alternate
/// passes), so the order can move off a plateau.
fn transpose(rows: &mut [Vec<usize>], up: &Links, down: &Links, pos: &mut [f64], sideways: bool) {
    let most = if pos.len() <= SWAP_ITEMS {
        SWAP_ROUNDS.0
    } else {
        SWAP_ROUNDS.1
    };
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < most {
        improved = false;
        rounds += 1;
        for row in rows.iter_mut() {
            for k in 0..row.len().saturating_sub(1) {
                let (u, v) = (row[k], row[k + 1]);
                let (now, swapped) = both(u, v, up, down, pos);
                if swapped < now || (sideways && rounds == 1 && now > 0 && swapped == now) {
                    row.swap(k, k + 1);
                    pos[u] = (k + 1) as f64;
                    pos[v] = k as f64;
                    improved |= swapped < now;
                }
            }
        }
    }
}

/// Crossings among the edges of `u` and `v` towards both neighbouring rows, with `u` left
/// of `v` and with `v` left of `u`.
fn both(u: usize, v: usize, up: &Links, down: &Links, pos: &[f64]) -> (usize, usize) {
    let (above, below) = (
        pair_crossings(u, v, up, pos),
        pair_crossings(u, v, down, pos),
    );
    (above.0 + below.0, above.1 + below.1)
}

/// How many more crossings `u` left of `v` makes than `v` left of `u`.
fn gain(u: usize, v: usize, up: &Links, down: &Links, pos: &[f64]) -> i64 {
    let (u_left, v_left) = both(u, v, up, down, pos);
    u_left as i64 - v_left as i64
}

/// Sifting: every item in turn moves to the place in its row where its arrows cross the
/// fewest others (moving one item only changes crossings between its arrows and those of
/// the items it passes, so each move is exact and never adds crossings). Returns whether
/// any item moved.
fn sift(rows: &mut [Vec<usize>], up: &Links, down: &Links, pos: &mut [f64]) -> bool {
    let mut moved = false;
    for row in rows.iter_mut() {
        let items = row.clone();
        for u in items {
            if up[u].is_empty() && down[u].is_empty() {
                continue;
            }
            let from = pos[u] as usize;
            // Change in crossings when u moves to each place, relative to staying.
            let (mut best, mut to) = (0i64, from);
            let mut change = 0;
            for (k, &w) in row.iter().enumerate().take(from).rev() {
                change += gain(u, w, up, down, pos);
                if change < best {
                    (best, to) = (change, k);
                }
            }
            change = 0;
            for (k, &w) in row.iter().enumerate().skip(from + 1) {
                change += gain(w, u, up, down, pos);
                if change < best {
                    (best, to) = (change, k);
                }
            }
            if to != from {
                row.remove(from);
                row.insert(to, u);
                for k in from.min(to)..=from.max(to) {
                    pos[row[k]] = k as f64;
                }
                moved = true;
            }
        }
    }
    moved
}

/// The rows in depth-first order from the sources (each item joins its rank's row when first
/// reached), so that items joined by edges start out near each other; `last_first` follows
/// each item's edges from its last one instead of its first.
fn depth_first(grid: &Grid, down: &Links, up: &Links, last_first: bool) -> Vec<Vec<usize>> {
    let mut rows = vec![Vec::new(); grid.rows.len()];
    let mut seen = vec![false; grid.items.len()];
    let sources = (0..grid.items.len()).filter(|&i| up[i].is_empty());
    for start in sources.chain(0..grid.items.len()) {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            rows[grid.rank[i]].push(i);
            let before = stack.len();
            for &j in &down[i] {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
            // The stack pops its last push first.
            if !last_first {
                stack[before..].reverse();
            }
        }
    }
    rows
}

/// `rows` with every row reversed.
fn mirror(rows: &[Vec<usize>]) -> Vec<Vec<usize>> {
    rows.iter()
        .map(|r| r.iter().rev().copied().collect())
        .collect()
}

/// Reorder `grid.rows` to reduce crossings: sweeps from the given order and, when crossings
/// remain and the graph is small enough for [`STARTS`] starts, from two depth-first orders
/// (first edges first, last edges first) and their mirror images too, keeping the order with
/// the fewest crossings seen (the first on ties).
pub(super) fn reduce_crossings(grid: &mut Grid) {
    let (up, down) = links(grid);
    let len = grid.items.len() + down.count();
    let len = len.max(1);
    let starts = if STARTS * SWEEPS.0 * len <= SWEEP_WORK {
        STARTS
    } else {
        1
    };
    let count = (SWEEP_WORK / (starts * len)).clamp(SWEEPS.0, SWEEPS.1);
    let (mut fewest, mut best) = sweeps(grid, grid.rows.clone(), &up, &down, count);
    for last_first in [false, true] {
        if fewest == 0 || starts == 1 {
            break;
        }
        let dfs = depth_first(grid, &down, &up, last_first);
        let mirrored = mirror(&dfs);
        for start in [dfs, mirrored] {
            let (again, rows) = sweeps(grid, start, &up, &down, count);
            if again < fewest {
                (fewest, best) = (again, rows);
            }
        }
    }
    grid.rows = best;
}

/// Graphviz's weighted median of the positions `p` (sorted in place): the middle one, or
/// between the two middle ones, nearer the side whose positions lie closer together.
fn median(p: &mut [f64]) -> f64 {
    p.sort_by(f64::total_cmp);
    let n = p.len();
    let m = n / 2;
    match n {
        0 => 0.0,
        1 => p[0],
        2 => (p[0] + p[1]) / 2.0,
        _ if n % 2 == 1 => p[m],
        _ => {
            let (left, right) = (p[m - 1] - p[0], p[n - 1] - p[m]);
            if left + right > 0.0 {
                (p[m - 1] * right + p[m] * left) / (left + right)
            } else {
                (p[m - 1] + p[m]) / 2.0
            }
        }
    }
}

/// `sweeps` sweeps from `rows`, then sifting and swaps while affordable: the order with the
/// fewest crossings seen, and its count.
fn sweeps(
    grid: &Grid,
    mut rows: Vec<Vec<usize>>,
    up: &Links,
    down: &Links,
    sweeps: usize,
) -> (usize, Vec<Vec<usize>>) {
    let len = grid.items.len();
    let mut pos = positions(&rows, len);
    let mut best = rows.clone();
    let mut fewest = crossings(&rows, down, &pos);
    let (mut scratch, mut keyed) = (Vec::new(), Vec::new());
    for sweep in 0..sweeps {
        if fewest == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let by_median = sweep % 4 >= 2;
        let depth = rows.len();
        for step in 0..depth {
            let r = if downward { step } else { depth - 1 - step };
            let nb = if downward { up } else { down };
            let row = &mut rows[r];
            keyed.clear();
            keyed.extend(row.iter().map(|&i| {
                let key = if nb[i].is_empty() {
                    pos[i]
                } else if by_median {
                    scratch.clear();
                    scratch.extend(nb[i].iter().map(|&j| pos[j]));
                    median(&mut scratch)
                } else {
                    nb[i].iter().map(|&j| pos[j]).sum::<f64>() / nb[i].len() as f64
                };
                (key, i)
            }));
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            for (k, &(_, i)) in keyed.iter().enumerate() {
                row[k] = i;
                pos[i] = k as f64;
            }
        }
        if len <= SWAP_ITEMS || sweep + 1 == sweeps {
            transpose(&mut rows, up, down, &mut pos, sweep % 2 == 1);
        }
        let now = crossings(&rows, down, &pos);
        if now < fewest {
            fewest = now;
            best.clone_from(&rows);
        }
    }
    let work: usize = best.iter().map(|r| r.len() * r.len()).sum();
    let rounds = (SIFT_WORK / work.max(1)).min(SIFT_ROUNDS);
    if fewest > 0 && rounds > 0 {
        let mut pos = positions(&best, len);
        for round in 0..rounds {
            let moved = sift(&mut best, up, down, &mut pos);
            transpose(&mut best, up, down, &mut pos, round % 2 == 1);
            if !moved {
                break;
            }
        }
        fewest = crossings(&best, down, &pos);
    }
    (fewest, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Links from a list of neighbours per item.
    fn linked(lists: &[Vec<usize>]) -> Links {
        let pairs = lists
            .iter()
            .enumerate()
            .flat_map(|(a, list)| list.iter().map(move |&b| (a, b)));
        Links::new(lists.len(), pairs)
    }

    #[test]
    fn crossings_are_counted_between_ranks() {
        // 0 → 3 and 1 → 2 cross once when 2 sits left of 3.
        let rows = vec![vec![0, 1], vec![2, 3]];
        let down = linked(&[vec![3], vec![2], vec![], vec![]]);
        let pos = positions(&rows, 4);
        assert_eq!(crossings(&rows, &down, &pos), 1);
        let rows = vec![vec![0, 1], vec![3, 2]];
        let pos = positions(&rows, 4);
        assert_eq!(crossings(&rows, &down, &pos), 0);
    }

    #[test]
    fn the_weighted_median_leans_to_the_closer_side() {
        assert_eq!(median(&mut [3.0]), 3.0);
        assert_eq!(median(&mut [4.0, 1.0]), 2.5);
        assert_eq!(median(&mut [9.0, 1.0, 2.0]), 2.0);
        // Middle pair 2, 3; left spread 2 − 0 = 2, right spread 13 − 3 = 10: the median
        // lies nearer the tight left side, (2·10 + 3·2) / 12.
        assert_eq!(median(&mut [13.0, 0.0, 2.0, 3.0]), 26.0 / 12.0);
        // Equal spreads: halfway.
        assert_eq!(median(&mut [0.0, 1.0, 2.0, 3.0]), 1.5);
    }

    /// A small pseudo-random two- or three-row graph: rows and down-links.
    fn random_rows(seed: u64) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let mut state = seed;
        let mut next = |m: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as usize
        };
        let widths: Vec<usize> = (0..2 + next(2)).map(|_| 2 + next(5)).collect();
        let mut rows = Vec::new();
        let mut at = 0;
        for w in &widths {
            rows.push((at..at + w).collect::<Vec<usize>>());
            at += w;
        }
        let mut down = vec![Vec::new(); at];
        for r in 0..rows.len() - 1 {
            for &u in &rows[r] {
                for &v in &rows[r + 1] {
                    if next(3) == 0 {
                        down[u].push(v);
                    }
                }
            }
        }
        (rows, down)
    }

    #[test]
    fn crossings_match_a_count_over_every_pair_of_edges() {
        for seed in 1..300u64 {
            let (mut rows, down) = random_rows(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
            // Rows out of index order, so the count cannot lean on it.
            for row in &mut rows {
                row.reverse();
                let half = row.len() / 2;
                row.rotate_left(half);
            }
            let pos = positions(&rows, down.len());
            let mut expected = 0;
            for upper in &rows[..rows.len() - 1] {
                let edges: Vec<(f64, f64)> = upper
                    .iter()
                    .flat_map(|&u| down[u].iter().map(move |&d| (u, d)))
                    .map(|(u, d)| (pos[u], pos[d]))
                    .collect();
                for (k, a) in edges.iter().enumerate() {
                    for b in &edges[k + 1..] {
                        expected += usize::from((a.0 - b.0) * (a.1 - b.1) < 0.0);
                    }
                }
            }
            assert_eq!(
                crossings(&rows, &linked(&down), &pos),
                expected,
                "seed {seed}"
            );
        }
    }

    #[test]
    fn sifting_puts_each_item_where_a_full_recount_finds_fewest_crossings() {
        for seed in 1..200u64 {
            let (mut rows, down) = random_rows(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let len = down.len();
            let mut up = vec![Vec::new(); len];
            for (u, ds) in down.iter().enumerate() {
                for &d in ds {
                    up[d].push(u);
                }
            }
            let (up, down) = (linked(&up), linked(&down));
            let mut pos = positions(&rows, len);
            let before = crossings(&rows, &down, &pos);
            // Until a whole pass moves nothing: each item then sits at its best place.
            while sift(&mut rows, &up, &down, &mut pos) {}
            let after = crossings(&rows, &down, &pos);
            assert!(after <= before, "seed {seed}: {before} → {after}");
            assert_eq!(pos, positions(&rows, len), "seed {seed}: positions kept");
            // No single item can then be moved anywhere in its row to remove a crossing
            // (counted from scratch for every place).
            for r in 0..rows.len() {
                for k in 0..rows[r].len() {
                    for to in 0..rows[r].len() {
                        let mut moved = rows.clone();
                        let u = moved[r].remove(k);
                        moved[r].insert(to, u);
                        let p = positions(&moved, len);
                        assert!(
                            crossings(&moved, &down, &p) >= after,
                            "seed {seed}: moving {u} to {to} beats sifting"
                        );
                    }
                }
            }
        }
    }
}
