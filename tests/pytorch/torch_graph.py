"""Record the backward graph PyTorch builds for a script in the comp_tree.py dialect.

Usage: python torch_graph.py SCRIPT.py > SCRIPT.torch.json

Runs the script with real PyTorch in float64 and prints, in a canonical order (breadth-first
from the output's grad_fn along next_functions), every backward node's class name, its
next_functions entries as [input index, node index] (None entries left out, as gradbook's
JSON leaves out constant operands), the variable each node belongs to with its forward value and
the gradient of the output with respect to it (retain_grad on every intermediate tensor), the
output value and every leaf's gradient, and the order in which the engine ran the nodes (a
pre-hook on every node records each node's index, in the canonical numbering, when it starts;
hooks are registered before backward() runs). tests/pytorch_parity.rs compares gradbook's graph with these files, so
the files are the independent record of what PyTorch does; regenerate them with this script.
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)


def main(path):
    source = open(path, encoding="utf-8").read()
    namespace = {}
    backward_target = None
    lines = []
    for line in source.splitlines():
        stripped = line.split("#", 1)[0].strip()
        if stripped.endswith(".backward()"):
            backward_target = stripped[: -len(".backward()")]
            continue
        lines.append(line)
    exec(compile("\n".join(lines), path, "exec"), namespace)
    tensors = {k: v for k, v in namespace.items() if isinstance(v, torch.Tensor)}
    if backward_target is None:
        # The last assigned variable, as gradbook reads the script.
        assigned = [l.split("=", 1)[0].strip() for l in lines if "=" in l.split("#", 1)[0]]
        backward_target = assigned[-1]
    out = tensors[backward_target]
    for t in tensors.values():
        if t.grad_fn is not None:
            t.retain_grad()
    ran = []
    seen, stack = set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        node.register_prehook(lambda grads, node=node: ran.append(node))
        stack.extend(child for child, _ in node.next_functions)
    out.backward()
    names = {id(v): k for k, v in tensors.items() if v.requires_grad and v.grad_fn is None}
    owners = {id(v.grad_fn): (k, v) for k, v in tensors.items() if v.grad_fn is not None}
    order, index = [], {}
    queue = [out.grad_fn]
    index[out.grad_fn] = 0
    while queue:
        node = queue.pop(0)
        entry = {"name": type(node).__name__, "next": []}
        if entry["name"] == "AccumulateGrad":
            entry["var"] = names.get(id(node.variable))
            entry["value"] = node.variable.item()
            entry["grad"] = node.variable.grad.item()
        elif id(node) in owners:
            var, tensor = owners[id(node)]
            entry["var"] = var
            entry["value"] = tensor.item()
            entry["grad"] = tensor.grad.item()
        for i, (child, _) in enumerate(node.next_functions):
            if child is None:
                continue
            if child not in index:
                index[child] = len(index)
                queue.append(child)
            entry["next"].append([i, index[child]])
        order.append(entry)
    grads = {
        k: v.grad.item() for k, v in sorted(tensors.items()) if v.is_leaf and v.grad is not None
    }
    json.dump(
        {
            "torch": torch.__version__,
            "nodes": order,
            "output": out.item(),
            "grads": grads,
            "execution_order": [index[node] for node in ran],
        },
        sys.stdout,
        indent=None,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
