# Q2 as a PyTorch script: the bumpy loss of bump.toml written with tensor operations, then
# 30 steps from w = 0 of torch.optim.Adam(lr=0.3, betas=(0.9, 0.999), eps=0). Plain PyTorch:
# paste it into Python. gradbook runs it natively; the chapter compares its iterates with
# bump.toml's simulation, so keep L, h and the steps here equal to bump.toml's.
import torch

L = 1.0  # the local minimum x, at distance L from the start o = 0
h = 0.35  # the bump height
peak = L + h  # the bump rises with slope +1 ...
end = peak + h  # ... and falls back with slope -1; after it the loss descends with slope -1/2
# relu(k - w) has slope -1 left of k and 0 from k on (PyTorch's relu'(0) is 0), so every change
# of slope takes effect at its knot: f'(w) = -1 on w < L, +1 on [L, peak), -1 on [peak, end),
# -1/2 on [end, inf): the book's kink rule "right". f(0) = 1, f(L) = 0, f(peak) = h, f(end) = 0.

w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
opt = torch.optim.Adam([w], lr=0.3, betas=(0.9, 0.999), eps=0)
adam_w = [w.item()]
for t in range(30):
    opt.zero_grad()
    bump = 2.0 * torch.relu(L - w) - 2.0 * torch.relu(peak - w) + 0.5 * torch.relu(end - w)
    loss = -0.5 * (w - L) + bump + h
    loss.backward()
    opt.step()
    adam_w.append(w.item())
