"""Record what real torch.optim.SGD and torch.optim.Adam compute, for tests/torch_optim.rs.

Usage: python tests/pytorch/record_optim.py   (from the repository root; writes the JSON files
       next to the scripts in tests/fixtures/pytorch/optim/)

1. optim.torch.json: for each optimizer configuration, 20 steps on three float64 parameters of
   shapes (1,), (2, 3) and (4, 5) (20 elements, so ATen's vectorised loop and its scalar tail
   both run). The gradients come from autograd on a fixed smooth loss; each step's gradients (as
   PyTorch saw them, `null` when a parameter's .grad was set to None to test skipping) and the
   parameters after the step are recorded, so Rust replays the same gradients. Also: PyTorch's
   default hyper-parameters and its ValueError texts for invalid ones.
2. For each q2_*.py script beside this file's output: the script run as is by Python with real
   PyTorch, and every list of floats it leaves in its namespace (the iterates it appended), in
   q2_*.torch.json; and the same run with ATEN_CPU_CAPABILITY=default (ATen's kernels for CPUs
   without AVX2, which round a·b + c twice where the AVX2/AVX-512 kernels fuse it) in
   q2_*.default-cpu.torch.json, to show how far PyTorch's own results move between CPUs.

Every float is written as its Python repr string: those round-trip exactly through Rust's
`str::parse::<f64>`, while serde_json's default float parser is only nearly correctly rounded.

Tensor.sqrt on x86 CPUs runs Intel MKL's vdSqrt (high-accuracy mode), which is not IEEE's
correctly rounded square root for about 2% of inputs. Adam divides by such a square root, so the
recorder wraps Tensor.sqrt and counts, per optimizer step, the elements where PyTorch's result
differs from math.sqrt (`sqrt_mismatches`). Up to the first step with a mismatch an exact replay
must agree bit for bit. To show the square root is the only such operation, the recorder replays
every Adam case in plain Python floats with the per-element formulas of
src/compute/autograd/optim.rs (fma computed exactly with fractions) but PyTorch's own square
root, and refuses to write the record unless that replay equals PyTorch bit for bit.
"""
import json
import math
import os
import pathlib
import subprocess
import sys

from fractions import Fraction

import torch

torch.set_default_dtype(torch.float64)
OUT = pathlib.Path("tests/fixtures/pytorch/optim")

SHAPES = [(1,), (2, 3), (4, 5)]
STEPS = 20

_sqrt = torch.Tensor.sqrt
MISMATCHES = [0]


def checked_sqrt(self):
    out = _sqrt(self)
    if self.dtype == torch.float64:
        for x, y in zip(self.reshape(-1).tolist(), out.reshape(-1).tolist()):
            if x >= 0 and math.sqrt(x) != y:
                MISMATCHES[0] += 1
    return out


torch.Tensor.sqrt = checked_sqrt


def r(x):
    return repr(float(x))


def flat(t):
    return [r(x) for x in t.detach().reshape(-1).tolist()]


def initial_params():
    params = []
    for i, shape in enumerate(SHAPES):
        n = math.prod(shape)
        values = torch.linspace(-1.2 + 0.3 * i, 0.9 - 0.2 * i, n).reshape(shape)
        params.append(values.clone().requires_grad_(True))
    return params


def loss_of(params):
    total = torch.zeros(())
    for i, p in enumerate(params):
        weights = 1.0 + 0.1 * torch.arange(p.numel()).reshape(p.shape)
        total = total + (torch.sin(1.7 * p + 0.4 * i) * weights).sum() + 0.3 * (p * p).sum()
    # A coupling term, so the gradients of one parameter depend on the others.
    return total + params[0].sum() * params[1].sum() * 0.2


