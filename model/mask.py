"""The learnable channel mask of SDMFormer's DMConv (paper §3.2).

Forward: ``y = x · Heaviside(tanh(m))`` per channel, with Heaviside(0) = 1.
Backward: the Heaviside derivative is replaced by the SurrogateHeaviside
derivative (x + 1 on [−1, 0), 1 − x on [0, 1), 0 elsewhere), chained through tanh.
"""

from __future__ import annotations

import torch
from torch import nn


def surrogate_heaviside(x: torch.Tensor) -> torch.Tensor:
    """The paper's piecewise-polynomial SurrogateHeaviside (a soft 0→1 step on [−1, 1])."""
    neg = (x + 1) ** 2 / 2
    pos = (2 * x - x**2 + 1) / 2
    out = torch.where(x < 0, neg, pos)
    out = torch.where(x < -1, torch.zeros_like(x), out)
    return torch.where(x >= 1, torch.ones_like(x), out)


def surrogate_heaviside_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of :func:`surrogate_heaviside`: a triangle of height 1 on [−1, 1)."""
    grad = torch.where(x < 0, x + 1, 1 - x)
    return torch.where((x >= -1) & (x < 1), grad, torch.zeros_like(x))


class SurrogateHeavisideStep(torch.autograd.Function):
    """Exact Heaviside forward, SurrogateHeaviside derivative backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_out * surrogate_heaviside_grad(x)


class ChannelMask(nn.Module):
    """Binary per-channel gate with a trainable logit vector ``m`` (channel dim = 1).

    ``init`` is the initial value of every ``m_c``. The default 0.1 keeps all
    channels on at start while sitting where the surrogate gradient is large,
    so channels can switch off (and back on) early in training; see docs/model.md.
    """

    def __init__(self, channels: int, init: float = 0.1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), float(init)))

    def gate(self) -> torch.Tensor:
        """The binary gate ``Heaviside(tanh(m))`` (differentiable through the surrogate)."""
        return SurrogateHeavisideStep.apply(torch.tanh(self.weight))

    def soft_keep(self) -> torch.Tensor:
        """The smooth keep value ``SurrogateHeaviside(tanh(m))`` used by sparsity pressure."""
        return surrogate_heaviside(torch.tanh(self.weight))

    @torch.no_grad()
    def keep(self) -> torch.Tensor:
        """Boolean vector of kept channels."""
        return torch.tanh(self.weight) >= 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        return x * self.gate().view(shape)

    def extra_repr(self) -> str:
        return f"channels={self.weight.numel()}"
