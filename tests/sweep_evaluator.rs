//! The sweep's evaluator against the autograd tape on every variant of the default book's
//! network study (and a tanh and a post-activation network), buffer reuse against fresh
//! evaluations, and parallel sweeps against the same sweeps on one thread.

use gradbook::compute::network::model::{Activation, Evaluation};
use gradbook::compute::network::pair_eval::{LANES, Lanes, PairEvaluator};
use gradbook::compute::network::validate::Pair;
use gradbook::compute::network::{spec, tape_eval, validate};
use gradbook::compute::{Kind, run};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn default_study() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/networks.toml"
    ))
    .expect("content/networks.toml")
}

/// Every variant of the default study, plus the same variants with tanh.
fn all_pairs() -> Vec<Pair> {
    let source = default_study();
    let mut out = validate::pairs(&spec::parse(&source).expect("parses")).expect("validates");
    let tanh = source.replace("activation = \"sigmoid\"", "activation = \"tanh\"");
    out.extend(validate::pairs(&spec::parse(&tanh).expect("parses")).expect("validates"));
    assert!(out.iter().any(|p| p.skip.activation == Activation::Tanh));
    out
}

fn random_values(rng: &mut ChaCha8Rng, n: usize, scale: f64) -> Vec<f64> {
    (0..n)
        .map(|_| scale * (2.0 * rng.random::<f64>() - 1.0))
        .collect()
}

