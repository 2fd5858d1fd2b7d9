"""Analyses: masking ratios, rate hooks, inactive channels, data selection, `sdmf analyze`."""

from __future__ import annotations

import json

import pytest
import torch
from tiny_models import tiny
from torch import nn

from sdmf.cli.energy import data_spec
from sdmf.cli.main import build_parser, main
from sdmf.model import create_model
from sdmf.model.analysis.calibrate import calibrate_bn
from sdmf.model.analysis.figures import (
    component_rates,
    inactive_channel_ratio,
    inactive_summary,
    masking_ratios,
    representative_sample,
)
from sdmf.model.analysis.hooks import Probe, collect, output_probes, record_rates
from sdmf.model.analysis.inputs import SyntheticEvents, load_samples
from sdmf.model.checkpoint import save_checkpoint

D = 32


def test_inactive_ratio_hand_case():
    rates = torch.tensor([[0.0, 0.5, 0.0, 1.0],
                          [0.0, 0.0, 0.0, 0.0],
                          [0.1, 0.2, 0.3, 0.4],
                          [0.0, 1e-9, 0.2, 0.0]], dtype=torch.float64)
    ratios = inactive_channel_ratio(rates)
    assert ratios.tolist() == [0.5, 1.0, 0.0, 0.5]  # 1e-9 is not "exactly zero"
    assert representative_sample(ratios) == 0
    s = inactive_summary(rates)
    assert s["mean"] == pytest.approx(0.5) and s["median"] == pytest.approx(0.5)
    assert s["representative_inactive_channels"] == 2 and s["channels"] == 4
    with pytest.raises(ValueError):
        inactive_channel_ratio(torch.zeros(4))


def test_per_sample_probe_on_known_tensor():
    """[T, B, C, N] spikes: channel c of sample b fires on a known fraction of (t, n)."""
    T, B, C, N = 2, 3, 4, 5
    x = torch.zeros(T, B, C, N)
    x[0, 0, 1, :] = 1        # sample 0, channel 1: 5 of 10 -> 0.5
    x[:, 1, 2, 0] = 1        # sample 1, channel 2: 2 of 10 -> 0.2
    x[1, 2, 3, 1:3] = 2      # sample 2, channel 3: value 2 on 2 of 10 -> 0.4 (mean value)
    ident = nn.Identity()
    with record_rates({"x": Probe(ident, "output", channel_dim=2, sample_dim=1)}) as stats:
        ident(x)
        ident(x)  # a second batch appends samples
    per = stats["x"].sample_channel_rates()
    assert per.shape == (2 * B, C)
    expected = torch.zeros(B, C, dtype=torch.float64)
    expected[0, 1], expected[1, 2], expected[2, 3] = 0.5, 0.2, 0.4
    torch.testing.assert_close(per[:B], expected)
    assert stats["x"].rate == pytest.approx(float(x.mean()))
    assert stats["x"].count == 2 * T * B * N and stats["x"].max == 2.0
    assert inactive_channel_ratio(per[:B]).tolist() == [0.75, 0.75, 0.75]


def test_masking_ratios_follow_hand_masks():
    model = tiny("sdmformer-2-32")
    with torch.no_grad():
        model.masks()["blocks.0.attn.q"].weight[:8] = -1
        model.masks()["blocks.1.mlp.fc2"].weight[:24] = -0.5
    r = masking_ratios(model)
    assert set(r) == {"L1", "L2"}
    assert r["L1"]["Q"] == pytest.approx(8 / D) and r["L1"]["K"] == 0
    assert r["L2"]["MLP2"] == pytest.approx(24 / D)
    assert masking_ratios(tiny("spikformer-1-32"))["L1"] == dict.fromkeys(
        ("Q", "K", "V", "Proj", "MLP1", "MLP2"), 0.0)


@torch.no_grad()
def test_component_rates_average_over_active_channels():
    model = tiny()
    with torch.no_grad():
        model.masks()["blocks.0.mlp.fc1"].weight[:16] = -1
    x = torch.stack([SyntheticEvents(2, 2, 32)[i][0] for i in range(2)])
    probes = {f"out:{k}": p for k, p in output_probes(model).items()}
    stats, _ = collect(model, [(x, torch.zeros(2, dtype=torch.long))], probes, progress=False)
    r = component_rates(model, stats)["L1"]["MLP1"]
    assert r["active_channels"] == 16 and r["channels"] == D
    assert r["all"] == pytest.approx(r["active"] / 2)  # masked half never fires


