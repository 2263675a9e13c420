//! LaTeX for the chain rule: symbols for tensors, local derivatives of every operation, and
//! each node's gradient written as a sum over its consumers with the numbers filled in.

use super::ops::Op;
use crate::format::num;

/// Significant digits of numbers in derivations.
const DIGITS: usize = 6;

/// A LaTeX symbol for a Python identifier: `x` → `x`, `x1` → `x_{1}`, `w_1` → `w_{1}`,
/// `w_out` → `w_{\mathrm{out}}`, anything else upright with escaped underscores
/// (`out` → `\mathrm{out}`, `_t` → `\mathrm{\_t}`). Always valid LaTeX for any identifier.
pub(crate) fn symbol(name: &str) -> String {
    let is_word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric());
    let word = |w: &str| {
        if w.len() == 1 || w.chars().all(|c| c.is_ascii_digit()) {
            w.to_string()
        } else {
            format!("\\mathrm{{{w}}}")
        }
    };
    let letter = |w: &str| w.len() == 1 && w.chars().all(|c| c.is_ascii_alphabetic());
    let digits_at = name
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(name.len());
    let (head, digits) = name.split_at(digits_at);
    if letter(head) && !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return format!("{head}_{{{digits}}}");
    }
    if letter(name) {
        return name.to_string();
    }
    if let Some((head, tail)) = name.split_once('_')
        && head.chars().all(|c| c.is_ascii_alphabetic())
        && is_word(head)
        && is_word(tail)
    {
        return format!("{}_{{{}}}", word(head), word(tail));
    }
    format!("\\mathrm{{{}}}", name.replace('_', "\\_"))
}

/// A number for LaTeX, in parentheses when negative so products read right.
pub(crate) fn number(x: f64) -> String {
    let text = num(x, DIGITS);
    if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    }
}

/// `\frac{\partial y}{\partial x}`.
pub(crate) fn partial(y: &str, x: &str) -> String {
    format!("\\frac{{\\partial {y}}}{{\\partial {x}}}")
}

/// ∂output/∂input `i` of `op` in symbols, given the LaTeX of its operands.
pub(crate) fn local(op: Op, i: usize, a: &[String]) -> String {
    let x = |k: usize| a.get(k).cloned().unwrap_or_default();
    match (op, i) {
        (Op::Add, _) | (Op::Sub, 0) => "1".into(),
        (Op::Sub, _) | (Op::RsubScalar { .. }, _) | (Op::Neg, _) => "-1".into(),
        (Op::Mul, 0) => x(1),
        (Op::Mul, _) => x(0),
        (Op::Div, 0) => format!("\\frac{{1}}{{{}}}", x(1)),
        (Op::Div, _) => format!("-\\frac{{{}}}{{{}^{{2}}}}", x(0), x(1)),
        (Op::Pow, 0) => format!("{}\\,{}^{{{}-1}}", x(1), x(0), x(1)),
        (Op::Pow, _) => format!("{}^{{{}}}\\ln {}", x(0), x(1), x(0)),
        (Op::PowScalar { exponent }, _) => {
            format!(
                "{}\\,{}^{{{}}}",
                number(exponent),
                x(0),
                num(exponent - 1.0, DIGITS)
            )
        }
        (Op::ScalarPow { base }, _) => {
            format!("{}^{{{}}}\\ln {}", number(base), x(0), number(base))
        }
        (Op::Reciprocal, _) => format!("-\\frac{{1}}{{{}^{{2}}}}", x(0)),
        (Op::Sin, _) => format!("\\cos {}", x(0)),
        (Op::Cos, _) => format!("-\\sin {}", x(0)),
        (Op::Exp, _) => format!("e^{{{}}}", x(0)),
        (Op::Log, _) => format!("\\frac{{1}}{{{}}}", x(0)),
        (Op::Tanh, _) => format!("1-\\tanh^{{2}} {}", x(0)),
        (Op::Sigmoid, _) => format!("\\sigma({})\\,(1-\\sigma({}))", x(0), x(0)),
        (Op::Relu, _) => format!("\\mathbf{{1}}[{} > 0]", x(0)),
        (Op::Leaf, _) => "0".into(),
        (Op::Clone, _) => "1".into(),
        (Op::Sqrt, _) => format!("\\frac{{1}}{{2\\sqrt{{{}}}}}", x(0)),
        (Op::Abs, _) => format!("\\operatorname{{sgn}} {}", x(0)),
        // Tensor operations have Jacobians, not one local derivative; their graphs carry no
        // scalar derivation.
        _ => "J".into(),
    }
}

