//! Adam's escape threshold in exact rational arithmetic.
//!
//! The settings are decimals, so they are read from the study file's text as exact decimals
//! (never through f64), and the closed form of [`super::closed_form`] is evaluated with
//! rationals: β^t, the moments, the bias corrections and the steps carry no rounding. The one
//! operation that can leave the rationals is √v̂; it is taken only when v̂ is the square of a
//! rational (with |g| the same on both sides of L, v̂ is exactly s²), otherwise the exact
//! evaluation reports which step needs an irrational root and the study keeps its f64 value.

use super::landscape::KinkRule;
use super::settings::Settings;
use super::validate::span_of;
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use serde::{Deserialize, Serialize};

/// An exact rational number.
pub type Q = BigRational;

/// The longest run (k + N steps) evaluated exactly: β2^t has about 3t digits at β2 = 0.999.
const MAX_EXACT_STEPS: usize = 5_000;

/// The largest denominator of β^t carried, in bits: beyond it every rational operation gets
/// slow (hostile settings such as β1 = 0.99999 with a tiny α), so the evaluation stops.
const MAX_BITS: u64 = 16_384;

/// The study's inputs to the closed form, exactly as written in the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactInputs {
    /// w₀.
    pub start: Q,
    /// L.
    pub l: Q,
    /// s = −(descent slope).
    pub s: Q,
    /// u, the rising slope.
    pub u: Q,
    /// α.
    pub alpha: Q,
    /// β1.
    pub beta1: Q,
    /// β2.
    pub beta2: Q,
    /// ε.
    pub epsilon: Q,
    /// The kink rule.
    pub kink: KinkRule,
}

/// A TOML decimal or integer literal (`0.3`, `-1.0`, `1e-3`, `1_000`) as an exact rational;
/// `None` for anything else (`inf`, `nan`, hexadecimal).
pub fn decimal(text: &str) -> Option<Q> {
    let text = text.trim().replace('_', "");
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i32>().ok()?),
        None => (text.as_str(), 0),
    };
    let (negative, digits) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all = format!("{whole}{fraction}");
    if all.is_empty() || !all.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut value = Q::from_integer(all.parse::<BigInt>().ok()?);
    let shift = exponent.checked_sub(i32::try_from(fraction.len()).ok()?)?;
    let power = Q::from_integer(BigInt::from(10).pow(shift.unsigned_abs()));
    value = if shift >= 0 {
        value * power
    } else {
        value / power
    };
    Some(if negative { -value } else { value })
}

/// The exact value of the setting at `path`, if its text is a decimal that reads back as
/// `value` in f64 (a guard against reading the wrong text).
fn setting(source: &str, path: &[&str], value: f64) -> Option<Q> {
    let text = source.get(span_of(source, path))?;
    let clean = text.trim().replace('_', "");
    (clean.parse::<f64>().ok()? == value)
        .then(|| decimal(&clean))
        .flatten()
}

/// The closed form's inputs read exactly from the study file `source` of `settings`.
pub fn inputs(source: &str, settings: &Settings) -> Option<ExactInputs> {
    let l = &settings.landscape;
    let alpha = match settings.adam.alpha {
        Some(a) => setting(source, &["adam", "alpha"], a)?,
        None => setting(source, &["gd", "a"], settings.gd.a)?,
    };
    Some(ExactInputs {
        start: setting(source, &["landscape", "start"], l.start)?,
        l: setting(source, &["landscape", "l"], l.l)?,
        s: -setting(source, &["landscape", "descent-slope"], l.descent_slope)?,
        u: setting(source, &["landscape", "bump-up-slope"], l.bump_up_slope)?,
        alpha,
        beta1: setting(source, &["adam", "beta1"], settings.adam.beta1)?,
        beta2: setting(source, &["adam", "beta2"], settings.adam.beta2)?,
        epsilon: setting(source, &["adam", "epsilon"], settings.adam.epsilon)?,
        kink: l.kink,
    })
}

/// One climbing step, exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactStep {
    /// Steps since w_k.
    pub n: usize,
    /// m_{k+n}.
    pub m: Q,
    /// m̂_{k+n}.
    pub m_hat: Q,
    /// v̂_{k+n}.
    pub v_hat: Q,
    /// √v̂_{k+n} (rational: the evaluation stops otherwise).
    pub root: Q,
    /// The iterate after this step.
    pub w: Q,
}

/// The closed form evaluated exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct ExactClosedForm {
    /// δ = α·s/(s + ε).
    pub delta: Q,
    /// Whether (L − w₀)/δ is a whole number: w_k lands exactly on L.
    pub tie: bool,
    /// The first step at or past L.
    pub k: usize,
    /// w_k.
    pub w_k: Q,
    /// u / (u + s(1 − β1^k)).
    pub ratio: Q,
    /// The climbing steps n = 1 … N.
    pub climb: Vec<ExactStep>,
    /// The top of the first excursion.
    pub w_top: Q,
    /// u·(w_top − L), at least 0.
    pub h_max: Q,
}

