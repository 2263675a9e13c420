//! Ordering the items of each rank to reduce crossings: barycentre sweeps up and down from
//! three starting orders (as given, depth-first and its mirror image), adjacent swaps, keeping the order with
//! the fewest crossings seen. The number of sweeps shrinks as the graph grows so the work
//! stays linear in its items.

use super::layered::Grid;

/// Item visits the sweeps may make in all: sweeps = this / items, within [`SWEEPS`].
const SWEEP_WORK: usize = 4_000_000;
/// Fewest and most barycentre sweeps.
const SWEEPS: (usize, usize) = (4, 32);
/// Items up to which adjacent items are tried swapped after every sweep (beyond, the swaps
/// run once, after the last sweep).
const SWAP_ITEMS: usize = 20_000;

/// Neighbours of every item in the rank above and the rank below.
fn links(grid: &Grid) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut up = vec![Vec::new(); grid.items.len()];
    let mut down = vec![Vec::new(); grid.items.len()];
    for (_, chain) in &grid.chains {
        for w in chain.windows(2) {
            down[w[0]].push(w[1]);
            up[w[1]].push(w[0]);
        }
    }
    (up, down)
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
/// tree).
fn crossings(rows: &[Vec<usize>], down: &[Vec<usize>], pos: &[f64]) -> usize {
    let mut total = 0;
    for r in 0..rows.len().saturating_sub(1) {
        let mut pairs: Vec<(usize, usize)> = rows[r]
            .iter()
            .flat_map(|&u| down[u].iter().map(move |&d| (u, d)))
            .map(|(u, d)| (pos[u] as usize, pos[d] as usize))
            .collect();
        pairs.sort_unstable();
        let size = rows[r + 1].len() + 1;
        let mut tree = vec![0usize; size + 1];
        for (seen, &(_, d)) in pairs.iter().enumerate() {
            // Count earlier pairs ending strictly right of d.
            let mut at = d + 1;
            let mut not_right = 0;
            while at > 0 {
                not_right += tree[at];
                at &= at - 1;
            }
            total += seen - not_right;
            let mut at = d + 1;
            while at <= size {
                tree[at] += 1;
                at += at & at.wrapping_neg();
            }
        }
    }
    total
}

/// Crossings among the edges of `u` and `v` (u left of v) towards their neighbours `nb`.
fn pair_crossings(u: usize, v: usize, nb: &[Vec<usize>], pos: &[f64]) -> usize {
    nb[u]
        .iter()
        .map(|&a| nb[v].iter().filter(|&&b| pos[a] > pos[b]).count())
        .sum()
}

/// Swap neighbours in a row wherever that removes crossings; with `sideways`, also where it
/// keeps them equal (once per pair and pass, as Graphviz's transpose does on alternate
/// passes), so the order can move off a plateau.
fn transpose(
    rows: &mut [Vec<usize>],
    up: &[Vec<usize>],
    down: &[Vec<usize>],
    pos: &mut [f64],
    sideways: bool,
) {
    let mut improved = true;
    let mut rounds = 0;
    while improved && rounds < 8 {
        improved = false;
        rounds += 1;
        for row in rows.iter_mut() {
            for k in 0..row.len().saturating_sub(1) {
                let (u, v) = (row[k], row[k + 1]);
                let now = pair_crossings(u, v, up, pos) + pair_crossings(u, v, down, pos);
                let swapped = pair_crossings(v, u, up, pos) + pair_crossings(v, u, down, pos);
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

/// The rows in depth-first order from the sources (each item joins its rank's row when first
/// reached), so that items joined by edges start out near each other.
fn depth_first(grid: &Grid, down: &[Vec<usize>], up: &[Vec<usize>]) -> Vec<Vec<usize>> {
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
            for &j in down[i].iter().rev() {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
    }
    rows
}

/// Reorder `grid.rows` to reduce crossings: sweeps from the given order and, when crossings
/// remain, from a depth-first order and its mirror image too, keeping the order with the
/// fewest crossings seen (the first on ties).
pub(super) fn reduce_crossings(grid: &mut Grid) {
    let (up, down) = links(grid);
    let (mut fewest, mut best) = sweeps(grid, grid.rows.clone(), &up, &down);
    if fewest > 0 {
        let dfs = depth_first(grid, &down, &up);
        let mirrored = dfs
            .iter()
            .map(|r| r.iter().rev().copied().collect())
            .collect();
        for start in [dfs, mirrored] {
            let (again, rows) = sweeps(grid, start, &up, &down);
            if again < fewest {
                (fewest, best) = (again, rows);
            }
        }
    }
    grid.rows = best;
}

/// Barycentre sweeps from `rows`: the order with the fewest crossings seen, and its count.
fn sweeps(
    grid: &Grid,
    mut rows: Vec<Vec<usize>>,
    up: &[Vec<usize>],
    down: &[Vec<usize>],
) -> (usize, Vec<Vec<usize>>) {
    let len = grid.items.len();
    let mut pos = positions(&rows, len);
    let mut best = rows.clone();
    let mut fewest = crossings(&rows, down, &pos);
    let sweeps = (SWEEP_WORK / len.max(1)).clamp(SWEEPS.0, SWEEPS.1);
    for sweep in 0..sweeps {
        if fewest == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let depth = rows.len();
        for step in 0..depth {
            let r = if downward { step } else { depth - 1 - step };
            let nb = if downward { up } else { down };
            let row = &mut rows[r];
            let mut keyed: Vec<(f64, usize)> = row
                .iter()
                .map(|&i| {
                    let key = if nb[i].is_empty() {
                        pos[i]
                    } else {
                        nb[i].iter().map(|&j| pos[j]).sum::<f64>() / nb[i].len() as f64
                    };
                    (key, i)
                })
                .collect();
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
    (fewest, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossings_are_counted_between_ranks() {
        // 0 → 3 and 1 → 2 cross once when 2 sits left of 3.
        let rows = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        let pos = positions(&rows, 4);
        assert_eq!(crossings(&rows, &down, &pos), 1);
        let rows = vec![vec![0, 1], vec![3, 2]];
        let pos = positions(&rows, 4);
        assert_eq!(crossings(&rows, &down, &pos), 0);
    }
}
