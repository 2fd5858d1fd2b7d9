"""Building blocks shared by Spikformer and SDMFormer.

All spiking tensors are multi-step: ``[T, B, C, N]`` for token maps and
``[T, B, C, H, W]`` inside the patch splitter.
"""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

from .mask import ChannelMask
from .neuron import LIF


def _per_step(fn, x: torch.Tensor) -> torch.Tensor:
    """Apply a single-step module to ``[T, B, ...]`` by folding T into the batch."""
    y = fn(x.flatten(0, 1))
    return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])


class ConvUnit(nn.Module):
    """Conv1d 1×1 → BatchNorm1d → [ChannelMask] → LIF on ``[T, B, C, N]``.

    With ``masked=True`` this is the paper's DMConv; without, Spikformer's
    conv-BN-LIF unit.
    """

    def __init__(self, cin: int, cout: int, bias: bool, masked: bool = False,
                 v_threshold: float = 1.0, mask_init: float = 0.1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(cin, cout, kernel_size=1, bias=bias)
        self.bn = nn.BatchNorm1d(cout)
        self.mask = ChannelMask(cout, mask_init) if masked else None
        self.lif = LIF(v_threshold=v_threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x.flatten(0, 1)))
        if self.mask is not None:
            y = self.mask(y)
        return self.lif(y.reshape(x.shape[0], x.shape[1], *y.shape[1:]))


class SpikingSelfAttention(nn.Module):
    """Spikformer's SSA; with ``masked=True`` the paper's channel-wise SSA (CSSA).

    ``attn = q·kᵀ`` and ``out = attn·v·scale`` with no softmax. Both association
    orders give the same numbers (integer-valued products are exact in float32),
    so the cheaper ``q·(kᵀ·v)`` is evaluated.
    """

    def __init__(self, dim: int, heads: int, scale: float = 0.25, attn_threshold: float = 0.5,
                 masked: bool = False, mask_init: float = 0.1) -> None:
        super().__init__()
        self.heads = heads
        self.scale = scale
        unit = dict(masked=masked, mask_init=mask_init)
        self.q = ConvUnit(dim, dim, bias=False, **unit)
        self.k = ConvUnit(dim, dim, bias=False, **unit)
        self.v = ConvUnit(dim, dim, bias=False, **unit)
        self.attn_lif = LIF(v_threshold=attn_threshold)
        self.proj = ConvUnit(dim, dim, bias=True, **unit)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, C, N]`` → ``[T, B, h, N, C/h]``; channel c goes to head c // (C/h)."""
        T, B, C, N = x.shape
        return x.reshape(T, B, self.heads, C // self.heads, N).transpose(-1, -2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (self.split_heads(unit(x)) for unit in (self.q, self.k, self.v))
        out = q @ (k.transpose(-2, -1) @ v) * self.scale
        T, B, h, N, d = out.shape
        out = out.transpose(-1, -2).reshape(T, B, h * d, N)
        return self.proj(self.attn_lif(out))


class SpikingMLP(nn.Module):
    """Two conv units, ``dim → hidden → dim`` (Spikformer: hidden = 4D; SDMFormer: D, masked)."""

    def __init__(self, dim: int, hidden: int, masked: bool = False, mask_init: float = 0.1,
                 residual: str = "block") -> None:
        super().__init__()
        self.residual = residual
        self.fc1 = ConvUnit(dim, hidden, bias=True, masked=masked, mask_init=mask_init)
        self.fc2 = ConvUnit(hidden, dim, bias=True, masked=masked, mask_init=mask_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns the residual stream after the MLP (the residual add is done here)."""
        if self.residual == "each":
            x = x + self.fc1(x)
            return x + self.fc2(x)
        return x + self.fc2(self.fc1(x))


class EncoderBlock(nn.Module):
    """``x = x + SSA(x)`` then the MLP with its residual; no norms, no drop-path."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int, scale: float, attn_threshold: float,
                 masked: bool, mask_init: float, mlp_residual: str) -> None:
        super().__init__()
        self.attn = SpikingSelfAttention(dim, heads, scale, attn_threshold, masked, mask_init)
        self.mlp = SpikingMLP(dim, dim * mlp_ratio, masked, mask_init, mlp_residual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x + self.attn(x))


class SPSStage(nn.Module):
    """Conv2d 3×3 (no bias) → BN2d → LIF → MaxPool2d(3, 2, 1) on ``[T, B, C, H, W]``."""

    def __init__(self, cin: int, cout: int, pool: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.lif = LIF()
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1) if pool else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.lif(_per_step(lambda t: self.bn(self.conv(t)), x))
        return _per_step(self.pool, x) if self.pool is not None else x


class SpikingPatchSplitting(nn.Module):
    """SPS: four conv stages (2 → D/8 → D/4 → D/2 → D, /16 resolution) and a position term.

    ``pos_embed``: ``"rpe"`` — Spikformer's conv-BN-LIF branch added to the stage-4
    output; ``"lpe"`` — SDMFormer's learnable ``P ∈ R^{1×1×D×N}`` added after the
    fourth stage's pooling; ``"none"`` — no position term.
    """

    def __init__(self, in_channels: int, dim: int, img_size: int, pos_embed: str) -> None:
        super().__init__()
        widths = [in_channels, dim // 8, dim // 4, dim // 2, dim]
        self.stages = nn.ModuleList(SPSStage(a, b) for a, b in pairwise(widths))
        self.pos_embed = pos_embed
        self.num_tokens = (img_size // 16) ** 2
        self.rpe = SPSStage(dim, dim, pool=False) if pos_embed == "rpe" else None
        self.lpe = None
        if pos_embed == "lpe":
            self.lpe = nn.Parameter(torch.zeros(1, 1, dim, self.num_tokens))
            nn.init.trunc_normal_(self.lpe, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``[T, B, 2, H, W]`` → ``[T, B, D, N]``."""
        for stage in self.stages:
            x = stage(x)
        if self.rpe is not None:
            x = x + self.rpe(x)
        x = x.flatten(3)
        if self.lpe is not None:
            x = x + self.lpe
        return x
