"""Record what real PyTorch computes for a tensor script (loops, modules, optimizers included).

Usage: python torch_tensor.py SCRIPT.py > SCRIPT.torch.json
Re-record every fixture: tests/pytorch/record_tensor.sh (needs a Python with torch).

The script runs unchanged, with float64 as the default dtype. `Tensor.backward` is wrapped so
that before each call every tensor variable of the script retains its gradient and every node
of the graph gets a pre-hook (the order the engine runs them); the graph of the LAST
backward() is recorded, breadth first from the output's grad_fn along next_functions:
each node's class name, next_functions entries as [input index, node index] (None entries
left out), the variable a node belongs to with its shape, forward value and gradient. Leaves
(AccumulateGrad) show their value and .grad after the script's last statement (after the
last optimizer step), as gradbook reports them; module parameters are named
`<module variable>.<named_parameters() name>`. Python lists the script filled are recorded
under "records". tests/tensor_parity.rs compares gradbook with these files.
"""
import json
import sys

import torch

torch.set_default_dtype(torch.float64)


def plain(t):
    t = t.detach()
    return t.item() if t.numel() == 1 else t.tolist()


def record_value(v):
    if isinstance(v, torch.Tensor):
        return plain(v)
    if isinstance(v, (list, tuple)):
        return [record_value(x) for x in v]
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    return None


def main(path):
    source = open(path, encoding="utf-8").read()
    namespace = {}
    state = {}
    original = torch.Tensor.backward

    def backward(self, *args, **kwargs):
        tensors = {k: v for k, v in namespace.items() if isinstance(v, torch.Tensor)}
        for t in tensors.values():
            if t.grad_fn is not None and t.requires_grad:
                t.retain_grad()
        ran = []
        seen, stack = set(), [self.grad_fn]
        while stack:
            node = stack.pop()
            if node is None or node in seen:
                continue
            seen.add(node)
            node.register_prehook(lambda grads, node=node: ran.append(node))
            stack.extend(child for child, _ in node.next_functions)
        result = original(self, *args, **kwargs)
        owners = {
            id(v.grad_fn): (k, v) for k, v in tensors.items() if v.grad_fn is not None
        }
        order, index, queue = [], {self.grad_fn: 0}, [self.grad_fn]
        while queue:
            node = queue.pop(0)
            entry = {"name": type(node).__name__, "next": []}
            if entry["name"] == "AccumulateGrad":
                entry["leaf"] = node.variable
            elif id(node) in owners:
                var, tensor = owners[id(node)]
                entry["var"] = var
                entry["shape"] = list(tensor.shape)
                entry["value"] = plain(tensor)
                entry["grad"] = plain(tensor.grad)
            for i, (child, _) in enumerate(node.next_functions):
                if child is None:
                    continue
                if child not in index:
                    index[child] = len(index)
                    queue.append(child)
                entry["next"].append([i, index[child]])
            order.append(entry)
        state["graph"] = order
        state["output"] = plain(self)
        state["order"] = [index[node] for node in ran]
        return result

    torch.Tensor.backward = backward
    exec(compile(source, path, "exec"), namespace)
    torch.Tensor.backward = original

    names = {}
    for k, v in namespace.items():
        if isinstance(v, torch.Tensor) and v.is_leaf and v.requires_grad:
            names.setdefault(id(v), k)
        if isinstance(v, torch.nn.Module):
            for n, p in v.named_parameters():
                names[id(p)] = f"{k}.{n}"
    nodes = []
    grads = {}
    for entry in state["graph"]:
        if "leaf" in entry:
            leaf = entry.pop("leaf")
            entry["var"] = names.get(id(leaf))
            entry["shape"] = list(leaf.shape)
            entry["value"] = plain(leaf)
            entry["grad"] = None if leaf.grad is None else plain(leaf.grad)
            if leaf.grad is not None:
                grads[entry["var"]] = plain(leaf.grad)
        nodes.append(entry)
    records = {
        k: [record_value(x) for x in v]
        for k, v in namespace.items()
        if isinstance(v, list) and not k.startswith("_")
    }
    json.dump(
        {
            "torch": torch.__version__,
            "nodes": nodes,
            "output": state["output"],
            "grads": dict(sorted(grads.items())),
            "execution_order": state["order"],
            "records": records,
        },
        sys.stdout,
        indent=None,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
