"""Per-layer FLOPs of a spiking transformer, dense (F_Conv) and after pruning (F_M).

FLOPs count multiply-accumulates per time step and sample (the paper's Eq. 7):
``F_Conv = K²·H_out·W_out·C_in·C_out``; for a 1×1 conv unit on ``N`` tokens
``N·C_in·C_out``. The masked count uses the surviving channels of
:func:`~sdmf.model.pruning.prune_plan`: ``F_M = N·|in_keep|·|out_keep|``, which
is the paper's ``F_Conv·R`` with ``R`` the kept fraction applied on both the
output side (the unit's own mask and the attention cascade) and the input side
(channels its producer switched off).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..pruning import UnitPlan, prune_plan
from ..transformer import SpikingTransformer

Op = Literal["MAC", "AC"]
AttnOrder = Literal["qk_v", "q_kv"]


@dataclass(frozen=True)
class LayerSpec:
    """One synaptic layer of the energy model.

    ``probe`` names the rate statistic of the layer's input (``in:…`` for a
    probed module input, ``out:…`` for a probed spike output) and
    ``rate_channels`` the channels of that statistic that feed the layer
    (``None``: all of them).
    """

    name: str
    group: str  # "embedding", "blocks.i", "head"
    kind: str  # "conv3x3", "conv1x1", "matmul", "linear"
    op: Op
    flops: int  # dense, per time step and sample
    flops_masked: int  # after pruning
    probe: str
    rate_channels: tuple[int, ...] | None = None
    paper: bool = True  # part of the paper's Table 2


def conv_flops(k: int, h_out: int, w_out: int, cin: int, cout: int) -> int:
    """``K²·H_out·W_out·C_in·C_out``."""
    return k * k * h_out * w_out * cin * cout


def _unit(name: str, group: str, p: UnitPlan, tokens: int) -> LayerSpec:
    return LayerSpec(name, group, "conv1x1", "AC", conv_flops(1, tokens, 1, p.cin, p.cout),
                     conv_flops(1, tokens, 1, len(p.in_keep), len(p.out_keep)),
                     f"in:{name}", p.in_keep)


def _per_head(keep: tuple[int, ...], heads: int, head_dim: int) -> list[int]:
    counts = [0] * heads
    for c in keep:
        counts[c // head_dim] += 1
    return counts


def _attention(prefix: str, plan: dict[str, UnitPlan], tokens: int, heads: int, head_dim: int,
               order: AttnOrder) -> list[LayerSpec]:
    """The two spike-matrix products of one SSA (not in the paper's table)."""
    N, D, group = tokens, heads * head_dim, prefix
    qk = plan[f"{prefix}.attn.q"].out_keep
    v = plan[f"{prefix}.attn.v"].out_keep
    q_h, v_h = _per_head(qk, heads, head_dim), _per_head(v, heads, head_dim)

    def spec(name: str, flops: int, masked: int, src: str, chans: tuple[int, ...]) -> LayerSpec:
        return LayerSpec(f"{prefix}.attn.{name}", group, "matmul", "AC", flops, masked,
                         f"out:{prefix}.attn.{src}", chans, paper=False)

    if order == "qk_v":
        # q·kᵀ: every q spike adds one k column (N adds); attn·v: every v spike adds one
        # attn column (N adds of small integers).
        return [spec("qk", N * N * D, N * N * len(qk), "q", qk),
                spec("av", N * N * D, N * N * len(v), "v", v)]
    # kᵀ·v: every k spike adds one row of v (d adds); q·(kᵀv): every q spike adds one row.
    kv = sum(N * a * b for a, b in zip(q_h, v_h))
    return [spec("kv", N * head_dim * D, kv, "k", qk),
            spec("q_kv", N * head_dim * D, kv, "q", qk)]


def layer_specs(model: SpikingTransformer, full: bool = False,
                attn_order: AttnOrder = "qk_v") -> list[LayerSpec]:
    """Every synaptic layer in forward order; ``full`` adds attention products and the head."""
    cfg = model.cfg
    plan = prune_plan(model)
    pe = model.patch_embed
    specs: list[LayerSpec] = []
    size = cfg.img_size
    for i, stage in enumerate(pe.stages):
        cin, cout = stage.conv.in_channels, stage.conv.out_channels
        f = conv_flops(3, size, size, cin, cout)
        specs.append(LayerSpec(f"sps.{i}", "embedding", "conv3x3", "MAC" if i == 0 else "AC",
                               f, f, f"in:sps.{i}"))
        size //= 2
    if pe.rpe is not None:
        f = conv_flops(3, size, size, cfg.dim, cfg.dim)
        specs.append(LayerSpec("rpe", "embedding", "conv3x3", "AC", f, f, "in:rpe"))
    N = cfg.num_tokens
    for i in range(cfg.depth):
        prefix = f"blocks.{i}"
        for part in ("attn.q", "attn.k", "attn.v"):
            specs.append(_unit(f"{prefix}.{part}", prefix, plan[f"{prefix}.{part}"], N))
        if full:
            specs += _attention(prefix, plan, N, cfg.heads, cfg.head_dim, attn_order)
        for part in ("attn.proj", "mlp.fc1", "mlp.fc2"):
            specs.append(_unit(f"{prefix}.{part}", prefix, plan[f"{prefix}.{part}"], N))
    if full:
        f = cfg.dim * cfg.num_classes
        specs.append(LayerSpec("head", "head", "linear", "AC", f, f, "in:head", paper=False))
    return specs
