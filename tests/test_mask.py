"""The channel mask: exact Heaviside forward, SurrogateHeaviside backward, and it learns."""

from __future__ import annotations

import torch

from sdmf.model import create_model
from sdmf.model.mask import ChannelMask, surrogate_heaviside, surrogate_heaviside_grad


def test_surrogate_heaviside_shape_and_derivative():
    x = torch.tensor([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    assert surrogate_heaviside(x).tolist() == [0.0, 0.0, 0.125, 0.5, 0.875, 1.0, 1.0]
    assert surrogate_heaviside_grad(x).tolist() == [0.0, 0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    # the analytic derivative agrees with autograd of the smooth function
    xs = torch.linspace(-0.99, 0.99, 41, dtype=torch.float64, requires_grad=True)
    surrogate_heaviside(xs).sum().backward()
    torch.testing.assert_close(xs.grad, surrogate_heaviside_grad(xs.detach()))


def test_forward_is_binary_gate_with_heaviside_zero_one():
    mask = ChannelMask(4)
    with torch.no_grad():
        mask.weight.copy_(torch.tensor([0.3, -0.2, 0.0, -5.0]))
    y = mask(torch.ones(2, 4, 3))
    assert y[0, :, 0].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert mask.keep().tolist() == [True, False, True, False]


def test_backward_is_surrogate_chained_through_tanh():
    mask = ChannelMask(3)
    with torch.no_grad():
        mask.weight.copy_(torch.tensor([0.2, -0.4, 3.0]))
    x = torch.randn(5, 3, 7)
    upstream = torch.randn(5, 3, 7)
    (mask(x) * upstream).sum().backward()
    m = mask.weight.detach()
    expected = (upstream * x).sum(dim=(0, 2)) * surrogate_heaviside_grad(torch.tanh(m)) * (
        1 - torch.tanh(m) ** 2)
    torch.testing.assert_close(mask.weight.grad, expected)


def test_gradients_reach_masks_and_a_mask_flips_during_training():
    torch.manual_seed(0)
    model = create_model("sdmformer-1-32", num_classes=3, img_size=32)
    x = torch.rand(4, 2, 2, 32, 32) * 3
    y = torch.tensor([0, 1, 2, 0])
    masks = model.masks()
    assert set(masks) == {f"blocks.0.{n}" for n in
                          ("attn.q", "attn.k", "attn.v", "attn.proj", "mlp.fc1", "mlp.fc2")}
    before = {n: m.keep().clone() for n, m in masks.items()}

    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    for name, mask in masks.items():
        assert mask.weight.grad is not None and mask.weight.grad.abs().sum() > 0, name

    # Adam on the task loss alone (no sparsity pressure): some channel must switch state
    opt = torch.optim.Adam([m.weight for m in masks.values()], lr=0.02)
    flipped = False
    for _ in range(40):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if any(not torch.equal(m.keep(), before[n]) for n, m in masks.items()):
            flipped = True
            break
    assert flipped
