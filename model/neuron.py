"""Multi-step LIF neuron with a sigmoid surrogate gradient.

Semantics (identical to SpikingJelly's ``LIFNode(step_mode='m')`` with
``tau=2, decay_input=True, v_reset=0, detach_reset=True``)::

    v[t] = v[t-1] + (x[t] - v[t-1]) / tau          # charge (decay_input)
    s[t] = Heaviside(v[t] - v_th), Heaviside(0) = 1
    v[t] = v[t] * (1 - s[t].detach())               # hard reset to 0

The backward pass replaces dHeaviside/dx with the derivative of
``sigmoid(alpha * x)``.
"""

from __future__ import annotations

import torch
from torch import nn


class SigmoidSurrogateSpike(torch.autograd.Function):
    """Heaviside forward (Θ(0) = 1), ``alpha·σ(αx)·(1 − σ(αx))`` backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, alpha: float) -> torch.Tensor:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        (x,) = ctx.saved_tensors
        sig = torch.sigmoid(ctx.alpha * x)
        return grad_out * ctx.alpha * sig * (1.0 - sig), None


def lif_multistep(
    x: torch.Tensor, tau: float = 2.0, v_threshold: float = 1.0, alpha: float = 4.0
) -> torch.Tensor:
    """Run a LIF population over ``x`` of shape ``[T, ...]``; returns spikes of the same shape."""
    v = torch.zeros_like(x[0])
    spikes = []
    for t in range(x.shape[0]):
        v = v + (x[t] - v) / tau
        s = SigmoidSurrogateSpike.apply(v - v_threshold, alpha)
        v = v * (1.0 - s.detach())
        spikes.append(s)
    return torch.stack(spikes)


class LIF(nn.Module):
    """Multi-step LIF layer over ``[T, B, ...]`` (stateless between calls)."""

    def __init__(self, tau: float = 2.0, v_threshold: float = 1.0, alpha: float = 4.0) -> None:
        super().__init__()
        self.tau = tau
        self.v_threshold = v_threshold
        self.alpha = alpha

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lif_multistep(x, self.tau, self.v_threshold, self.alpha)

    def extra_repr(self) -> str:
        return f"tau={self.tau}, v_threshold={self.v_threshold}, alpha={self.alpha}"
