"""Energy model: FLOPs per layer, masked FLOPs, hook firing rates and the `sdmf energy` CLI."""

from __future__ import annotations

import json

import pytest
import torch
from tiny_models import tiny

from sdmf.cli.main import main
from sdmf.model.analysis.energy import (
    E_AC_PJ,
    E_MAC_PJ,
    energy_probes,
    estimate_energy,
    measure_energy,
)
from sdmf.model.analysis.flops import layer_specs
from sdmf.model.analysis.hooks import RateStats, collect
from sdmf.model.analysis.inputs import SyntheticEvents
from sdmf.model.checkpoint import save_checkpoint

D, N = 32, 4  # tiny models: dim 32, 32×32 input -> 2×2 = 4 tokens


def frames(n: int = 3, steps: int = 2) -> torch.Tensor:
    return torch.stack([SyntheticEvents(n, steps, 32)[i][0] for i in range(n)])


def test_flops_per_layer_formulas():
    specs = {s.name: s for s in layer_specs(tiny("spikformer-1-32"))}
    assert specs["sps.0"].flops == 9 * 32 * 32 * 2 * 4 and specs["sps.0"].op == "MAC"
    assert specs["sps.1"].flops == 9 * 16 * 16 * 4 * 8 and specs["sps.1"].op == "AC"
    assert specs["sps.2"].flops == 9 * 8 * 8 * 8 * 16
    assert specs["sps.3"].flops == 9 * 4 * 4 * 16 * 32
    assert specs["rpe"].flops == 9 * 2 * 2 * 32 * 32
    for part in ("attn.q", "attn.k", "attn.v", "attn.proj"):
        assert specs[f"blocks.0.{part}"].flops == N * D * D
    assert specs["blocks.0.mlp.fc1"].flops == N * D * 4 * D  # Spikformer: 4× MLP
    assert specs["blocks.0.mlp.fc2"].flops == N * 4 * D * D
    assert all(s.flops == s.flops_masked for s in specs.values())  # no masks
    assert "head" not in specs and "blocks.0.attn.qk" not in specs

    sdm = {s.name: s for s in layer_specs(tiny())}
    assert "rpe" not in sdm and sdm["blocks.0.mlp.fc1"].flops == N * D * D


