"""The LIF neuron equals SpikingJelly's multi-step LIFNode."""

from __future__ import annotations

import pytest
import torch

# spikingjelly is a dev dependency (make test installs it); torchvision is never imported
from spikingjelly.activation_based import neuron, surrogate

from sdmf.model.neuron import LIF


def _reference(v_threshold: float):
    return neuron.LIFNode(tau=2.0, decay_input=True, v_threshold=v_threshold, v_reset=0.0,
                          surrogate_function=surrogate.Sigmoid(alpha=4.0), detach_reset=True,
                          step_mode="m")


@pytest.mark.parametrize("v_threshold", [1.0, 0.5])
@pytest.mark.parametrize("shape", [(16, 4, 64, 8), (7, 3, 5)])
def test_spikes_equal_and_gradients_match_spikingjelly(v_threshold, shape):
    torch.manual_seed(0)
    x = (torch.randn(*shape) * 1.5 + 0.6).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    ours, ref = LIF(v_threshold=v_threshold), _reference(v_threshold)

    s, s_ref = ours(x), ref(x_ref)
    assert torch.equal(s, s_ref)
    assert 0 < s.mean() < 1  # the comparison saw both spikes and silence

    g = torch.randn_like(s)
    (s * g).sum().backward()
    (s_ref * g).sum().backward()
    torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-5, atol=1e-6)


def test_threshold_is_inclusive_and_reset_is_hard():
    # v = x/2 at t=0: x = 2 gives v = 1.0 = v_th -> spike (Θ(0) = 1), then v resets to 0.
    x = torch.tensor([[2.0], [0.0], [2.0], [1.9]])
    s = LIF()(x)
    assert s.flatten().tolist() == [1.0, 0.0, 1.0, 0.0]


def test_zero_input_never_spikes():
    assert LIF(v_threshold=0.5)(torch.zeros(8, 2, 3)).sum() == 0
