//! A formula as readable plain text for search snippets and the words of the search index:
//! `10^{-8}` → `10⁻⁸`, `h_{\max}` → `h_max`, `\alpha_1` → `α_1`, `\frac{a}{b+1}` → `a/(b+1)`,
//! `\hat{m}_t` → `m̂_t`. Layout commands disappear; a command it does not know reads as its name.

use super::tokens::GREEK;

/// Read `tex` as plain text.
pub fn plain(tex: &str) -> String {
    let chars: Vec<char> = tex.chars().collect();
    let mut reader = Reader { chars, at: 0 };
    let text = reader.sequence(None);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Commands that only lay out (dropped; what follows them is read normally).
const SILENT: &[&str] = &[
    "left",
    "right",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "Biggl",
    "Biggr",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "displaystyle",
    "textstyle",
    "limits",
    "nolimits",
];

/// Commands whose (one) argument is kept as it reads (`\text{step}` → `step`).
const WRAPPERS: &[&str] = &[
    "text",
    "textrm",
    "textit",
    "textbf",
    "mathrm",
    "mathbf",
    "mathit",
    "mathcal",
    "mathbb",
    "mathsf",
    "mathtt",
    "boldsymbol",
    "operatorname",
    "boxed",
    "underbrace",
    "overbrace",
    "underline",
    "overline",
];

/// Symbols by command name.
const SYMBOLS: &[(&str, &str)] = &[
    ("cdot", "·"),
    ("times", "×"),
    ("div", "÷"),
    ("pm", "±"),
    ("mp", "∓"),
    ("le", "≤"),
    ("leq", "≤"),
    ("ge", "≥"),
    ("geq", "≥"),
    ("ne", "≠"),
    ("neq", "≠"),
    ("approx", "≈"),
    ("sim", "∼"),
    ("equiv", "≡"),
    ("infty", "∞"),
    ("partial", "∂"),
    ("nabla", "∇"),
    ("sum", "∑"),
    ("prod", "∏"),
    ("int", "∫"),
    ("to", "→"),
    ("rightarrow", "→"),
    ("leftarrow", "←"),
    ("Rightarrow", "⇒"),
    ("mapsto", "↦"),
    ("in", "∈"),
    ("notin", "∉"),
    ("subset", "⊂"),
    ("cup", "∪"),
    ("cap", "∩"),
    ("forall", "∀"),
    ("exists", "∃"),
    ("ldots", "…"),
    ("cdots", "⋯"),
    ("dots", "…"),
    ("lvert", "|"),
    ("rvert", "|"),
    ("vert", "|"),
    ("mid", "|"),
    ("lVert", "‖"),
    ("rVert", "‖"),
    ("Vert", "‖"),
    ("langle", "⟨"),
    ("rangle", "⟩"),
    ("lfloor", "⌊"),
    ("rfloor", "⌋"),
    ("lceil", "⌈"),
    ("rceil", "⌉"),
    ("circ", "∘"),
    ("odot", "⊙"),
    ("prime", "′"),
    ("quad", " "),
    ("qquad", " "),
    ("ell", "ℓ"),
];

/// Accents by command name (a combining mark after the first character of the argument).
const ACCENTS: &[(&str, char)] = &[
    ("hat", '\u{302}'),
    ("widehat", '\u{302}'),
    ("bar", '\u{304}'),
    ("tilde", '\u{303}'),
    ("widetilde", '\u{303}'),
    ("dot", '\u{307}'),
    ("ddot", '\u{308}'),
    ("vec", '\u{20D7}'),
];

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Read until `close` (consumed) or the end.
    fn sequence(&mut self, close: Option<char>) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == close {
                self.at += 1;
                break;
            }
            self.at += 1;
            match c {
                '{' => out.push_str(&self.sequence(Some('}'))),
                '^' => {
                    let arg = self.argument();
                    out.push_str(&superscript(&arg));
                }
                '_' => {
                    let arg = self.argument();
                    out.push_str(&subscript(&arg));
                }
                '\\' => out.push_str(&self.command()),
                '&' | '~' => out.push(' '),
                '}' => {}
                c => out.push(c),
            }
        }
        out
    }

    /// One argument: a group, a command or a character.
    fn argument(&mut self) -> String {
        while self.peek() == Some(' ') {
            self.at += 1;
        }
        match self.peek() {
            Some('{') => {
                self.at += 1;
                self.sequence(Some('}'))
            }
            Some('\\') => {
                self.at += 1;
                self.command()
            }
            Some(c) => {
                self.at += 1;
                c.to_string()
            }
            None => String::new(),
        }
    }

    /// The command after a `\` (the backslash is consumed).
    fn command(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.at += 1;
        }
        let name: String = self.chars[start..self.at].iter().collect();
        if name.is_empty() {
            // `\,` `\;` `\!` `\\` are spaces; `\{` `\}` `\|` `\%` are their character.
            return match self.peek() {
                Some(c) => {
                    self.at += 1;
                    match c {
                        ',' | ';' | ':' | '!' | ' ' => " ".to_string(),
                        '\\' => "; ".to_string(),
                        '|' => "‖".to_string(),
                        c => c.to_string(),
                    }
                }
                None => String::new(),
            };
        }
        let name = name.as_str();
        if let Some((_, g)) = GREEK.iter().find(|(n, _)| *n == name) {
            return g.to_string();
        }
        if let Some((_, s)) = SYMBOLS.iter().find(|(n, _)| *n == name) {
            return s.to_string();
        }
        if let Some((_, mark)) = ACCENTS.iter().find(|(n, _)| *n == name) {
            let arg = self.argument();
            let mut chars = arg.chars();
            return match chars.next() {
                Some(first) => format!("{first}{mark}{}", chars.as_str()),
                None => String::new(),
            };
        }
        if SILENT.contains(&name) {
            return String::new();
        }
        if WRAPPERS.contains(&name) {
            return self.argument();
        }
        match name {
            "frac" | "dfrac" | "tfrac" => {
                let top = self.argument();
                let bottom = self.argument();
                format!("{}/{}", grouped(&top), grouped(&bottom))
            }
            "sqrt" => format!("√{}", grouped(&self.argument())),
            "color" | "textcolor" => {
                self.argument();
                String::new()
            }
            "begin" | "end" => {
                self.argument();
                " ".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// `text` in parentheses when it is more than one word or number.
fn grouped(text: &str) -> String {
    let text = text.trim();
    if text.chars().all(|c| c.is_alphanumeric() || c == '.') {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// `text` as a superscript: Unicode superscript characters when all have one, else `^(…)`.
fn superscript(text: &str) -> String {
    let text = text.trim();
    let mapped: Option<String> = text
        .chars()
        .map(|c| {
            Some(match c {
                '0' => '⁰',
                '1' => '¹',
                '2' => '²',
                '3' => '³',
                '4' => '⁴',
                '5' => '⁵',
                '6' => '⁶',
                '7' => '⁷',
                '8' => '⁸',
                '9' => '⁹',
                '-' | '−' => '⁻',
                '+' => '⁺',
                '=' => '⁼',
                '(' => '⁽',
                ')' => '⁾',
                'n' => 'ⁿ',
                'i' => 'ⁱ',
                'T' => 'ᵀ',
                't' => 'ᵗ',
                '*' | '′' | '\'' => c,
                _ => return None,
            })
        })
        .collect();
    match mapped {
        Some(s) => s,
        None if text.chars().count() == 1 => format!("^{text}"),
        None => format!("^({text})"),
    }
}

/// `text` as a subscript: `_` and the text (`h_max`, `w_1`), parenthesised when it is more
/// than a word.
fn subscript(text: &str) -> String {
    format!("_{}", grouped(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_subscripts_and_fractions_read_as_written() {
        assert_eq!(plain("10^{-8}"), "10⁻⁸");
        assert_eq!(plain(r"\epsilon = 10^{-8}"), "ϵ = 10⁻⁸");
        assert_eq!(plain(r"h_{\max}"), "h_max");
        assert_eq!(plain(r"\beta_1 = 0.9"), "β_1 = 0.9");
        assert_eq!(plain(r"y^*"), "y*");
        assert_eq!(plain(r"\sigma'(z^*)"), "σ'(z*)");
        assert_eq!(plain(r"e^{x y}"), "e^(x y)");
        assert_eq!(plain(r"x_{t-1}"), "x_(t-1)");
        assert_eq!(plain(r"\frac{\partial y}{\partial w_1}"), "(∂ y)/(∂ w_1)");
        assert_eq!(plain(r"\dfrac{1}{2}"), "1/2");
        assert_eq!(plain(r"\hat{m}_t"), "m\u{302}_t");
        assert_eq!(plain(r"\sqrt{\hat v_t} + \epsilon"), "√(v\u{302}_t) + ϵ");
    }

    #[test]
    fn layout_disappears_and_text_stays() {
        assert_eq!(
            plain(r"\lvert dy/dw_1 \rvert \le \lvert \text{chain's path} \rvert"),
            "| dy/dw_1 | ≤ | chain's path |"
        );
        assert_eq!(plain(r"\left( a \right)\,\cdot b"), "( a ) · b");
        assert_eq!(
            plain(r"\begin{cases} 1 & x \\ 0 & y \end{cases}"),
            "1 x ; 0 y"
        );
        assert_eq!(plain(r"\color{red}{x} \unknown"), "x unknown");
        assert_eq!(plain(r"\{ x \} \%"), "{ x } %");
    }

    #[test]
    fn broken_input_never_panics() {
        for tex in [
            "{",
            "}",
            "^",
            "_",
            "\\",
            r"\frac{a}",
            r"\hat",
            "a^{b",
            "\\\\",
        ] {
            let _ = plain(tex);
        }
    }
}