def _spec(ckpt: dict, *argv: str):
    args = build_parser().parse_args(["energy", *argv])
    return data_spec(args, ckpt, 64)


def test_data_spec_defaults_and_synthetic_samples():
    spec = _spec({})
    assert (spec.name, spec.T, spec.img_size, spec.split) == ("digits-dvs", 16, 64, "test")
    rec = {"dataset": {"name": "cifar10-dvs", "T": 10, "img_size": 64, "root": "/data/c10"}}
    spec = _spec(rec)
    assert (spec.name, spec.T, spec.root) == ("cifar10-dvs", 10, "/data/c10")
    spec = _spec(rec, "--dataset", "synthetic", "-T", "3", "--samples", "4")
    assert (spec.name, spec.T, spec.root, spec.samples) == ("synthetic", 3, None, 4)
    ds = load_samples(spec, num_classes=10)
    assert len(ds) == 4
    a, b = ds[1], SyntheticEvents(4, 3, 64)[1]
    assert a[0].shape == (3, 2, 64, 64) and torch.equal(a[0], b[0]) and a[1] == 1
    assert a[0].min() >= 0 and torch.equal(a[0], a[0].round())  # event counts


def test_analyze_cli_writes_plots_and_json(tmp_path, capsys):
    sdm, spk = tmp_path / "sdm.pt", tmp_path / "spk.pt"
    model = tiny()
    with torch.no_grad():
        model.masks()["blocks.0.mlp.fc2"].weight[:10] = -1
    save_checkpoint(sdm, model, dataset={"name": "synthetic", "T": 2, "img_size": 32,
                                         "root": None})
    save_checkpoint(spk, tiny("spikformer-1-32", num_classes=10))
    out = tmp_path / "an"
    argv = ["analyze", "--checkpoint", str(sdm), "--baseline-checkpoint", str(spk),
            "--samples", "6", "--batch-size", "4", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    assert "inactive channels" in capsys.readouterr().out
    r = json.loads((out / "analysis.json").read_text())
    for name in ("masking_ratios.png", "firing_rates.png", "inactive_channels.png",
                 "channel_rates.png", "layer_rates.png"):
        assert (out / name).stat().st_size > 1000
        assert name in r["plots"].values()
    assert r["masking_ratios"]["L1"]["MLP2"] == pytest.approx(10 / D)
    assert r["baseline_source"] == "checkpoint" and r["samples"] == 6 and r["T"] == 2
    ic = r["inactive_channels"]
    assert ic["model"] == "baseline" and ic["model_name"] == "spikformer-1-32"
    assert len(ic["per_sample"]) == 6 and len(ic["representative_channel_rates"]) == D
    assert set(r["firing_rates"]) == {"model", "baseline"}
    assert set(r["firing_rates"]["model"]["L1"]) == {"Q", "K", "V", "MLP1", "MLP2"}
    assert "rpe" in r["layer_rates"]["baseline"]["inputs"]


def test_analyze_cli_without_checkpoint_uses_model_for_fig1(tmp_path, capsys):
    out = tmp_path / "an"
    argv = ["analyze", "--model", "sdmformer-1-32", "--img-size", "32", "--heads", "4",
            "-T", "2", "--dataset", "synthetic", "--samples", "3", "--out", str(out),
            "--no-progress", "--json"]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["baseline_source"] == "untrained" and r["inactive_channels"]["model"] == "model"
    assert (out / "analysis.json").is_file()


@torch.no_grad()
def test_bn_calibration_wakes_an_untrained_model():
    model = create_model("spikformer-1-32", img_size=32, heads=4).eval()
    x = torch.stack([SyntheticEvents(4, 4, 32)[i][0] for i in range(4)])
    data = [(x, torch.zeros(4, dtype=torch.long))]
    probes = {f"out:{k}": p for k, p in output_probes(model).items()}
    weights = {k: v.clone() for k, v in model.state_dict().items() if "running" not in k}
    before, _ = collect(model, data, probes, progress=False)
    assert calibrate_bn(model, data, progress=False) == 4
    after, _ = collect(model, data, probes, progress=False)
    assert not model.training
    assert after["out:blocks.0.attn.q"].rate > before["out:blocks.0.attn.q"].rate
    bn = model.blocks[0].attn.q.bn
    assert bn.momentum == 0.1 and bn.num_batches_tracked == 1
    state = model.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in weights.items() if "num_batches" not in k)
