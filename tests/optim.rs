//! Integration tests of the Q2 optimizer study (issue 4): the shipped `content/bump.toml`,
//! Adam against an independent recurrence, the threshold three ways, verdicts, invalid
//! study files and the plots.

use approx::assert_relative_eq;
use gradbook::compute::optim::trajectory::Verdict;
use gradbook::compute::optim::{self, StudyResult};
use gradbook::compute::{Kind, Outcome};
use gradbook::figure;
use std::sync::OnceLock;

const SEED: &str = include_str!("../content/bump.toml");

/// The seed study, run once for all tests.
fn seed() -> &'static StudyResult {
    static RESULT: OnceLock<StudyResult> = OnceLock::new();
    RESULT.get_or_init(|| optim::run(SEED).expect("content/bump.toml runs"))
}

/// The seed file with `key = old` replaced by `key = new` (the key's first occurrence).
fn edited(line: &str, replacement: &str) -> String {
    assert!(SEED.contains(line), "bump.toml has no line {line:?}");
    SEED.replacen(line, replacement, 1)
}

/// Adam by hand: Algorithm 1 line by line, β^t as `powf` (as PyTorch's `beta ** step`).
fn adam_by_hand(
    alpha: f64,
    b1: f64,
    b2: f64,
    grads: &dyn Fn(f64) -> f64,
    steps: usize,
) -> Vec<[f64; 6]> {
    let (mut theta, mut m, mut v) = (0.0, 0.0, 0.0);
    let mut rows = Vec::new();
    for t in 1..=steps {
        let g = grads(theta);
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * (g * g);
        let (mh, vh) = (m / (1.0 - b1.powf(t as f64)), v / (1.0 - b2.powf(t as f64)));
        theta -= alpha * mh / vh.sqrt();
        rows.push([g, m, v, mh, vh, theta]);
    }
    rows
}

#[test]
fn adam_matches_an_independent_recurrence_step_for_step() {
    let r = seed();
    let h = r.landscape.h;
    // The seed landscape written out directly (kink rule: the right segment's slope).
    let slope = |w: f64| match w {
        w if w < 1.0 => -1.0,
        w if w < 1.0 + h => 1.0,
        w if w < 1.0 + 2.0 * h => -1.0,
        _ => -0.5,
    };
    let hand = adam_by_hand(0.3, 0.9, 0.999, &slope, r.adam.run.steps.len());
    for (s, row) in r.adam.run.steps.iter().zip(&hand) {
        let got = [s.g, s.m, s.v, s.m_hat, s.v_hat, s.w];
        for (a, b) in got.iter().zip(row) {
            assert_relative_eq!(*a, *b, max_relative = 1e-15, epsilon = 1e-300);
        }
    }
}

#[test]
fn first_adam_steps_by_hand() {
    let s = &seed().adam.run.steps;
    // t = 1…4: g = −1, m_t = −(1 − 0.9^t), v_t = 1 − 0.999^t, so m̂ = −1, v̂ = 1, w_t = 0.3t.
    for t in 1..=4 {
        let row = &s[t - 1];
        assert_eq!(row.g, -1.0);
        assert_relative_eq!(row.m, -(1.0 - 0.9f64.powi(t as i32)), max_relative = 1e-15);
        assert_relative_eq!(row.m_hat, -1.0, max_relative = 1e-15);
        assert_relative_eq!(row.v_hat, 1.0, max_relative = 1e-13);
        assert_relative_eq!(row.w, 0.3 * t as f64, max_relative = 1e-13);
    }
    // t = 5: w₄ = 1.2 is on the bump, g = +1, m₅ = 0.9·(−0.3439) + 0.1 = −0.20951.
    assert_eq!(s[4].g, 1.0);
    assert_relative_eq!(s[4].m, -0.20951, max_relative = 1e-15);
    assert_relative_eq!(s[4].m_hat, -0.20951 / 0.40951, max_relative = 1e-15);
    assert_relative_eq!(s[4].w, 1.2 + 0.3 * 0.20951 / 0.40951, max_relative = 1e-14);
}

