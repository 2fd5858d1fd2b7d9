"""BatchNorm calibration for untrained models.

A freshly initialised network in eval mode normalises with the initial running
statistics (mean 0, variance 1), which do not match real pre-activations: most
LIF neurons never reach threshold and the firing rates say nothing. Running the
samples once in train mode (no gradients, cumulative averages) gives every BN
the statistics of the data, so an untrained model fires at a typical level.
Only BN buffers change; weights stay as initialised.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from tqdm import tqdm

from ..transformer import SpikingTransformer


@torch.no_grad()
def calibrate_bn(model: SpikingTransformer, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                 progress: bool = True, total: int | None = None) -> int:
    """Replace every BN's running statistics by those of ``batches``; returns samples seen."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over all batches
    device = next(model.parameters()).device
    seen = 0
    model.train()
    try:
        for frames, _ in tqdm(batches, desc="BN calibration", total=total, disable=not progress,
                              unit="batch", leave=False):
            model(frames.to(device))
            seen += frames.shape[0]
    finally:
        for m, momentum in zip(bns, momenta):
            m.momentum = momentum
        model.eval()
    return seen
