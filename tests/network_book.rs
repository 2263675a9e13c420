//! The Q1 chapter follows its settings: the repository's book is copied with
//! `content/networks.toml` edited (another placement, tanh, worked-example values that flip the
//! remarks), built and checked, and the page must show the edited network's equations, none of
//! the stale ones, and remarks that match the computed numbers.

mod common;

use assert_cmd::Command;
use gradbook::compute::network;
use gradbook::format::{count, display, num};

const SETTINGS: &str = include_str!("../content/networks.toml");

/// The shipped settings with a small sweep, so that each build takes a second or two.
fn quick() -> String {
    let s = SETTINGS
        .replacen("samples = 20000", "samples = 300", 1)
        .replacen("steps = 1500", "steps = 100", 1);
    assert_ne!(s, SETTINGS, "the sweep settings moved; update quick()");
    s
}

/// `text` with `from` replaced once; fails if `from` is not there (the seed changed).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the settings no longer contain {from:?}"
    );
    text.replacen(from, to, 1)
}

/// A built copy of the repository's book with `settings` as `networks.toml`.
struct Built {
    /// The Q1 page as text: SVG removed, MathML flattened to its characters, tags removed.
    text: String,
    /// The Q1 page's HTML.
    html: String,
    /// Exit code of `gradbook check` and its output.
    check: (i32, String),
}

fn build(settings: &str) -> Built {
    let tmp = common::copy_of_default_book();
    std::fs::write(tmp.path().join("content/networks.toml"), settings).unwrap();
    let dest = tmp.path().join("site");
    common::build_into(tmp.path(), &dest);
    let html = std::fs::read_to_string(dest.join("q1-skip-connections.html")).unwrap();
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("check")
        .arg(tmp.path())
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Built {
        text: text_of(&html),
        html,
        check: (out.status.code().unwrap_or(-1), report),
    }
}

