//! `agreement(a=…, b=…)`: how closely two computed sequences agree, for a chapter that puts
//! one computation beside another (a PyTorch script's iterates beside a simulation's) and must
//! say exactly how equal they are: bit for bit, to how many units in the last place, and to how
//! many printed digits.

use serde_json::{Value, json};
use std::collections::HashMap;

/// How two equal-length sequences of f64 agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// How many pairs.
    pub count: usize,
    /// Pairs with the same bits (or both NaN).
    pub bit_equal: usize,
    /// The first index whose pair differs in its bits.
    pub first_difference: Option<usize>,
    /// The largest |a − b|.
    pub max_abs: f64,
    /// The largest |a − b| / max(|a|, |b|) (0 for a pair of zeros).
    pub max_rel: f64,
    /// The largest distance in units in the last place (representable f64 between them).
    pub max_ulps: u64,
    /// `same_at[d - 1]`: every pair prints the same at `d` significant digits (1–17) with the
    /// book's number format.
    pub same_at: [bool; 17],
}

impl Agreement {
    /// The most significant digits (1–17) at which every pair prints the same; 0 if none.
    pub fn same_digits(&self) -> usize {
        (1..=17).rev().find(|&d| self.same_at[d - 1]).unwrap_or(0)
    }

    /// The most significant digits `d` such that every pair prints the same at 1, 2, …, `d`
    /// (rounding can part two numbers at a few digits and join them again at more).
    pub fn same_through(&self) -> usize {
        self.same_at.iter().take_while(|&&same| same).count()
    }
}

/// Compare `a` and `b` pair by pair; they must have the same length.
pub fn compare(a: &[f64], b: &[f64]) -> Result<Agreement, String> {
    if a.len() != b.len() {
        return Err(format!(
            "the sequences have different lengths ({} and {})",
            a.len(),
            b.len()
        ));
    }
    let mut out = Agreement {
        count: a.len(),
        bit_equal: 0,
        first_difference: None,
        max_abs: 0.0,
        max_rel: 0.0,
        max_ulps: 0,
        same_at: [true; 17],
    };
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        if x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()) {
            out.bit_equal += 1;
            continue;
        }
        out.first_difference.get_or_insert(i);
        let diff = (x - y).abs();
        out.max_abs = out.max_abs.max(diff);
        let scale = x.abs().max(y.abs());
        if scale > 0.0 {
            out.max_rel = out.max_rel.max(diff / scale);
        }
        out.max_ulps = out.max_ulps.max(ulps_between(x, y));
        for (d, same) in (1..=17).zip(out.same_at.iter_mut()) {
            *same &= crate::format::num(x, d) == crate::format::num(y, d);
        }
    }
    Ok(out)
}

/// The number of f64 steps from `x` to `y` (`u64::MAX` when either is NaN).
fn ulps_between(x: f64, y: f64) -> u64 {
    if x.is_nan() || y.is_nan() {
        return u64::MAX;
    }
    // Map the bits onto a line that is monotonic in the value (−0 and +0 meet at 0).
    let key = |v: f64| {
        let bits = v.to_bits() as i64;
        if bits < 0 { i64::MIN - bits } else { bits }
    };
    key(x).abs_diff(key(y))
}

/// A list argument of numbers (a one-element list counts as its number, as a one-element
/// tensor's value does in the results).
fn numbers(args: &HashMap<String, Value>, name: &str) -> tera::Result<Vec<f64>> {
    let list = match args.get(name) {
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(tera::Error::msg(format!(
                "agreement: `{name}` must be a list of numbers, got `{other}`"
            )));
        }
        None => {
            return Err(tera::Error::msg(format!(
                "agreement: missing `{name}=<list of numbers>`"
            )));
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let v = match v {
                Value::Array(one) if one.len() == 1 => &one[0],
                v => v,
            };
            v.as_f64().ok_or_else(|| {
                tera::Error::msg(format!(
                    "agreement: item {i} of `{name}` is `{v}`, not a number"
                ))
            })
        })
        .collect()
}