/// Why the closed form has no exact rational value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Inexact {
    /// √v̂ is irrational at this step.
    #[error("v̂ at step {t} is not the square of a rational, so √v̂ is irrational")]
    IrrationalRoot {
        /// The step.
        t: usize,
    },
    /// w_k lands on L, where the min-norm rule gives slope 0: the climb's premise fails.
    #[error("w_k lands exactly on L, where the min-norm kink rule gives the slope 0")]
    ZeroSlopeAtL,
    /// Too many steps to carry exactly.
    #[error("the first excursion is too long to evaluate exactly")]
    TooLong,
}

/// √q when q ≥ 0 is the square of a rational.
pub fn exact_sqrt(q: &Q) -> Option<Q> {
    if q.is_negative() {
        return None;
    }
    let (n, d) = (q.numer().sqrt(), q.denom().sqrt());
    (&n * &n == *q.numer() && &d * &d == *q.denom()).then(|| Q::new(n, d))
}

/// Evaluate the closed form (see [`super::closed_form`]) in exact arithmetic.
pub fn closed_form(x: &ExactInputs) -> Result<ExactClosedForm, Inexact> {
    let one = Q::one();
    let delta = &x.alpha * &x.s / (&x.s + &x.epsilon);
    let quotient = (&x.l - &x.start) / &delta;
    let tie = quotient.is_integer();
    if tie && x.kink == KinkRule::MinNorm {
        return Err(Inexact::ZeroSlopeAtL);
    }
    let ceil = quotient.ceil().to_integer();
    let extra = usize::from(tie && x.kink == KinkRule::Left);
    let k = usize::try_from(&ceil)
        .ok()
        .and_then(|c| c.checked_add(extra))
        .filter(|&k| k <= MAX_EXACT_STEPS)
        .ok_or(Inexact::TooLong)?
        .max(1);
    let w_k = &x.start + Q::from_integer(k.into()) * &delta;
    let pow = |b: &Q, n: usize| -> Q { num_traits::pow(b.clone(), n) };
    let too_big = |q: &Q| q.denom().bits() > MAX_BITS;
    let (b1k, b2k) = (pow(&x.beta1, k), pow(&x.beta2, k));
    if too_big(&b1k) || too_big(&b2k) {
        return Err(Inexact::TooLong);
    }
    let ratio = &x.u / (&x.u + &x.s * (&one - &b1k));
    let mut climb = Vec::new();
    let mut w = w_k.clone();
    let (mut b1n, mut b2n) = (one.clone(), one.clone());
    let (mut b1t, mut b2t) = (b1k.clone(), b2k.clone());
    for n in 1.. {
        if k + n > MAX_EXACT_STEPS || too_big(&b1t) || too_big(&b2t) {
            return Err(Inexact::TooLong);
        }
        b1n *= &x.beta1;
        b2n *= &x.beta2;
        b1t *= &x.beta1;
        b2t *= &x.beta2;
        let m = -&x.s * &b1n * (&one - &b1k) + &x.u * (&one - &b1n);
        if !m.is_negative() {
            break;
        }
        let v = &x.s * &x.s * &b2n * (&one - &b2k) + &x.u * &x.u * (&one - &b2n);
        let m_hat = &m / (&one - &b1t);
        let v_hat = v / (&one - &b2t);
        let root = exact_sqrt(&v_hat).ok_or(Inexact::IrrationalRoot { t: k + n })?;
        w = &w - &x.alpha * &m_hat / (&root + &x.epsilon);
        climb.push(ExactStep {
            n,
            m,
            m_hat,
            v_hat,
            root,
            w: w.clone(),
        });
    }
    let h_max = (&x.u * (&w - &x.l)).max(Q::zero());
    Ok(ExactClosedForm {
        delta,
        tie,
        k,
        w_k,
        ratio,
        climb,
        w_top: w,
        h_max,
    })
}

/// `q` rounded to `digits` significant digits (half to even), in the notation of
/// [`crate::format::num`]: plain for 1e-4 ≤ |q| < 1e7, else `1.25e-5`; trailing zeros trimmed.
pub fn round(q: &Q, digits: usize) -> String {
    if q.is_zero() || digits == 0 {
        return "0".into();
    }
    let ten = BigInt::from(10);
    let magnitude = q.abs();
    // e with 10^e ≤ |q| < 10^(e+1), from the digit counts, then corrected.
    let length = |n: &BigInt| i64::try_from(n.to_string().len()).unwrap_or(i64::MAX);
    let mut e = length(magnitude.numer()) - length(magnitude.denom());
    let power = |p: i64| -> Q {
        let big = Q::from_integer(ten.pow(u32::try_from(p.unsigned_abs()).unwrap_or(u32::MAX)));
        if p >= 0 { big } else { big.recip() }
    };
    while power(e) > magnitude {
        e -= 1;
    }
    while power(e + 1) <= magnitude {
        e += 1;
    }
    let digits_i = i64::try_from(digits).unwrap_or(17);
    let scaled = &magnitude * power(digits_i - 1 - e);
    let (floor, rest) = (scaled.floor(), scaled.fract());
    let mut n = floor.to_integer();
    let half = Q::new(1.into(), 2.into());
    if rest > half || (rest == half && n.is_odd()) {
        n += 1;
    }
    if n == ten.pow(u32::try_from(digits).unwrap_or(17)) {
        n /= &ten;
        e += 1;
    }
    let text = n.to_string();
    let sign = if q.is_negative() { "-" } else { "" };
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-4..7).contains(&e) {
        let point = e + 1;
        let body = if point <= 0 {
            let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
            format!("0.{zeros}{text}")
        } else {
            let p = usize::try_from(point).unwrap_or(0);
            if p >= text.len() {
                format!("{text}{}", "0".repeat(p - text.len()))
            } else {
                format!("{}.{}", &text[..p], &text[p..])
            }
        };
        format!("{sign}{}", trim(body))
    } else {
        let mantissa = trim(format!("{}.{}", &text[..1], &text[1..]));
        format!("{sign}{mantissa}e{e}")
    }
}