#[test]
fn threshold_three_ways_agree() {
    let t = seed().adam.threshold.as_ref().unwrap();
    for (a, b) in [
        (t.h_max_closed_form, t.h_max_bisection),
        (t.h_max_closed_form, t.h_max_supremum),
        (t.h_max_bisection, t.h_max_supremum),
    ] {
        assert_relative_eq!(a, b, max_relative = 1e-12);
    }
    // By hand: h_max = 1.2 + 0.3·(0.20951/0.40951 + 0.088559/0.468559) − 1.
    assert_relative_eq!(
        t.h_max_supremum,
        0.2 + 0.3 * (0.20951 / 0.40951 + 0.088559 / 0.468559),
        max_relative = 1e-13
    );
    assert_eq!(
        (t.decisive_step, t.closed_form.k, t.closed_form.n_climb),
        (6, 4, 2)
    );
    assert!(t.bisection.interval && t.h_max_attained);
    assert_eq!(t.bisection.h_stuck, t.bisection.h_escapes.next_up());
    assert_eq!(seed().adam.h_max, Some(t.h_max_supremum));
}

#[test]
fn small_alpha_is_the_coasting_distance() {
    let b = seed().bias_correction.as_ref().unwrap();
    // With m saturated at −1 the climb lasts while 2·0.9^n > 1, n = 1…6, and covers
    // α·(2·Σ_{n=1}^{6} 0.9^n − 6).
    let sum: f64 = (1..=6).map(|n| 0.9f64.powi(n)).sum();
    assert_eq!(b.coasting_steps, 6);
    assert_relative_eq!(b.coasting_limit, 2.0 * sum - 6.0, max_relative = 1e-14);
    assert_eq!((b.small_k, b.small_n_climb), (1000, 6));
    assert_relative_eq!(
        b.small_h_max,
        0.001 * (2.0 * sum - 6.0),
        max_relative = 1e-12
    );
    assert_relative_eq!(b.small_h_max_supremum, b.small_h_max, max_relative = 1e-12);
}

#[test]
fn gradient_descent_is_stuck_in_a_two_cycle() {
    let gd = &seed().gd;
    assert!(gd.stuck);
    let w4 = 0.3 + 0.3 + 0.3 + 0.3;
    assert_eq!(gd.cycle, vec![w4 - 0.3, w4]);
    assert!(matches!(&gd.run.verdict, Verdict::Stuck { cycle, .. } if cycle.len() == 2));
    assert_eq!(gd.h_max, Some(w4 - 1.0));
    assert_eq!(gd.stuck_for_every_h_above_a, Some(true));
}

#[test]
fn every_verdict_kind() {
    assert!(matches!(
        seed().adam.run.verdict,
        Verdict::Escaped { step: 5 }
    ));
    // a = 0.25 lands exactly on L = 1, where the min-norm subgradient is 0: GD stops there.
    let converged =
        edited("kink = \"right\"", "kink = \"min-norm\"").replacen("a = 0.3", "a = 0.25", 1);
    let r = optim::run(&converged).unwrap();
    assert_eq!(r.gd.run.verdict, Verdict::Converged { step: 5, w: 1.0 });
    // A huge learning rate overflows once the iterate is past the bump.
    let huge = edited("a = 0.3", "a = 1e308");
    let source = huge.replacen(
        "questions = [\"gd-stuck\", \"adam-threshold\",",
        "questions = [\"gd-stuck\",",
        1,
    );
    let err = optim::run(&huge).unwrap_err();
    assert_eq!(
        err.message,
        "no bump height stops the optimizer within the horizon"
    );
    let r = optim::run(&source).unwrap();
    assert!(
        matches!(r.gd.run.verdict, Verdict::Diverged { step: 3 }),
        "{:?}",
        r.gd.run.verdict
    );
}