/// One consumer's share of a node's gradient: the consumer's symbol and gradient, and the
/// local derivative (symbolic and numeric) summed over the inputs where the node is used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Term {
    /// Symbol of the consumer's output.
    pub consumer: String,
    /// Gradient of the output with respect to the consumer.
    pub consumer_grad: f64,
    /// ∂consumer/∂node in symbols.
    pub local: String,
    /// Its value.
    pub local_value: f64,
}

/// `\bar{x}`: the adjoint (gradient of the output) of the tensor with symbol `x`.
pub(crate) fn bar(x: &str) -> String {
    format!("\\bar{{{x}}}")
}

/// A local derivative as a factor: in parentheses if it is a sum or starts with a sign.
fn factor(local: &str) -> String {
    if local.starts_with('-') || local.contains('+') || local.starts_with("1-") {
        format!("\\left({local}\\right)")
    } else {
        local.to_string()
    }
}

/// The chain rule for the node with symbol `x`, in adjoint notation
/// (`\bar{x} = ∂output/∂x`): `\bar{x} = Σ \bar{u}·∂u/∂x` over its consumers `u`, then with
/// the local derivatives written out, then the numbers and the total. The output gets
/// `\bar{y} = 1`.
pub(crate) fn adjoint(x: &str, terms: &[Term], total: f64) -> String {
    let lhs = bar(x);
    if terms.is_empty() {
        return format!("\\begin{{aligned}}{lhs} &= 1\\end{{aligned}}");
    }
    let join = |parts: Vec<String>| parts.join(" + ");
    let chain = join(
        terms
            .iter()
            .map(|t| format!("{}\\,{}", bar(&t.consumer), partial(&t.consumer, x)))
            .collect(),
    );
    let locals = join(
        terms
            .iter()
            .map(|t| {
                let f = factor(&t.local);
                let numeric =
                    f.starts_with(|c: char| c.is_ascii_digit()) || f.starts_with("\\left");
                format!(
                    "{}{}{f}",
                    bar(&t.consumer),
                    if numeric { "\\cdot " } else { "\\," }
                )
            })
            .collect(),
    );
    let numbers = join(
        terms
            .iter()
            .map(|t| {
                format!(
                    "{}\\cdot {}",
                    number(t.consumer_grad),
                    number(t.local_value)
                )
            })
            .collect(),
    );
    format!(
        "\\begin{{aligned}}{lhs} &= {chain} = {locals} \\\\ &= {numbers} = {}\\end{{aligned}}",
        num(total, DIGITS)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols() {
        assert_eq!(symbol("a"), "a");
        assert_eq!(symbol("x1"), "x_{1}");
        assert_eq!(symbol("w_1"), "w_{1}");
        assert_eq!(symbol("h_out"), "h_{\\mathrm{out}}");
        assert_eq!(symbol("out"), "\\mathrm{out}");
        assert_eq!(symbol("_t"), "\\mathrm{\\_t}");
        assert_eq!(symbol("_"), "\\mathrm{\\_}");
        assert_eq!(symbol("x_"), "\\mathrm{x\\_}");
        assert_eq!(symbol("a_b_c"), "\\mathrm{a\\_b\\_c}");
        assert_eq!(symbol("x12"), "x_{12}");
    }

    fn t_clone() -> Term {
        Term {
            consumer: "u".into(),
            consumer_grad: 2.0,
            local: "b".into(),
            local_value: -3.0,
        }
    }

    #[test]
    fn adjoint_rows() {
        let t = Term {
            consumer: "u".into(),
            consumer_grad: 2.0,
            local: "b".into(),
            local_value: -3.0,
        };
        let s = adjoint("a", &[t], -6.0);
        assert_eq!(
            s,
            "\\begin{aligned}\\bar{a} &= \\bar{u}\\,\\frac{\\partial u}{\\partial a} = \\bar{u}\\,b \\\\ &= 2\\cdot (-3) = -6\\end{aligned}"
        );
        let one = Term {
            local: "-1".into(),
            local_value: -1.0,
            ..t_clone()
        };
        assert!(adjoint("a", &[one], -2.0).contains("\\bar{u}\\cdot \\left(-1\\right)"));
        assert_eq!(
            adjoint("y", &[], 1.0),
            "\\begin{aligned}\\bar{y} &= 1\\end{aligned}"
        );
    }
}
