//! `compute::autograd::optim` against recorded runs of real `torch.optim` (torch 2.15, CPU), and
//! the default book's Q2 simulation against the same Adam, SGD and momentum run as PyTorch scripts.
//!
//! The records are written by `tests/pytorch/record_optim.py`; floats are Python repr strings so
//! they parse back to the exact f64 PyTorch held. PyTorch's `Tensor.sqrt` on x86 is Intel MKL's,
//! not correctly rounded for ~2% of inputs: Adam is compared bit for bit up to the first step where
//! MKL's root differed from IEEE's (recorded per step), within 1e-15 after. The recorder also
//! checks that a replay with optim.rs's formulas and MKL's root equals PyTorch bit for bit.

use gradbook::compute::autograd::optim::{Optimizer, Spec};
use gradbook::compute::optim::StudyResult;
use gradbook::compute::optim::settings::Settings;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

const DIR: &str = "tests/fixtures/pytorch/optim";

fn load(name: &str) -> Value {
    let path = Path::new(DIR).join(name);
    let text = std::fs::read_to_string(&path).expect("recorded fixture");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A float recorded as its Python repr.
fn num(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a float as a string, got {v}"))
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(num).collect()
}

/// The `Spec` of a recorded constructor call (`hyper` holds only the keywords it passed).
fn spec_of(optimizer: &str, hyper: &Value) -> Spec {
    let get = |k: &str| hyper.get(k);
    let float = |k: &str, default: f64| get(k).map(num).unwrap_or(default);
    let flag = |k: &str| get(k).and_then(Value::as_bool).unwrap_or(false);
    let lr = num(&hyper["lr"]);
    match optimizer {
        "SGD" => Spec::Sgd {
            lr,
            momentum: float("momentum", 0.0),
            dampening: float("dampening", 0.0),
            weight_decay: float("weight_decay", 0.0),
            nesterov: flag("nesterov"),
            maximize: flag("maximize"),
        },
        "Adam" => {
            let (beta1, beta2) = get("betas").map_or((0.9, 0.999), |b| (num(&b[0]), num(&b[1])));
            Spec::Adam {
                lr,
                beta1,
                beta2,
                eps: float("eps", 1e-8),
                weight_decay: float("weight_decay", 0.0),
                amsgrad: flag("amsgrad"),
                maximize: flag("maximize"),
            }
        }
        _ => panic!("unknown optimizer {optimizer}"),
    }
}

/// Units in the last place between two finite floats of the same sign (0 when equal).
fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    assert_eq!(a.signum(), b.signum(), "{a} vs {b}");
    a.abs().to_bits().abs_diff(b.abs().to_bits())
}

/// What a replay of one recorded case found.
struct Replay {
    /// Steps compared.
    steps: usize,
    /// The first step (from 1) where PyTorch's MKL square root was not IEEE's, if any.
    first_mkl_step: Option<usize>,
    /// Parameter elements that differ from PyTorch's, over all steps.
    differing: usize,
    /// Parameter elements compared.
    compared: usize,
    /// The largest difference in ulps, and the largest |Δ| / max(|torch|, lr).
    max_ulps: u64,
    max_scaled: f64,
}