CASES = [
    ("sgd-plain", "SGD", {"lr": 0.1}),
    ("sgd-momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd-dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("sgd-nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd-weight-decay", "SGD", {"lr": 0.1, "weight_decay": 0.01}),
    ("sgd-momentum-weight-decay", "SGD", {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.05}),
    ("sgd-maximize", "SGD", {"lr": 0.02, "momentum": 0.5, "maximize": True}),
    ("sgd-everything", "SGD",
     {"lr": 0.03, "momentum": 0.9, "weight_decay": 0.02, "nesterov": True, "maximize": True}),
    ("sgd-momentum-none-grads", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("adam-default", "Adam", {"lr": 0.01}),
    ("adam-eps0", "Adam", {"lr": 0.05, "eps": 0.0}),
    ("adam-amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}),
    ("adam-weight-decay", "Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("adam-maximize", "Adam", {"lr": 0.02, "maximize": True}),
    ("adam-betas-half", "Adam", {"lr": 0.05, "betas": (0.5, 0.9)}),
    ("adam-betas-zero", "Adam", {"lr": 0.01, "betas": (0.0, 0.0)}),
    ("adam-betas-high", "Adam", {"lr": 0.1, "betas": (0.99, 0.9999), "eps": 1e-6}),
    ("adam-q2-hyper", "Adam", {"lr": 0.3, "betas": (0.9, 0.999), "eps": 0.0}),
    ("adam-everything", "Adam",
     {"lr": 0.04, "betas": (0.8, 0.99), "eps": 1e-10, "weight_decay": 0.03, "amsgrad": True,
      "maximize": True}),
    ("adam-none-grads", "Adam", {"lr": 0.05, "amsgrad": True}),
]


def fma(a, b, c):
    """a·b + c rounded once."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def torch_sqrt(x):
    """PyTorch's (MKL's) square root of one float64."""
    return _sqrt(torch.tensor([x], dtype=torch.float64)).item()


def replay_adam(kwargs, record):
    """Adam per element as optim.rs computes it, with PyTorch's square root; the parameters."""
    lr = kwargs["lr"]
    beta1, beta2 = kwargs.get("betas", (0.9, 0.999))
    eps, wd = kwargs.get("eps", 1e-8), kwargs.get("weight_decay", 0.0)
    amsgrad, maximize = kwargs.get("amsgrad", False), kwargs.get("maximize", False)
    params = [[float(x) for x in p] for p in record["initial"]]
    state = [dict(step=0, m=[0.0] * len(p), v=[0.0] * len(p), vmax=[0.0] * len(p))
             for p in params]
    out = []
    for step in record["steps"]:
        for p, g, st in zip(params, step["grads"], state):
            if g is None:
                continue
            st["step"] += 1
            bc1, bc2 = 1 - beta1 ** float(st["step"]), 1 - beta2 ** float(st["step"])
            step_size, bc2_sqrt = lr / bc1, bc2 ** 0.5
            for i in range(len(p)):
                gi = -float(g[i]) if maximize else float(g[i])
                if wd != 0:
                    gi = fma(p[i], wd, gi)
                w = 1 - beta1
                m = st["m"][i]
                st["m"][i] = fma(w, gi - m, m) if abs(w) < 0.5 else fma(w - 1, gi - m, gi)
                st["v"][i] = fma((1 - beta2) * gi, gi, st["v"][i] * beta2)
                second = st["v"][i]
                if amsgrad:
                    st["vmax"][i] = max(st["vmax"][i], st["v"][i])
                    second = st["vmax"][i]
                denom = torch_sqrt(second) / bc2_sqrt + eps
                p[i] = p[i] + (-step_size) * st["m"][i] / denom
        out.append([[repr(x) for x in p] for p in params])
    return out


def run_case(name, kind, kwargs):
    params = initial_params()
    opt = getattr(torch.optim, kind)(params, **kwargs)
    record = {
        "name": name,
        "optimizer": kind,
        "hyper": {k: ([r(x) for x in v] if isinstance(v, tuple) else
                      v if isinstance(v, bool) else r(v)) for k, v in kwargs.items()},
        "shapes": [list(s) for s in SHAPES],
        "initial": [flat(p) for p in params],
        "steps": [],
    }
    for t in range(STEPS):
        opt.zero_grad()
        loss_of(params).backward()
        if name.endswith("none-grads") and t % 3 == 1:
            params[2].grad = None
        grads = [None if p.grad is None else flat(p.grad) for p in params]
        MISMATCHES[0] = 0
        opt.step()
        record["steps"].append({
            "grads": grads,
            "params": [flat(p) for p in params],
            "sqrt_mismatches": MISMATCHES[0],
        })
    # The default (foreach=None) on a CPU is the single-tensor path: check it against an
    # explicit foreach=False run, so the record is of the path optim.rs reproduces.
    again = initial_params()
    single = getattr(torch.optim, kind)(again, foreach=False, **kwargs)
    for t in range(STEPS):
        single.zero_grad()
        loss_of(again).backward()
        if name.endswith("none-grads") and t % 3 == 1:
            again[2].grad = None
        single.step()
    for a, b in zip(params, again):
        assert torch.equal(a, b), name
    if kind == "Adam":
        replayed = replay_adam(kwargs, record)
        assert replayed == [s["params"] for s in record["steps"]], name
    return record


INVALID = [
    ("SGD", {"lr": -1.0}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-05}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("SGD", {"lr": float("nan")}),
    ("SGD", {"lr": -2.5e-17, "momentum": -1.0}),
    ("Adam", {"lr": -0.001}),
    ("Adam", {"lr": float("nan")}),
    ("Adam", {"lr": 0.1, "eps": -1e-08}),
    ("Adam", {"lr": 0.1, "betas": (1.0, 0.999)}),
    ("Adam", {"lr": 0.1, "betas": (-0.1, 0.999)}),
    ("Adam", {"lr": 0.1, "betas": (0.9, 1.5)}),
    ("Adam", {"lr": 0.1, "betas": (0.9, float("nan"))}),
    ("Adam", {"lr": 0.1, "weight_decay": -2.0}),
    ("Adam", {"lr": 0.1, "betas": (0.0, 0.0), "eps": 0.0}),
    ("Adam", {"lr": 1e16}),
    # No parameters: the base class's check, after the optimizer's own.
    ("SGD", {"lr": 0.1}, 0),
    ("Adam", {"lr": -1.0}, 0),
]


def invalid_cases():
    out = []
    for kind, kwargs, *count in INVALID:
        count = count[0] if count else 1
        params = [torch.zeros(1, requires_grad=True) for _ in range(count)]
        try:
            getattr(torch.optim, kind)(params, **kwargs)
            error = None
        except ValueError as e:
            error = str(e)
        out.append({
            "optimizer": kind,
            "hyper": {k: ([r(x) for x in v] if isinstance(v, tuple) else
                          v if isinstance(v, bool) else r(v)) for k, v in kwargs.items()},
            "params": count,
            "error": error,
        })
    return out


def defaults():
    p = torch.zeros(1, requires_grad=True)
    out = {}
    for kind in ("SGD", "Adam"):
        d = getattr(torch.optim, kind)([p], lr=0.5).defaults
        out[kind] = {k: ([r(x) for x in v] if isinstance(v, tuple) else
                         v if isinstance(v, bool) else r(v))
                     for k, v in d.items()
                     if k in ("momentum", "dampening", "weight_decay", "nesterov", "maximize",
                              "betas", "eps", "amsgrad")}
    return out


def record_script(path):
    namespace = {}
    MISMATCHES[0] = 0
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    lists = {k: [r(x) for x in v] for k, v in namespace.items()
             if isinstance(v, list) and v and all(isinstance(x, float) for x in v)}
    return {"script": path.name, "torch": torch.__version__,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "lists": lists,
            "sqrt_mismatches": MISMATCHES[0]}


def dump(value, depth=0):
    """JSON with objects indented and every list of numbers (as strings) on one line."""
    pad = " " * depth
    if isinstance(value, dict):
        items = [f'{pad} {json.dumps(k)}: {dump(v, depth + 1).lstrip()}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" + ("\n" if depth == 0 else "")
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        items = [pad + " " + dump(v, depth + 1).lstrip() for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, separators=(",", ":"))


def main():
    if sys.argv[1:2] == ["--script"]:
        sys.stdout.write(dump(record_script(pathlib.Path(sys.argv[2]))))
        return
    record = {
        "torch": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "defaults": defaults(),
        "cases": [run_case(*c) for c in CASES],
        "invalid": invalid_cases(),
    }
    (OUT / "optim.torch.json").write_text(dump(record))
    for script in sorted(OUT.glob("q2_*.py")):
        out = script.with_suffix(".torch.json")
        out.write_text(dump(record_script(script)))
        env = dict(os.environ, ATEN_CPU_CAPABILITY="default")
        default_cpu = subprocess.run([sys.executable, __file__, "--script", str(script)], env=env,
                                     check=True, capture_output=True, text=True).stdout
        assert '"cpu_capability": "DEFAULT"' in default_cpu
        script.with_suffix(".default-cpu.torch.json").write_text(default_cpu)
    print("recorded", len(CASES), "cases", file=sys.stderr)


if __name__ == "__main__":
    main()
