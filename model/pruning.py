"""Pruning view: which channels of every 1×1 conv unit survive the learned masks.

A masked output channel always emits zero spikes (its LIF input is exactly 0 and
every threshold is positive), so it can be removed physically together with its
weights, bias and BN entries and with the matching input columns of every
consumer. Inside attention the removal cascades per head:

* a q·kᵀ term needs both ``q_c`` and ``k_c``: a head keeps the channels where
  both the q and the k mask are on;
* a head whose q·kᵀ set or whose v set is empty outputs zero, so all of its q,
  k and v channels go;
* the attention LIF and the proj input keep exactly the surviving v channels.

The residual stream is never pruned (a masked proj/MLP output adds zero).
This plan is the single source that parameter counts, energy FLOPs and the
quantizer's physical slicing use.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .config import ModelConfig
from .layers import ConvUnit
from .transformer import SpikingTransformer


@dataclass(frozen=True)
class UnitPlan:
    """Surviving input columns and output channels of one conv unit."""

    name: str
    cin: int
    cout: int
    in_keep: tuple[int, ...]
    out_keep: tuple[int, ...]
    bias: bool
    masked: bool
    mask_keep: tuple[int, ...]  # channels whose own mask is on (before the cascade)

    @property
    def params(self) -> int:
        """Weights + bias + BN affine (2 per channel) after pruning."""
        n_out = len(self.out_keep)
        return n_out * (len(self.in_keep) + int(self.bias) + 2)

    @property
    def params_full(self) -> int:
        return self.cout * (self.cin + int(self.bias) + 2)

    @property
    def masking_ratio(self) -> float:
        """Fraction of output channels switched off by this unit's own mask."""
        return 1.0 - len(self.mask_keep) / self.cout

    @property
    def pruned_ratio(self) -> float:
        """Fraction of output channels removed after the cascade."""
        return 1.0 - len(self.out_keep) / self.cout


def _keep(unit: ConvUnit) -> torch.Tensor:
    cout = unit.conv.out_channels
    return unit.mask.keep().cpu() if unit.mask is not None else torch.ones(cout, dtype=torch.bool)


def _idx(mask: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(i) for i in torch.nonzero(mask).flatten())


def prune_plan(model: SpikingTransformer) -> dict[str, UnitPlan]:
    """The pruning plan of every conv unit, keyed by qualified module name."""
    cfg: ModelConfig = model.cfg
    everything = torch.ones(cfg.dim, dtype=torch.bool)
    plan: dict[str, UnitPlan] = {}

    def add(name: str, unit: ConvUnit, in_keep: torch.Tensor, out_keep: torch.Tensor) -> None:
        plan[name] = UnitPlan(
            name=name, cin=unit.conv.in_channels, cout=unit.conv.out_channels,
            in_keep=_idx(in_keep), out_keep=_idx(out_keep), bias=unit.conv.bias is not None,
            masked=unit.mask is not None, mask_keep=_idx(_keep(unit)))

    for i, block in enumerate(model.blocks):
        attn, mlp = block.attn, block.mlp
        kq, kk, kv = _keep(attn.q), _keep(attn.k), _keep(attn.v)
        qk = kq & kk
        head_of = torch.arange(cfg.dim) // cfg.head_dim
        alive = torch.zeros(cfg.dim, dtype=torch.bool)
        for h in range(cfg.heads):
            in_head = head_of == h
            if (qk & in_head).any() and (kv & in_head).any():
                alive |= in_head
        qk_out, v_out = qk & alive, kv & alive
        prefix = f"blocks.{i}"
        add(f"{prefix}.attn.q", attn.q, everything, qk_out)
        add(f"{prefix}.attn.k", attn.k, everything, qk_out)
        add(f"{prefix}.attn.v", attn.v, everything, v_out)
        add(f"{prefix}.attn.proj", attn.proj, v_out, _keep(attn.proj))
        k1 = _keep(mlp.fc1)
        add(f"{prefix}.mlp.fc1", mlp.fc1, everything, k1)
        fc2_in = everything if mlp.residual == "each" else k1
        add(f"{prefix}.mlp.fc2", mlp.fc2, fc2_in, _keep(mlp.fc2))
    return plan


def _unit_and_mask_params(model: SpikingTransformer) -> int:
    """Parameters that live in conv units (incl. their masks)."""
    return sum(p.numel() for u in model.conv_units().values() for p in u.parameters())


def count_params(model: SpikingTransformer) -> int:
    """Trainable parameters the forward pass uses (masks included)."""
    return sum(p.numel() for p in model.parameters())


def count_params_pruned(model: SpikingTransformer, plan: dict[str, UnitPlan] | None = None) -> int:
    """Parameters of the physically pruned network (masks are folded away)."""
    plan = prune_plan(model) if plan is None else plan
    rest = count_params(model) - _unit_and_mask_params(model)
    return rest + sum(p.params for p in plan.values())


def count_mask_params(model: SpikingTransformer) -> int:
    return sum(m.weight.numel() for m in model.masks().values())


def official_unused_params(cfg: ModelConfig) -> int:
    """Parameters the official Spikformer code creates but never uses.

    ``pos_embed`` (N·D), two LayerNorms per block and a final LayerNorm (2D each).
    Only the Spikformer baseline has them.
    """
    if cfg.arch != "spikformer":
        return 0
    return cfg.num_tokens * cfg.dim + (2 * cfg.depth + 1) * 2 * cfg.dim


def param_breakdown(model: SpikingTransformer) -> dict[str, int]:
    """Used parameters per part: SPS stages, position term, each block's attention/MLP, head."""
    parts: dict[str, int] = {}
    pe = model.patch_embed
    parts["sps"] = sum(p.numel() for p in pe.stages.parameters())
    if pe.rpe is not None:
        parts["rpe"] = sum(p.numel() for p in pe.rpe.parameters())
    if pe.lpe is not None:
        parts["lpe"] = pe.lpe.numel()
    for i, block in enumerate(model.blocks):
        parts[f"blocks.{i}.attn"] = sum(p.numel() for p in block.attn.parameters())
        parts[f"blocks.{i}.mlp"] = sum(p.numel() for p in block.mlp.parameters())
    parts["head"] = sum(p.numel() for p in model.head.parameters())
    return parts