def test_full_mode_adds_attention_products_and_head():
    model = tiny()
    qk_v = {s.name: s for s in layer_specs(model, full=True, attn_order="qk_v")}
    assert qk_v["blocks.0.attn.qk"].flops == N * N * D
    assert qk_v["blocks.0.attn.av"].flops == N * N * D
    assert qk_v["blocks.0.attn.qk"].probe == "out:blocks.0.attn.q"
    assert qk_v["blocks.0.attn.av"].probe == "out:blocks.0.attn.v"
    assert qk_v["head"].flops == D * 10
    q_kv = {s.name: s for s in layer_specs(model, full=True, attn_order="q_kv")}
    assert q_kv["blocks.0.attn.kv"].flops == N * (D // 4) * D
    assert q_kv["blocks.0.attn.q_kv"].flops == N * (D // 4) * D


def _switch_off(model, name: str, channels: list[int]) -> None:
    with torch.no_grad():
        model.masks()[name].weight[channels] = -1.0


def test_masked_flops_shrink_with_hand_masks():
    model = tiny()
    dense = {s.name: s.flops_masked for s in layer_specs(model, full=True)}
    _switch_off(model, "blocks.0.attn.q", list(range(8)))  # head 0 loses its whole q·kᵀ
    _switch_off(model, "blocks.0.attn.v", [31])
    _switch_off(model, "blocks.0.attn.proj", [0, 1])
    _switch_off(model, "blocks.0.mlp.fc1", list(range(12)))
    _switch_off(model, "blocks.0.mlp.fc2", [5, 6, 7])
    specs = {s.name: s for s in layer_specs(model, full=True)}
    qk_out, v_out = D - 8, D - 8 - 1  # head 0 is gone entirely; v channel 31 masked
    assert specs["blocks.0.attn.q"].flops_masked == N * D * qk_out
    assert specs["blocks.0.attn.k"].flops_masked == N * D * qk_out
    assert specs["blocks.0.attn.v"].flops_masked == N * D * v_out
    assert specs["blocks.0.attn.proj"].flops_masked == N * v_out * (D - 2)
    assert specs["blocks.0.mlp.fc1"].flops_masked == N * D * (D - 12)
    assert specs["blocks.0.mlp.fc2"].flops_masked == N * (D - 12) * (D - 3)
    assert specs["blocks.0.attn.qk"].flops_masked == N * N * qk_out
    assert specs["blocks.0.attn.av"].flops_masked == N * N * v_out
    # F_M = F·R with R the kept fraction on both sides
    fc2 = specs["blocks.0.mlp.fc2"]
    assert fc2.flops_masked == pytest.approx(fc2.flops * (D - 12) / D * (D - 3) / D)
    for name, f in dense.items():
        assert specs[name].flops_masked <= f
    assert specs["sps.1"].flops_masked == dense["sps.1"]  # SPS is never masked


def test_estimate_energy_with_known_rates():
    """Hand-made statistics: every channel fires at 0.25, fc1's masked outputs never fire."""
    model = tiny()
    _switch_off(model, "blocks.0.mlp.fc1", list(range(16)))
    T = 3
    stats: dict[str, RateStats] = {}
    for name, probe in energy_probes(model, "full").items():
        c = probe.module.weight.shape[1] if name.startswith("in:") else D  # conv/linear inputs
        stats[name] = RateStats(torch.full((c,), 0.25 * 10, dtype=torch.float64), count=10)
    stats["in:blocks.0.mlp.fc2"].channel_sum[:16] = 0  # pruned inputs carry nothing
    rep = estimate_energy(model, stats, T, mode="paper")
    layers = {r["name"]: r for r in rep["layers"]}
    sps = [9 * 32 * 32 * 2 * 4, 9 * 16 * 16 * 4 * 8, 9 * 8 * 8 * 8 * 16, 9 * 4 * 4 * 16 * 32]
    units = 4 * N * D * D + N * D * 16 + N * 16 * D  # q k v proj, fc1 (16 out), fc2 (16 in)
    expected_pj = E_MAC_PJ * sps[0] * T + E_AC_PJ * T * 0.25 * (sum(sps[1:]) + units)
    assert rep["total_energy_mJ"] == pytest.approx(expected_pj * 1e-9)
    # the rate of fc2 is averaged over its 16 surviving inputs, not all 32
    assert layers["blocks.0.mlp.fc2"]["input_rate"] == pytest.approx(0.25)
    assert layers["blocks.0.mlp.fc2"]["input_rate_all"] == pytest.approx(0.125)
    full = estimate_energy(model, stats, T, mode="full")
    extra = 2 * N * N * D + D * 10
    assert full["total_energy_mJ"] == pytest.approx((expected_pj + E_AC_PJ * T * 0.25 * extra)
                                                    * 1e-9)


def _manual_rates(model, x: torch.Tensor) -> dict[str, float]:
    """The input rate of every layer, recomputed without hooks from the model's pieces."""
    pe, blk = model.patch_embed, model.blocks[0]
    h = x.transpose(0, 1)
    rates = {}
    for i, stage in enumerate(pe.stages):
        rates[f"sps.{i}"] = float(h.mean())
        h = stage(h)
    s = h.flatten(3)  # [T, B, D, N] spikes, before the position embedding
    stream = s + pe.lpe
    attn = blk.attn
    for part in ("q", "k", "v"):
        rates[f"blocks.0.attn.{part}"] = float(s.mean())  # x − P
    q, k, v = (attn.split_heads(getattr(attn, p)(stream)) for p in ("q", "k", "v"))
    mix = (q @ k.transpose(-2, -1) @ v * attn.scale).transpose(-1, -2).flatten(2, 3)
    spikes = attn.attn_lif(mix)
    rates["blocks.0.attn.proj"] = float(spikes.mean())
    x1 = stream + attn.proj(spikes)
    rates["blocks.0.mlp.fc1"] = float((x1 - pe.lpe).mean())
    rates["blocks.0.mlp.fc2"] = float(blk.mlp.fc1(x1).mean())
    return rates


@torch.no_grad()
def test_hook_rates_match_manual_forward_and_energy():
    model = tiny()
    x = frames(3, steps=2)
    stats, info = collect(model, [(x, torch.zeros(3, dtype=torch.long))],
                          energy_probes(model), progress=False)
    assert info.samples == 3 and info.T == 2
    manual = _manual_rates(model, x)
    for name, rate in manual.items():
        assert stats[f"in:{name}"].rate == pytest.approx(rate, abs=1e-6), name
    assert manual["blocks.0.mlp.fc1"] > 0 and manual["blocks.0.attn.proj"] > 0

    rep = measure_energy(model, [(x, torch.zeros(3, dtype=torch.long))], progress=False)
    specs = {s.name: s for s in layer_specs(model)}
    expected = E_MAC_PJ * specs["sps.0"].flops * 2 + sum(
        E_AC_PJ * specs[n].flops * 2 * r for n, r in manual.items() if n != "sps.0")
    assert rep["total_energy_mJ"] == pytest.approx(expected * 1e-9, rel=1e-6)
    assert rep["samples"] == 3 and rep["mode"] == "paper"


@torch.no_grad()
def test_residual_stream_rate_is_mean_value():
    """Spikformer's stream carries counts (1 + 1 = 2): its rate is the mean value, can exceed 1."""
    model = tiny("spikformer-1-32")
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                m.weight.zero_()
                m.bias.fill_(3.0)  # every LIF gets 3 and fires every step
    stats, _ = collect(model, [(frames(2), torch.zeros(2, dtype=torch.long))],
                       energy_probes(model), progress=False)
    assert stats["in:blocks.0.attn.q"].rate == pytest.approx(2.0)  # stage-4 spikes + RPE spikes
    assert stats["in:blocks.0.mlp.fc1"].rate == pytest.approx(3.0)  # + SSA output
    assert stats["in:blocks.0.attn.proj"].rate == pytest.approx(1.0)


def _energy_json(capsys, *extra: str) -> dict:
    argv = ["energy", "--img-size", "32", "--heads", "4", "-T", "2", "--dataset", "synthetic",
            "--samples", "3", "--batch-size", "2", "--no-progress", "--json", *extra]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_energy_cli_json_untrained_baseline(capsys):
    r = _energy_json(capsys, "--model", "sdmformer-1-32")
    for key in ("total_energy_mJ", "layers", "baseline_total_energy_mJ", "ratio", "mode",
                "samples", "baseline_source"):
        assert key in r
    assert r["mode"] == "paper" and r["samples"] == 3 and r["baseline_source"] == "untrained"
    assert r["ratio"] == pytest.approx(r["total_energy_mJ"] / r["baseline_total_energy_mJ"])
    assert any("UNTRAINED" in n for n in r["notes"])
    assert [x["name"] for x in r["layers"]][:4] == ["sps.0", "sps.1", "sps.2", "sps.3"]


def test_energy_cli_baseline_checkpoint_and_full(capsys, tmp_path):
    sdm, spk = tmp_path / "sdm.pt", tmp_path / "spk.pt"
    save_checkpoint(sdm, tiny(), dataset={"name": "synthetic", "T": 2, "img_size": 32,
                                          "root": None})
    save_checkpoint(spk, tiny("spikformer-1-32"))
    argv = ["energy", "--checkpoint", str(sdm), "--baseline-checkpoint", str(spk),
            "--samples", "2", "--no-progress", "--json", "--full"]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["dataset"]["name"] == "synthetic" and r["T"] == 2  # from the checkpoint record
    assert r["baseline_source"] == "checkpoint" and r["mode"] == "full"
    assert "rpe" in [x["name"] for x in r["baseline"]["layers"]]
    assert "blocks.0.attn.qk" in [x["name"] for x in r["layers"]]
    assert 0 < r["ratio"] == pytest.approx(r["total_energy_mJ"] / r["baseline_total_energy_mJ"])

    r = _energy_json(capsys, "--model", "spikformer-1-32")
    assert r["baseline_source"] == "self" and r["ratio"] == pytest.approx(1.0)
