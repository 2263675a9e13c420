//! The words of the search index, cut exactly as `js/search.js` cuts a query: a word is a run
//! of letters, digits and `_`, with a `.` kept between two digits (`0.4102`, `h_max` and `w_1`
//! are one word each). A word with `_` is also indexed by its parts (`h_max` → `h`, `max`), and
//! a Greek letter also by its name (`α` → `alpha`), so every way a reader types it finds it.

/// Whether `c` belongs to a word (JavaScript: `[\p{Alphabetic}\p{N}_]`).
fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || c.is_numeric() || c == '_'
}

/// The words of `text`, lowercased, in order (repeats kept).
pub fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let joins_number = c == '.'
            && i > 0
            && chars[i - 1].is_numeric()
            && chars.get(i + 1).is_some_and(|n| n.is_numeric());
        if is_word_char(c) || (joins_number && !word.is_empty()) {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The index terms of one word: itself, its `_`-separated parts and the names of its Greek
/// letters.
pub fn terms(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    if word.contains('_') {
        out.extend(
            word.split('_')
                .filter(|p| !p.is_empty() && *p != word)
                .map(str::to_string),
        );
    }
    for c in word.chars() {
        if let Some(name) = greek_name(c) {
            out.push(name.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The Greek letters LaTeX names, lowercase and capital, with their names.
pub const GREEK: &[(&str, char)] = &[
    ("alpha", 'α'),
    ("beta", 'β'),
    ("gamma", 'γ'),
    ("delta", 'δ'),
    ("epsilon", 'ϵ'),
    ("varepsilon", 'ε'),
    ("zeta", 'ζ'),
    ("eta", 'η'),
    ("theta", 'θ'),
    ("vartheta", 'ϑ'),
    ("iota", 'ι'),
    ("kappa", 'κ'),
    ("lambda", 'λ'),
    ("mu", 'μ'),
    ("nu", 'ν'),
    ("xi", 'ξ'),
    ("pi", 'π'),
    ("rho", 'ρ'),
    ("sigma", 'σ'),
    ("tau", 'τ'),
    ("upsilon", 'υ'),
    ("phi", 'ϕ'),
    ("varphi", 'φ'),
    ("chi", 'χ'),
    ("psi", 'ψ'),
    ("omega", 'ω'),
    ("Gamma", 'Γ'),
    ("Delta", 'Δ'),
    ("Theta", 'Θ'),
    ("Lambda", 'Λ'),
    ("Xi", 'Ξ'),
    ("Pi", 'Π'),
    ("Sigma", 'Σ'),
    ("Phi", 'Φ'),
    ("Psi", 'Ψ'),
    ("Omega", 'Ω'),
];

/// The lowercase name of a Greek letter (`α` and `Α` → `alpha`; both epsilons → `epsilon`).
fn greek_name(c: char) -> Option<&'static str> {
    let lower = c.to_lowercase().next()?;
    Some(match lower {
        'ϵ' | 'ε' => "epsilon",
        'ϑ' | 'θ' => "theta",
        'ϕ' | 'φ' => "phi",
        _ => {
            GREEK
                .iter()
                .find(|(name, g)| *g == lower && name.starts_with(char::is_lowercase))?
                .0
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_subscripts_stay_whole() {
        assert_eq!(
            words("Adam's h_max is 0.4102, not 0 4102. End."),
            [
                "adam", "s", "h_max", "is", "0.4102", "not", "0", "4102", "end"
            ]
        );
        assert_eq!(
            words("v2.5 x.y 1.2.3 .5 5."),
            ["v2.5", "x", "y", "1.2.3", "5", "5"]
        );
        assert_eq!(words("10⁻⁸ αβ"), ["10", "⁸", "αβ"]);
    }

    #[test]
    fn parts_and_greek_names_are_terms_too() {
        assert_eq!(terms("h_max"), ["h", "h_max", "max"]);
        assert_eq!(terms("_x_"), ["_x_", "x"]);
        assert_eq!(terms("α_1"), ["1", "alpha", "α", "α_1"]);
        assert_eq!(terms("σ"), ["sigma", "σ"]);
        assert_eq!(terms("ε"), ["epsilon", "ε"]);
        assert_eq!(terms("plain"), ["plain"]);
    }
}