#[test]
fn the_sweep_evaluator_equals_the_tape_on_every_variant() {
    let mut rng = ChaCha8Rng::seed_from_u64(14);
    let mut checked = 0;
    for pair in all_pairs() {
        let mut eval = Evaluation::default();
        let mut gh = Vec::new();
        for net in [&pair.chain, &pair.skip] {
            for scale in [0.5, 2.0, 4.0] {
                for _ in 0..200 {
                    let values = random_values(&mut rng, net.params.len(), scale);
                    net.evaluate_into(&values, &mut eval, &mut gh);
                    let (y, tape) = tape_eval::gradients(net, &values);
                    let y_fast = net.output_value(&eval);
                    // The tape's σ rounds differently; an error δ in a pre-activation of
                    // size ~10 moves y by about δ relative, so y agrees to ~1e-14 relative.
                    assert!(
                        (y - y_fast).abs() <= 1e-13 * y.abs().max(1e-300),
                        "{}: y {y} vs {y_fast}",
                        pair.name
                    );
                    let norm = tape.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
                    // The tape's σ' is PyTorch's σ·(1 − σ) (tanh: 1 − tanh²), which loses
                    // digits to the subtraction where σ' is small: its relative error is
                    // about ε/σ'. Ours, σ(z)·σ(−z), keeps full precision. So the tolerance is
                    // a few ulps of the largest gradient, divided by the smallest σ' met.
                    let min_dsigma = net
                        .order
                        .iter()
                        .map(|&k| eval.dsigma[k])
                        .fold(1.0_f64, f64::min);
                    let tolerance = 1e-14 * norm / min_dsigma;
                    for (p, (&t, &f)) in tape.iter().zip(&eval.grads).enumerate() {
                        assert!(
                            (t - f).abs() <= tolerance,
                            "{} {}: d/d{} tape {t} vs {f}",
                            pair.name,
                            net.params[p].name,
                            net.params[p].name
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 10 * 2 * 3 * 200);
}

#[test]
fn reused_buffers_give_the_same_bits_as_fresh_evaluations() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let pairs = all_pairs();
    let mut eval = Evaluation::default();
    let mut gh = Vec::new();
    // Alternate networks of different sizes through the same buffers.
    for _ in 0..2000 {
        let pair = &pairs[rng.random_range(0..pairs.len())];
        let net = if rng.random::<bool>() {
            &pair.chain
        } else {
            &pair.skip
        };
        let values = random_values(&mut rng, net.params.len(), 30.0);
        net.evaluate_into(&values, &mut eval, &mut gh);
        let fresh = net.evaluate(&values);
        assert_eq!(bits(&eval), bits(&fresh));
    }
}

/// `sets` (by lane, then parameter) as the evaluator's input: by parameter, then lane.
fn by_parameter(sets: &[Vec<f64>]) -> Vec<Lanes> {
    (0..sets[0].len())
        .map(|p| std::array::from_fn(|l| sets[l][p]))
        .collect()
}

#[test]
fn the_pair_evaluator_gives_the_bits_of_each_network_evaluated_alone() {
    // The sweep's evaluator (`LANES` lanes, the vector exponential where the processor has it,
    // the skip network's shared nodes copied from the chain) against `Network::evaluate` of
    // each network on its own — which the test above checks against the tape — on every
    // variant, sigmoid and tanh, including ±0, huge and tiny values.
    let mut rng = ChaCha8Rng::seed_from_u64(41);
    let specials = [0.0, -0.0, 1e-300, -1e-300, 40.0, -40.0, 800.0, -800.0];
    let mut checked = 0;
    for pair in all_pairs() {
        let mut fast = PairEvaluator::new(&pair.chain, &pair.skip);
        let n = pair.skip.params.len();
        for i in 0..1000 {
            let sets: Vec<Vec<f64>> = (0..LANES)
                .map(|l| {
                    let mut values = random_values(&mut rng, n, [0.5, 4.0, 30.0][(i + l) % 3]);
                    if (i + l) % 7 == 0 {
                        values[rng.random_range(0..n)] =
                            specials[rng.random_range(0..specials.len())];
                    }
                    values
                })
                .collect();
            fast.evaluate(&by_parameter(&sets));
            for (l, values) in sets.iter().enumerate() {
                let name = &pair.name;
                assert_eq!(
                    bits(&fast.chain.lane(l)),
                    bits(&pair.chain.evaluate(values)),
                    "{name} lane {l}"
                );
                assert_eq!(
                    bits(&fast.skip.lane(l)),
                    bits(&pair.skip.evaluate(values)),
                    "{name} lane {l}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10 * 4000);
}

#[test]
fn lanes_evaluated_side_by_side_give_the_bits_of_each_set_alone() {
    // `LANES` parameter sets at once (as the sweep evaluates them) against each set in every
    // lane at once, including a set repeated in two lanes and ±0, huge and tiny values.
    let mut rng = ChaCha8Rng::seed_from_u64(43);
    let specials = [0.0, -0.0, 1e-300, 40.0, -800.0];
    for pair in all_pairs() {
        let mut lanes = PairEvaluator::new(&pair.chain, &pair.skip);
        let mut alone = PairEvaluator::new(&pair.chain, &pair.skip);
        let n = pair.skip.params.len();
        for i in 0..500 {
            let mut sets: Vec<Vec<f64>> = (0..LANES)
                .map(|l| random_values(&mut rng, n, [0.5, 4.0, 30.0][(i + l) % 3]))
                .collect();
            sets[rng.random_range(0..LANES)][rng.random_range(0..n)] =
                specials[rng.random_range(0..specials.len())];
            if i % 5 == 0 {
                sets[3] = sets[1].clone();
            }
            lanes.evaluate(&by_parameter(&sets));
            for (l, set) in sets.iter().enumerate() {
                alone.evaluate(&by_parameter(&vec![set.clone(); LANES]));
                let name = &pair.name;
                for m in 0..LANES {
                    assert_eq!(
                        bits(&lanes.chain.lane(l)),
                        bits(&alone.chain.lane(m)),
                        "{name} lane {l}"
                    );
                    assert_eq!(
                        bits(&lanes.skip.lane(l)),
                        bits(&alone.skip.lane(m)),
                        "{name} lane {l}"
                    );
                }
            }
        }
    }
}

#[test]
fn an_evaluator_with_some_gradients_gives_those_bits_and_zero_for_the_rest() {
    // As the sweep builds it: the gradients of the compared parameters only. Every subset
    // of one or two parameters, on every variant, sigmoid and tanh.
    let mut rng = ChaCha8Rng::seed_from_u64(47);
    for pair in all_pairs() {
        let n = pair.skip.params.len();
        let mut full = PairEvaluator::new(&pair.chain, &pair.skip);
        let subsets = (0..n).flat_map(|a| (a..n).map(move |b| vec![a, b]));
        for wanted in subsets {
            let mut some = PairEvaluator::with_gradients(&pair.chain, &pair.skip, &wanted);
            for i in 0..20 {
                let sets: Vec<Vec<f64>> = (0..LANES)
                    .map(|l| random_values(&mut rng, n, [0.5, 4.0, 30.0][(i + l) % 3]))
                    .collect();
                let values = by_parameter(&sets);
                full.evaluate(&values);
                some.evaluate(&values);
                for (a, b) in [(&full.chain, &some.chain), (&full.skip, &some.skip)] {
                    let raw =
                        |v: &[Lanes]| v.iter().map(|x| x.map(f64::to_bits)).collect::<Vec<_>>();
                    assert_eq!(raw(&a.z), raw(&b.z), "{}", pair.name);
                    assert_eq!(raw(&a.h), raw(&b.h), "{}", pair.name);
                    assert_eq!(raw(&a.dsigma), raw(&b.dsigma), "{}", pair.name);
                    for p in 0..n {
                        let want = if wanted.contains(&p) {
                            a.grads[p].map(f64::to_bits)
                        } else {
                            [0; LANES]
                        };
                        let got = b.grads[p].map(f64::to_bits);
                        assert_eq!(got, want, "{}: parameter {p} of {wanted:?}", pair.name);
                    }
                }
            }
        }
    }
}

/// `source` run on a pool of `threads` threads, as its full Debug text.
fn run_on(threads: usize, kind: Kind, source: &str) -> String {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| format!("{:?}", run(kind, source).expect("the study runs")))
}

#[test]
fn parallel_network_sweeps_equal_the_serial_sweep() {
    // The default study with fewer samples and search steps, so that the debug build is quick.
    let source = default_study()
        .replace("samples = 20000", "samples = 3000")
        .replace("steps = 1500", "steps = 200");
    let serial = run_on(1, Kind::Network, &source);
    assert!(serial.contains("samples_per_region: 3000"));
    assert_eq!(serial, run_on(2, Kind::Network, &source));
    assert_eq!(serial, run_on(5, Kind::Network, &source));
}

#[test]
fn parallel_optimizer_sweeps_equal_the_serial_sweeps() {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/content/bump.toml"))
        .expect("content/bump.toml");
    let serial = run_on(1, Kind::Optimizer, &source);
    assert!(serial.contains("SweepPoint"));
    assert_eq!(serial, run_on(3, Kind::Optimizer, &source));
}

/// Every value of an evaluation as bits, for exact comparison.
fn bits(e: &Evaluation) -> Vec<u64> {
    e.z.iter()
        .chain(&e.h)
        .chain(&e.dsigma)
        .chain(&e.grads)
        .map(|x| x.to_bits())
        .collect()
}
