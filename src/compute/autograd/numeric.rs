//! Python-number arithmetic and explanations of non-finite values: the parts of running a
//! script that are about numbers rather than graphs.

use super::ops::Op;
use super::script::BinOp;
use crate::format::num;

/// Largest integer f64 holds exactly; Python's ints are unbounded, so beyond it we stop.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

/// `x op y` on Python numbers `(value, is_int)`, with Python's errors and int/float rules;
/// the result is `(value, is_int)` too.
pub(super) fn python_number(
    op: BinOp,
    (x, xi): (f64, bool),
    (y, yi): (f64, bool),
) -> Result<(f64, bool), String> {
    let both_int = xi && yi;
    let (value, int) = match op {
        BinOp::Add => (x + y, both_int),
        BinOp::Sub => (x - y, both_int),
        BinOp::Mul => (x * y, both_int),
        BinOp::Div => {
            if y == 0.0 {
                return Err("division by zero".into());
            }
            (x / y, false)
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return Err("zero cannot be raised to a negative power".into());
            }
            if x < 0.0 && y.fract() != 0.0 {
                return Err(
                    "a negative number to a fractional power is a complex number in Python".into(),
                );
            }
            (x.powf(y), both_int && y >= 0.0)
        }
        BinOp::MatMul | BinOp::Lt | BinOp::Gt | BinOp::Le | BinOp::Ge => {
            return Err("unsupported operand types for this operator: two numbers".into());
        }
    };
    if !value.is_finite() {
        return Err("number too large for float64".into());
    }
    if int && value.abs() > EXACT_INT {
        return Err("integer too large to compute exactly in float64 (beyond 2**53)".into());
    }
    Ok((value, int))
}

/// Why `op` on `inputs` gave the non-finite `value`, in words.
pub(super) fn why_not_finite(op: Op, inputs: &[f64], value: f64) -> String {
    let x = inputs.first().copied().unwrap_or(f64::NAN);
    let y = inputs.get(1).copied().unwrap_or(f64::NAN);
    let shown = num(value, 6);
    let reason = match op {
        Op::Log if x <= 0.0 => format!("log of a non-positive value ({})", num(x, 6)),
        Op::Div if y == 0.0 => "division by zero".to_string(),
        Op::Reciprocal if x == 0.0 => "division by zero".to_string(),
        Op::Pow if x < 0.0 && y.fract() != 0.0 => {
            "a negative base to a non-integer power".to_string()
        }
        Op::PowScalar { exponent } if x < 0.0 && exponent.fract() != 0.0 => {
            "a negative base to a non-integer power".to_string()
        }
        Op::ScalarPow { base } if base < 0.0 && x.fract() != 0.0 => {
            "a negative base to a non-integer power".to_string()
        }
        Op::Pow | Op::PowScalar { .. } | Op::ScalarPow { .. }
            if value.is_infinite()
                && (x == 0.0 || matches!(op, Op::ScalarPow { base } if base == 0.0)) =>
        {
            "zero to a negative power".to_string()
        }
        _ if inputs.iter().any(|v| !v.is_finite()) => "an input is not finite".to_string(),
        _ => "the result overflows float64".to_string(),
    };
    format!("this value is {shown}: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rules() {
        assert_eq!(
            python_number(BinOp::Div, (7.0, true), (2.0, true)),
            Ok((3.5, false))
        );
        assert_eq!(
            python_number(BinOp::Pow, (2.0, true), (3.0, true)),
            Ok((8.0, true))
        );
        assert_eq!(
            python_number(BinOp::Pow, (2.0, true), (-1.0, true)),
            Ok((0.5, false))
        );
        assert!(python_number(BinOp::Div, (1.0, true), (0.0, true)).is_err());
        assert!(python_number(BinOp::Pow, (-8.0, true), (0.5, false)).is_err());
        assert!(python_number(BinOp::Pow, (10.0, true), (400.0, true)).is_err());
    }

    #[test]
    fn explanations() {
        assert!(
            why_not_finite(Op::Log, &[-1.0], f64::NAN).contains("log of a non-positive value (-1)")
        );
        assert!(why_not_finite(Op::Div, &[1.0, 0.0], f64::INFINITY).contains("division by zero"));
        assert!(why_not_finite(Op::Exp, &[1000.0], f64::INFINITY).contains("overflows"));
    }
}
