"""Parameter counts of the named configs and of hand-pruned SDMFormers."""

from __future__ import annotations

import pytest
import torch

from sdmf.cli.params import param_report
from sdmf.model import create_model
from sdmf.model.pruning import count_params, prune_plan


@pytest.mark.parametrize(("classes", "used", "official"),
                         [(10, 2_566_666, 2_585_610), (11, 2_566_923, 2_585_867)])
def test_spikformer_2_256_counts(classes, used, official):
    report = param_report(create_model("spikformer-2-256", num_classes=classes))
    assert report["params"] == used
    assert report["params_official"] == official
    assert report["params_pruned"] == used  # nothing to prune without masks
    assert report["breakdown"]["sps"] == 388_608
    assert report["breakdown"]["rpe"] == 590_336
    assert report["breakdown"]["blocks.0.attn"] == 264_448
    assert report["breakdown"]["blocks.0.mlp"] == 528_128


def test_sdmformer_2_256_unpruned_count():
    # 388,608 SPS + 16,384 LPE + 2 × (265,472 CSSA + 133,120 DMConv MLP) + 2,570 head
    report = param_report(create_model("sdmformer-2-256"))
    assert report["params"] == 1_204_746
    assert report["mask_params"] == 2 * 6 * 256
    assert report["params_pruned"] == 1_204_746 - 2 * 6 * 256
    assert report["baseline_params"] == 2_566_666
    assert report["ratio"] == pytest.approx((1_204_746 - 3072) / 2_566_666)


def _switch_off(model, name: str, channels: list[int]) -> None:
    with torch.no_grad():
        model.masks()[name].weight[channels] = -1.0


def test_params_pruned_matches_hand_count():
    # D = 32, 4 heads of 8 channels, 5 classes, 32×32 input -> N = 4 tokens.
    model = create_model("sdmformer-1-32", heads=4, num_classes=5, img_size=32)
    _switch_off(model, "blocks.0.attn.q", [0, 1, 2, 3, 4, 5, 6, 7, 9])  # head 0 gone, head 1 -1
    _switch_off(model, "blocks.0.attn.k", [10])                         # head 1 loses another
    _switch_off(model, "blocks.0.attn.v", [31])                          # head 3 loses one v
    _switch_off(model, "blocks.0.attn.proj", [0, 1])
    _switch_off(model, "blocks.0.mlp.fc1", list(range(12)))
    _switch_off(model, "blocks.0.mlp.fc2", [5, 6, 7])

    D = 32
    sps = (2 * 4 + 4 * 8 + 8 * 16 + 16 * 32) * 9 + 2 * (4 + 8 + 16 + 32)
    lpe = D * 4
    qk_out = 32 - 8 - 2          # head 0 removed; channels 9 (q) and 10 (k) removed
    v_out = 32 - 8 - 1           # head 0's v channels go with the head; 31 masked
    q = k = qk_out * (D + 2)     # no bias, BN 2 per channel
    v = v_out * (D + 2)
    proj = (D - 2) * (v_out + 1 + 2)
    fc1 = (D - 12) * (D + 1 + 2)
    fc2 = (D - 3) * ((D - 12) + 1 + 2)
    head = D * 5 + 5
    expected = sps + lpe + q + k + v + proj + fc1 + fc2 + head

    report = param_report(model)
    assert report["params_pruned"] == expected
    plan = prune_plan(model)
    assert plan["blocks.0.attn.q"].out_keep == plan["blocks.0.attn.k"].out_keep
    assert 9 not in plan["blocks.0.attn.q"].out_keep and 8 in plan["blocks.0.attn.q"].out_keep
    assert plan["blocks.0.attn.proj"].in_keep == plan["blocks.0.attn.v"].out_keep
    assert report["layers"]["blocks.0.attn.q"]["masking_ratio"] == pytest.approx(9 / 32)


def test_everything_masked_leaves_biases_only():
    model = create_model("sdmformer-1-32", heads=4, num_classes=5, img_size=32)
    for name in model.masks():
        _switch_off(model, name, list(range(32)))
    plan = prune_plan(model)
    assert all(len(p.out_keep) == 0 for p in plan.values())
    expected = count_params(model) - sum(
        p.numel() for u in model.conv_units().values() for p in u.parameters())
    assert param_report(model)["params_pruned"] == expected


def test_mlp_residual_each_keeps_full_fc2_input():
    model = create_model("sdmformer-1-32", heads=4, img_size=32, mlp_residual="each")
    _switch_off(model, "blocks.0.mlp.fc1", [0, 1])
    assert len(prune_plan(model)["blocks.0.mlp.fc2"].in_keep) == 32