#[test]
fn zero_gradient_with_zero_epsilon_is_an_error() {
    use gradbook::compute::optim::StepError;
    use gradbook::compute::optim::adam::Adam;
    use gradbook::compute::optim::landscape::{KinkRule, Landscape};
    use gradbook::compute::optim::trajectory::simulate;
    let flat = Landscape::new(vec![], vec![0.0], 0.0, KinkRule::Right).unwrap();
    let got = simulate(
        &mut Adam::new(0.3, 0.9, 0.999, 0.0),
        &flat,
        None,
        0.0,
        5,
        false,
    );
    assert_eq!(got.err(), Some(StepError::ZeroDenominator { t: 1 }));
    let smoothed = simulate(
        &mut Adam::new(0.3, 0.9, 0.999, 1e-8),
        &flat,
        None,
        0.0,
        5,
        false,
    )
    .unwrap();
    assert!(smoothed.w.iter().all(|w| *w == 0.0));
}

#[test]
fn invalid_study_files_name_the_key_and_the_range() {
    let dir = std::path::Path::new("tests/fixtures/optim");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 8, "only {} invalid fixtures", files.len());
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap();
        let header = source.lines().next().unwrap();
        let rest = header
            .strip_prefix("# expect ")
            .expect("fixtures start with `# expect LINE: MESSAGE`");
        let (line, message) = rest.split_once(": ").unwrap();
        let err = optim::run(&source).expect_err(&path.display().to_string());
        let shown = err.in_file(&path, &source).to_string();
        let location = format!("{}:{line}:", path.display());
        assert!(
            shown.starts_with(&location),
            "{shown}\nexpected location {location}"
        );
        assert!(shown.contains(message), "{shown}\nexpected {message:?}");
    }
}

#[test]
fn results_json_has_the_documented_fields() {
    let outcome = gradbook::compute::run(Kind::Optimizer, SEED).unwrap();
    let json = outcome.to_json();
    assert!(json["gd"]["w"].is_array() && json["gd"]["stuck"] == true);
    let step = &json["adam"]["steps"][0];
    for key in ["t", "g", "m", "v", "m_hat", "v_hat", "w"] {
        assert!(step.get(key).is_some(), "adam.steps[0] lacks {key}");
    }
    assert!(json["adam"]["h_max"].is_f64() && json["adam"]["escapes"].is_boolean());
    assert!(
        outcome.claims().iter().all(|c| c.holds),
        "{:#?}",
        outcome.claims()
    );
}

#[test]
fn changing_a_moves_every_number() {
    let r = optim::run(&edited("a = 0.3", "a = 0.35")).unwrap();
    assert_eq!(r.adam.alpha, 0.35);
    assert_eq!(r.gd.a, 0.35);
    let t = r.adam.threshold.as_ref().unwrap();
    assert_relative_eq!(t.h_max_closed_form, t.h_max_supremum, max_relative = 1e-12);
    assert!((t.h_max_supremum - seed().adam.h_max.unwrap()).abs() > 1e-3);
}

fn outcome() -> &'static Outcome {
    static OUTCOME: OnceLock<Outcome> = OnceLock::new();
    OUTCOME.get_or_init(|| Outcome::Optimizer(seed().clone()))
}

