"""The shipped digits-dvs models: they load, reach their accuracy, and their IR is exact."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from sdmf.cli.params import param_report
from sdmf.model.checkpoint import load_model
from sdmf.model.data import build_dataset
from sdmf.quant.finetune import accuracy, float_predict, golden_predict
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR

MODELS = Path(__file__).resolve().parents[1] / "models" / "digits-dvs"


def _test_loader(ckpt_dataset: dict) -> DataLoader:
    ds = build_dataset("digits-dvs", "test", T=ckpt_dataset["T"],
                       img_size=ckpt_dataset["img_size"], progress=False)
    return DataLoader(ds, batch_size=64)


@pytest.fixture(scope="module")
def sdmformer():
    return load_model(MODELS / "sdmformer-1-128.pt")


def test_sdmformer_checkpoint_reaches_90_percent_and_is_pruned(sdmformer):
    model, ckpt = sdmformer
    assert ckpt["dataset"]["name"] == "digits-dvs"
    acc = accuracy(float_predict(model), _test_loader(ckpt["dataset"]), progress=False)
    assert acc >= 0.90
    report = param_report(model)
    assert report["params_pruned"] < report["params"]
    assert 0.0 < report["ratio"] < 0.5


def test_spikformer_checkpoint_is_the_matching_baseline(sdmformer):
    model, ckpt = load_model(MODELS / "spikformer-1-128.pt")
    assert model.cfg == sdmformer[0].cfg.baseline()
    acc = accuracy(float_predict(model), _test_loader(ckpt["dataset"]), progress=False)
    assert acc >= 0.90


def test_int8_ir_matches_its_record_and_loses_at_most_one_point():
    ir = IntegerIR.load(MODELS / "sdmformer-1-128-int8.sdmfir")
    record = ir.meta["accuracy"]
    assert ir.meta["qat_vs_golden"]["bit_exact"] == ir.meta["qat_vs_golden"]["samples"] == 364
    assert record["quantized"] >= record["float"] - 0.01
    loader = _test_loader(ir.meta["dataset"])
    with torch.no_grad():
        acc = accuracy(golden_predict(GoldenModel(ir)), loader, progress=False)
    assert acc == record["quantized"]
