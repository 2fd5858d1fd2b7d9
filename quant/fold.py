"""BN folding and physical pruning of the float model.

Produces, for every conv of the deployed network, the folded float weight
``W' = W·γ/√(σ²+ε)`` and bias ``b' = (b − μ)·γ/√(σ²+ε) + β`` restricted to the
kept output channels and input columns of :func:`sdmf.model.pruning.prune_plan`.
Masks disappear: kept channels have gate 1, the others are gone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sdmf.model.pruning import UnitPlan, prune_plan
from sdmf.model.transformer import SpikingTransformer


@dataclass
class FoldedConv:
    """One folded, pruned conv: float weight and bias plus its provenance."""

    weight: torch.Tensor             # [Co, Ci] or [Co, Ci, 3, 3]
    bias: torch.Tensor               # [Co]
    out_keep: tuple[int, ...]        # indices into the float model's output channels
    in_keep: tuple[int, ...]         # indices into the float model's input channels


def fold_bn(conv: nn.Module,
            bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """Fold an eval-mode BatchNorm into the preceding conv's weight and bias."""
    w = conv.weight.detach().double()
    b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0]).double()
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
    w = w * scale.reshape(-1, *([1] * (w.dim() - 1)))
    b = (b - bn.running_mean.double()) * scale + bn.bias.detach().double()
    return w.float(), b.float()


def fold_and_prune(model: SpikingTransformer) -> tuple[dict[str, FoldedConv], dict[str, UnitPlan]]:
    """Folded convs keyed by op name prefix (``sps.0``, ``blocks.0.attn.q`` …) and the plan."""
    plan = prune_plan(model)
    convs: dict[str, FoldedConv] = {}
    pe = model.patch_embed
    stages = [(f"sps.{i}", s) for i, s in enumerate(pe.stages)]
    if pe.rpe is not None:
        stages.append(("sps.rpe", pe.rpe))
    for name, stage in stages:
        w, b = fold_bn(stage.conv, stage.bn)
        convs[name] = FoldedConv(w, b, tuple(range(w.shape[0])), tuple(range(w.shape[1])))
    for name, unit in model.conv_units().items():
        p = plan[name]
        w, b = fold_bn(unit.conv, unit.bn)
        w = w.squeeze(-1)[list(p.out_keep)][:, list(p.in_keep)]
        convs[name] = FoldedConv(w, b[list(p.out_keep)], p.out_keep, p.in_keep)
    return convs, plan