/// Remove `<svg>…</svg>`, then every tag, and collapse white space; MathML keeps only its
/// characters, so `h_3^* = \sigma(…)` reads `h3∗=σ(…)`.
fn text_of(html: &str) -> String {
    let mut s = html.to_string();
    while let Some(a) = s.find("<svg") {
        let Some(b) = s[a..].find("</svg>") else {
            break;
        };
        s.replace_range(a..a + b + 6, "");
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Flattened MathML of the default reading's equations and hand derivation.
const H3_DEFAULT: &str = "h3∗=σ(w3h2+b3+wch1)";
const Y_DEFAULT: &str = "y∗=σ(w5h4∗+b5+wch3∗)";
const FACTORISED: &str = "(w3σ′(z2)w2+wc)";
const THEOREM2_HAND: &str = "(1+4/W2)2";
const HAND_NOTICE: &str = "covers short circuits";

fn failing_claims(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|l| l.contains("claim fails"))
        .collect()
}

#[test]
fn default_settings_show_the_hand_derivation() {
    let b = build(&quick());
    for s in [H3_DEFAULT, Y_DEFAULT, FACTORISED, THEOREM2_HAND] {
        assert!(b.text.contains(s), "missing {s}");
    }
    assert!(!b.text.contains(HAND_NOTICE));
    assert!(b.text.contains("h1, h2 are the same in both networks"));
    assert!(
        b.text
            .contains("The slopes on the long path are all smaller")
    );
    assert!(b.text.contains("the short circuits shrink it"));
    assert!(b.text.contains("more than make up for the loss"));
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    assert!(!b.html.contains("merror"), "math that did not convert");
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

/// What the default page says about the sweep, the search, the bounds and the expected
/// argument, against the numbers of the same run.
#[test]
fn default_page_reports_the_sweep_apart_from_the_search() {
    let settings = quick();
    let r = network::run(&settings).unwrap();
    let b = build(&settings);
    let w1 = r
        .summary
        .iter()
        .find(|s| s.variant == "default" && s.parameter == "w1")
        .unwrap();
    let sentence = format!(
        "the inequality for w1 fails in {} of the {} parameter sets of the sweep ({}\u{202F}%)",
        count(w1.fails as i128),
        count(w1.samples as i128),
        display(w1.fails as f64 / w1.samples as f64 * 100.0, 3)
    );
    // The page keeps the narrow no-break spaces (`1.47 %` never breaks); the text view
    // collapses all white space, theirs included.
    let percent = sentence.rsplit('(').next().unwrap_or("");
    assert!(b.html.contains(percent), "missing {percent} with U+202F");
    let sentence = sentence.replace('\u{202F}', " ");
    assert!(b.text.contains(&sentence), "missing {sentence}");
    // Counts are grouped as everywhere else on the page (20 000, not 20000).
    for sentence in [
        format!(
            "the tool draws {} parameter sets per region",
            count(r.samples_per_region as i128)
        ),
        format!(
            "random-walk search; {} parameter sets in all",
            count(r.evaluations as i128)
        ),
    ] {
        let sentence = sentence.replace('\u{202F}', " ");
        assert!(b.text.contains(&sentence), "missing {sentence}");
    }
    // b1 is the same statement as w1 in the default reading: never reported, never added.
    assert!(!b.text.contains("the inequality for b1 fails in"));
    assert!(!b.text.contains("without any assumption there are"));
    assert!(
        b.text
            .contains("Rows for b1 (the same statement as for w1) are not repeated")
    );
    // Bounds carry their input range.
    let x = r
        .summary
        .iter()
        .find(|s| s.variant == "x_h2_h4" && s.parameter == "w1")
        .unwrap();
    assert!(x.input_bound.is_some());
    assert!(b.text.contains(&x.certified), "missing {}", x.certified);
    assert!(b.text.contains("for every x"));
    assert!(!b.text.contains("weights up to 0.388 are certified"));
    // The expected argument comes first, then the step that fails and when it is right.
    let expected = b
        .text
        .find("The argument the assignment has in mind")
        .unwrap();
    let fails = b
        .text
        .find("The step that fails is the last equality")
        .unwrap();
    let worked = b.text.find("Worked example").unwrap();
    assert!(expected < fails && fails < worked);
    assert!(
        b.text
            .contains("ReLU units that are all active in both networks")
    );
    assert!(b.text.contains("z3, z4, zy differ"));
    // The other readings: the variant where w1 fails least often, with its frequency.
    let mut best: Option<&network::result::SummaryRow> = None;
    for row in r.summary_shown.iter().filter(|s| s.parameter == "w1") {
        if best.is_none_or(|b| row.fraction > b.fraction) {
            best = Some(row);
        }
    }
    let best = best.unwrap();
    let title = &r
        .variants
        .iter()
        .find(|v| v.name == best.variant)
        .unwrap()
        .title;
    let sentence = format!(
        "For w1 the inequality fails least often in the sweep for {title} ({}\u{202F}% of its samples)",
        display((1.0 - best.fraction) * 100.0, 3)
    );
    let sentence = sentence.replace('\u{202F}', " ");
    assert!(b.text.contains(&sentence), "missing {sentence}");
    // Every parameter set the page prints is marked, and reproduces from its printed digits.
    let sets = gradbook::site::reproduce::extract(&b.html).unwrap();
    let v = &r.variants[0];
    let ces: Vec<_> = v
        .counterexamples
        .iter()
        .filter(|c| c.parameter == "w1")
        .collect();
    assert_eq!(sets.len(), 1 + ces.len());
    for (set, ce) in sets[1..].iter().zip(&ces) {
        let printed: Vec<f64> = set.values.values().copied().collect();
        let mut expected: Vec<f64> = ce.values.values().map(|x| x.as_f64().unwrap()).collect();
        let mut got = printed.clone();
        got.sort_by(f64::total_cmp);
        expected.sort_by(f64::total_cmp);
        assert_eq!(got, expected, "{}", ce.kind);
    }
    for set in &sets {
        let (c, s) =
            network::reevaluate(&settings, &set.variant, &set.parameter, &set.values).unwrap();
        let ratio = network::tally::ratio(c, s);
        assert!(gradbook::site::reproduce::agrees(
            set.ratio.as_deref().unwrap(),
            ratio
        ));
        let verdict = if c.abs() <= s.abs() { "holds" } else { "fails" };
        assert_eq!(set.verdict.as_deref(), Some(verdict));
    }
    // Every claim badge ends its sentence.
    for (i, _) in b.html.match_indices("gb-claim gb-claim-") {
        let before = &b.html[..i];
        let tail = before.trim_end().trim_end_matches("<span class=\"");
        let last = tail.trim_end().chars().last().unwrap();
        assert!(
            ".:;)".contains(last) || last == '>',
            "a badge mid-sentence after {last:?}"
        );
    }
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

/// The counterexample with every weight non-negative says why it fails: ρ and S at the
/// point, checked against a closed form of the default placement (h1 → h3 and h3 → y into the
/// pre-activations, wc = 1), and ρ below 1/S as printed. (The sweep of `quick()` finds no such
/// counterexample; 2,000 samples per region do.)
#[test]
fn the_nonnegative_counterexample_shows_rho_below_one_over_s() {
    let settings = edit(&quick(), "samples = 300", "samples = 2000");
    let r = network::run(&settings).unwrap();
    let b = build(&settings);
    let ce = r.variants[0]
        .counterexamples
        .iter()
        .find(|c| c.parameter == "w1" && c.kind == "nonnegative")
        .expect("the sweep finds a counterexample with every weight ≥ 0");
    let p = |name: &str| ce.values[name].as_f64().unwrap();
    let (rho, s, widest) = closed_form_rho_s(
        [p("x"), p("w1"), p("w2"), p("w3"), p("w4"), p("w5")],
        [p("b1"), p("b2"), p("b3"), p("b4"), p("b5")],
    );
    // gradbook's slopes come from the tape, which takes σ′ = σ(1 − σ) as PyTorch does: at a
    // pre-activation z that loses up to e^|z| ulps (1 − σ cancels), and each z carries a few
    // ulps of its inputs. Six slopes enter ρ and two S, so 64 ulps times e^widest bounds both.
    let tolerance = 64.0 * f64::EPSILON * widest.exp();
    let (got_rho, got_s) = (ce.rho.unwrap(), ce.s.unwrap());
    assert!(
        (got_rho - rho).abs() <= tolerance * rho,
        "ρ {got_rho} against {rho}"
    );
    assert!((got_s - s).abs() <= tolerance * s, "S {got_s} against {s}");
    assert!(((got_rho * got_s - ce.ratio) / ce.ratio).abs() <= 4.0 * f64::EPSILON);
    assert!(
        s > 1.0 && rho * s < 0.998,
        "the counterexample shows the sentence"
    );
    let sentence = format!(
        "Together, the ratios of these slopes give ρ = {}. The paths through short circuits add \
         to path 1, multiplying it by S = {}, but not by enough: ρ is below 1/S = {}, so the \
         ratio ρS is below 1.",
        display(got_rho, 4),
        display(got_s, 4),
        display(1.0 / got_s, 4)
    );
    assert!(b.text.contains(&sentence), "missing {sentence}");
    assert!(!b.text.contains("tends to 1"));
    assert!(b.text.contains(
        "it can fail, with counterexamples shown and checked below, when weights are negative, \
         and when they are large even if none is negative."
    ));
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

/// With the search off (`steps = 0`, or `starts = 0`) the page reports the sweep alone: no
/// sentence, column or label speaks of a search, and every count is the sweep's.
#[test]
fn without_the_search_the_page_reports_the_sweep_alone() {
    for off in [("steps = 100", "steps = 0"), ("starts = 8", "starts = 0")] {
        let settings = edit(&quick(), off.0, off.1);
        let r = network::run(&settings).unwrap();
        assert!(!r.searched, "{off:?}");
        let sweep_samples: usize = r
            .variants
            .iter()
            .flat_map(|v| &v.sweep)
            .filter(|row| row.parameter == r.parameters[0])
            .map(|row| row.samples)
            .sum();
        assert_eq!(
            r.evaluations, sweep_samples,
            "{off:?}: only the sweep evaluates"
        );
        for row in r.variants.iter().flat_map(|v| &v.conditions) {
            assert_eq!(
                (row.search_samples, row.search_violations),
                (0, 0),
                "{off:?}"
            );
        }
        let b = build(&settings);
        let lower = b.text.to_lowercase();
        for phrase in [
            "the search",
            "search:",
            "random-walk",
            "and search",
            "includes the search",
        ] {
            assert!(!lower.contains(phrase), "{off:?}: the page says {phrase:?}");
        }
        assert!(b.text.contains("found by the sweep"), "{off:?}");
        assert!(
            b.html.contains("<p>A parameter whose inequality"),
            "{off:?}: a paragraph"
        );
        assert!(
            b.text.contains(
                &format!(
                    "the input independently); {} parameter sets in all",
                    count(r.evaluations as i128)
                )
                .replace('\u{202F}', " ")
            ),
            "{off:?}"
        );
        assert_eq!(b.check.0, 0, "{off:?}: {}", b.check.1);
    }
}

/// A short circuit of negative weight: Theorem 1's condition can never hold, so the page says
/// so, shows no "non-negative" counterexample and does not claim one; different weights get
/// their own symbols.
#[test]
fn a_negative_short_circuit_weight_is_said_to_rule_out_theorem_1() {
    let settings = edit(&quick(), "to = \"h3\", wc = 1.0", "to = \"h3\", wc = -1.0");
    let r = network::run(&settings).unwrap();
    let v = &r.variants[0];
    assert!(!v.prose.wc_nonnegative);
    assert!(v.counterexamples.iter().all(|c| c.kind != "nonnegative"));
    let row = r.summary.iter().find(|s| s.variant == "default").unwrap();
    assert!(!row.nonnegative_counterexample);
    for c in v.conditions.iter().filter(|c| c.condition != "none") {
        assert_eq!(c.samples, 0, "{}: no set has every weight ≥ 0", c.condition);
    }
    let b = build(&settings);
    assert!(b.text.contains("wc,1=−1, wc,2=1"), "the two weights apart");
    assert!(
        b.text
            .contains("one is negative, so no parameter set of this variant meets the condition")
    );
    assert!(
        b.text
            .contains("A short circuit's fixed weight is negative here")
    );
    assert!(!b.text.contains("even if none is negative"));
    assert!(!b.text.contains("Non-negative weights are not enough"));
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

/// ρ and S of the default placement (h1 → h3 and h3 → y into the pre-activations, wc = 1)
/// at `[x, w1…w5]` and `[b1…b5]`, written out by hand: ρ is the product of σ′(z*)/σ′(z) at
/// h3, h4 and y, S the factorised path sum `(1 + 1/(w3 σ′(z2) w2))(1 + 1/(w5 σ′(z4*) w4))`.
/// Also the largest |pre-activation|.
fn closed_form_rho_s(w: [f64; 6], b: [f64; 5]) -> (f64, f64, f64) {
    let [x, w1, w2, w3, w4, w5] = w;
    let [b1, b2, b3, b4, b5] = b;
    // σ and σ′ from e^-|z|, which loses nothing to cancellation.
    let sigma = |z: f64| {
        let e = (-z.abs()).exp();
        if z >= 0.0 {
            1.0 / (1.0 + e)
        } else {
            e / (1.0 + e)
        }
    };
    let slope = |z: f64| {
        let e = (-z.abs()).exp();
        e / ((1.0 + e) * (1.0 + e))
    };
    let z1 = w1 * x + b1;
    let h1 = sigma(z1);
    let z2 = w2 * h1 + b2;
    let z3 = w3 * sigma(z2) + b3;
    let z4 = w4 * sigma(z3) + b4;
    let zy = w5 * sigma(z4) + b5;
    let z3s = z3 + h1;
    let z4s = w4 * sigma(z3s) + b4;
    let zys = w5 * sigma(z4s) + b5 + sigma(z3s);
    let rho = slope(z3s) * slope(z4s) * slope(zys) / (slope(z3) * slope(z4) * slope(zy));
    let s = (1.0 + 1.0 / (w3 * slope(z2) * w2)) * (1.0 + 1.0 / (w5 * slope(z4s) * w4));
    let widest = [z1, z2, z3, z4, zy, z3s, z4s, zys]
        .iter()
        .fold(0.0_f64, |m, z| m.max(z.abs()));
    (rho, s, widest)
}

/// Printing a counterexample with fewer digits than it needs is caught by `check`: the ratio
/// the page prints no longer follows from the values it prints.
#[test]
fn check_rereads_printed_parameter_sets() {
    let tmp = common::copy_of_default_book();
    let root = tmp.path();
    std::fs::write(root.join("content/networks.toml"), quick()).unwrap();
    let chapter = root.join("content/q1-skip-connections.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    let cut = text.replace("num(digits=ce.digits)", "num(digits=1)");
    assert_ne!(cut, text);
    std::fs::write(&chapter, cut).unwrap();
    let out = Command::cargo_bin("gradbook")
        .unwrap()
        .arg("check")
        .arg(root)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("q1-skip-connections.md:")
            && report.contains("parameter set of `networks` (variant `default`, d/dw1)")
            && (report.contains("the page prints ratio")
                || report.contains("at the printed values it")),
        "{report}"
    );
}

#[test]
fn another_placement_gets_its_own_equations() {
    let settings = edit(
        &quick(),
        "skips = [\n  { from = \"h1\", to = \"h3\", wc = 1.0, enters = \"pre-activation\" },\n  { from = \"h3\", to = \"y\", wc = 1.0, enters = \"pre-activation\" },\n]",
        "skips = [\n  { from = \"x\", to = \"h2\", wc = 1.0, enters = \"pre-activation\" },\n  { from = \"h2\", to = \"h4\", wc = 1.0, enters = \"pre-activation\" },\n]",
    );
    let b = build(&settings);
    for s in [
        "h2∗=σ(w2h1+b2+wcx)",
        "h3∗=σ(w3h2∗+b3)",
        "h4∗=σ(w4h3∗+b4+wch2∗)",
        "y∗=σ(w5h4∗+b5)",
        "h1 is the same in both networks",
        "z2, z3, z4, zy are not",
        HAND_NOTICE,
    ] {
        assert!(b.text.contains(s), "missing {s}");
    }
    for s in [H3_DEFAULT, Y_DEFAULT, FACTORISED, THEOREM2_HAND] {
        assert!(!b.text.contains(s), "stale {s}");
    }
    // A short circuit leaves the input: the certified bound needs |x| bounded, and says so.
    let r = network::run(&settings).unwrap();
    let bound = r.variants[0].compare[0].bound.clone().unwrap();
    assert!(bound.needs_input_bound);
    assert!(b.text.contains("a short circuit leaves the input"));
    assert!(b.text.contains(&format!("W={}", num(bound.w_max, 3))));
    assert!(!b.html.contains("merror"), "math that did not convert");
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

#[test]
fn tanh_drops_the_sigmoid_proof() {
    let settings = edit(
        &quick(),
        "activation = \"sigmoid\"",
        "activation = \"tanh\"",
    );
    let b = build(&settings);
    let r = network::run(&settings).unwrap();
    let v = &r.variants[0];
    assert_eq!(v.activation, "tanh");
    assert!(!v.prose.hand_derivation);
    for s in [
        H3_DEFAULT,
        Y_DEFAULT,
        HAND_NOTICE,
        "σ = tanh",
        "for the tanh, is at most",
    ] {
        assert!(b.text.contains(s), "missing {s}");
    }
    for s in [FACTORISED, THEOREM2_HAND, "σ′≤1/4", "for a sigmoid"] {
        assert!(!b.text.contains(s), "stale {s}");
    }
    assert!(!b.html.contains("merror"), "math that did not convert");
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    // The study's own claims are about this run; any that fails must really be false.
    for line in failing_claims(&b.check.1) {
        assert!(line.contains("at the worked example"), "{line}");
    }
    let worked_holds = v.compare.iter().all(|c| c.holds);
    assert_eq!(b.check.0 == 0, worked_holds, "{}", b.check.1);
}

#[test]
fn values_that_flip_the_remarks_flip_the_text() {
    // w2·σ′(z2)·w3 ≈ −w_c: the paths through h1 → h3 cancel the long ones, and the negative
    // biases put every starred pre-activation on the near side of 0.
    let settings = edit(
        &quick(),
        "values = { x = 1.0, w1 = 0.5, w2 = 0.5, w3 = 0.5, w4 = 0.5, w5 = 0.5, b1 = 0.1, b2 = 0.1, b3 = 0.1, b4 = 0.1, b5 = 0.1 }",
        "values = { x = 1.0, w1 = 0.5, w2 = 2.5, w3 = -3.1, w4 = 0.5, w5 = 0.5, b1 = 0.1, b2 = 0.1, b3 = -1.0, b4 = -1.0, b5 = -1.5 }",
    );
    let r = network::run(&settings).unwrap();
    let v = &r.variants[0];
    let w1 = &v.compare[0];
    // The facts the remarks rest on, from the node tables (not from the prose fields).
    assert!(!w1.holds && w1.ratio < 1.0);
    let mut slopes = 0;
    for (c, s) in v.chain.nodes.iter().zip(&v.skip.nodes) {
        if let (Some(z), Some(zs), Some(d), Some(ds)) = (c.z, s.z, c.dsigma, s.dsigma)
            && z != zs
        {
            slopes += 1;
            assert!(
                ds > d && zs.abs() < z.abs(),
                "{}: σ′ must rise here",
                c.name
            );
        }
    }
    assert_eq!(slopes, 3);
    assert!(w1.long_path.abs() > w1.chain.abs());
    assert!(w1.short_paths * w1.long_path < 0.0);

    let b = build(&settings);
    for s in [
        "Here the inequality fails",
        &format!("for w1 it fails (ratio {})", display(w1.ratio, 4)),
        "No slope on the long path is smaller",
        "no further from 0",
        "the short circuits do not shrink it",
        "with the opposite sign",
        "at the worked example, though",
        "it already fails at the worked example",
    ] {
        assert!(b.text.contains(s), "missing {s}");
    }
    for s in [
        "Here the inequality holds",
        "all smaller in",
        "more than make up",
        "trains its first layer better",
    ] {
        assert!(!b.text.contains(s), "stale {s}");
    }
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    // `check` fails, and only on the study's claims that the inequality holds at the worked
    // example, which are false here.
    assert_eq!(b.check.0, 1, "{}", b.check.1);
    let failing = failing_claims(&b.check.1);
    assert_eq!(failing.len(), 2, "{}", b.check.1);
    for line in failing {
        assert!(
            line.contains("default: |dy/d") && line.contains("at the worked example"),
            "{line}"
        );
    }
}

#[test]
fn a_zero_weight_on_the_long_path_still_builds() {
    // w2 = 0: the chain's gradient is 0 and the ratio infinite (null in JSON); the page must
    // still build and say where the gradient goes.
    let settings = edit(&quick(), "w2 = 0.5, w3 = 0.5", "w2 = 0.0, w3 = 0.5");
    let r = network::run(&settings).unwrap();
    let w1 = &r.variants[0].compare[0];
    assert_eq!((w1.chain, w1.long_path, w1.rho), (0.0, 0.0, None));
    let b = build(&settings);
    assert!(
        b.text
            .contains("The paths through short circuits carry all of")
    );
    assert!(b.text.contains("by a factor of ∞"));
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    assert_eq!(b.check.0, 0, "{}", b.check.1);
}

#[test]
fn the_literal_reading_as_default_reads_true() {
    let settings = edit(
        &quick(),
        "reading = \"subscripted\"",
        "reading = \"literal\"",
    );
    let r = network::run(&settings).unwrap();
    let v = &r.variants[0];
    let b1_chain_paths = v.chain.paths.iter().filter(|p| p.parameter == "b1").count();
    let b = build(&settings);
    assert!(b.text.contains(&format!("and {b1_chain_paths} from b1")));
    assert!(
        b.text
            .contains("do not enter the network at the same node alone")
    );
    assert!(b.text.contains(HAND_NOTICE));
    assert!(!b.text.contains(FACTORISED));
    assert!(!b.html.contains("data-gb-claim=\"fails\""));
    let b1 = &v.compare[1];
    assert_eq!(b1.parameter, "b1");
    assert!(b.text.contains(&format!(
        "for b1 it {} (ratio {})",
        if b1.holds { "holds" } else { "fails" },
        display(b1.ratio, 4)
    )));
    // Only the study's worked-example claims can fail, and only when they are false.
    let failing = failing_claims(&b.check.1);
    let false_claims = v.compare.iter().filter(|c| !c.holds).count();
    assert_eq!(failing.len(), false_claims, "{}", b.check.1);
    for line in failing {
        assert!(line.contains("at the worked example"), "{line}");
    }
}