#[test]
fn plots_parse_with_prefixed_ids_and_expected_series() {
    // (kind, data lines: polylines of three or more points; legend samples and reference
    // lines have two)
    let expected = [
        ("landscape", 1),
        ("w-vs-t", 3),
        ("mhat-vs-t", 3),
        ("hmax-vs-alpha", 1),
        ("hmax-vs-beta1", 1),
    ];
    assert_eq!(figure::kinds(outcome()), expected.map(|e| e.0));
    for (kind, lines) in expected {
        let svg = figure::draw(outcome(), kind, "q2-").unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("aria-labelledby"), Some("q2-title"));
        assert!(root.attribute("viewBox").is_some() && root.attribute("width") == Some("100%"));
        for node in doc.descendants().filter(|n| n.attribute("id").is_some()) {
            assert!(node.attribute("id").unwrap().starts_with("q2-"), "{kind}");
        }
        let series = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .filter(|n| {
                n.attribute("points")
                    .is_some_and(|p| p.split_whitespace().count() >= 3)
            })
            .count();
        assert_eq!(series, lines, "{kind}");
        assert!(
            !svg.contains("#C0FE"),
            "{kind}: an untranslated sentinel colour"
        );
        assert!(
            !svg.contains("font-family=\""),
            "{kind}: font-family attribute left"
        );
    }
    let landscape = figure::draw(outcome(), "landscape", "x-").unwrap();
    assert!(
        landscape.contains(">\n3, 5, 7, …\n<") && landscape.contains(">\n4, 6, 8, …\n<"),
        "GD's 2-cycle is labelled once per point, with its later visits as …"
    );
    assert!(landscape.contains(">\n&apos;o&apos;\n<") && landscape.contains(">\n&apos;x&apos;\n<"));
}

#[test]
fn plots_are_deterministic() {
    let again = Outcome::Optimizer(optim::run(SEED).unwrap());
    for kind in figure::kinds(outcome()) {
        assert_eq!(
            figure::draw(outcome(), kind, "p-"),
            figure::draw(&again, kind, "p-"),
            "{kind}"
        );
    }
    assert!(figure::draw(outcome(), "no-such-kind", "p-").is_none());
}

#[test]
#[ignore = "writes the plots to /tmp for a look"]
fn dump_plots() {
    for kind in figure::kinds(outcome()) {
        std::fs::write(
            format!("/tmp/q2-{kind}.svg"),
            figure::draw(outcome(), kind, "d-").unwrap(),
        )
        .unwrap();
    }
}

#[test]
fn derivation_and_landscape_snapshots() {
    let d = &seed().adam.threshold.as_ref().unwrap().derivation;
    let latex = [&d.descent, &d.condition, &d.climb, &d.threshold];
    insta::assert_snapshot!("q2_derivation", latex.map(String::as_str).join("\n\n"));
    insta::assert_snapshot!("q2_slope_cases", seed().landscape.slope_cases);
    let svg = figure::draw(outcome(), "landscape", "snap-").unwrap();
    insta::assert_snapshot!("q2_landscape_svg", svg);
}

#[test]
fn extreme_settings_run_or_fail_cleanly_and_draw() {
    let only_gd = |text: String| {
        text.replacen(
            "questions = [\"gd-stuck\", \"adam-threshold\", \"sweeps\", \"bias-correction\", \"momentum\"]",
            "questions = [\"gd-stuck\"]",
            1,
        )
    };
    let cases = [
        only_gd(edited("a = 0.3", "a = 1e308")),
        edited("a = 0.3", "a = 1e-9"),
        edited("h = 0.35", "h = 1e300"),
        edited("h = 0.35", "h = 1e-300"),
        edited("beta1 = 0.9", "beta1 = 0.999999"),
        edited("beta1 = 0.9", "beta1 = 0.0"),
        edited("epsilon = 0.0", "epsilon = 1e300"),
        edited("tail-slope = -0.5", "tail-slope = 0.0"),
        edited("kink = \"right\"", "kink = \"left\"").replacen("a = 0.3", "a = 0.25", 1),
    ];
    for source in &cases {
        let small = source.replacen("horizon = 20000", "horizon = 500", 1);
        let small = small.replacen("alpha-points = 181", "alpha-points = 5", 1);
        let small = small.replacen("beta1-points = 100", "beta1-points = 5", 1);
        let Ok(result) = optim::run(&small) else {
            continue;
        };
        let outcome = Outcome::Optimizer(result);
        for kind in figure::kinds(&outcome) {
            if let Some(svg) = figure::draw(&outcome, kind, "e-") {
                roxmltree::Document::parse(&svg).unwrap();
            }
        }
    }
}

