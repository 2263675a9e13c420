//! What tensor scripts mean beyond their graphs: `.grad` accumulates across `backward()`
//! calls and `zero_grad()`/`= None` clear it, `torch.no_grad()` records nothing, lists a
//! loop fills become results, the result JSON grows `shape` and nested values, and training
//! loops give the numbers a hand-derived update gives.

use gradbook::compute::autograd;
use serde_json::json;

fn run(src: &str) -> autograd::GraphResult {
    autograd::run(src).unwrap_or_else(|e| panic!("{e}\n{src}"))
}

#[test]
fn grad_accumulates_and_is_cleared() {
    // d(sum(w * 3))/dw = 3 per call; two calls accumulate 6, as PyTorch does.
    let twice = run("import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
for t in range(2):
    y = (w * 3).sum()
    y.backward()
");
    assert_eq!(twice.grads["w"], json!([6.0, 6.0]));
    let cleared = run("import torch
w = torch.tensor([1.0, 2.0], requires_grad=True)
for t in range(2):
    w.grad = None
    y = (w * 3).sum()
    y.backward()
");
    assert_eq!(cleared.grads["w"], json!([3.0, 3.0]));
}

#[test]
fn no_grad_records_nothing_and_updates_leaves_in_place() {
    // One step of w ← w − 0.5·∂(Σ w²)/∂w = w − w = 0, then y = Σ (w + 1) = 2.
    let r = run("import torch
w = torch.tensor([1.5, -2.0], requires_grad=True)
loss = (w ** 2).sum()
loss.backward()
with torch.no_grad():
    w -= 0.5 * w.grad
    v = w * 10
y = (w + 1).sum()
y.backward()
");
    assert_eq!(r.output_var, "y");
    assert_eq!(r.output, autograd::tensor::Tensor::zero_dim(2.0));
    let names: Vec<&str> = r.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["SumBackward0", "AddBackward0", "AccumulateGrad"]);
    let leaf = &r.nodes[2];
    assert_eq!(leaf.value.data, vec![0.0, 0.0]);
    assert_eq!(leaf.shape, vec![2]);
    // .grad accumulated: 2w = (3, −4) from the first backward, plus 1 from the second.
    assert_eq!(r.grads["w"], json!([4.0, -3.0]));
}

#[test]
fn loop_lists_become_records_with_the_hand_derived_values() {
    // Gradient descent on L(w) = (w − 3)² with lr 0.25: w ← w − 0.5 (w − 3), so
    // w_k = 3 − 3·0.5^k from w_0 = 0, and the loss before step k is (3·0.5^k)².
    let r = run("import torch
w = torch.tensor([0.0], requires_grad=True)
opt = torch.optim.SGD([w], lr=0.25)
losses = []
ws = []
for k in range(6):
    opt.zero_grad()
    loss = ((w - 3) ** 2).sum()
    loss.backward()
    opt.step()
    losses.append(loss.item())
    ws.append(w.detach().clone())
");
    for k in 0..6 {
        let expected_loss = (3.0 * 0.5f64.powi(k)).powi(2);
        assert_eq!(r.records["losses"][k as usize], json!(expected_loss));
        assert_eq!(
            r.records["ws"][k as usize],
            json!(3.0 - 3.0 * 0.5f64.powi(k + 1))
        );
    }
    let value = serde_json::to_value(&r).unwrap_or_default();
    assert_eq!(value["records"]["losses"].as_array().map(Vec::len), Some(6));
}

#[test]
fn result_json_has_shapes_and_nested_values() {
    let r = run("import torch
w = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (w * w).sum()
y.backward()
");
    let g = r.design_json();
    let leaf = g["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["name"] == "AccumulateGrad"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(leaf["shape"], json!([2, 2]));
    assert_eq!(leaf["value"], json!([[1.0, 2.0], [3.0, 4.0]]));
    assert_eq!(leaf["grad"], json!([[2.0, 4.0], [6.0, 8.0]]));
    assert_eq!(g["grads"]["w"], json!([[2.0, 4.0], [6.0, 8.0]]));
    assert_eq!(g["nodes"][0]["shape"], json!([]));
    // The results JSON keeps one-element tensors as they were (no shape key).
    let scalar = run("import torch
x = torch.tensor([2.0], requires_grad=True)
y = x * x
");
    let v = serde_json::to_value(&scalar).unwrap_or_default();
    assert!(v["nodes"][0].get("shape").is_none());
    assert_eq!(v["nodes"][0]["value"], json!(4.0));
}

#[test]
fn module_parameters_are_named_after_the_module_variable() {
    let r = run("import torch
net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
with torch.no_grad():
    net[0].weight.copy_(torch.eye(2))
    net[0].bias.fill_(0.5)
    net[2].weight.copy_(torch.tensor([[1.0, -1.0]]))
    net[2].bias.zero_()
y = net(torch.tensor([[1.0, 2.0]])).sum()
y.backward()
");
    let names: Vec<&String> = r.grads.keys().collect();
    // In named_parameters() order.
    assert_eq!(
        names,
        ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias"]
    );
    // relu(x + 0.5) = (1.5, 2.5); y = 1.5 − 2.5 = −1.
    assert_eq!(r.output.item(), -1.0);
    assert_eq!(r.grads["net.2.weight"], json!([[1.5, 2.5]]));
    assert_eq!(r.grads["net.0.weight"], json!([[1.0, 2.0], [-1.0, -2.0]]));
}

#[test]
fn invalid_tensor_scripts_are_located_errors() {
    let cases = [
        (
            "import torch\nw = torch.ones(2, requires_grad=True)\nfor t in range(200000):\n    y = w * t\n",
            "more than 100000 loop iterations",
        ),
        (
            "import torch\nw = torch.ones(2, requires_grad=True)\ny = (w * 2).sum()\ny.backward()\ny.backward()\n",
            "backward() is called twice",
        ),
        (
            "import torch\nw = torch.ones(2, requires_grad=True)\nwith open(w):\n    y = w\n",
            "unsupported call `open(…)`",
        ),
        ("import torch\nx = torch.zeros(100000, 1000)\n", "limit"),
        (
            "import torch\nx = torch.ones(10000000, 1)\ny = torch.ones(1, 10000000)\nz = x + y\n",
            "has more elements than gradbook's limit",
        ),
        (
            "import torch\nx = torch.ones(3000, 3000)\ny = x @ x\n",
            "more than gradbook's limit of 1000000000",
        ),
        (
            "import torch\nx = torch.ones(2, requires_grad=True)\ny = x.view(1, 1, 1, 1, 1, 1, 1, 1, 1, 2)\n",
            "10 dimensions",
        ),
        (
            "import torch\nw = torch.ones(1000, 1000, requires_grad=True)\nfor t in range(100):\n    y = w * 2\n",
            "numbers on its tape",
        ),
        (
            "import torch\nw = torch.ones(2, 3, requires_grad=True)\ny = w[2]\n",
            "index 2 is out of bounds for dimension 0 with size 2",
        ),
        (
            "import torch\nw = torch.ones(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=-1.0)\n",
            "Invalid learning rate: -1.0",
        ),
        (
            "import torch\nz = torch.ones(2, 3, requires_grad=True)\ny = torch.nn.functional.cross_entropy(z, torch.tensor([0.0, 1.0]))\n",
            "expected scalar type Long but found Double",
        ),
    ];
    for (src, message) in cases {
        let e = match autograd::run(src) {
            Ok(_) => panic!("ran: {src}"),
            Err(e) => e,
        };
        assert!(e.message.contains(message), "{src}: {}", e.message);
        assert!(
            e.span.end <= src.len() && e.span.start > 0,
            "{src}: {:?}",
            e.span
        );
    }
}
