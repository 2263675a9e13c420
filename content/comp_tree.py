# comp_tree.py: a RECONSTRUCTION (the course's script is lost).
# Its backward-graph figure survives: MulBackward0 x6, AddBackward0 x4,
# SubBackward0, PowBackward1, SinBackward and seven (1) leaf boxes.
# This script builds a graph with exactly those nodes; replace it with
# the course's script to label the real tree.
import torch

a = torch.tensor([2.0], requires_grad=True)
b = torch.tensor([1.5], requires_grad=True)
c = torch.tensor([0.5], requires_grad=True)
d = torch.tensor([3.0], requires_grad=True)
f = torch.tensor([-1.0], requires_grad=True)
g = torch.tensor([0.8], requires_grad=True)
h = torch.tensor([1.2], requires_grad=True)

u = a * b        # MulBackward0
v = u + c        # AddBackward0
w = v * d        # MulBackward0
z = d * f        # MulBackward0
s = w - z        # SubBackward0
t = v + f        # AddBackward0
p = g ** h       # PowBackward1: the exponent is a tensor
m = p * s        # MulBackward0
n = t * h        # MulBackward0
q = torch.sin(m) # SinBackward0
r = q + n        # AddBackward0
k = r * g        # MulBackward0
y = k + p        # AddBackward0

y.backward()
