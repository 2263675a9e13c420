//! Post-processing of math-core's MathML: every `<math>` carries its LaTeX source as `alttext`,
//! and a formula that is the whole name of a table header also gets it as `aria-label` (axe's
//! `empty-table-header`: Chromium gives MathML no accessible text of its own there).
//!
//! [`repair`] also works around layout glitches of math-core 0.7's output in Chromium (each
//! measured by `tests/math_render.rs`): a sized delimiter that is the base of a script
//! (`\Bigr)^2`) is not stretched unless it sits in its own `<mrow>`; `\nabla_\theta f` puts
//! the subscript against the next letter; a prime (`f'`, `\sigma'`) written as a superscript
//! is raised a second time (the font's `′` is already drawn at superscript height) and shrunk,
//! so it floats above the letter like an accent (`f́`); and a stretched brace
//! (`\underbrace`, `\overbrace`) is laid out at its unstretched width, so Chromium paints it
//! from the middle of the formula onwards, through the formula's own fractions. A brace
//! therefore becomes a `<mrow class="gb-underbrace">` (or `gb-overbrace`) around its base,
//! and `css/content.css` draws the brace in that row's padding.

use crate::markup::escape;

/// Space before the prime of an italic `f`: TeX's italic correction of `f` (0.108 em in
/// Computer Modern), so the prime clears the letter's overhang.
const F_PRIME_SPACE: &str = "0.1em";
/// Space before the prime of any other letter or digit (a hair, as TeX's kerning leaves).
const PRIME_SPACE: &str = "0.04em";
/// Width of the space added after a subscripted `∇` (TeX's thick space, 5 mu): a thin space
/// still leaves the subscript against the overhang of a following italic `f`.
const THICK: &str = "0.2778em";

/// `mathml` with the glitches described in the module documentation worked around.
pub fn repair(mathml: &str) -> String {
    let mut out = sized_script_bases(mathml);
    out = primes(&out);
    out = nabla_subscripts(&out);
    braces(&out)
}

