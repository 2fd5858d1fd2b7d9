"""The numbers behind the paper's Figs. 1, 5 and 6 (plots are in :mod:`.plots`)."""

from __future__ import annotations

from typing import Any

import torch

from ..pruning import UnitPlan, prune_plan
from ..transformer import SpikingTransformer
from .hooks import RateStats

# Paper labels → conv-unit suffix inside a block.
COMPONENTS = {"Q": "attn.q", "K": "attn.k", "V": "attn.v", "Proj": "attn.proj",
              "MLP1": "mlp.fc1", "MLP2": "mlp.fc2"}
RATE_COMPONENTS = ("Q", "K", "V", "MLP1", "MLP2")  # Fig. 6 (MLP1/MLP2 = the "MLP" outputs)
INACTIVE_LAYER = "blocks.0.attn.proj"  # the SSA branch output that block 0 adds to the stream


def block_label(i: int) -> str:
    return f"L{i + 1}"


def masking_ratios(model: SpikingTransformer,
                   plan: dict[str, UnitPlan] | None = None) -> dict[str, dict[str, float]]:
    """Fig. 5: per block (``L1`` …), the fraction of channels each unit's own mask switches off."""
    plan = prune_plan(model) if plan is None else plan
    return {block_label(i): {label: plan[f"blocks.{i}.{suffix}"].masking_ratio
                             for label, suffix in COMPONENTS.items()}
            for i in range(model.cfg.depth)}


def component_rates(model: SpikingTransformer, stats: dict[str, RateStats], prefix: str = "out:",
                    plan: dict[str, UnitPlan] | None = None) -> dict[str, dict[str, Any]]:
    """Fig. 6: channel-averaged output firing rate of Q, K, V, MLP1, MLP2 per block.

    ``active`` averages over the channels whose mask is on (all channels of an
    unmasked unit) — the channels that can fire; ``all`` over every channel.
    """
    plan = prune_plan(model) if plan is None else plan
    out: dict[str, dict[str, Any]] = {}
    for i in range(model.cfg.depth):
        rows = {}
        for label in RATE_COMPONENTS:
            name = f"blocks.{i}.{COMPONENTS[label]}"
            st = stats[f"{prefix}{name}"]
            rows[label] = {"active": st.rate_over(plan[name].mask_keep), "all": st.rate,
                           "active_channels": len(plan[name].mask_keep),
                           "channels": st.channels}
        out[block_label(i)] = rows
    return out


def inactive_channel_ratio(channel_rates: torch.Tensor) -> torch.Tensor:
    """Fig. 1a: per sample, the fraction of channels whose firing rate is exactly 0.

    ``channel_rates``: ``[samples, C]`` rates over time steps and tokens.
    """
    if channel_rates.dim() != 2:
        raise ValueError(f"expected [samples, channels], got {tuple(channel_rates.shape)}")
    return (channel_rates == 0).to(torch.float64).mean(dim=1)


def representative_sample(ratios: torch.Tensor) -> int:
    """The sample whose inactive ratio is closest to the median (first one on ties)."""
    median = torch.quantile(ratios, 0.5)
    return int(torch.argmin((ratios - median).abs()))


def inactive_summary(channel_rates: torch.Tensor) -> dict[str, Any]:
    """Fig. 1 numbers: per-sample ratios, mean, median and a representative sample."""
    ratios = inactive_channel_ratio(channel_rates)
    rep = representative_sample(ratios)
    rep_rates = channel_rates[rep]
    return {
        "channels": channel_rates.shape[1],
        "samples": channel_rates.shape[0],
        "per_sample": [float(r) for r in ratios],
        "mean": float(ratios.mean()),
        "median": float(torch.quantile(ratios, 0.5)),  # midpoint for an even count
        "std": float(ratios.std()) if ratios.numel() > 1 else 0.0,
        "representative_sample": rep,
        "representative_inactive_channels": int((rep_rates == 0).sum()),
        "representative_channel_rates": [float(r) for r in rep_rates],
    }


def layer_rate_table(stats: dict[str, RateStats]) -> dict[str, dict[str, float]]:
    """Every probe's mean rate, split into layer inputs (``in:``) and spike outputs (``out:``)."""
    table: dict[str, dict[str, float]] = {"inputs": {}, "outputs": {}}
    for key, st in stats.items():
        kind, name = key.split(":", 1)
        table["inputs" if kind == "in" else "outputs"][name] = st.rate
    return table
