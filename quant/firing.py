"""Per-layer firing rates of an integer IR, measured with the golden model.

A layer's rate is the mean of its LIF op's spikes over samples, time steps,
positions (pixels or tokens) and the channels the IR keeps — pruned channels are
not in the IR, so this is the rate of the active channels (the paper's Fig. 6
averages over channels the same way; docs/activity.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from tqdm import tqdm

from sdmf.model.analysis.activity import UNIT_COMPONENT

from .golden import GoldenModel
from .ir import IntegerIR

__all__ = [
    "PAPER_FIG6",
    "PAPER_FIG6_NOTE",
    "LayerRate",
    "compare_rates",
    "component",
    "lif_rates",
]

# The paper's Fig. 6 (SDMFormer-1-512 on DVS128) gives the Q, K, V and MLP rates only as
# bars; the text has no value, so there is nothing numeric to put beside ours.
PAPER_FIG6: dict[str, float] = {}
PAPER_FIG6_NOTE = ("the paper's Fig. 6 (SDMFormer-1-512, DVS128) shows Q/K/V/MLP rates only "
                   "as bars; its text gives no value, only that SDMFormer fires more than "
                   "Spikformer at these layers")

_UNITS = {**UNIT_COMPONENT, "attn.attn_lif": "attention"}


@dataclass(frozen=True)
class LayerRate:
    """Firing rate of one LIF op and the channels it was averaged over."""

    layer: str        # LIF op name, e.g. blocks.0.attn.q.lif
    rate: float
    channels: int


def component(layer: str) -> str:
    """Paper-style label of a LIF op: ``SPS1`` …, ``L1 Q`` …, ``L2 MLP2``."""
    parts = layer.split(".")
    if parts[0] == "sps":
        return "RPE" if parts[1] == "rpe" else f"SPS{int(parts[1]) + 1}"
    unit = ".".join(parts[2:-1]) if parts[-1] == "lif" else ".".join(parts[2:])
    return f"L{int(parts[1]) + 1} {_UNITS.get(unit, unit)}"


@torch.no_grad()
def lif_rates(ir: IntegerIR, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
              progress: bool = True, total: int | None = None) -> dict[str, LayerRate]:
    """Firing rate of every LIF op of ``ir`` over ``batches`` of ``(frames, labels)``."""
    golden = GoldenModel(ir)
    lifs = [op.name for op in ir.ops if op.type == "lif"]
    spikes = dict.fromkeys(lifs, 0)
    sites = dict.fromkeys(lifs, 0)
    for frames, _ in tqdm(batches, desc="firing rates", total=total, disable=not progress,
                          unit="batch", leave=False):
        taps = golden.run(frames, taps=True).taps
        for name in lifs:
            spikes[name] += int(taps[name].sum())
            sites[name] += taps[name].numel()
        del taps
    if not any(sites.values()):
        raise ValueError("no samples: firing rates need at least one batch")
    return {name: LayerRate(name, spikes[name] / sites[name] if sites[name] else 0.0,
                            ir.tensors[name].shape[1])
            for name in lifs}


def compare_rates(rates: dict[str, LayerRate],
                  reference: dict[str, LayerRate] | None) -> list[dict[str, object]]:
    """One row per layer of ``rates``: component, rate, channels, the reference's rate at
    the same op (None where the reference has no such layer) and the paper's (None)."""
    rows = []
    for name, r in rates.items():
        ref = reference.get(name) if reference else None
        rows.append({"layer": name, "component": component(name), "rate": r.rate,
                     "channels": r.channels, "reference": ref.rate if ref else None,
                     "paper": PAPER_FIG6.get(component(name))})
    return rows
