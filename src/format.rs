//! Number formatting: every number shown in a page, table or SVG goes through here, so
//! precision is consistent and output is deterministic.
//!
//! Two forms: [`num`] is the plain machine form (`-1.25e-5`, reads back as an f64: settings,
//! JSON, test assertions); [`display`] is what a reader sees in prose, tables, tooltips and
//! plot labels: a minus sign U+2212 as in math, `1.25×10⁻⁵` instead of e-notation, and the
//! integer part of numbers from 10 000 up grouped in threes by a narrow no-break space U+202F
//! (the SI / ISO 80000 convention: `1 056 384`, never confused with a decimal comma and never
//! broken across lines). [`latex`] turns a displayed number back into LaTeX for formulas.

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

/// The minus sign of displayed numbers (as in math).
pub const MINUS: char = '\u{2212}';
/// The thousands separator of displayed numbers: a narrow no-break space.
pub const GROUP: char = '\u{202F}';
/// Unicode superscript digits `⁰` … `⁹`.
const SUPERSCRIPT: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

/// `x` as a reader sees it: [`num`] with `digits` significant digits, then [`display_text`].
pub fn display(x: f64, digits: usize) -> String {
    display_text(&num(x, digits))
}

/// The significant digits a book prints numbers with (`[gradbook] digits`), as figures use
/// them: a tooltip or the table beside a figure shows a value at the book's digits, and a
/// label with room for fewer (a diagram box, a legend entry) shows the book's digits or its
/// room, whichever is fewer. Either way through [`display`], as in the chapter's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digits(pub usize);

impl Digits {
    /// The default of `[gradbook] digits`, for figures drawn outside a book.
    pub const DEFAULT: Digits = Digits(6);

    /// `x` at the book's digits.
    pub fn show(self, x: f64) -> String {
        display(x, self.0)
    }

    /// `x` in a label with room for `room` significant digits: at the book's digits, or at
    /// `room` when the book asks for more.
    pub fn fit(self, x: f64, room: usize) -> String {
        display(x, self.0.min(room))
    }
}

/// An integer count as a reader sees it (`100000` → `100 000` with U+202F, `-5` → `−5`).
pub fn count(n: i128) -> String {
    display_text(&n.to_string())
}

/// Rewrite a plain number (`-1234567.5`, `2.845e-5`, `-inf`) in the displayed form; text that
/// is not a plain number comes back unchanged.
pub fn display_text(plain: &str) -> String {
    let (negative, body) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain),
    };
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let numeric = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.');
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix('-').unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    if !(numeric(mantissa) || mantissa == "inf") || !exponent_ok {
        return plain.to_string();
    }
    let mut out = String::new();
    if negative {
        out.push(MINUS);
    }
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    out.push_str(&group(int));
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    if let Some(e) = exponent {
        out.push_str("×10");
        for c in e.chars() {
            match c.to_digit(10) {
                Some(d) => out.push(SUPERSCRIPT[d as usize]),
                None => out.push('⁻'),
            }
        }
    }
    out
}

/// The plain form of a displayed number (the inverse of [`display_text`]): `−1.5×10⁻⁵` →
/// `-1.5e-5`, `100 000` → `100000`. Text that holds none of the display marks is unchanged.
pub fn plain(displayed: &str) -> String {
    let mut out = String::with_capacity(displayed.len());
    let mut in_exponent = false;
    let mut rest = displayed;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("×10") {
            out.push('e');
            in_exponent = true;
            rest = after;
            continue;
        }
        match c {
            MINUS => out.push('-'),
            GROUP => {}
            c => match superscript_value(c).filter(|_| in_exponent) {
                Some(plain) => out.push(plain),
                None => out.push(c),
            },
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The integer digits `int` grouped in threes by [`GROUP`] when there are five or more (a
/// four-digit number such as a year or `2048` stays whole, as SI typesetting does).
fn group(int: &str) -> String {
    if int.len() < 5 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return int.to_string();
    }
    let mut out = String::with_capacity(int.len() + int.len() / 3 * 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(GROUP);
        }
        out.push(c);
    }
    out
}

/// A displayed number (or any text holding displayed numbers) made LaTeX: `−` → `-`,
/// `×10⁻⁵` → `\times 10^{-5}`, the group separator → `\,`. Other text is unchanged.
pub fn latex(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            MINUS => out.push('-'),
            GROUP => out.push_str("\\,"),
            '×' => out.push_str("\\times "),
            c => match superscript_value(c) {
                Some(first) => {
                    out.push_str("^{");
                    out.push(first);
                    while let Some(next) = chars.peek().and_then(|&n| superscript_value(n)) {
                        out.push(next);
                        chars.next();
                    }
                    out.push('}');
                }
                None => out.push(c),
            },
        }
    }
    out
}

