# comp_tree.py: a RECONSTRUCTION (the course's script is lost).
# Found by gradbook's search (src/compute/autograd/reconstruct.rs;
# tests/q3_order.rs re-runs it) for the picture's boxes in reading order:
#   (1) (1) MulBackward0 (1) AddBackward0 (1) (1) MulBackward0 MulBackward0
#   SubBackward0 AddBackward0 (1) (1) PowBackward1 MulBackward0 MulBackward0
#   SinBackward AddBackward0 MulBackward0 AddBackward0
# Scripts enumerated: 52 (rows of consecutive boxes, two different
# tensor operands, no crossing between adjacent rows, at most 1 skipped
# row); 16 did not run (a power of a negative base); 17 read in the
# picture's order when drawn; this is the simplest (fewest crossings,
# then first enumerated). The order narrows the script down; it does
# not prove it: the course's script may differ.
import torch

a = torch.tensor([1.5], requires_grad=True)
b = torch.tensor([0.5], requires_grad=True)
c = torch.tensor([2.0], requires_grad=True)
d = torch.tensor([0.8], requires_grad=True)
e = torch.tensor([1.2], requires_grad=True)
f = torch.tensor([0.6], requires_grad=True)
g = torch.tensor([1.1], requires_grad=True)

h = a * b
i = a + h
j = h * c
k = i * d
l = d - e
m = e + j
n = k ** l
o = l * m
p = m * f
q = torch.sin(g)
r = n + o
s = p * q
y = r + s

y.backward()
