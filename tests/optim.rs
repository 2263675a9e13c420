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
        ("w-vs-t", 2),
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
        landscape.contains(">\n3, 5\n<") && landscape.contains(">\n4, 6\n<"),
        "GD's 2-cycle is labelled once per point"
    );
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