/// Replay a recorded case through `Optimizer`, feeding PyTorch's gradients; panics on any
/// difference before the first step whose square roots MKL rounded differently from IEEE.
fn replay(case: &Value) -> Replay {
    let name = case["name"].as_str().expect("name");
    let spec = spec_of(
        case["optimizer"].as_str().expect("optimizer"),
        &case["hyper"],
    );
    let lr = num(&case["hyper"]["lr"]);
    let mut params: Vec<Vec<f64>> = case["initial"]
        .as_array()
        .expect("initial")
        .iter()
        .map(nums)
        .collect();
    let lens: Vec<usize> = params.iter().map(Vec::len).collect();
    let mut opt = Optimizer::new(spec, &lens).expect("valid hyper-parameters");
    let mut out = Replay {
        steps: 0,
        first_mkl_step: None,
        differing: 0,
        compared: 0,
        max_ulps: 0,
        max_scaled: 0.0,
    };
    for (t, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
        let t = t + 1;
        let grads: Vec<Option<Vec<f64>>> = step["grads"]
            .as_array()
            .expect("grads")
            .iter()
            .map(|g| (!g.is_null()).then(|| nums(g)))
            .collect();
        let grad_refs: Vec<Option<&[f64]>> = grads.iter().map(|g| g.as_deref()).collect();
        let mut param_refs: Vec<&mut [f64]> = params.iter_mut().map(Vec::as_mut_slice).collect();
        opt.step(&mut param_refs, &grad_refs);
        if out.first_mkl_step.is_none() && step["sqrt_mismatches"].as_u64() != Some(0) {
            out.first_mkl_step = Some(t);
        }
        for (i, expected) in step["params"]
            .as_array()
            .expect("params")
            .iter()
            .enumerate()
        {
            for (j, (&ours, theirs)) in params[i].iter().zip(nums(expected)).enumerate() {
                out.compared += 1;
                if ours.to_bits() == theirs.to_bits() {
                    continue;
                }
                assert!(
                    out.first_mkl_step.is_some(),
                    "{name} step {t} param {i}[{j}]: {ours:?} vs torch {theirs:?} \
                     (every square root so far was IEEE's, so they must be equal)"
                );
                out.differing += 1;
                out.max_ulps = out.max_ulps.max(ulps(ours, theirs));
                let scaled = (ours - theirs).abs() / theirs.abs().max(lr);
                out.max_scaled = out.max_scaled.max(scaled);
            }
        }
        out.steps = t;
    }
    out
}

fn cases(kind: &str) -> Vec<Value> {
    let record = load("optim.torch.json");
    let all = record["cases"].as_array().expect("cases").clone();
    all.into_iter().filter(|c| c["optimizer"] == kind).collect()
}

#[test]
fn sgd_equals_torch_bit_for_bit() {
    let cases = cases("SGD");
    assert!(cases.len() >= 8);
    for case in &cases {
        let r = replay(case);
        assert_eq!(r.steps, 20);
        assert_eq!(r.first_mkl_step, None, "SGD takes no square root");
        assert_eq!(r.differing, 0);
        assert_eq!(r.compared, 20 * 27);
    }
}

#[test]
fn adam_equals_torch_bit_for_bit_up_to_mkls_square_root() {
    let cases = cases("Adam");
    assert!(cases.len() >= 10);
    let (mut differing, mut compared, mut worst) = (0, 0, 0.0f64);
    for case in &cases {
        let r = replay(case);
        assert_eq!(r.steps, 20);
        // After PyTorch's first non-IEEE square root the two runs may part by a few ulps:
        // one ulp in a denominator is one ulp in that step's update, and later steps carry it.
        assert!(
            r.max_scaled <= 1e-15,
            "{}: {} differing elements, up to {} ulps, {:e} of max(|w|, lr)",
            case["name"],
            r.differing,
            r.max_ulps,
            r.max_scaled
        );
        differing += r.differing;
        compared += r.compared;
        worst = worst.max(r.max_scaled);
    }
    // MKL's square root is off for ~2% of its inputs, and only steps after such a root may
    // differ: 88 of 5,940 recorded values on the recording machine.
    assert!(
        differing * 20 < compared,
        "{differing} of {compared} differ; worst {worst:e}"
    );
}

#[test]
fn defaults_are_pytorchs() {
    let record = load("optim.torch.json");
    let d = &record["defaults"];
    let expected_sgd = spec_of("SGD", &with_lr(&d["SGD"], "0.5"));
    assert_eq!(Spec::sgd(0.5), expected_sgd);
    let expected_adam = spec_of("Adam", &with_lr(&d["Adam"], "0.5"));
    assert_eq!(Spec::adam(0.5), expected_adam);
}

fn with_lr(hyper: &Value, lr: &str) -> Value {
    let mut h = hyper.clone();
    h["lr"] = Value::from(lr);
    h
}

#[test]
fn invalid_hyper_parameters_have_pytorchs_value_error_texts() {
    let record = load("optim.torch.json");
    let invalid = record["invalid"].as_array().expect("invalid");
    assert!(invalid.len() >= 15);
    for case in invalid {
        let spec = spec_of(case["optimizer"].as_str().expect("kind"), &case["hyper"]);
        let count = case["params"].as_u64().expect("parameter count") as usize;
        let ours = Optimizer::new(spec, &vec![1; count]).err();
        assert_eq!(ours.as_deref(), case["error"].as_str(), "{}", case["hyper"]);
    }
}

