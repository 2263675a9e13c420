//! Number formatting: every number shown in a page, table or SVG goes through here, so
//! precision is consistent and output is deterministic.

/// Format `x` with `digits` significant digits, trailing zeros trimmed.
///
/// Plain decimal notation for 1e-4 ≤ |x| < 1e7, otherwise `1.25e-5`. Negative zero prints as
/// `0`; NaN and infinities print as `NaN`, `inf`, `-inf`. `digits = 0` means the shortest text
/// that reads back as the same f64.
pub fn num(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let scientific = !(1e-4..1e7).contains(&x.abs());
    let text = if digits == 0 {
        if scientific {
            format!("{x:e}")
        } else {
            format!("{x}")
        }
    } else {
        let digits = digits.min(17);
        let exponent = format!("{:.*e}", digits - 1, x);
        if scientific {
            trim_mantissa(&exponent)
        } else {
            let (mantissa, exp) = exponent.split_once('e').unwrap_or((&exponent, "0"));
            let exp: i32 = exp.parse().unwrap_or(0);
            let decimals = (digits as i32 - 1 - exp).max(0) as usize;
            let value: f64 = format!("{mantissa}e{exp}").parse().unwrap_or(x);
            trim_zeros(&format!("{value:.decimals$}"))
        }
    };
    if text == "-0" { "0".into() } else { text }
}

/// Format `x` with exactly `decimals` digits after the point (for SVG coordinates).
pub fn fixed(x: f64, decimals: usize) -> String {
    let text = format!("{x:.decimals$}");
    if text.starts_with('-') && text[1..].chars().all(|c| c == '0' || c == '.') {
        text[1..].to_string()
    } else {
        text
    }
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

fn trim_mantissa(text: &str) -> String {
    match text.split_once('e') {
        Some((m, e)) => format!("{}e{}", trim_zeros(m), e),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(num(0.123456789, 6), "0.123457");
        assert_eq!(num(123.456, 4), "123.5");
        assert_eq!(num(1.0, 6), "1");
        assert_eq!(num(-2.5, 3), "-2.5");
        assert_eq!(num(1234567.0, 3), "1230000");
        assert_eq!(num(0.000012345, 3), "1.23e-5");
        assert_eq!(num(-0.0, 3), "0");
        assert_eq!(num(-1e-30, 3), "-1e-30");
        assert_eq!(num(f64::NAN, 3), "NaN");
    }

    #[test]
    fn shortest_round_trip() {
        assert_eq!(num(0.1 + 0.2, 0), "0.30000000000000004");
        assert_eq!(num(2.5e-9, 0), "2.5e-9");
    }

    #[test]
    fn fixed_decimals() {
        assert_eq!(fixed(1.0 / 3.0, 2), "0.33");
        assert_eq!(fixed(-0.001, 2), "0.00");
        assert_eq!(fixed(-1.5, 1), "-1.5");
    }
}
