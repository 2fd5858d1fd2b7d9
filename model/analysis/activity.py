"""Fixed activity for untrained SDMFormers: masks at the paper's Fig. 5 proportions and
the per-layer firing-rate targets of the rate calibration (docs/activity.md).

:func:`set_mask_fractions` switches off an exact, seeded set of channels per mask;
:data:`TARGET_RATES` are the firing rates :func:`sdmf.model.analysis.ratecal.calibrate_rates`
steers each layer towards.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from ..transformer import SpikingTransformer
from .figures import COMPONENTS

__all__ = ["FIG5_MASKED", "TARGET_RATES", "UNIT_COMPONENT", "mask_fractions",
           "masked_fraction", "set_mask_fractions"]

# Masked fraction of each component's output channels in encoder block L1 and L2 of
# SDMFormer-2-256 (the paper's Fig. 5, DVS128). The text gives the ranges, L1
# 0.30-0.71 and L2 0.39-0.79, says Q, K and V are similar and lowest and the MLPs
# highest, MLP2 of L2 near 0.80. The endpoints are the paper's; the values between
# them are our reading of that order (the bars themselves are not in the text).
FIG5_MASKED: dict[str, tuple[float, float]] = {
    "Q": (0.30, 0.39),
    "K": (0.32, 0.41),
    "V": (0.34, 0.43),
    "Proj": (0.50, 0.58),
    "MLP1": (0.62, 0.70),
    "MLP2": (0.71, 0.79),
}

# conv-unit name inside a block -> Fig. 5 component
UNIT_COMPONENT = {unit: comp for comp, unit in COMPONENTS.items()}


def masked_fraction(component: str, block: int, depth: int,
                    table: Mapping[str, tuple[float, float]] = FIG5_MASKED) -> float:
    """The masked fraction of ``component`` in ``block`` (0-based) of a ``depth``-block model.

    Block 0 takes the L1 value, the last block the L2 value, blocks between them a
    linear interpolation (a one-block model: L1).
    """
    l1, l2 = table[component]
    if depth == 1:
        return l1
    return l1 + (l2 - l1) * block / (depth - 1)


def mask_fractions(model: SpikingTransformer,
                   table: Mapping[str, tuple[float, float]] = FIG5_MASKED) -> dict[str, float]:
    """Masked fraction per masked conv unit (``blocks.0.attn.q`` …) of ``model``."""
    depth = model.cfg.depth
    out = {}
    for name in model.masks():
        _, block, unit = name.split(".", 2)
        out[name] = masked_fraction(UNIT_COMPONENT[unit], int(block), depth, table)
    return out


@torch.no_grad()
def set_mask_fractions(model: SpikingTransformer, fractions: Mapping[str, float],
                       seed: int) -> dict[str, dict[str, int | float]]:
    """Switch off exactly ``round(f · C)`` channels of every mask; returns what was set.

    Which channels: the first ``round(f · C)`` of a permutation drawn per mask, in
    the model's module order, from one generator seeded with ``seed`` (independent
    of the global RNG). Masked logits are set to −1, kept ones to +1.
    """
    masks = model.masks()
    if set(fractions) != set(masks):
        raise ValueError(f"mask fractions must name exactly the masks {sorted(masks)}, "
                         f"got {sorted(fractions)}")
    gen = torch.Generator().manual_seed(seed)
    record: dict[str, dict[str, int | float]] = {}
    for name, mask in masks.items():
        f = fractions[name]
        if not 0.0 <= f < 1.0:
            raise ValueError(f"masked fraction of {name} must be in [0, 1), got {f}")
        channels = mask.weight.numel()
        n_off = round(f * channels)
        off = torch.randperm(channels, generator=gen)[:n_off]
        mask.weight.fill_(1.0)
        mask.weight[off] = -1.0
        record[name] = {"masked": n_off, "channels": channels, "fraction": n_off / channels}
    return record


# Firing-rate targets per layer: the trained digits-dvs SDMFormer's rates
# (models/digits-dvs/sdmformer-1-128-int8.sdmfir, golden model, all 364 test samples at
# 32×32, T = 4), rounded to 3 digits; every encoder block gets the L1 values. The paper's
# Fig. 6 gives no numbers in its text, so the trained model is the only measured reference.
TARGET_RATES: dict[str, float] = {
    "SPS1": 0.026, "SPS2": 0.019, "SPS3": 0.024, "SPS4": 0.050,
    "Q": 0.093, "K": 0.091, "V": 0.084, "attention": 0.053, "Proj": 0.070,
    "MLP1": 0.091, "MLP2": 0.115,
}