/// The default book's Q2 settings, with the bump height replaced when `h` is given.
fn q2_source(h: Option<&str>) -> String {
    let source = std::fs::read_to_string("content/bump.toml").expect("the default book's Q2");
    match h {
        Some(h) => {
            assert!(source.contains("\nh = 0.35\n"));
            source.replace("\nh = 0.35\n", &format!("\nh = {h}\n"))
        }
        None => source,
    }
}

/// The bump heights of the Q2 scripts that are not the book's: just below and just above the
/// threshold h_max = 0.41018430 the chapter computes for Adam.
const THRESHOLD_HEIGHTS: [&str; 2] = ["0.4101842", "0.4101843"];

/// The default book's Q2 settings and study (what the chapter prints), computed once per
/// bump height: `None` for the book's h = 0.35, or one of [`THRESHOLD_HEIGHTS`].
fn q2(h: Option<&'static str>) -> &'static (Settings, StudyResult) {
    static STUDIES: [OnceLock<(Settings, StudyResult)>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let index = match h {
        None => 0,
        Some(h) => {
            1 + THRESHOLD_HEIGHTS
                .iter()
                .position(|&x| x == h)
                .expect("one of the recorded heights")
        }
    };
    STUDIES[index].get_or_init(|| {
        let source = q2_source(h);
        let settings = gradbook::compute::optim::validate::parse(&source).expect("settings");
        let study = gradbook::compute::optim::run(&source).expect("study");
        (settings, study)
    })
}

/// The value a script assigns to `name` on a line `name = value  # ...`.
fn script_constant(script: &str, name: &str) -> f64 {
    let prefix = format!("{name} = ");
    script
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|rest| rest.split('#').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("the script sets {name}"))
}

/// The recorded lists of a Q2 script, after checking its landscape constants are the book's.
fn q2_record(script: &str, settings: &Settings) -> Value {
    let text = std::fs::read_to_string(Path::new(DIR).join(script)).expect("script");
    assert_eq!(script_constant(&text, "L"), settings.landscape.l);
    assert_eq!(script_constant(&text, "h"), settings.landscape.h);
    assert_eq!(settings.landscape.start, 0.0, "the scripts start at w = 0");
    let record = load(&script.replace(".py", ".torch.json"));
    assert_eq!(
        record["sqrt_mismatches"], 0,
        "MKL's square roots were IEEE's"
    );
    record
}

/// `Optimizer` on the book's landscape: the slope at each iterate as the gradient.
fn replay_on_landscape(spec: Spec, settings: &Settings, steps: usize) -> Vec<f64> {
    let bump = settings.bump();
    let landscape = bump.landscape(settings.landscape.h).expect("landscape");
    let mut opt = Optimizer::new(spec, &[1]).expect("valid");
    let mut w = [bump.start];
    let mut out = vec![w[0]];
    for _ in 0..steps {
        let g = [landscape.slope(w[0])];
        opt.step(&mut [&mut w], &[Some(&g)]);
        out.push(w[0]);
    }
    out
}

fn q2_adam_spec(settings: &Settings) -> Spec {
    Spec::Adam {
        lr: settings.alpha(),
        beta1: settings.adam.beta1,
        beta2: settings.adam.beta2,
        eps: settings.adam.epsilon,
        weight_decay: 0.0,
        amsgrad: false,
        maximize: false,
    }
}

/// Largest |a − b| over two runs of the same length, in ulps and absolute.
fn largest_difference(a: &[f64], b: &[f64]) -> (u64, f64) {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold((0, 0.0f64), |(u, d), (&x, &y)| {
        (u.max(ulps(x, y)), d.max((x - y).abs()))
    })
}

/// Every iterate printed to `digits` significant digits, as the chapter's `num` filter does.
fn printed(run: &[f64], digits: usize) -> Vec<String> {
    run.iter()
        .map(|&w| gradbook::format::display(w, digits))
        .collect()
}

/// The first step whose iterate is past the bump's peak (the chapter's escape step).
fn first_past_peak(run: &[f64], settings: &Settings) -> Option<usize> {
    let peak = settings.bump().peak(settings.landscape.h);
    run.iter().position(|&w| w > peak)
}

#[test]
fn q2_scripts_in_pytorch_equal_the_chapters_simulation() {
    let (settings, study) = q2(None);
    let steps = settings.run.steps;
    assert_eq!(steps, 30);
    let record = q2_record("q2_adam.py", settings);
    let torch = |k: &str| nums(&record["lists"][k]);

    // Gradient descent: w − a·g with g ∈ {−1, 1, −1/2} has an exact product, so PyTorch's fused
    // fma(g, −a, w) and the chapter's w − a·g round once, identically: bit for bit.
    assert_eq!(torch("gd_w"), study.gd.run.w);
    assert_eq!(
        torch("gd_w"),
        replay_on_landscape(Spec::sgd(settings.gd.a), settings, steps)
    );

    // Adam: PyTorch's script equals autograd::optim on the book's slopes bit for bit, and the
    // chapter's Kingma & Ba simulation to 2 ulps: w₀…w₃ are equal, w₄…w₃₀ differ by 1–2 ulps
    // (largest 8.9e-16, relative 2.8e-16), and every iterate prints the same to 14 digits.
    let adam = torch("adam_w");
    assert_eq!(adam.len(), steps + 1);
    assert_eq!(
        adam,
        replay_on_landscape(q2_adam_spec(settings), settings, steps)
    );
    let chapter = &study.adam.run.w;
    assert_eq!(adam[..4], chapter[..4]);
    assert_ne!(adam[4], chapter[4]);
    let (u, d) = largest_difference(&adam, chapter);
    assert!(u <= 2 && d <= 8.9e-16, "{u} ulps, {d:e}");
    assert_eq!(printed(&adam, 14), printed(chapter, 14));
    assert_eq!(first_past_peak(&adam, settings), study.adam.escape_step);
    assert_eq!(study.adam.escape_step, Some(5));

    // SGD(momentum=0.9): equal to autograd::optim bit for bit; the chapter's b ← μb + g,
    // w ← w − a·b rounds a·b before subtracting where PyTorch fuses fma(b, −a, w): ≤ 2 ulps.
    let momentum = study.momentum.as_ref().expect("momentum study");
    let spec = Spec::Sgd {
        lr: settings.momentum_a(),
        momentum: settings.momentum.mu,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
        maximize: false,
    };
    let torch_momentum = torch("momentum_w");
    assert_eq!(torch_momentum, replay_on_landscape(spec, settings, steps));
    let (u, d) = largest_difference(&torch_momentum, &momentum.run.w);
    assert!(u <= 2 && d <= 7.2e-15, "{u} ulps, {d:e}");
    assert_eq!(printed(&torch_momentum, 14), printed(&momentum.run.w, 14));
}

/// Adam on the Q2 landscape as a scalar loop, in PyTorch's order of operations or in Kingma &
/// Ba's Algorithm 1 as written (the chapter's).
fn scalar_adam(settings: &Settings, torch_order: bool) -> Vec<f64> {
    let landscape = settings
        .bump()
        .landscape(settings.landscape.h)
        .expect("landscape");
    let (a, b1, b2, eps) = (
        settings.alpha(),
        settings.adam.beta1,
        settings.adam.beta2,
        settings.adam.epsilon,
    );
    let (mut m, mut v, mut w) = (0.0f64, 0.0f64, settings.landscape.start);
    let mut run = vec![w];
    for t in 1..=settings.run.steps {
        let g = landscape.slope(w);
        let (bc1, bc2) = (1.0 - b1.powf(t as f64), 1.0 - b2.powf(t as f64));
        if torch_order {
            // exp_avg.lerp_(g, 1 − β1); exp_avg_sq.mul_(β2).addcmul_(g, g, value=1 − β2);
            // denom = v.sqrt() / bc2 ** 0.5 + ε; w.addcdiv_(m, denom, value=−lr / bc1).
            m = (1.0 - b1).mul_add(g - m, m);
            v = ((1.0 - b2) * g).mul_add(g, v * b2);
            w += -(a / bc1) * m / (v.sqrt() / bc2.powf(0.5) + eps);
        } else {
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * (g * g);
            w -= a * (m / bc1) / ((v / bc2).sqrt() + eps);
        }
        run.push(w);
    }
    run
}

#[test]
fn q2_adams_last_bits_are_the_order_of_operations() {
    let (settings, study) = q2(None);
    let record = q2_record("q2_adam.py", settings);
    // Written out by hand in each order, the loop reproduces each side bit for bit: the last-bit
    // differences are the formulas' rounding, not a different algorithm.
    assert_eq!(
        scalar_adam(settings, true),
        nums(&record["lists"]["adam_w"])
    );
    assert_eq!(scalar_adam(settings, false), study.adam.run.w);
}

#[test]
fn q2_pytorch_draws_adams_threshold_where_the_chapter_does() {
    let scripts = ["q2_adam_below_threshold.py", "q2_adam_above_threshold.py"];
    for (h, script) in THRESHOLD_HEIGHTS.into_iter().zip(scripts) {
        let (settings, study) = q2(Some(h));
        let h_max = study.adam.h_max.expect("Adam's threshold");
        let record = q2_record(script, settings);
        let adam = nums(&record["lists"]["adam_w"]);
        let steps = settings.run.steps;
        assert_eq!(
            adam,
            replay_on_landscape(q2_adam_spec(settings), settings, steps)
        );
        assert_eq!(adam, scalar_adam(settings, true));
        let (u, d) = largest_difference(&adam, &study.adam.run.w);
        assert!(u <= 2 && d <= 8.9e-16, "{script}: {u} ulps, {d:e}");
        assert_eq!(printed(&adam, 14), printed(&study.adam.run.w, 14));
        // Below h_max both cross the peak, at the same step; above it neither does.
        let crossed = first_past_peak(&adam, settings);
        assert_eq!(crossed, study.adam.escape_step, "{script}");
        if settings.landscape.h < h_max {
            assert_eq!(crossed, Some(6), "{script}");
        } else {
            assert_eq!(crossed, None, "{script}");
            assert!(!study.adam.escapes);
        }
    }
    // The two heights bracket the chapter's threshold to 1e-7.
    let h_max = q2(None).1.adam.h_max.expect("Adam's threshold");
    let [below, above] = THRESHOLD_HEIGHTS.map(|h| h.parse::<f64>().expect("a height"));
    assert!(below < h_max && h_max < above && above - below < 1.1e-7);
}

#[test]
fn q2_pytorch_without_fma_kernels_moves_as_far_as_the_chapter() {
    for (h, script) in [
        (None, "q2_adam.py"),
        (Some(THRESHOLD_HEIGHTS[0]), "q2_adam_below_threshold.py"),
        (Some(THRESHOLD_HEIGHTS[1]), "q2_adam_above_threshold.py"),
    ] {
        let (settings, study) = q2(h);
        let fma = q2_record(script, settings);
        let plain = load(&script.replace(".py", ".default-cpu.torch.json"));
        // Recorded with ATen's AVX2 or AVX-512 kernels (both fuse), and with the plain ones.
        assert!(["AVX2", "AVX512"].contains(&fma["cpu_capability"].as_str().unwrap_or("")));
        assert_eq!(plain["cpu_capability"], "DEFAULT");
        assert_eq!(plain["sqrt_mismatches"], 0);
        let momentum = &study.momentum.as_ref().expect("momentum").run.w;
        let runs = [
            ("adam_w", &study.adam.run.w),
            ("gd_w", &study.gd.run.w),
            ("momentum_w", momentum),
        ];
        // The threshold scripts run Adam only.
        let runs = if h.is_none() { &runs[..] } else { &runs[..1] };
        for &(name, chapter) in runs {
            let (with_fma, without) = (nums(&fma["lists"][name]), nums(&plain["lists"][name]));
            // PyTorch's own iterates move by up to 3 ulps (2 at the book's h) between CPU kernels
            // that fuse a·b + c (AVX2, AVX-512) and kernels that round twice
            // (ATEN_CPU_CAPABILITY=default): as far as the chapter's iterates are from either.
            let (u, _) = largest_difference(&with_fma, &without);
            assert!(u <= 3, "{script} {name}: {u} ulps");
            let (u, _) = largest_difference(&without, chapter);
            if name == "adam_w" {
                // Kingma & Ba's β1·m + (1 − β1)·g is not ATen's m + (1 − β1)·(g − m) either.
                assert!(u <= 2, "{script} {name}: {u} ulps");
            } else {
                // Without fused kernels PyTorch computes SGD and momentum as the chapter does.
                assert_eq!(&without, chapter, "{script} {name}");
            }
        }
    }
}
