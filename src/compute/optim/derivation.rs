//! The closed-form derivation as LaTeX, with this run's numbers filled in: from the exact
//! rational evaluation when there is one (each number correctly rounded), else from f64.

use super::closed_form::{AdamParams, ClosedForm};
use super::exact::{self, ExactClosedForm, Q};
use super::landscape::{Bump, KinkRule};
use crate::format::num;
use serde::{Deserialize, Serialize};

/// LaTeX bodies for display math (`$$ … $$`), one per stage of the derivation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derivation {
    /// The descent to L: the step length δ, k and w_k.
    pub descent: String,
    /// The condition for the climb to go on, and N.
    pub condition: String,
    /// One row per climbing step: m, m̂, v̂ and the new iterate.
    pub climb: String,
    /// The threshold, to full precision.
    pub threshold: String,
}

/// A number for LaTeX (6 significant digits), in parentheses when negative.
fn n(x: f64) -> String {
    let text = num(x, 6);
    if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    }
}

/// A number for LaTeX: the exact value correctly rounded when known, else `x`; 6 significant
/// digits, in parentheses when negative.
fn e(x: f64, exact: Option<&Q>) -> String {
    let text = exact.map_or_else(|| num(x, 6), |q| exact::round(q, 6));
    if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    }
}

/// Write out the derivation of `form` for `adam` on `bump`; `exact` is the same closed form
/// in rational arithmetic (it has the same k and N), when it could be evaluated.
pub fn derive(
    adam: AdamParams,
    bump: &Bump,
    form: &ClosedForm,
    exact: Option<&ExactClosedForm>,
) -> Derivation {
    // The exact evaluation decides k and N on exact numbers; use it only where it agrees.
    let exact = exact.filter(|x| x.k == form.k && x.climb.len() == form.n_climb);
    let (s, u, k) = (form.s, form.u, form.k);
    let b1 = n(adam.beta1);
    let plus_one = if form.quotient == form.quotient.ceil() && bump.kink == KinkRule::Left {
        " + 1"
    } else {
        ""
    };
    let descent = format!(
        r"\delta = \frac{{\alpha s}}{{s + \epsilon}} = \frac{{{} \cdot {}}}{{{} + {}}} = {},\qquad k = \left\lceil \frac{{L - w_0}}{{\delta}} \right\rceil{plus_one} = \left\lceil \frac{{{} - {}}}{{{}}} \right\rceil{plus_one} = {k},\qquad w_{{{k}}} = w_0 + k\delta = {}",
        n(adam.alpha),
        n(s),
        n(s),
        n(adam.epsilon),
        e(form.delta, exact.map(|x| &x.delta)),
        n(bump.l),
        n(bump.start),
        e(form.delta, exact.map(|x| &x.delta)),
        e(form.w_k, exact.map(|x| &x.w_k)),
    );
    let condition = if adam.beta1 == 0.0 {
        r"\beta_1 = 0:\ m_{k+1} = u > 0 \;\Rightarrow\; N = 0".to_string()
    } else {
        format!(
            r"\begin{{aligned}} m_{{k+n}} < 0 &\iff \beta_1^{{n}} > \frac{{u}}{{u + s\,(1 - \beta_1^{{k}})}} = \frac{{{}}}{{{} + {} \cdot (1 - {b1}^{{{k}}})}} = {} \\ &\iff n < \frac{{\ln {}}}{{\ln {b1}}} = {} \;\Rightarrow\; N = {} \end{{aligned}}",
            n(u),
            n(u),
            n(s),
            e(form.ratio, exact.map(|x| &x.ratio)),
            e(form.ratio, exact.map(|x| &x.ratio)),
            n(form.ratio.ln() / adam.beta1.ln()),
            form.n_climb,
        )
    };
    let climb = if form.climb.is_empty() {
        format!(
            r"N = 0:\ \text{{the iterate turns back at once, from }} w_{{{k}}} = {}",
            e(form.w_k, exact.map(|x| &x.w_k))
        )
    } else {
        let mut last_n = 0;
        let rows: Vec<String> = form
            .climb
            .iter()
            .map(|c| {
                let (t, j) = (c.t, c.n);
                let previous = if j == 1 { form.w_k } else { c.w - c.step };
                let x = exact.and_then(|x| x.climb.get(j - 1));
                let x_previous = exact.and_then(|x| {
                    if j == 1 {
                        Some(&x.w_k)
                    } else {
                        x.climb.get(j - 2).map(|p| &p.w)
                    }
                });
                // Only the first climbing steps and the last are kept: mark the gap.
                let gap = if j > last_n + 1 { r"&\ \vdots \\ " } else { "" };
                last_n = j;
                format!(
                    "{gap}{}",
                    format_args!(
                    r"m_{{{t}}} &= -{} \cdot {b1}^{{{j}}}\,(1 - {b1}^{{{k}}}) + {} \cdot (1 - {b1}^{{{j}}}) = {} \\ \hat m_{{{t}}} &= \frac{{m_{{{t}}}}}{{1 - {b1}^{{{t}}}}} = {},\quad \hat v_{{{t}}} = {} \\ w_{{{t}}} &= {} + {} \cdot \frac{{{}}}{{\sqrt{{{}}}{}}} = {}",
                    n(s),
                    n(u),
                    x.map_or_else(|| num(c.m, 6), |x| exact::round(&x.m, 6)),
                    x.map_or_else(|| num(c.m_hat, 6), |x| exact::round(&x.m_hat, 6)),
                    e(c.v_hat, x.map(|x| &x.v_hat)),
                    e(previous, x_previous),
                    n(adam.alpha),
                    e(-c.m_hat, x.map(|x| -&x.m_hat).as_ref()),
                    e(c.v_hat, x.map(|x| &x.v_hat)),
                    if adam.epsilon == 0.0 { String::new() } else { format!(" + {}", n(adam.epsilon)) },
                    e(c.w, x.map(|x| &x.w)),
                    )
                )
            })
            .collect();
        format!(r"\begin{{aligned}} {} \end{{aligned}}", rows.join(r" \\ "))
    };
    let top = k.saturating_add(form.n_climb);
    // The worked numbers are rounded, so they give the threshold only approximately; the exact
    // value (or the f64 one) is stated on its own.
    let rounded = format!(
        r"h_{{\max}} = u\,(w_{{{top}}} - L) \approx {} \cdot ({} - {})",
        n(u),
        e(form.w_top, exact.map(|x| &x.w_top)),
        n(bump.l),
    );
    let threshold = match exact {
        Some(x) if x.h_max.denom() != &1.into() => format!(
            r"{rounded},\quad \text{{exactly}}\ h_{{\max}} = \frac{{{}}}{{{}}} \approx {}",
            x.h_max.numer(),
            x.h_max.denom(),
            exact::round(&x.h_max, 17)
        ),
        Some(x) => format!(
            r"{rounded},\quad \text{{exactly}}\ h_{{\max}} = {}",
            exact::round(&x.h_max, 17)
        ),
        None => format!(r"{rounded} = {}\ (\text{{f64}})", num(form.h_max, 17)),
    };
    Derivation {
        descent,
        condition,
        climb,
        threshold,
    }
}