/// Exact rationals for the independent re-derivations below.
mod exact_rerun {
    pub use num_bigint::BigInt;
    pub use num_rational::BigRational as Q;

    pub fn q(n: i64, d: i64) -> Q {
        Q::new(n.into(), d.into())
    }

    /// One row of Adam's recurrences in exact arithmetic.
    pub struct Row {
        pub t: usize,
        pub m: Q,
        pub m_hat: Q,
        pub v_hat: Q,
        pub w: Q,
    }

    /// Algorithm 1 with α = 3/10, β1 = 9/10, β2 = 999/1000, ε = 0 on the infinitely tall bump
    /// (g = −1 left of L = 1, +1 from L on), written out again: √v̂ is taken only where v̂ = 1.
    pub fn adam(steps: usize) -> Vec<Row> {
        let (alpha, b1, b2) = (q(3, 10), q(9, 10), q(999, 1000));
        let one = q(1, 1);
        let (mut w, mut m, mut v) = (q(0, 1), q(0, 1), q(0, 1));
        let (mut b1t, mut b2t) = (one.clone(), one.clone());
        let mut rows = Vec::new();
        for t in 1..=steps {
            let g = if w < one { q(-1, 1) } else { q(1, 1) };
            m = &b1 * &m + (&one - &b1) * &g;
            v = &b2 * &v + (&one - &b2) * &g * &g;
            b1t *= &b1;
            b2t *= &b2;
            let m_hat = &m / (&one - &b1t);
            let v_hat = &v / (&one - &b2t);
            assert_eq!(v_hat, one, "v̂_{t} = 1 exactly while |g| = 1");
            w = &w - &alpha * &m_hat;
            rows.push(Row {
                t,
                m: m.clone(),
                m_hat,
                v_hat,
                w: w.clone(),
            });
        }
        rows
    }

    /// `x` as the nearest f64 (numerator and denominator are small here).
    pub fn f(x: &Q) -> f64 {
        use num_traits::ToPrimitive;
        x.numer().to_f64().unwrap() / x.denom().to_f64().unwrap()
    }
}

#[test]
fn exact_threshold_is_the_fraction_of_an_exact_rerun() {
    use exact_rerun::*;
    let rows = adam(40);
    let top = rows.iter().max_by(|a, b| a.w.cmp(&b.w)).unwrap();
    assert_eq!(top.t, 6, "the decisive step");
    let h_max = &top.w - q(1, 1);
    let expected = Q::new(2071210444i64.into(), 5049463055i64.into());
    assert_eq!(h_max, expected);
    let t = seed().adam.threshold.as_ref().unwrap();
    let exact = t
        .exact
        .as_ref()
        .expect("the seed's closed form is rational");
    assert_eq!(
        (exact.numerator.as_str(), exact.denominator.as_str()),
        ("2071210444", "5049463055")
    );
    assert_eq!((exact.k, exact.n_climb, exact.tie), (4, 2, false));
    // Correct rounding at 17 significant digits, by integer division: 10^17·h = 41018429512997001.1…
    let scaled = &h_max * Q::from_integer(BigInt::from(10).pow(17));
    assert_eq!(
        scaled.floor().to_integer(),
        BigInt::from(41018429512997001i64)
    );
    assert!(scaled.fract() < q(1, 2));
    assert_eq!(exact.decimal, "0.41018429512997001");
    assert_eq!(exact.value, "0.41018429512997001".parse::<f64>().unwrap());
    // The simulations are f64: they agree with the exact value to rounding, and are printed
    // apart from it.
    for (sim, rel) in [
        (t.h_max_bisection, t.bisection_vs_exact),
        (t.h_max_supremum, t.supremum_vs_exact),
    ] {
        let rel = rel.unwrap();
        assert_relative_eq!(
            rel,
            (sim - exact.value).abs() / exact.value,
            max_relative = 1e-9
        );
        assert!(rel < 1e-13, "{rel}");
    }
}

