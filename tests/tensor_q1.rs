//! Q1's networks as PyTorch scripts: every variant of `content/networks.toml`, chain and
//! short-circuit network alike, written out as a tensor script (one statement per node, skips
//! added where they enter), run by gradbook's autograd, and checked against the network
//! study's own results: the output value, the gradient of its reverse pass and the sum over
//! paths the chapter prints, for every compared parameter.

use gradbook::compute::{autograd, network};
use serde_json::Value;

const STUDY: &str = include_str!("../content/networks.toml");

/// The script of one network of a variant (`skips` is empty for the chain).
fn script(variant: &Value, skips: &[Value]) -> String {
    let text = |v: &Value| v.as_str().expect("a name").to_string();
    let activation = match variant["activation"].as_str() {
        Some("sigmoid") => "torch.sigmoid",
        Some("tanh") => "torch.tanh",
        other => panic!("activation {other:?}"),
    };
    let input = text(&variant["input"]);
    let output = text(&variant["output"]);
    let mut s = String::from("import torch\n\n");
    for (name, value) in variant["values"].as_object().expect("values") {
        let grad = if *name == input {
            ""
        } else {
            ", requires_grad=True"
        };
        s.push_str(&format!(
            "{name} = torch.tensor([{:?}], dtype=torch.float64{grad})\n",
            value.as_f64().expect("a value")
        ));
    }
    let nodes: Vec<String> = variant["skip"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| text(&n["name"]))
        .collect();
    for node in nodes.iter().filter(|n| **n != input) {
        let mut pre: Vec<String> = variant["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .filter(|e| text(&e["to"]) == *node)
            .map(|e| format!("{} * {}", text(&e["weight"]), text(&e["from"])))
            .collect();
        if let Some(b) = variant["biases"].get(node) {
            pre.push(text(b));
        }
        let mut post = Vec::new();
        for skip in skips.iter().filter(|k| text(&k["to"]) == *node) {
            let term = format!(
                "{:?} * {}",
                skip["wc"].as_f64().expect("wc"),
                text(&skip["from"])
            );
            match skip["enters"].as_str() {
                Some("pre-activation") => pre.push(term),
                Some("post-activation") => post.push(term),
                other => panic!("enters {other:?}"),
            }
        }
        let mut line = format!("{node} = {activation}({})", pre.join(" + "));
        for term in post {
            line.push_str(&format!(" + {term}"));
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str(&format!("{output}.backward()\n"));
    s
}

/// `a` and `b` agree to `tol` relative to the larger of the two.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * a.abs().max(b.abs())
}

#[test]
fn q1_networks_as_scripts_give_the_studys_values_and_path_sums() {
    let study = serde_json::to_value(network::run(STUDY).expect("the study runs")).unwrap();
    let parameters: Vec<&str> = study["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let variants = study["variants"].as_object().expect("variants");
    assert!(variants.len() >= 5, "every variant of the book is checked");
    let mut checked = 0;
    for (name, variant) in variants {
        let skips = variant["skips"].as_array().expect("skips").clone();
        for (net, with) in [("chain", Vec::new()), ("skip", skips)] {
            let source = script(variant, &with);
            let g = autograd::run(&source)
                .unwrap_or_else(|e| panic!("{name}/{net}: {}\n{source}", e.message));
            let expected = &variant[net];
            let y = g.output.data[0];
            // The script computes the forward pass in the same order as the study's model
            // (activation of weight·input + bias + skips), so values agree to rounding.
            assert!(
                close(y, expected["y"].as_f64().unwrap(), 1e-15),
                "{name}/{net}: y = {y}, study {}\n{source}",
                expected["y"]
            );
            for p in &parameters {
                let grad = g.grads[*p].as_f64().expect("a one-element gradient");
                let reverse = expected["reverse_pass"][*p].as_f64().unwrap();
                let paths = expected["path_sum"][*p].as_f64().unwrap();
                // Reverse-mode autograd against the study's tape: the same products, summed in
                // the same backward order, to a few ulps.
                assert!(
                    close(grad, reverse, 1e-14),
                    "{name}/{net}: d{}/d{p} = {grad}, reverse pass {reverse}\n{source}",
                    variant["output"]
                );
                // Against the sum over paths (a different grouping of the same products): the
                // worked example's paths all have one sign, so no cancellation, 1e-12.
                assert!(
                    close(grad, paths, 1e-12),
                    "{name}/{net}: d{}/d{p} = {grad}, sum over paths {paths}\n{source}",
                    variant["output"]
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, variants.len() * 2 * parameters.len());
}