/// f'(w) as a `cases` block, with the inequalities the kink rule implies.
pub fn slope_cases(bump: &Bump) -> String {
    let peak = if bump.up_slope == 1.0 {
        "L + h".to_string()
    } else {
        format!("L + h/{}", n(bump.up_slope))
    };
    let end = if bump.up_slope == 1.0 && bump.down_slope == -1.0 {
        "L + 2h".to_string()
    } else {
        format!("{peak} + h/{}", n(-bump.down_slope))
    };
    let (lt, le) = match bump.kink {
        KinkRule::Right => (r"<", r"\le"),
        KinkRule::Left => (r"\le", r"<"),
        KinkRule::MinNorm => (r"<", r"<"),
    };
    let mut cases = format!(
        r"f'(w) = \begin{{cases}} {} & w {lt} L \\ {} & L {le} w {lt} {peak} \\ {} & {peak} {le} w {lt} {end} \\ {} & w {} {end}",
        num(bump.descent_slope, 6),
        num(bump.up_slope, 6),
        num(bump.down_slope, 6),
        num(bump.tail_slope, 6),
        if bump.kink == KinkRule::Left {
            ">"
        } else if bump.kink == KinkRule::Right {
            r"\ge"
        } else {
            ">"
        },
    );
    if bump.kink == KinkRule::MinNorm {
        let at_end = if bump.down_slope.abs() <= bump.tail_slope.abs() {
            bump.down_slope
        } else {
            bump.tail_slope
        };
        cases.push_str(&format!(
            r" \\ 0 & w = L \text{{ or }} w = {peak} \\ {} & w = {end}",
            num(at_end, 6)
        ));
    }
    cases.push_str(r" \end{cases}");
    cases
}