/// Write every prime math-core puts as the superscript of a single letter or digit
/// (`<msup><mi>f</mi><mo>′</mo></msup>`, also `″` and `‴`) beside it instead, at text size:
/// `<mrow><mi>f</mi><mo lspace=… rspace="0">′</mo></mrow>`. The font draws `′` at superscript
/// height already, as in running text. Other superscripts are left alone.
fn primes(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len());
    let mut rest = mathml;
    while let Some(at) = rest.find("<msup><m") {
        out.push_str(&rest[..at]);
        let from = &rest[at..];
        match prime_superscript(&from["<msup>".len()..]) {
            Some((base, prime, len)) => {
                let space = if base == "<mi>f</mi>" {
                    F_PRIME_SPACE
                } else {
                    PRIME_SPACE
                };
                out.push_str(&format!(
                    "<mrow>{base}<mo lspace=\"{space}\" rspace=\"0\">{prime}</mo></mrow>"
                ));
                rest = &from["<msup>".len() + len..];
            }
            None => {
                out.push_str("<msup>");
                rest = &from["<msup>".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// At the start of a `<msup>`'s content: a token `<mi …>x</mi>` or `<mn …>x</mn>` followed by
/// `<mo>′</mo></msup>` (or `″`, `‴`). Returns the token, the prime and the length through
/// `</msup>`.
fn prime_superscript(content: &str) -> Option<(&str, &str, usize)> {
    let tag = ["mi", "mn"]
        .into_iter()
        .find(|t| content.starts_with(&format!("<{t}")))?;
    let open_end = content.find('>')?;
    if !content[1 + tag.len()..open_end].is_empty() && !content[1 + tag.len()..].starts_with(' ') {
        return None;
    }
    let close = format!("</{tag}>");
    let token_end = open_end + content[open_end..].find(&close)? + close.len();
    if content[open_end + 1..token_end - close.len()].contains('<') {
        return None;
    }
    let after = &content[token_end..];
    ["′", "″", "‴"].into_iter().find_map(|prime| {
        let script = format!("<mo>{prime}</mo></msup>");
        after
            .starts_with(&script)
            .then(|| (&content[..token_end], prime, token_end + script.len()))
    })
}

/// A brace math-core writes as an accent: the opening tag of the script element, its closing
/// tag, the brace character and the class of the row that replaces it.
const BRACES: [(&str, &str, &str, &str); 2] = [
    (
        "<munder accentunder=\"true\">",
        "munder",
        "⏟",
        "gb-underbrace",
    ),
    ("<mover accent=\"true\">", "mover", "⏞", "gb-overbrace"),
];

/// Replace every `<munder accentunder="true">BASE<mo>⏟</mo></munder>` by
/// `<mrow class="gb-underbrace">BASE</mrow>` (and `⏞` over its base by `gb-overbrace`), also
/// when braces nest. Other accents (`\hat`, `\bar`) are left alone.
fn braces(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len());
    let mut rest = mathml;
    loop {
        let next = BRACES
            .iter()
            .filter_map(|brace| rest.find(brace.0).map(|at| (at, brace)))
            .min_by_key(|(at, _)| *at);
        let Some((at, &(open, name, glyph, class))) = next else {
            break;
        };
        out.push_str(&rest[..at]);
        let inner = &rest[at + open.len()..];
        let close = format!("</{name}>");
        match closing(inner, name).and_then(|end| {
            let base = inner[..end].strip_suffix(&format!("{glyph}</mo>"))?;
            let mo = base.rfind("<mo")?;
            base[mo + "<mo".len()..]
                .chars()
                .all(|c| c != '<')
                .then_some((&base[..mo], end))
        }) {
            Some((base, end)) => {
                out.push_str(&format!("<mrow class=\"{class}\">"));
                out.push_str(&braces(base));
                out.push_str("</mrow>");
                rest = &inner[end + close.len()..];
            }
            None => {
                out.push_str(open);
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Offset in `inner` (the text after an opening `<name …>` tag) of the `</name>` that closes
/// it, counting nested elements of the same name.
fn closing(inner: &str, name: &str) -> Option<usize> {
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut depth = 1usize;
    let mut i = 0;
    loop {
        let o = inner[i..].find(&open).map(|p| i + p);
        let c = i + inner[i..].find(&close)?;
        match o {
            Some(o) if o < c && inner[o + open.len()..].starts_with([' ', '>']) => {
                depth += 1;
                i = o + open.len();
            }
            Some(o) if o < c => i = o + open.len(),
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Some(c);
                }
                i = c + close.len();
            }
        }
    }
}

/// Wrap a sized delimiter (`<mo minsize=…>`) that is the first child of a `<msup>`, `<msub>`
/// or `<msubsup>` in an `<mrow>`, so Chromium stretches it to its `minsize`.
fn sized_script_bases(mathml: &str) -> String {
    let mut out = String::with_capacity(mathml.len());
    let mut rest = mathml;
    while let Some(at) = rest.find("<mo minsize=") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let close = from.find("</mo>").map_or(from.len(), |c| c + "</mo>".len());
        let is_base = ["<msup>", "<msub>", "<msubsup>"]
            .iter()
            .any(|tag| out.ends_with(tag));
        if is_base {
            out.push_str("<mrow>");
            out.push_str(&from[..close]);
            out.push_str("</mrow>");
        } else {
            out.push_str(&from[..close]);
        }
        rest = &from[close..];
    }
    out.push_str(rest);
    out
}

/// Drop the empty `<mspace/>` math-core puts before a `∇` base and add a thin space after the
/// whole `∇_…` script, so the subscript does not run into what follows.
fn nabla_subscripts(mathml: &str) -> String {
    const NABLA: &str = "<msub><mrow><mspace/><mi mathvariant=\"normal\">∇</mi></mrow>";
    let mut out = String::with_capacity(mathml.len());
    let mut rest = mathml;
    while let Some(at) = rest.find(NABLA) {
        out.push_str(&rest[..at]);
        out.push_str("<msub><mi mathvariant=\"normal\">∇</mi>");
        let script = &rest[at + NABLA.len()..];
        // The `</msub>` that closes this one: count nested `<msub>` on the way.
        let mut depth = 1usize;
        let mut end = None;
        let mut i = 0;
        while let Some(next) = script[i..].find("msub>") {
            let pos = i + next;
            if script[..pos].ends_with("</") {
                depth -= 1;
                if depth == 0 {
                    end = Some(pos + "msub>".len());
                    break;
                }
            } else if script[..pos].ends_with('<') {
                depth += 1;
            }
            i = pos + "msub>".len();
        }
        match end {
            Some(end) => {
                out.push_str(&script[..end]);
                out.push_str(&format!("<mspace width=\"{THICK}\"/>"));
                rest = &script[end..];
            }
            None => {
                out.push_str(script);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `mathml` (one `<math …>…</math>` element) with `alttext` set to its LaTeX source.
pub fn with_alttext(mathml: &str, latex: &str) -> String {
    add_attribute(mathml, "alttext", &escape(latex.trim()))
}

/// A formula of a table header: its `alttext` repeated as `aria-label`, so the header cell has
/// an accessible name. `mathml` must come from [`with_alttext`].
pub fn header_label(mathml: &str) -> String {
    match attribute(mathml, "alttext") {
        Some(alt) if attribute(mathml, "aria-label").is_none() => {
            add_attribute(mathml, "aria-label", &alt)
        }
        _ => mathml.to_string(),
    }
}

/// An HTML fragment (a header cell's content) with [`header_label`] applied to every formula.
pub fn header_labels(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<math") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("</math>").map_or(rest.len(), |e| at + e);
        out.push_str(&header_label(&rest[at..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A page's HTML with [`header_labels`] applied inside every `<thead>`.
pub fn label_table_heads(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find("<thead>") {
        let end = rest[at..].find("</thead>").map_or(rest.len(), |e| at + e);
        out.push_str(&rest[..at]);
        out.push_str(&header_labels(&rest[at..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `mathml` with `name="escaped"` (a value already escaped for HTML) added to its opening
/// `<math` tag; unchanged when the text does not start with one.
fn add_attribute(mathml: &str, name: &str, escaped: &str) -> String {
    match mathml.strip_prefix("<math") {
        Some(rest) if rest.starts_with([' ', '>', '/']) => {
            format!("<math {name}=\"{escaped}\"{rest}")
        }
        _ => mathml.to_string(),
    }
}

/// The raw (still escaped) value of attribute `name` of the opening `<math` tag.
fn attribute(mathml: &str, name: &str) -> Option<String> {
    let tag = &mathml[..mathml.find('>')?];
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alttext_holds_the_escaped_source() {
        let out = with_alttext("<math display=\"block\"><mi>x</mi></math>", " a<b & \"c\" ");
        assert!(
            out.starts_with("<math alttext=\"a&lt;b &amp; &quot;c&quot;\" display=\"block\">"),
            "{out}"
        );
        assert!(out.ends_with("<mi>x</mi></math>"));
        assert_eq!(
            with_alttext("<math><mi>x</mi></math>", "x"),
            "<math alttext=\"x\"><mi>x</mi></math>"
        );
        // Not MathML: left alone.
        assert_eq!(with_alttext("<mathx>", "x"), "<mathx>");
    }

    #[test]
    fn header_formulas_are_labelled_once() {
        let math = with_alttext("<math><mi>x</mi></math>", "\\bar{x} < 1");
        let labelled = header_label(&math);
        assert_eq!(
            labelled,
            "<math aria-label=\"\\bar{x} &lt; 1\" alttext=\"\\bar{x} &lt; 1\"><mi>x</mi></math>"
        );
        assert_eq!(header_label(&labelled), labelled);
        assert_eq!(
            header_label("<math><mi>x</mi></math>"),
            "<math><mi>x</mi></math>"
        );
        let cell = format!("gradient {math} and {math}");
        assert_eq!(
            header_labels(&cell),
            format!("gradient {labelled} and {labelled}")
        );
    }

    #[test]
    fn repairs_sized_script_bases_primes_and_nablas() {
        let big = "<mo minsize=\"1.6em\" maxsize=\"1.6em\">(</mo><mn>1</mn><msup><mo minsize=\"1.6em\" maxsize=\"1.6em\">)</mo><mn>2</mn></msup>";
        assert_eq!(
            repair(big),
            "<mo minsize=\"1.6em\" maxsize=\"1.6em\">(</mo><mn>1</mn><msup><mrow><mo minsize=\"1.6em\" maxsize=\"1.6em\">)</mo></mrow><mn>2</mn></msup>"
        );
        assert_eq!(
            repair("<msup><mi>f</mi><mo>′</mo></msup><mo>(</mo>"),
            "<mrow><mi>f</mi><mo lspace=\"0.1em\" rspace=\"0\">′</mo></mrow><mo>(</mo>"
        );
        assert_eq!(
            repair("<msup><mi mathvariant=\"normal\">σ</mi><mo>″</mo></msup>"),
            "<mrow><mi mathvariant=\"normal\">σ</mi><mo lspace=\"0.04em\" rspace=\"0\">″</mo></mrow>"
        );
        // Other superscripts, and a prime on a bigger base, stay superscripts.
        for kept in [
            "<msup><mi>x</mi><mn>2</mn></msup>",
            "<msup><mrow><mi>f</mi></mrow><mo>′</mo></msup>",
            "<msup><mi>f</mi><mrow><mo>′</mo><mn>2</mn></mrow></msup>",
            "<msup><mix>f</mix><mo>′</mo></msup>",
            "<msup><mi>f",
        ] {
            assert_eq!(repair(kept), kept);
        }
        let nabla = "<msub><mrow><mspace/><mi mathvariant=\"normal\">∇</mi></mrow><msub><mi>θ</mi><mn>1</mn></msub></msub><msub><mi>f</mi><mi>t</mi></msub>";
        assert_eq!(
            repair(nabla),
            "<msub><mi mathvariant=\"normal\">∇</mi><msub><mi>θ</mi><mn>1</mn></msub></msub><mspace width=\"0.2778em\"/><msub><mi>f</mi><mi>t</mi></msub>"
        );
        // Unclosed (not from math-core): kept, not lost.
        let broken = "<msub><mrow><mspace/><mi mathvariant=\"normal\">∇</mi></mrow><mi>θ</mi>";
        assert_eq!(
            repair(broken),
            "<msub><mi mathvariant=\"normal\">∇</mi><mi>θ</mi>"
        );
    }

    #[test]
    fn braces_become_rows_the_stylesheet_draws() {
        let under = "<munder><munder accentunder=\"true\"><mfrac><mi>a</mi><mi>b</mi></mfrac><mo>⏟</mo></munder><mi>S</mi></munder>";
        assert_eq!(
            repair(under),
            "<munder><mrow class=\"gb-underbrace\"><mfrac><mi>a</mi><mi>b</mi></mfrac></mrow><mi>S</mi></munder>"
        );
        let over =
            "<mover accent=\"true\"><mrow><mi>a</mi></mrow><mo stretchy=\"true\">⏞</mo></mover>";
        assert_eq!(
            repair(over),
            "<mrow class=\"gb-overbrace\"><mrow><mi>a</mi></mrow></mrow>"
        );
        // Nested braces, and an under-accent that is not a brace, keep their structure.
        let nested = "<munder accentunder=\"true\"><mrow><munder accentunder=\"true\"><mi>a</mi><mo>⏟</mo></munder><munder accentunder=\"true\"><mi>b</mi><mo>_</mo></munder></mrow><mo>⏟</mo></munder>";
        assert_eq!(
            repair(nested),
            "<mrow class=\"gb-underbrace\"><mrow><mrow class=\"gb-underbrace\"><mi>a</mi></mrow><munder accentunder=\"true\"><mi>b</mi><mo>_</mo></munder></mrow></mrow>"
        );
        // Unclosed (not from math-core): kept as it is.
        let broken = "<munder accentunder=\"true\"><mi>a</mi><mo>⏟</mo>";
        assert_eq!(repair(broken), broken);
    }

    #[test]
    fn math_core_braces_are_all_replaced() {
        for latex in [
            "\\underbrace{\\frac{a}{b}\\Bigl(1+\\frac{c}{d}\\Bigr)}_{S} + \\hat{x}",
            "\\overbrace{a + \\underbrace{b + c}_{T}}^{U}",
        ] {
            let mathml = crate::site::markdown::latex_to_mathml(latex, true).expect("valid LaTeX");
            assert!(!mathml.contains('⏟') && !mathml.contains('⏞'), "{mathml}");
            let rows = mathml.matches("class=\"gb-").count();
            assert_eq!(rows, latex.matches("brace").count(), "{mathml}");
            for label in ["<mi>S</mi>", "<mi>T</mi>", "<mi>U</mi>"] {
                assert_eq!(
                    mathml.contains(label),
                    latex.contains(&label[4..5]),
                    "{mathml}"
                );
            }
        }
    }

    #[test]
    fn math_core_primes_stand_beside_their_letter() {
        let mathml = crate::site::markdown::latex_to_mathml("f'(x) = \\sigma'(z) + g''", true)
            .expect("valid LaTeX");
        assert!(!mathml.contains("<msup>"), "{mathml}");
        for (letter, prime, space) in [
            ("f", "′", "0.1em"),
            ("σ", "′", "0.04em"),
            ("g", "″", "0.04em"),
        ] {
            let row = format!(
                "<mrow><mi>{letter}</mi><mo lspace=\"{space}\" rspace=\"0\">{prime}</mo></mrow>"
            );
            assert!(mathml.contains(&row), "{row} in {mathml}");
        }
    }
}
