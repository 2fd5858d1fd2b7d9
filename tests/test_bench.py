"""Throughput benchmark: result fields, weights left untouched, memory probe, `sdmf bench`."""

from __future__ import annotations

import json

import pytest
import torch

from sdmf.cli.main import main
from sdmf.model import create_model
from sdmf.model.analysis.bench import PeakMemory, benchmark


def test_benchmark_both_modes_on_cpu():
    model = create_model("sdmformer-1-32", img_size=32, heads=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    r = benchmark(model, batch_size=2, T=2, device=torch.device("cpu"), warmup=1, iters=2)
    assert r["model"] == "sdmformer-1-32" and r["device"] == "cpu"
    assert (r["batch_size"], r["T"], r["img_size"]) == (2, 2, 32)
    assert r["inference_img_per_s"] > 0 and r["train_img_per_s"] > 0
    assert set(r["peak_memory_MiB"]) == {"inference", "train"}
    assert all(v >= 0 for v in r["peak_memory_MiB"].values())
    assert r["amp"] is False  # mixed precision only on CUDA
    assert r["threads"] >= 1 and r["torch"] == torch.__version__
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # training ran on a copy


def test_benchmark_single_mode_and_bad_arguments():
    model = create_model("spikformer-1-32", img_size=32, heads=4)
    r = benchmark(model, 1, 2, torch.device("cpu"), warmup=0, iters=1, mode="inference")
    assert r["train_img_per_s"] is None and list(r["peak_memory_MiB"]) == ["inference"]
    with pytest.raises(ValueError):
        benchmark(model, 0, 2, torch.device("cpu"))
    with pytest.raises(ValueError):
        benchmark(model, 1, 2, torch.device("cpu"), mode="fast")


def test_peak_memory_sees_an_allocation():
    with PeakMemory(torch.device("cpu")) as mem:
        block = torch.ones(16 * 2**20)  # 64 MiB, touched
    assert mem.peak >= 48 * 2**20
    del block


def test_bench_cli_json(capsys):
    argv = ["bench", "--model", "sdmformer-1-32", "--img-size", "32", "--heads", "4",
            "-T", "2", "--batch-size", "2", "--warmup", "0", "--iters", "1", "--device", "cpu",
            "--mode", "both", "--json"]
    assert main(argv) == 0
    r = json.loads(capsys.readouterr().out)
    for key in ("model", "device", "batch_size", "T", "img_size", "inference_img_per_s",
                "train_img_per_s", "peak_memory_MiB", "device_name", "torch", "threads"):
        assert key in r
    assert r["device"] == "cpu" and r["T"] == 2 and r["img_size"] == 32


def test_bench_cli_text(capsys):
    argv = ["bench", "--model", "spikformer-1-32", "--img-size", "32", "-T", "1",
            "--batch-size", "1", "--warmup", "0", "--iters", "1", "--device", "cpu",
            "--mode", "train"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "training" in out and "inference" not in out