/// The nearest f64 to `q` (through a 40-digit decimal, whose own rounding is far below an ulp).
pub fn to_f64(q: &Q) -> f64 {
    let text = if q.is_zero() {
        "0".into()
    } else {
        round(q, 40)
    };
    text.parse().unwrap_or(f64::NAN)
}

/// The exact threshold as the chapter and `results --json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExactThreshold {
    /// The numerator of h_max in lowest terms.
    pub numerator: String,
    /// The denominator.
    pub denominator: String,
    /// h_max correctly rounded to 17 significant digits.
    pub decimal: String,
    /// The nearest f64.
    pub value: f64,
    /// Whether w_k lands exactly on L (the kink rule decides the next slope).
    pub tie: bool,
    /// The first step at or past L.
    pub k: usize,
    /// The number of climbing steps.
    pub n_climb: usize,
}

impl ExactThreshold {
    /// The summary of an exact closed form.
    pub fn of(form: &ExactClosedForm) -> Self {
        Self {
            numerator: form.h_max.numer().to_string(),
            denominator: form.h_max.denom().to_string(),
            decimal: round(&form.h_max, 17),
            value: to_f64(&form.h_max),
            tie: form.tie,
            k: form.k,
            n_climb: form.climb.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    #[test]
    fn decimals_are_read_exactly() {
        assert_eq!(decimal("0.3"), Some(q(3, 10)));
        assert_eq!(decimal("-1.0"), Some(q(-1, 1)));
        assert_eq!(decimal("1e-3"), Some(q(1, 1000)));
        assert_eq!(decimal("2.5E+2"), Some(q(250, 1)));
        assert_eq!(decimal("1_000"), Some(q(1000, 1)));
        assert_eq!(decimal("inf"), None);
        assert_eq!(decimal("nan"), None);
        assert_eq!(decimal("0x10"), None);
    }

    #[test]
    fn rounding_is_correct_and_half_even() {
        assert_eq!(round(&q(2, 3), 6), "0.666667");
        assert_eq!(round(&q(-20951, 100000), 6), "-0.20951");
        assert_eq!(round(&q(125, 1000), 2), "0.12");
        assert_eq!(round(&q(135, 1000), 2), "0.14");
        assert_eq!(round(&q(999_999, 1), 3), "1000000");
        assert_eq!(round(&q(1, 100_000), 3), "1e-5");
        assert_eq!(round(&q(123, 1), 6), "123");
        assert_eq!(to_f64(&q(3, 10)), 0.3);
    }

    #[test]
    fn roots_only_of_squares() {
        assert_eq!(exact_sqrt(&q(9, 4)), Some(q(3, 2)));
        assert_eq!(exact_sqrt(&q(2, 1)), None);
        assert_eq!(exact_sqrt(&q(-1, 1)), None);
    }

    fn inputs(alpha: Q, beta1: Q) -> ExactInputs {
        ExactInputs {
            start: q(0, 1),
            l: q(1, 1),
            s: q(1, 1),
            u: q(1, 1),
            alpha,
            beta1,
            beta2: q(999, 1000),
            epsilon: q(0, 1),
            kink: KinkRule::Right,
        }
    }

    #[test]
    fn seed_fraction_and_honest_refusals() {
        let seed = closed_form(&inputs(q(3, 10), q(9, 10))).unwrap();
        assert_eq!(seed.h_max, q(2071210444, 5049463055));
        assert_eq!((seed.k, seed.climb.len(), seed.tie), (4, 2, false));
        // α = 1/1000: w_1000 lands exactly on L and the right-hand slope applies.
        let small = closed_form(&inputs(q(1, 1000), q(9, 10))).unwrap();
        assert!(small.tie && small.w_k == q(1, 1));
        // Unequal slopes make √v̂ irrational.
        let mut uneven = inputs(q(3, 10), q(9, 10));
        uneven.u = q(2, 1);
        assert!(matches!(
            closed_form(&uneven),
            Err(Inexact::IrrationalRoot { t: 5 })
        ));
        // A tiny α with β1 near 1 stops instead of grinding through huge rationals.
        let slow = closed_form(&inputs(q(1, 100_000), q(99_999, 100_000)));
        assert_eq!(slow, Err(Inexact::TooLong));
    }
}
