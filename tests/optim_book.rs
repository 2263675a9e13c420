//! The Q2 chapter end to end: `content/q2-bump.md` and `content/bump.toml` built as a book,
//! with the shipped settings and with edited ones, so every number follows the settings.

mod common;

use gradbook::compute::optim;
use gradbook::format::{count, num};
use std::path::Path;

const CHAPTER: &str = include_str!("../content/q2-bump.md");
const SEED: &str = include_str!("../content/bump.toml");
const TORCH_SCRIPT: &str = include_str!("../content/q2_adam.py");
const BOOK_TOML: &str = "[book]\ntitle = \"Q2\"\nsrc = \"content\"\n";
const SUMMARY: &str = "# Summary\n\n- [Gradient descent and Adam on a bumpy loss](q2-bump.md)\n";

/// Build a book holding only the Q2 chapter with `settings` as `bump.toml`; return its HTML.
fn build(settings: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let content = tmp.path().join("content");
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(tmp.path().join("book.toml"), BOOK_TOML).unwrap();
    for (name, text) in [
        ("SUMMARY.md", SUMMARY),
        ("q2-bump.md", CHAPTER),
        ("bump.toml", settings),
        ("q2_adam.py", TORCH_SCRIPT),
    ] {
        std::fs::write(content.join(name), text).unwrap();
    }
    let dest = tmp.path().join("site");
    common::build_into(tmp.path(), &dest);
    std::fs::read_to_string(Path::new(&dest).join("q2-bump.html")).unwrap()
}

/// The page with its math and figures removed, so numbers are found in the prose and tables.
fn text_of(html: &str) -> String {
    let mut text = html.to_string();
    for (open, close) in [("<svg", "</svg>")] {
        while let Some(start) = text.find(open) {
            let Some(end) = text[start..].find(close) else {
                break;
            };
            text.replace_range(start..start + end + close.len(), "");
        }
    }
    text
}

#[test]
fn the_chapter_shows_this_runs_numbers() {
    let html = build(SEED);
    let r = optim::run(SEED).unwrap();
    let h_max = r.adam.h_max.unwrap();
    let text = text_of(&html);
    assert!(text.contains(&num(h_max, 17)), "h_max to full precision");
    assert!(
        text.contains(&num(r.adam.threshold.as_ref().unwrap().h_max_bisection, 17)),
        "bisection value"
    );
    assert!(
        !html.contains("data-gb-claim=\"fails\""),
        "a claim of the chapter fails"
    );
    assert_eq!(html.matches("<figure").count(), 5);
    assert!(!html.contains("merror"), "math that did not convert");
    // The horizon is a count, grouped as the page's other counts are: 20 000 steps.
    let threshold = r.adam.threshold.as_ref().unwrap();
    let runs = format!(
        "{} full runs of {} steps each",
        threshold.bisection.runs,
        count(threshold.supremum.horizon as i128)
    );
    assert!(html.contains(&runs), "missing {runs}");
}

#[test]
fn editing_a_moves_every_number() {
    let edited = SEED.replacen("a = 0.3", "a = 0.35", 1);
    let seed = optim::run(SEED).unwrap();
    let r = optim::run(&edited).unwrap();
    let text = text_of(&build(&edited));
    assert!(text.contains(&num(r.adam.h_max.unwrap(), 17)));
    assert!(
        !text.contains(&num(seed.adam.h_max.unwrap(), 17)),
        "the old h_max is gone"
    );
    assert!(!text.contains(&num(seed.adam.h_max.unwrap(), 4)));
}

#[test]
fn other_kink_rules_render() {
    for rule in ["left", "min-norm"] {
        let edited = SEED.replacen("kink = \"right\"", &format!("kink = \"{rule}\""), 1);
        let html = build(&edited);
        assert!(
            html.contains(&format!("kink = &quot;{rule}&quot;"))
                || html.contains(&format!("kink = \"{rule}\"")),
            "{rule}"
        );
    }
}

