"""Tiny untrained models that fire (shared by the analysis and energy tests)."""

from __future__ import annotations

import torch

from sdmf.model import create_model


def lively(model, seed: int = 0):
    """Random BN shifts so that an untrained tiny model fires at T = 2."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.bias.copy_(torch.rand(m.bias.shape, generator=g) * 2.5 - 0.5)
    return model.eval()


def tiny(name: str = "sdmformer-1-32", **kw):
    """``name`` at 32×32 input with 4 heads, made lively."""
    return lively(create_model(name, img_size=32, heads=4, **kw))