/// The plain character a superscript digit or minus stands for.
fn superscript_value(c: char) -> Option<char> {
    if c == '⁻' {
        return Some('-');
    }
    SUPERSCRIPT
        .iter()
        .position(|&s| s == c)
        .and_then(|d| char::from_digit(d as u32, 10))
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

    #[test]
    fn display_uses_the_minus_sign() {
        assert_eq!(display(-2.5, 3), "\u{2212}2.5");
        assert_eq!(display(-0.0, 3), "0");
        assert_eq!(display(f64::NEG_INFINITY, 3), "\u{2212}inf");
        assert!(!display(-0.1614, 4).contains('-'));
    }

    #[test]
    fn display_writes_powers_of_ten_with_superscripts() {
        assert_eq!(display(2.845e-5, 4), "2.845×10⁻⁵");
        assert_eq!(display(-7.021e-5, 4), "\u{2212}7.021×10⁻⁵");
        assert_eq!(display(1e-14, 3), "1×10⁻¹⁴");
        assert_eq!(display(1.5e23, 3), "1.5×10²³");
        // Independently: the superscripts read back to the exponent of the plain form.
        for x in [3.2e-7, 6.02e23, -1.1e-14, 9.99e-100] {
            let shown = display(x, 3);
            let (mantissa, power) = shown.split_once("×10").unwrap();
            let exponent: String = power
                .chars()
                .map(|c| superscript_value(c).unwrap())
                .collect();
            let back: f64 = format!("{}e{exponent}", mantissa.replace(MINUS, "-"))
                .parse()
                .unwrap();
            assert!((back - x).abs() <= x.abs() * 1e-2, "{shown} for {x}");
        }
    }

    #[test]
    fn display_groups_large_integer_parts() {
        assert_eq!(count(1_056_384), "1\u{202F}056\u{202F}384");
        assert_eq!(count(100_000), "100\u{202F}000");
        assert_eq!(count(20_000), "20\u{202F}000");
        assert_eq!(count(2048), "2048");
        assert_eq!(count(-123_456_789), "\u{2212}123\u{202F}456\u{202F}789");
        assert_eq!(display(1234567.0, 7), "1\u{202F}234\u{202F}567");
        assert_eq!(display(12345.678, 8), "12\u{202F}345.678");
        // Decimals are never grouped.
        assert_eq!(display(0.410_184_295_129_97, 17), "0.41018429512997001");
        // Removing the separators gives the plain form back.
        for n in [0i128, 7, 99_999, 100_000, 1_000_000_007, -4_294_967_296] {
            let plain: String = count(n)
                .chars()
                .filter(|&c| c != GROUP)
                .map(|c| if c == MINUS { '-' } else { c })
                .collect();
            assert_eq!(plain, n.to_string());
        }
    }

    #[test]
    fn display_leaves_other_text_alone() {
        for text in ["NaN", "abc", "1e", "e5", "1.2.3x", "", "-", "1e-x"] {
            assert_eq!(display_text(text), text);
        }
    }

    #[test]
    fn plain_inverts_display() {
        for x in [
            0.0,
            -2.5,
            2.845e-5,
            -7.021e-5,
            1.5e23,
            1234567.0,
            -98765.4321,
            0.1 + 0.2,
        ] {
            for digits in [3, 6, 17] {
                let plain_text = plain(&display(x, digits));
                assert_eq!(plain_text, num(x, digits), "{x} at {digits} digits");
                assert!(plain_text.parse::<f64>().is_ok(), "{plain_text}");
            }
        }
        assert_eq!(plain("ratio ∞"), "ratio ∞");
    }

    #[test]
    fn latex_reads_displayed_numbers() {
        assert_eq!(latex(&display(-2.845e-5, 4)), "-2.845\\times 10^{-5}");
        assert_eq!(latex(&count(1_056_384)), "1\\,056\\,384");
        assert_eq!(latex("h = 0.41"), "h = 0.41");
        assert_eq!(latex("x²"), "x^{2}");
    }

    #[test]
    fn digits_show_the_book_precision_and_fit_labels_to_their_room() {
        let x = -0.765_081_999_832_029_6;
        assert_eq!(Digits(3).show(x), "\u{2212}0.765");
        assert_eq!(Digits::DEFAULT.show(x), "\u{2212}0.765082");
        assert_eq!(Digits(17).show(x), "\u{2212}0.76508199983202962");
        // A label with room for 5 digits never shows more, and never more than the book.
        assert_eq!(Digits::DEFAULT.fit(x, 5), "\u{2212}0.76508");
        assert_eq!(Digits(3).fit(x, 5), "\u{2212}0.765");
        assert_eq!(Digits(3).fit(2.8456e-5, 4), "2.85×10⁻⁵");
    }
}