#[test]
fn every_worked_number_of_the_derivation_is_the_exact_value_as_printed() {
    use exact_rerun::*;
    use gradbook::format::num;
    let rows = adam(6);
    let d = &seed().adam.threshold.as_ref().unwrap().derivation;
    let all = [&d.descent, &d.condition, &d.climb, &d.threshold]
        .map(String::as_str)
        .join("\n");
    // δ = 0.3, k = 4, w₄ = 1.2, the ratio 1/(1 + (1 − 0.9⁴)) = 1/1.3439.
    assert_eq!(f(&rows[3].w), 1.2);
    assert!(d.descent.contains("= 0.3,") && d.descent.contains("= 4,"));
    assert!(d.descent.ends_with("= 1.2"), "{}", d.descent);
    let ratio = q(10000, 13439);
    assert!(d.condition.contains(&num(f(&ratio), 6)), "{}", d.condition);
    assert!(d.condition.contains(&num(f(&ratio).ln() / 0.9f64.ln(), 6)));
    // The two climbing steps, each number rounded to the 6 digits printed.
    for row in &rows[4..6] {
        for value in [&row.m, &row.m_hat, &row.w] {
            let printed = num(f(value), 6);
            assert!(all.contains(&printed), "{printed} (step {})", row.t);
        }
        assert_eq!(f(&row.v_hat), 1.0);
    }
    assert_eq!(num(f(&rows[4].m), 6), "-0.20951");
    assert_eq!(num(f(&rows[5].m), 6), "-0.088559");
    // Reproducible from what is printed: w₅ + 0.3·(−m̂₆) rounds to the printed w₆.
    let w5: f64 = num(f(&rows[4].w), 6).parse().unwrap();
    let m6: f64 = num(f(&rows[5].m_hat), 6).parse().unwrap();
    assert_eq!(num(w5 + 0.3 * -m6, 6), num(f(&rows[5].w), 6));
    assert!(
        d.threshold
            .ends_with(r"\frac{2071210444}{5049463055} \approx 0.41018429512997001"),
        "{}",
        d.threshold
    );
}

#[test]
fn the_run_just_above_the_threshold_turns_back() {
    let t = seed().adam.threshold.as_ref().unwrap();
    let back = &t.turning_back;
    assert_eq!(back.h, 0.4102);
    assert!(back.h > t.h_max_supremum && !back.escapes);
    // By hand: on the bump of height 0.4102 the iterates are the tall-bump ones, which turn at
    // step 7 and never reach the peak 1.4102.
    let slope = |w: f64| match w {
        w if w < 1.0 => -1.0,
        w if w < 1.4102 => 1.0,
        w if w < 1.8204 => -1.0,
        _ => -0.5,
    };
    let hand = adam_by_hand(0.3, 0.9, 0.999, &slope, back.run.steps.len());
    assert!(hand.iter().all(|row| row[5] < 1.4102));
    assert!(hand[6][5] < hand[5][5] && hand[5][5] > hand[4][5]);
    assert_eq!(back.turn_step, Some(7));
}