/// The page's text with tags removed and entities decoded (math keeps its digits).
fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text_of(html).chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_prose_says_what_the_numbers_say() {
    let html = build(SEED);
    let text = plain(&html);
    let r = optim::run(SEED).unwrap();
    // The answer is the exact fraction, correctly rounded; the f64 values are shown apart.
    assert!(text.contains("0.41018429512997001"), "the exact answer");
    assert!(text.contains("2071210444") && text.contains("5049463055"));
    assert!(
        text.contains("a=0.3<h≤hmax"),
        "the answer to the question as asked"
    );
    // Momentum: the descent's three steps as computed, no "many times a".
    assert!(!text.contains("grows to many times"));
    let m = r.momentum.as_ref().unwrap();
    let steps: Vec<String> = m.descent_steps.iter().map(|d| num(*d, 6)).collect();
    assert_eq!(steps, ["0.3", "0.57", "0.813"]);
    assert!(
        text.contains(&format!("of lengths {}.", steps.join(", "))),
        "{text}"
    );
    assert!(text.contains("0.813=2.71a") && text.contains("w3=1.683"));
    assert!(text.contains("momentum escapes the plotted bump at step 3"));
    // Small α: the band, not "scales with α".
    assert!(!text.contains("simply scales"));
    assert!(
        text.contains("anywhere from 2.43406α to 3.43406α"),
        "{text}"
    );
    // The α sweep: every parting point and every whole-number point with its computed cause.
    assert_eq!(
        text.matches("kink landing").count(),
        2,
        "one row and the prose"
    );
    assert_eq!(
        text.matches("later oscillation").count(),
        6,
        "four rows, the α prose and the β1 prose"
    );
    assert!(text.contains("At the other 40, all with β1≤0.48, the cause is a later oscillation:"));
    assert_eq!(text.matches("they agree").count(), 2);
    let landing = r
        .sweep_alpha
        .iter()
        .find(|p| p.cause == optim::sweep::Cause::KinkLanding)
        .unwrap();
    let row = format!(
        "{}{}{}{}",
        num(landing.x, 17),
        num(landing.quotient, 17),
        landing.k,
        landing.k_simulated
    );
    assert_eq!(row, "0.009999999999999995100.00000000000006101100");
    assert!(text.contains(&row), "the kink landing's row");
    // The run just above the threshold.
    assert!(text.contains("h=0.4102") && text.contains("turns back at step 7"));
    // Wording.
    assert!(!text.contains("three ways") && !text.contains("no higher than"));
}

#[test]
fn without_an_exact_value_the_chapter_says_why() {
    // Unequal slopes make √v̂ irrational: the closed form has no exact rational value.
    let edited = SEED.replacen("bump-up-slope = 1.0", "bump-up-slope = 2.0", 1);
    let r = optim::run(&edited).unwrap();
    let t = r.adam.threshold.as_ref().unwrap();
    assert!(t.exact.is_none());
    let text = plain(&build(&edited));
    assert!(
        text.contains("No exact value: v̂ at step 5 is not the square of a rational"),
        "{text}"
    );
    assert!(!text.contains("computed without rounding"));
}

/// The iterates the PyTorch script records (`adam_w`), run by gradbook's tensor engine.
fn script_iterates() -> Vec<f64> {
    let g = gradbook::compute::autograd::run(TORCH_SCRIPT).expect("the script runs");
    g.records["adam_w"]
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// The PyTorch section states how equal the script's Adam is to the simulation; every figure
/// of that sentence is recomputed here from the two runs (bits, ulps by hand, printed digits).
#[test]
fn the_pytorch_section_says_how_equal_the_script_is() {
    let html = build(SEED);
    let text = plain(&html);
    let simulated = optim::run(SEED).unwrap().adam.run.w;
    let scripted = script_iterates();
    assert_eq!(simulated.len(), scripted.len());
    let equal = simulated
        .iter()
        .zip(&scripted)
        .filter(|(a, b)| a.to_bits() == b.to_bits())
        .count();
    let first = simulated
        .iter()
        .zip(&scripted)
        .position(|(a, b)| a.to_bits() != b.to_bits())
        .expect("the last bits differ (PyTorch's order of operations)");
    // Every iterate is ≥ 0 here, so the bit patterns are ordered like the values.
    assert!(simulated.iter().chain(&scripted).all(|w| *w >= 0.0));
    let ulps = simulated
        .iter()
        .zip(&scripted)
        .map(|(a, b)| a.to_bits().abs_diff(b.to_bits()))
        .max()
        .unwrap();
    let prints_same = |d: usize| {
        simulated
            .iter()
            .zip(&scripted)
            .all(|(a, b)| num(*a, d) == num(*b, d))
    };
    let same = (1..=17).take_while(|&d| prints_same(d)).count();
    assert!(prints_same(6), "the page's other tables print 6 digits");
    let n = simulated.len();
    for said in [
        format!(
            "{equal} of the script's {n} iterates equal the simulation's bit for bit, the first {first} among them"
        ),
        format!("differ by at most {ulps} units in the last place"),
        "every iterate prints the same at the 6 significant digits of the other tables of this page".to_string(),
        format!("and the same at every precision up to {same} significant digits"),
        format!("then {} steps of", n - 1),
    ] {
        assert!(text.contains(&said), "the page says: {said}");
    }
    assert!(html.contains("data-gb-claim=\"holds\""));
    assert!(!html.contains("data-gb-claim=\"fails\""));
}

/// When bump.toml's bump no longer matches the script's, the section says so and its claim
/// fails (and with it `gradbook check`), instead of printing an agreement that is not there.
#[test]
fn a_script_left_behind_by_an_edit_is_reported() {
    let html = build(&SEED.replace("h = 0.35", "h = 0.6"));
    let text = plain(&html);
    assert!(
        text.contains(
            "The script's iterates do not match the simulation's: they first differ at step"
        ),
        "{text}"
    );
    assert!(html.contains("data-gb-claim=\"fails\""));
}

/// Fewer simulated steps than the script takes: the section says how many each recorded.
#[test]
fn a_script_with_another_step_count_is_reported() {
    let html = build(&SEED.replace("steps = 30", "steps = 20"));
    let text = plain(&html);
    assert!(
        text.contains("the script records 31 iterates and the simulation 21."),
        "{text}"
    );
    assert!(html.contains("data-gb-claim=\"fails\""));
}
