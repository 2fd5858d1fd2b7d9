"""Tiny models that fire: untrained float models (analysis and energy tests) and tiny
pruned, quantized IRs (the hardware tests)."""

from __future__ import annotations

import re

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


# ------------------------------------------------------------------ tiny integer IRs

T = 2


def make_ir(arch: str = "sdmformer-1-32", img: int = 32, seed: int = 0, classes: int = 4,
            off: dict[str, slice] | None = None):
    """A pruned, quantized tiny model whose every layer spikes (BN calibrated).

    ``off`` switches mask channels off (``{"blocks.0.mlp.fc1": slice(None)}``: all).
    """
    from sdmf.quant.build import QuantSpec
    from sdmf.quant.export import export_ir
    from sdmf.quant.qat import QuantizedModel

    torch.manual_seed(seed)
    model = create_model(arch, num_classes=classes, img_size=img, heads=4)
    with torch.no_grad():
        for name, bn in model.named_modules():
            if isinstance(bn, torch.nn.modules.batchnorm._BatchNorm):
                hot = re.search(r"attn\.[qkv]\.", name)   # dense q/k/v: the attention LIF fires
                bn.weight.uniform_(1.0, 2.0)
                bn.bias.uniform_(*((1.5, 2.5) if hot else (0.2, 0.8)))
                bn.reset_running_stats()
                bn.momentum = None
        for mask in model.masks().values():
            mask.weight.uniform_(-0.4, 1.0)                 # ~30 % of channels pruned
        for name, sl in (off or {}).items():
            model.masks()[name].weight[sl] = -1.0
        model.train()
        model(counts(8, img, seed=seed + 100).float())      # BN statistics of real activity
    model.eval()
    return export_ir(QuantizedModel(model, QuantSpec(), time_steps=T))


def counts(n: int, img: int = 32, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 6, (n, T, 2, img, img), generator=g)
