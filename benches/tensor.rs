//! Tensor scripts: a 2-layer MLP (784 → 64 → 10, batch 32, weights from `arange` and `sin`)
//! trained for 10 steps of forward + backward + `torch.optim.SGD` (target under 50 ms), and
//! the drawing of the backward graph of a 3-layer MLP (target under 20 ms). Run with
//! `cargo bench --bench tensor`; prints the median of several runs per case.

use gradbook::compute::autograd;
use gradbook::figure::backward_graph;
use std::time::{Duration, Instant};

/// The training script: every number is written out or computed, no random numbers.
fn mlp_training() -> String {
    let targets: Vec<String> = (0..32).map(|i| ((i * 7) % 10).to_string()).collect();
    format!(
        "import torch
net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
with torch.no_grad():
    net[0].weight.copy_(torch.arange(50176.0).reshape(64, 784).sin() * 0.05)
    net[0].bias.copy_(torch.arange(64.0).cos() * 0.1)
    net[2].weight.copy_(torch.arange(640.0).reshape(10, 64).sin() * 0.1)
    net[2].bias.copy_(torch.zeros(10))
x = (torch.arange(25088.0).reshape(32, 784) * 0.37).sin()
y = torch.tensor([{}])
opt = torch.optim.SGD(net.parameters(), lr=0.1)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
",
        targets.join(", ")
    )
}

/// A 3-layer MLP's forward and backward (one step), for drawing its graph.
fn mlp3() -> String {
    "import torch
net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
with torch.no_grad():
    net[0].weight.copy_(torch.arange(128.0).reshape(16, 8).sin() * 0.3)
    net[0].bias.copy_(torch.arange(16.0).cos() * 0.1)
    net[2].weight.copy_(torch.arange(256.0).reshape(16, 16).sin() * 0.2)
    net[2].bias.copy_(torch.arange(16.0).sin() * 0.1)
    net[4].weight.copy_(torch.arange(64.0).reshape(4, 16).cos() * 0.2)
    net[4].bias.copy_(torch.zeros(4))
x = torch.arange(32.0).reshape(4, 8).sin()
y = torch.tensor([0, 3, 1, 2])
loss = torch.nn.functional.cross_entropy(net(x), y)
loss.backward()
"
    .to_string()
}

/// A recurrent net unrolled for 40 steps: a graph of a few hundred nodes.
fn rnn() -> String {
    "import torch
w = torch.tensor([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [-0.2, 0.3, 0.5]], requires_grad=True)
u = torch.tensor([[0.3, 0.1, -0.2], [-0.1, 0.2, 0.4]], requires_grad=True)
xs = torch.arange(80.0).reshape(40, 2).sin()
h = torch.zeros(3)
for t in range(40):
    h = torch.tanh(h @ w + xs[t] @ u)
loss = (h ** 2).sum()
loss.backward()
"
    .to_string()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let training = mlp_training();
    let mut times = Vec::new();
    let mut nodes = 0;
    for _ in 0..11 {
        let start = Instant::now();
        let result = autograd::run(&training).unwrap_or_else(|e| panic!("{e}"));
        times.push(start.elapsed());
        nodes = result.nodes.len();
        assert_eq!(result.records["losses"].len(), 10);
    }
    println!(
        "MLP 784-64-10, batch 32, 10 SGD steps: median {:>7.2} ms ({nodes} nodes in the last graph), 11 runs",
        median(times).as_secs_f64() * 1e3
    );
    for (name, script, class) in [
        ("3-layer MLP", mlp3(), "AddmmBackward0"),
        ("RNN unrolled 40 steps", rnn(), "TanhBackward0"),
    ] {
        let result = autograd::run(&script).unwrap_or_else(|e| panic!("{e}"));
        let mut times = Vec::new();
        for _ in 0..21 {
            let start = Instant::now();
            let svg = backward_graph::draw(&result, "backward-graph", "bench-").unwrap_or_default();
            times.push(start.elapsed());
            assert!(svg.contains(class));
        }
        println!(
            "{name} backward graph ({} nodes) drawn: median {:>7.2} ms, 21 runs",
            result.nodes.len(),
            median(times).as_secs_f64() * 1e3
        );
    }
}
