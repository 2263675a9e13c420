//! 1 − β^t for Adam's bias correction, remembered per thread: every run of a sweep shares β2
//! (and the α sweep shares β1), so each power is computed once per thread instead of once
//! per step of every run. The values are `1.0 - β.powf(t)`, bit for bit.

use std::cell::RefCell;

/// Powers beyond this step are computed directly (the table would outgrow its use).
const LONGEST: usize = 1 << 20;

/// How many bases a thread remembers (a run uses two, β1 and β2; runs in lockstep up to
/// one β1 each and their β2).
const BASES: usize = 6;

/// Below this, |β^t| no longer shows in 1 − β^t (which rounds to 1 once |β^t| < 2^-54),
/// and neither does any later power: β^(t+1) is smaller still, and `powf` is within an ulp.
const NEGLIGIBLE: f64 = 1.0 / (1u64 << 60) as f64;

/// What a thread remembers of one base.
struct Table {
    /// The base's bits.
    bits: u64,
    /// 1 − β^0, 1 − β^1, … as far as asked so far.
    values: Vec<f64>,
    /// The first t with |β^t| below [`NEGLIGIBLE`], once met: from there on 1 − β^t is 1.
    settled: usize,
}

thread_local! {
    /// Per base: its table; the base a run started with most recently first.
    static TABLES: RefCell<Vec<Table>> = const { RefCell::new(Vec::new()) };
}

/// `1.0 - beta.powf(t as f64)`, from the thread's table when it holds it; `None` when it is
/// 1 for this `t` and every later one (β^t has become negligible).
pub fn one_minus_power(beta: f64, t: usize) -> Option<f64> {
    let direct = || Some(1.0 - beta.powf(t as f64));
    if t > LONGEST {
        return direct();
    }
    TABLES.with_borrow_mut(|tables| {
        let bits = beta.to_bits();
        let at = match tables.iter().position(|table| table.bits == bits) {
            // A run starts (t = 1) with a remembered base: move it to the front, so that the
            // bases pushed out are those no run has started with for longest.
            Some(i) if t == 1 => {
                let table = tables.remove(i);
                tables.insert(0, table);
                0
            }
            Some(i) => i,
            // A base is taken in only at the start of a run, so a base that was pushed out
            // costs one `powf` per step from then on, never a table rebuilt from β^0.
            None if t > 1 => return direct(),
            None => {
                if tables.len() == BASES {
                    tables.pop();
                }
                let table = Table {
                    bits,
                    values: Vec::new(),
                    settled: usize::MAX,
                };
                tables.insert(0, table);
                0
            }
        };
        let table = &mut tables[at];
        if t >= table.settled {
            return None;
        }
        while table.values.len() <= t {
            let n = table.values.len();
            let p = beta.powf(n as f64);
            table.values.push(1.0 - p);
            if p.abs() < NEGLIGIBLE {
                table.settled = n;
                return None;
            }
        }
        Some(table.values[t])
    })
}

/// 1 − β^t for t = 0, 1, … (at most `len` values), up to the first t at which β^t is
/// negligible: from there on 1 − β^t is 1. The values [`one_minus_power`] gives, bit for bit.
pub fn one_minus_powers(beta: f64, len: usize) -> Vec<f64> {
    (0..len)
        .map(|n| beta.powf(n as f64))
        .take_while(|p| p.abs() >= NEGLIGIBLE || p.is_nan())
        .map(|p| 1.0 - p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_one_minus_powf_bit_for_bit() {
        // More bases in turn than a thread keeps, out of order, past the table; bases whose
        // powers become negligible early (0, 0.5) and late (0.99), or never do (1, NaN).
        let bases = [0.9, 0.999, 0.37, 0.0, 1.0, f64::NAN, 0.5, 0.99, 0.999_9];
        for round in 0..3 {
            for &beta in &bases {
                for t in [5, 0, 1, 20_000, 17, 3 + round, 61, 4_200, LONGEST + 1] {
                    let want = 1.0 - beta.powf(t as f64);
                    let got = one_minus_power(beta, t).unwrap_or(1.0);
                    assert_eq!(got.to_bits(), want.to_bits(), "1 - {beta}^{t}");
                }
            }
        }
        // Every step of a run, as Adam asks.
        for beta in [0.5_f64, 0.9, 0.99] {
            for t in 0..6_000 {
                let want = 1.0 - beta.powf(t as f64);
                let got = one_minus_power(beta, t);
                assert_eq!(got.unwrap_or(1.0).to_bits(), want.to_bits(), "{beta}^{t}");
                if got.is_none() {
                    assert!(one_minus_power(beta, t + 1).is_none(), "settled for good");
                }
            }
        }
        // The whole table at once.
        for &beta in &bases {
            let table = one_minus_powers(beta, 5_000);
            for t in 0..5_000 {
                let want = one_minus_power(beta, t).unwrap_or(1.0);
                let got = table.get(t).copied().unwrap_or(1.0);
                assert_eq!(got.to_bits(), want.to_bits(), "1 - {beta}^{t}");
            }
        }
        let last = one_minus_power(0.999, LONGEST).expect("0.999^LONGEST shows");
        assert_eq!(
            last.to_bits(),
            (1.0 - 0.999_f64.powf(LONGEST as f64)).to_bits()
        );
    }
}