#[test]
fn sweep_disagreements_are_classified_by_their_computed_cause() {
    use gradbook::compute::optim::sweep::Cause;
    let r = seed();
    let parted: Vec<_> = r
        .sweep_alpha
        .iter()
        .filter(|p| !p.first_excursion_decisive)
        .collect();
    assert_eq!(parted.len(), 5);
    for p in &parted {
        // Independently: Adam by hand on the infinitely tall bump.
        let tall = |w: f64| if w < 1.0 { -1.0 } else { 1.0 };
        let rows = adam_by_hand(p.x, 0.9, 0.999, &tall, 3000);
        let k_run = rows.iter().position(|row| row[5] >= 1.0).unwrap() + 1;
        let (top, _) = rows.iter().enumerate().fold((0, f64::MIN), |b, (i, row)| {
            if row[5] > b.1 { (i + 1, row[5]) } else { b }
        });
        assert_eq!(p.k_simulated, k_run, "{p:?}");
        assert_eq!(p.decisive_step, top, "{p:?}");
        let quotient = 1.0 / p.x;
        let whole = (quotient - quotient.round()).abs() < 1e-9;
        let expected = if k_run != p.k {
            assert!(whole, "a landing needs a whole quotient: {p:?}");
            Cause::KinkLanding
        } else {
            assert!(top > p.first_excursion_end, "{p:?}");
            Cause::LaterOscillation
        };
        assert_eq!(p.cause, expected, "{p:?}");
    }
    let landings: Vec<f64> = parted
        .iter()
        .filter(|p| p.cause == Cause::KinkLanding)
        .map(|p| p.x)
        .collect();
    assert_eq!(landings.len(), 1);
    assert_relative_eq!(landings[0], 0.01, max_relative = 1e-12);
    // The whole-number points: 0.001, 0.01, 0.1, 1; at 0.001 and 0.1 the two agree.
    let ties: Vec<_> = r.sweep_alpha.iter().filter(|p| p.tie).collect();
    assert_eq!(ties.len(), 4);
    let agreeing: Vec<f64> = ties
        .iter()
        .filter(|p| p.cause == Cause::Agree)
        .map(|p| p.x)
        .collect();
    assert_eq!(agreeing.len(), 2);
    assert_relative_eq!(agreeing[0], 0.001, max_relative = 1e-12);
    assert_relative_eq!(agreeing[1], 0.1, max_relative = 1e-12);
    assert!(
        r.sweep_beta1.iter().all(|p| p.cause != Cause::Unexplained),
        "every β1 disagreement has a cause"
    );
}

#[test]
fn small_alpha_threshold_is_overshoot_plus_coasting() {
    let b = seed().bias_correction.as_ref().unwrap();
    assert_eq!(b.small_overshoot, 0.0);
    let e = b.example.expect("the sweep has small step sizes");
    assert!(e.k >= 100);
    // u·((w_k − L) + c·α)/α with u = 1: between c and c + 1, and the run agrees with it.
    assert!(e.h_over_alpha > b.coasting_limit && e.h_over_alpha < b.coasting_limit + 1.0);
    assert_relative_eq!(
        e.limit_over_alpha,
        e.overshoot_over_alpha + b.coasting_limit,
        max_relative = 1e-12
    );
    assert!(e.relative_difference < 1e-3, "{e:?}");
    assert!(e.h_over_alpha > 3.4, "the sweep reaches near 3.434α: {e:?}");
}

#[test]
fn momentum_numbers_of_the_sentence() {
    let m = seed().momentum.as_ref().unwrap();
    // b = −1, −1.9, −2.71: steps 0.3, 0.57, 0.813; w₃ = 1.683 is past the peak 1.35.
    assert_eq!(m.k, 3);
    for (got, want) in m.descent_steps.iter().zip([0.3, 0.57, 0.813]) {
        assert_relative_eq!(*got, want, max_relative = 1e-14);
    }
    assert_eq!((m.escape_step, m.longest_step_t), (Some(3), 3));
    assert_relative_eq!(m.longest_step / m.a, 2.71, max_relative = 1e-14);
    // On the tall bump: b₄ = −1.439, b₅ = −0.2951, b₆ > 0: the top is w₅ = 2.20323.
    assert_eq!(m.w_max_step, 5);
    assert_relative_eq!(
        m.w_max,
        1.683 + 0.3 * (1.439 + 0.2951),
        max_relative = 1e-14
    );
    assert_relative_eq!(m.h_max, m.w_max - 1.0, max_relative = 1e-14);
}

#[test]
fn the_first_excursion_never_falls_as_beta1_grows() {
    // The chapter says the circles of the β1 plot never go down.
    let closed: Vec<f64> = seed()
        .sweep_beta1
        .iter()
        .map(|p| p.h_max_closed_form)
        .collect();
    for pair in closed.windows(2) {
        assert!(pair[1] >= pair[0] * (1.0 - 1e-12), "{pair:?}");
    }
}