/// Register `agreement(a=<list>, b=<list>[, digits=N])` on a chapter's Tera: for lists of
/// different lengths `{same_length: false, count_a, count_b, same_at_digits: false}`, else an
/// object with `same_length: true`, `count`, `bit_equal`, `first_difference` (null when all are equal), `max_abs`, `max_rel`,
/// `max_ulps`, `same_digits` (the most digits at which every pair prints the same),
/// `same_through` (every pair prints the same at every precision up to it),
/// `same_at_digits` (every pair prints the same at `digits`, by default the book's) and
/// `digits` itself.
pub fn register(tera: &mut tera::Tera, book_digits: usize) {
    tera.register_function(
        "agreement",
        move |args: &HashMap<String, Value>| -> tera::Result<Value> {
            let a = numbers(args, "a")?;
            let b = numbers(args, "b")?;
            let digits = match args.get("digits") {
                None => book_digits,
                Some(v) => v.as_u64().filter(|d| (1..=17).contains(d)).ok_or_else(|| {
                    tera::Error::msg(format!(
                        "agreement: `digits` must be a whole number from 1 to 17, got `{v}`"
                    ))
                })? as usize,
            };
            if a.len() != b.len() {
                // Sequences of different lengths do not agree; the chapter says how they differ.
                return Ok(json!({
                    "same_length": false,
                    "count_a": a.len(),
                    "count_b": b.len(),
                    "same_at_digits": false,
                }));
            }
            let r = compare(&a, &b).map_err(|e| tera::Error::msg(format!("agreement: {e}")))?;
            Ok(json!({
                "same_length": true,
                "count": r.count,
                "bit_equal": r.bit_equal,
                "first_difference": r.first_difference,
                "max_abs": r.max_abs,
                "max_rel": r.max_rel,
                "max_ulps": r.max_ulps,
                "same_digits": r.same_digits(),
                "same_through": r.same_through(),
                "same_at_digits": r.same_at[digits.clamp(1, 17) - 1],
                "digits": digits,
            }))
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulps_count_representable_steps_across_zero() {
        assert_eq!(ulps_between(1.0, 1.0), 0);
        assert_eq!(ulps_between(1.0, f64::from_bits(1.0f64.to_bits() + 2)), 2);
        assert_eq!(ulps_between(0.0, -0.0), 0);
        assert_eq!(ulps_between(f64::from_bits(1), -f64::from_bits(1)), 2);
        assert_eq!(ulps_between(0.3, 0.1 + 0.2), 1);
        assert_eq!(ulps_between(f64::NAN, 1.0), u64::MAX);
    }

    #[test]
    fn a_hand_worked_pair_of_sequences() {
        let next = |x: f64, k: u64| f64::from_bits(x.to_bits() + k);
        let a = [0.0, 0.3, 1.2, 2.5];
        let b = [0.0, 0.3, next(1.2, 2), 2.5 + 1e-6];
        let r = compare(&a, &b).unwrap();
        assert_eq!(r.count, 4);
        assert_eq!(r.bit_equal, 2);
        assert_eq!(r.first_difference, Some(2));
        assert_eq!(r.max_abs, (2.5 + 1e-6) - 2.5);
        assert_eq!(r.max_rel, ((2.5 + 1e-6) - 2.5) / (2.5 + 1e-6));
        // 2.5 and 2.500001 print the same at 2 to 6 significant digits, differ from the
        // seventh on, and at one digit too (2.5 rounds to even, "2", and 2.500001 to "3").
        assert_eq!(r.same_digits(), 6);
        assert_eq!(r.same_through(), 0);
        let expected: Vec<bool> = (1..=17).map(|d| (2..=6).contains(&d)).collect();
        assert_eq!(r.same_at.to_vec(), expected);
        assert!(r.max_ulps > 1_000_000);
    }

    #[test]
    fn equal_sequences_agree_everywhere_and_lengths_must_match() {
        let r = compare(&[1.0, -2.0], &[1.0, -2.0]).unwrap();
        assert_eq!((r.bit_equal, r.first_difference, r.max_ulps), (2, None, 0));
        assert_eq!((r.same_digits(), r.same_through()), (17, 17));
        assert!(
            compare(&[1.0], &[1.0, 2.0])
                .unwrap_err()
                .contains("lengths")
        );
    }

    #[test]
    fn the_tera_function_reads_numbers_and_one_element_lists() {
        let mut tera = tera::Tera::default();
        register(&mut tera, 6);
        let mut ctx = tera::Context::new();
        ctx.insert("a", &json!([0.5, [1.5]]));
        ctx.insert("b", &json!([0.5, 1.5]));
        let out = tera
            .render_str(
                "{% set r = agreement(a=a, b=b) %}{{ r.bit_equal }}/{{ r.count }} {{ r.same_at_digits }}",
                &ctx,
            )
            .unwrap();
        assert_eq!(out, "2/2 true");
        let digits = tera
            .render_str("{% set r = agreement(a=a, b=b) %}{{ r.digits }}", &ctx)
            .unwrap();
        assert_eq!(digits, "6");
        ctx.insert("b", &json!([0.5, 1.5000001]));
        let mut at = |digits: &str| {
            let template =
                format!("{{% set r = agreement(a=a, b=b{digits}) %}}{{{{ r.same_at_digits }}}}");
            tera.render_str(&template, &ctx).unwrap()
        };
        assert_eq!(at(""), "true");
        assert_eq!(at(", digits=8"), "false");
        ctx.insert("b", &json!([0.5]));
        let short = tera
            .render_str(
                "{% set r = agreement(a=a, b=b) %}{{ r.same_length }} {{ r.count_a }} {{ r.count_b }} {{ r.same_at_digits }}",
                &ctx,
            )
            .unwrap();
        assert_eq!(short, "false 2 1 false");
        ctx.insert("b", &json!([0.5, "x"]));
        let err = tera
            .render_str("{{ agreement(a=a, b=b) }}", &ctx)
            .unwrap_err();
        let text = format!("{err:?}");
        assert!(text.contains("item 1 of `b`"), "{text}");
    }
}
