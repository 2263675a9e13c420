//! Scripts outside the dialect: each fixture in `tests/fixtures/autograd/invalid/` starts
//! with `# expect: LINE:COL: message` and must fail there with that message; valid fixtures
//! must run.

use gradbook::compute::autograd;
use std::path::{Path, PathBuf};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/autograd")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .collect();
    files.sort();
    files
}

#[test]
fn invalid_scripts_fail_at_the_right_place() {
    let files = fixtures("invalid");
    assert!(files.len() >= 15, "only {} invalid fixtures", files.len());
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap_or_default();
        let expect = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: no `# expect:` line", file.display()));
        let (line, rest) = expect.split_once(':').unwrap_or_default();
        let (column, message) = rest.split_once(": ").unwrap_or_default();
        let err = match autograd::run(&source) {
            Ok(_) => panic!("{} ran, but should fail with {expect}", file.display()),
            Err(e) => e,
        };
        let diag = err.in_file(&file, &source);
        assert_eq!(
            (diag.line.to_string(), diag.column.to_string()),
            (line.to_string(), column.to_string()),
            "{}: {diag}",
            file.display()
        );
        assert!(
            diag.message.contains(message),
            "{}: `{}` lacks `{message}`",
            file.display(),
            diag.message
        );
        let shown = diag.to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}:{column}: ", file.display())),
            "{shown}"
        );
        assert!(shown.contains('^'), "{shown}");
    }
}

#[test]
fn valid_scripts_run() {
    for file in fixtures("valid") {
        let source = std::fs::read_to_string(&file).unwrap_or_default();
        if let Err(e) = autograd::run(&source) {
            panic!("{}", e.in_file(&file, &source));
        }
    }
}

#[test]
fn course_style_script_has_the_expected_graph() {
    let source = include_str!("fixtures/autograd/valid/torchviz_style.py");
    let r = autograd::run(source).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = r.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "RsubBackward1",
            "PowBackward0",
            "MulBackward0",
            "SigmoidBackward0",
            "ExpBackward0",
            "SubBackward0",
            "NegBackward0",
            "AddBackward0",
            "AccumulateGrad",
            "AccumulateGrad",
            "MulBackward0",
            "ReciprocalBackward0",
            "AddBackward0",
            "MulBackward0",
        ]
    );
    // out = 3 − (σ(b)·e^{−w})², b = 1/a + 2 − x, a = x·w + 1.5.
    let (x, w) = (0.5f64, -1.25f64);
    let a = x * w + 1.5;
    let b = 1.0 / a + 2.0 - x;
    let s = 1.0 / (1.0 + (-b).exp());
    let c = s * (-w).exp();
    assert!((r.output.item() - (3.0 - c * c)).abs() <= 1e-12 * r.output.item().abs());
    // ∂out/∂c = −2c; ∂c/∂b = c(1−s); ∂b/∂a = −1/a²; ∂b/∂x = −1 (direct).
    let dc = -2.0 * c;
    let db = dc * c * (1.0 - s);
    let da = db * (-1.0 / (a * a));
    let gx = da * w - db;
    let gw = da * x - dc * c;
    let got = |n: &str| r.grads.get(n).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
    assert!(
        (got("x") - gx).abs() <= 1e-12 * gx.abs(),
        "{} vs {gx}",
        got("x")
    );
    assert!(
        (got("w") - gw).abs() <= 1e-12 * gw.abs(),
        "{} vs {gw}",
        got("w")
    );
}
