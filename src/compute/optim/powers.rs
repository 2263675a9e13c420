//! β^t for Adam's bias correction, remembered per thread: every run of a sweep shares β2 (and
//! the α sweep shares β1), so each power is computed once per thread instead of once per step
//! of every run. The values are `β.powf(t)`, bit for bit.

use std::cell::RefCell;

/// Powers beyond this step are computed directly (the table would outgrow its use).
const LONGEST: usize = 1 << 20;

/// How many bases a thread remembers (a run uses two, β1 and β2; two runs in lockstep three
/// or four).
const BASES: usize = 4;

thread_local! {
    /// Per base (by its bits): β^0, β^1, … as far as asked so far; newest base first.
    static TABLES: RefCell<Vec<(u64, Vec<f64>)>> = const { RefCell::new(Vec::new()) };
}

/// `beta.powf(t as f64)`, from the thread's table when it holds it.
pub fn power(beta: f64, t: usize) -> f64 {
    if t > LONGEST {
        return beta.powf(t as f64);
    }
    TABLES.with_borrow_mut(|tables| {
        let bits = beta.to_bits();
        let at = match tables.iter().position(|(b, _)| *b == bits) {
            Some(i) => i,
            // A base is taken in only at the start of a run, so a base that was pushed out
            // costs one `powf` per step from then on, never a table rebuilt from β^0.
            None if t > 1 => return beta.powf(t as f64),
            None => {
                if tables.len() == BASES {
                    tables.pop();
                }
                tables.insert(0, (bits, Vec::new()));
                0
            }
        };
        let table = &mut tables[at].1;
        while table.len() <= t {
            table.push(beta.powf(table.len() as f64));
        }
        table[t]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_are_those_of_powf_bit_for_bit() {
        // More bases in turn than a thread keeps, out of order, past the table.
        let bases = [0.9, 0.999, 0.37, 0.0, 1.0, f64::NAN];
        for round in 0..3 {
            for &beta in &bases {
                for t in [5, 0, 1, 20_000, 17, 3 + round, LONGEST + 1] {
                    let want = beta.powf(t as f64);
                    let got = power(beta, t);
                    assert_eq!(got.to_bits(), want.to_bits(), "{beta}^{t}");
                }
            }
        }
        let last = power(0.999, LONGEST);
        assert_eq!(last.to_bits(), 0.999_f64.powf(LONGEST as f64).to_bits());
    }
}
