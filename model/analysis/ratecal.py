"""Rate calibration: per-layer BN shifts that bring an untrained SDMFormer's firing
rates to targets (docs/activity.md).

After BN re-estimation (:func:`~sdmf.model.analysis.calibrate.calibrate_bn`) every LIF
input is roughly N(0, 1) per channel: the conv layers fire a few per cent, but the
attention LIF (threshold 0.5 on ``q·kᵀ·v·0.25`` of sparse random spikes) stays
silent, and with it the proj layer. This step walks the spiking layers in execution
order on a fixed batch of frames. For each layer it first re-estimates the BN's
running statistics on its input as the shifted layers before it now deliver it (a
layer after a silent one would otherwise divide by a near-zero variance), then
captures the LIF input once and bisects one scalar shift δ of that input (= of the
BN bias β; masked channels stay 0) until the layer's rate over its kept channels
reaches its target; then β += δ.
The attention LIF has no BN: when its rate is below its target once Q, K and V sit
at theirs, one common shift of the Q, K and V biases (≥ 0, at most
:data:`ATTENTION_SHIFT_CAP`) raises it, and Q, K, V then fire above their targets.
Only BN statistics and biases change; weights and masks stay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from ..layers import SpikingSelfAttention
from ..transformer import SpikingTransformer
from .activity import TARGET_RATES, UNIT_COMPONENT

__all__ = ["ATTENTION_SHIFT_CAP", "LayerShift", "calibrate_rates"]

SHIFT_RANGE = 8.0          # |δ| of a conv layer, in units of its normalised LIF input
ATTENTION_SHIFT_CAP = 4.0  # largest common Q/K/V shift the attention step may add
_ITERATIONS = 18


@dataclass(frozen=True)
class LayerShift:
    """The shift given to one layer and the rate it reached on the calibration frames."""

    layer: str       # module name: sps.0, blocks.0.attn.q, blocks.0.attn.attention, …
    component: str   # SPS1 …, Q, K, V, attention, Proj, MLP1, MLP2
    shift: float
    rate: float
    target: float


class _StopForwardError(Exception):
    """Raised by a capture hook: the rest of the forward pass is not needed."""


def _capture(model: SpikingTransformer, frames: torch.Tensor, module: nn.Module) -> torch.Tensor:
    """The input of ``module`` in an eval forward pass of ``frames`` (the rest is skipped)."""
    got: list[torch.Tensor] = []

    def hook(_m: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        got.append(inputs[0].detach())
        raise _StopForwardError

    handle = module.register_forward_pre_hook(hook)
    try:
        model(frames)
    except _StopForwardError:
        pass
    finally:
        handle.remove()
    return got[0]


def _restat(bn: nn.Module, bn_in: torch.Tensor) -> None:
    """Set ``bn``'s running mean and variance to those of its input ``[N, C, …]``."""
    dims = [d for d in range(bn_in.dim()) if d != 1]
    bn.running_mean.copy_(bn_in.mean(dims))
    bn.running_var.copy_(bn_in.var(dims))


def _rate(spikes: torch.Tensor, keep: torch.Tensor | None) -> float:
    """Mean of ``[T, B, C, …]`` spikes over the kept channels."""
    return float((spikes if keep is None else spikes[:, :, keep]).mean())


def _bisect(rate: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """The shift in ``[lo, hi]`` where the non-decreasing ``rate`` crosses ``target``."""
    if rate(hi) < target:
        return hi
    if rate(lo) >= target:
        return lo
    for _ in range(_ITERATIONS):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rate(mid) < target else (lo, mid)
    return hi


def _fit_lif(lif: nn.Module, bn: nn.Module, keep: torch.Tensor | None, lif_in: torch.Tensor,
             target: float) -> tuple[float, float]:
    """Shift ``bn``'s bias so that ``lif`` fed ``lif_in`` + shift fires at ``target``."""
    gate = torch.ones(lif_in.shape[2]) if keep is None else keep.to(lif_in.dtype)
    gate = gate.view(1, 1, -1, *([1] * (lif_in.dim() - 3)))

    def rate(shift: float) -> float:
        return _rate(lif(lif_in + shift * gate), keep)

    shift = _bisect(rate, target, -SHIFT_RANGE, SHIFT_RANGE)
    bn.bias += shift
    return shift, rate(shift)


def _fit_attention(model: SpikingTransformer, frames: torch.Tensor, attn: SpikingSelfAttention,
                   target: float) -> tuple[float, float]:
    """Raise Q, K and V together until the attention LIF fires at ``target`` (or the cap)."""
    x = _capture(model, frames, attn)
    keep = attn.v.mask.keep() if attn.v.mask is not None else None
    biases = [unit.bn.bias for unit in (attn.q, attn.k, attn.v)]
    seen: list[torch.Tensor] = []
    handle = attn.attn_lif.register_forward_hook(lambda _m, _i, out: seen.append(out))

    def rate(shift: float) -> float:
        seen.clear()
        for b in biases:
            b += shift
        attn(x)
        for b in biases:
            b -= shift
        return _rate(seen[0], keep)

    try:
        shift = _bisect(rate, target, 0.0, ATTENTION_SHIFT_CAP)
        reached = rate(shift)
    finally:
        handle.remove()
    for b in biases:
        b += shift
    return shift, reached


def _layers(model: SpikingTransformer) -> list[tuple[str, str, nn.Module]]:
    """``(name, component, module)`` of every spiking layer with a BN, in execution order."""
    out = [(f"sps.{i}", f"SPS{i + 1}", stage)
           for i, stage in enumerate(model.patch_embed.stages)]
    for name, unit in model.conv_units().items():
        out.append((name, UNIT_COMPONENT[name.split(".", 2)[2]], unit))
    return out


@torch.no_grad()
def calibrate_rates(model: SpikingTransformer, frames: torch.Tensor,
                    targets: Mapping[str, float] = TARGET_RATES,
                    progress: bool = True) -> list[LayerShift]:
    """Shift every BN bias of an SDMFormer so each layer fires near ``targets[component]``
    on ``frames`` ``[B, T, 2, H, W]`` (see the module docstring); returns the shifts."""
    if model.cfg.pos_embed == "rpe" or not model.cfg.masked:
        raise ValueError("rate calibration is defined for SDMFormer (LPE, masked units)")
    model.eval()
    shifts: list[LayerShift] = []
    for name, comp, module in tqdm(_layers(model), desc="rate calibration", disable=not progress,
                                   unit="layer", leave=False):
        _restat(module.bn, _capture(model, frames, module.bn))
        lif_in = _capture(model, frames, module.lif)
        keep = module.mask.keep() if getattr(module, "mask", None) is not None else None
        shift, reached = _fit_lif(module.lif, module.bn, keep, lif_in, targets[comp])
        shifts.append(LayerShift(name, comp, shift, reached, targets[comp]))
        del lif_in
        if name.endswith("attn.v"):
            block = name.rsplit(".", 2)[0]
            attn = model.get_submodule(f"{block}.attn")
            shift, reached = _fit_attention(model, frames, attn, targets["attention"])
            shifts.append(LayerShift(f"{block}.attn.attention", "attention", shift, reached,
                                     targets["attention"]))
    return shifts
