"""The integer semantics of every deployed operation — the contract.

Each function is written once and runs on two kinds of tensors:

* **integer tensors** (``torch.int64``): the golden model;
* **floating tensors holding integer values**: the QAT model in training and
  eval. Rounding steps then carry straight-through gradients and the spike
  step a sigmoid surrogate, but the forward values are the same integers.

Layouts: ``[B, T, C, H, W]`` inside the patch splitter and ``[B, T, C, N]``
for token maps. Convolutions and products are computed in float64 and cast
back; every value is an integer far below 2^53 (the static bounds in
:mod:`sdmf.quant.bounds` guarantee it), so float64 arithmetic is exact.
See docs/integer-semantics.md.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SURROGATE_ALPHA = 4.0


# ---------------------------------------------------------------- helpers for QAT


class _FloorHalf(torch.autograd.Function):
    """``floor(x / 2)`` with the straight-through gradient of ``x / 2``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return torch.floor(x / 2)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad / 2


class _Fire(torch.autograd.Function):
    """``V >= θ`` forward; backward of Θ(V/θ − 1) with a sigmoid surrogate."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(v, theta)
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        v, theta = ctx.saved_tensors
        sig = torch.sigmoid(SURROGATE_ALPHA * (v / theta - 1))
        return grad * SURROGATE_ALPHA * sig * (1 - sig) / theta, None


class _RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return torch.round(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """Round half to even (torch.round) with a straight-through gradient."""
    return _RoundSTE.apply(x)


def _is_int(x: torch.Tensor) -> bool:
    return not torch.is_floating_point(x)


def _exact(fn, *tensors: torch.Tensor) -> torch.Tensor:
    """Evaluate a linear op exactly: in float64 for integer inputs, as-is for floats."""
    if _is_int(tensors[0]):
        return torch.round(fn(*(t.to(torch.float64) for t in tensors))).to(torch.int64)
    return fn(*tensors)


def _fold_time(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(0, 1)


# ---------------------------------------------------------------- operations


def saturate_counts(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Event counts as unsigned ``bits``-wide integers: ``clamp(x, 0, 2^bits − 1)``."""
    return x.clamp(0, (1 << bits) - 1)


def conv2d_acc(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """3×3, stride 1, zero padding 1: ``acc[c] = Σ W[c, i, ky, kx] · x[i, y+ky−1, x+kx−1]``."""
    B, T = x.shape[:2]
    y = _exact(lambda a, w: F.conv2d(a, w, padding=weight.shape[-1] // 2), _fold_time(x), weight)
    return y.reshape(B, T, *y.shape[1:])


def conv1d_acc(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """1×1 conv on tokens: ``acc[b, t, c, n] = Σ_i W[c, i] · x[b, t, i, n]``."""
    return _exact(lambda a, w: torch.einsum("ci,btin->btcn", w, a), x, weight)


def membrane_input(acc: torch.Tensor, bias: torch.Tensor, frac_bits: int) -> torch.Tensor:
    """``I = acc · 2^F + bias``; bias is per channel ``[C]`` or per channel and token ``[C, N]``."""
    shape = [1, 1, bias.shape[0]] + list(bias.shape[1:]) + [1] * (acc.dim() - 2 - bias.dim())
    return acc * (1 << frac_bits) + bias.reshape(shape)


def lif(current: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Integer LIF over time (dim 1) with per-channel thresholds ``theta`` ``[C]``.

    ``V ← floor((V + I[t]) / 2)`` (τ = 2 leak as an arithmetic shift, rounding to
    −∞), spike ``s = V ≥ θ``, hard reset ``V ← 0`` where ``s``.
    """
    theta = theta.reshape([1, -1] + [1] * (current.dim() - 3)).to(current.dtype)
    v = torch.zeros_like(current[:, 0])
    spikes = []
    for t in range(current.shape[1]):
        total = v + current[:, t]
        if _is_int(current):
            v = torch.div(total, 2, rounding_mode="floor")
            s = (v >= theta).to(current.dtype)
            v = v * (1 - s)
        else:
            v = _FloorHalf.apply(total)
            s = _Fire.apply(v, theta)
            v = v * (1 - s.detach())
        spikes.append(s)
    return torch.stack(spikes, dim=1)


def maxpool_or(s: torch.Tensor) -> torch.Tensor:
    """Max-pool 3×3, stride 2, padding 1 on spikes, i.e. an OR of the window."""
    B, T = s.shape[:2]
    y = F.max_pool2d(_fold_time(s).to(torch.float32 if _is_int(s) else s.dtype), 3, 2, 1)
    y = y.reshape(B, T, *y.shape[1:])
    return y.to(s.dtype)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              head_qk: torch.Tensor, head_v: torch.Tensor) -> torch.Tensor:
    """Spiking self-attention products per head: ``A_h = q_h · (k_hᵀ · v_h)``.

    ``q``, ``k``: ``[B, T, Cqk, N]`` spikes of the kept q·k channels, tagged with
    their head in ``head_qk``; ``v``: ``[B, T, Cv, N]`` tagged by ``head_v``.
    Returns the integer ``A`` ``[B, T, Cv, N]`` (= ``(q·kᵀ)·v``, either order).
    """
    out = torch.zeros_like(v)
    for h in torch.unique(head_v).tolist():
        iq = torch.nonzero(head_qk == h).flatten()
        iv = torch.nonzero(head_v == h).flatten()
        if iq.numel() == 0 or iv.numel() == 0:
            continue
        qh, kh, vh = q[:, :, iq], k[:, :, iq], v[:, :, iv]
        ah = _exact(lambda a, b, c: torch.einsum("btcn,btcm,btjm->btjn", a, b, c), qh, kh, vh)
        out[:, :, iv] = ah
    return out


def residual_add(stream: torch.Tensor, spikes: torch.Tensor,
                 channels: torch.Tensor) -> torch.Tensor:
    """Add a branch's spikes into the kept ``channels`` of the residual stream."""
    out = stream.clone()
    out[:, :, channels] = out[:, :, channels] + spikes
    return out


def head_logits(stream: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                shift: int) -> torch.Tensor:
    """``logits[k] = (Σ_d W[k, d] · Σ_{t,n} R[t, d, n]) · 2^shift + bias[k]``."""
    pooled = stream.sum(dim=(1, 3))
    return _exact(lambda p, w: p @ w.t(), pooled, weight) * (1 << shift) + bias


def predict(logits: torch.Tensor) -> torch.Tensor:
    """Arg-max class; ties go to the lowest class index."""
    return torch.argmax(logits, dim=-1)
