//! The conclusions of the Q2 study that `gradbook check` verifies.

use super::result::StudyResult;
use super::sweep::Cause;
use super::trajectory::Verdict;
use crate::compute::Claim;
use crate::format::num;

/// The relative agreement the three threshold methods must reach.
const AGREEMENT: f64 = 1e-12;

/// Every claim the study supports or refutes.
pub fn claims(r: &StudyResult) -> Vec<Claim> {
    let mut out = Vec::new();
    let gd = &r.gd;
    out.push(Claim {
        statement: format!(
            "Gradient descent with a = {} gets stuck at 'x' (h = {})",
            num(gd.a, 6),
            num(r.landscape.h, 6)
        ),
        holds: gd.stuck,
        detail: match &gd.run.verdict {
            Verdict::Stuck { cycle, .. } if !cycle.is_empty() => {
                format!(
                    "it settles into the cycle {}",
                    cycle
                        .iter()
                        .map(|w| num(*w, 6))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            }
            other => format!("verdict: {other:?}"),
        },
    });
    if let (Some(h_max), Some(all)) = (gd.h_max, gd.stuck_for_every_h_above_a) {
        out.push(Claim {
            statement: "Gradient descent is stuck for every h > a".into(),
            holds: all,
            detail: format!(
                "it escapes only bumps up to h = {} (a = {})",
                num(h_max, 6),
                num(gd.a, 6)
            ),
        });
    }
    if let Some(t) = &r.adam.threshold {
        if let (Some(x), Some(b), Some(s)) = (&t.exact, t.bisection_vs_exact, t.supremum_vs_exact) {
            out.push(Claim {
                statement: "Adam's threshold: both f64 simulations agree with the exact closed \
                            form"
                    .into(),
                holds: b <= AGREEMENT && s <= AGREEMENT,
                detail: format!(
                    "exact {}/{} ≈ {}; bisection {} (relative difference {:e}), supremum {} \
                     ({:e})",
                    x.numerator,
                    x.denominator,
                    x.decimal,
                    num(t.h_max_bisection, 17),
                    b,
                    num(t.h_max_supremum, 17),
                    s
                ),
            });
        }
        let turn = &t.turning_back;
        out.push(Claim {
            statement: format!(
                "Adam turns back on a bump of height {}, just above h_max",
                num(turn.h, 6)
            ),
            holds: !turn.escapes && turn.h > t.h_max_supremum,
            detail: format!(
                "escapes: {}, first step back: {:?}",
                turn.escapes, turn.turn_step
            ),
        });
        if let Some(gd_h_max) = gd.h_max {
            out.push(Claim {
                statement: "For every bump with a < h ≤ h_max gradient descent is stuck and \
                            Adam escapes"
                    .into(),
                holds: gd_h_max < gd.a && gd.a < t.h_max_supremum,
                detail: format!(
                    "gradient descent escapes up to {}, a = {}, Adam escapes up to {}",
                    num(gd_h_max, 6),
                    num(gd.a, 6),
                    num(t.h_max_supremum, 6)
                ),
            });
        }
        out.push(Claim {
            statement: "Adam's threshold: closed form, bisection and supremum agree".into(),
            holds: t.max_relative_difference <= AGREEMENT,
            detail: format!(
                "{} / {} / {}, largest relative difference {:e}{}",
                num(t.h_max_closed_form, 0),
                num(t.h_max_bisection, 0),
                num(t.h_max_supremum, 0),
                t.max_relative_difference,
                if t.closed_form.tie {
                    "; (L − w₀)/δ is a whole number up to rounding, so exact arithmetic and f64 \
                     disagree on the step that first reaches L"
                } else {
                    ""
                }
            ),
        });
        out.push(Claim {
            statement: "The bump heights Adam escapes form an interval (0, h_max]".into(),
            holds: t.bisection.interval,
            detail: format!(
                "spot checks on both sides of h_max = {}",
                num(t.h_max_supremum, 0)
            ),
        });
        let expected = r.landscape.h < t.h_max_supremum
            || (r.landscape.h == t.h_max_supremum && t.h_max_attained);
        out.push(Claim {
            statement: format!(
                "Adam escapes the bump of height {} exactly when h ≤ h_max",
                num(r.landscape.h, 6)
            ),
            holds: r.adam.escapes == expected,
            detail: format!(
                "escapes: {}, h_max = {}",
                r.adam.escapes,
                num(t.h_max_supremum, 6)
            ),
        });
    }
    let unexplained: Vec<String> = r
        .sweep_alpha
        .iter()
        .chain(&r.sweep_beta1)
        .filter(|p| p.cause == Cause::Unexplained)
        .map(|p| num(p.x, 6))
        .collect();
    if !r.sweep_alpha.is_empty() {
        out.push(Claim {
            statement: "Every sweep point where the closed form and the simulation part has a \
                        computed cause (a kink landing or a later oscillation)"
                .into(),
            holds: unexplained.is_empty(),
            detail: format!("unexplained at {}", unexplained.join(", ")),
        });
    }
    if let Some(b) = &r.bias_correction {
        out.push(Claim {
            statement: format!(
                "At α = {} the threshold is the momentum coasting distance",
                num(b.small_alpha, 6)
            ),
            holds: b.small_relative_difference <= 1e-9
                && (b.small_h_max - b.small_h_max_supremum).abs() <= 1e-9 * b.small_h_max,
            detail: format!(
                "h_max = {}, limit {}, relative difference {:e}",
                num(b.small_h_max, 0),
                num(b.small_h_max_limit, 0),
                b.small_relative_difference
            ),
        });
    }
    out
}
