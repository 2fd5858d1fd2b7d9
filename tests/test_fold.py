"""BN folding (quant/fold.py) against the unfolded float layers.

The reference is the float model's own modules — conv, then BatchNorm in eval
mode with non-trivial running statistics, then the channel mask — evaluated in
float64. The folded weights are float32 (as ``fold_bn`` returns them), so the
comparison allows their rounding: ``|folded − ref| ≤ TOL·(1 + |ref|)`` with
``TOL = 1e-6`` (measured worst case ≈ 1e-7). Dropping or mis-signing any BN
term (γ, β, μ, σ², ε) moves outputs by ≈ 0.1–1, far beyond it.
"""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from sdmf.model import create_model
from sdmf.quant.fold import fold_and_prune, fold_bn

TOL = 1e-6


def _randomize_bn(bn: nn.modules.batchnorm._BatchNorm, g: torch.Generator) -> None:
    """Running statistics and affine terms far from their defaults (μ = 0, σ² = 1, γ = 1, β = 0)."""
    c = bn.num_features
    with torch.no_grad():
        bn.running_mean.copy_(torch.rand(c, generator=g) * 4 - 2)
        bn.running_var.copy_(torch.rand(c, generator=g) * 3 + 0.05)
        bn.weight.copy_(torch.rand(c, generator=g) * 3 - 1)
        bn.bias.copy_(torch.rand(c, generator=g) * 2 - 1)
        bn.eps = 1e-3                                   # a non-default ε must be honoured


def _assert_close(folded: torch.Tensor, ref: torch.Tensor) -> None:
    err = (folded - ref).abs()
    assert bool((err <= TOL * (1 + ref.abs())).all()), f"max error {float(err.max()):.3g}"


def _reference(conv: nn.Module, bn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The unfolded float layers in float64, BN in eval mode."""
    conv, bn = copy.deepcopy(conv).double().eval(), copy.deepcopy(bn).double().eval()
    with torch.no_grad():
        return bn(conv(x.double()))


@pytest.mark.parametrize(("conv", "bn", "xshape"), [
    (lambda: nn.Conv2d(3, 5, 3, padding=1, bias=False), lambda: nn.BatchNorm2d(5), (4, 3, 6, 7)),
    (lambda: nn.Conv1d(6, 4, 1, bias=True), lambda: nn.BatchNorm1d(4), (4, 6, 9)),
    (lambda: nn.Conv1d(6, 4, 1, bias=False), lambda: nn.BatchNorm1d(4), (4, 6, 9)),
], ids=["conv3x3", "conv1x1-bias", "conv1x1"])
def test_fold_bn_equals_conv_then_bn(conv, bn, xshape):
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    conv, bn = conv(), bn()
    _randomize_bn(bn, g)
    if conv.bias is not None:
        with torch.no_grad():
            conv.bias.uniform_(-1, 1)
    x = torch.rand(xshape, generator=g) * 4
    w, b = fold_bn(conv, bn)
    assert w.shape == conv.weight.shape and b.shape == (conv.out_channels,)
    pad = 1 if w.dim() == 4 else 0
    conv_fn = nn.functional.conv2d if w.dim() == 4 else nn.functional.conv1d
    folded = conv_fn(x.double(), w.double(), b.double(), padding=pad)
    _assert_close(folded, _reference(conv, bn, x))


def _lively(name: str, seed: int, **kw):
    torch.manual_seed(seed)
    model = create_model(name, num_classes=4, img_size=32, heads=4, **kw)
    g = torch.Generator().manual_seed(seed)
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            _randomize_bn(mod, g)
        if isinstance(mod, (nn.Conv1d, nn.Conv2d)) and mod.bias is not None:
            with torch.no_grad():
                mod.bias.uniform_(-1, 1)
    with torch.no_grad():
        for mask in model.masks().values():
            mask.weight.copy_(torch.rand(mask.weight.shape, generator=g) * 1.4 - 0.4)
    return model.eval()


@pytest.mark.parametrize(("name", "kw"), [("sdmformer-2-32", {}), ("spikformer-1-32", {}),
                                          ("sdmformer-1-32", {"mlp_residual": "each"})])
def test_fold_and_prune_equals_every_unfolded_unit(name, kw):
    """Every folded, pruned conv equals conv → BN → mask of the float model on its kept
    channels, for inputs that are zero on the pruned input columns (their producers are
    masked and never spike)."""
    model = _lively(name, 1, **kw)
    convs, _ = fold_and_prune(model)
    units = {f"sps.{i}": s for i, s in enumerate(model.patch_embed.stages)}
    if model.patch_embed.rpe is not None:
        units["sps.rpe"] = model.patch_embed.rpe
    units.update(model.conv_units())
    assert set(convs) == set(units)
    g = torch.Generator().manual_seed(2)
    for cname, unit in units.items():
        f = convs[cname]
        cin = unit.conv.in_channels
        if f.weight.dim() == 4:
            x = torch.rand(2, cin, 5, 5, generator=g) * 3
            folded = nn.functional.conv2d(x.double(), f.weight.double(), f.bias.double(),
                                          padding=1)
        else:
            x = torch.zeros(2, cin, 6)
            x[:, list(f.in_keep)] = (torch.rand(2, len(f.in_keep), 6, generator=g) < 0.5).float()
            folded = torch.einsum("oi,bin->bon", f.weight.double(), x[:, list(f.in_keep)].double())
            folded = folded + f.bias.double()[:, None]
        ref = _reference(unit.conv, unit.bn, x)
        mask = getattr(unit, "mask", None)
        if mask is not None:
            gate = mask.gate().detach().double()
            assert bool((gate[list(f.out_keep)] == 1).all()), cname   # kept ⇒ gate 1
            ref = ref * gate.reshape(1, -1, 1)
        _assert_close(folded, ref[:, list(f.out_keep)])
