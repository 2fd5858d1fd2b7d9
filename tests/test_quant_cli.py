"""`sdmf quantize` and `sdmf golden` end to end on digits-dvs (small subsets)."""

from __future__ import annotations

import json

import pytest
import torch

from sdmf.cli.main import main
from sdmf.model import create_model
from sdmf.model.checkpoint import save_checkpoint
from sdmf.quant.golden import load_vectors
from sdmf.quant.ir import IntegerIR


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = create_model("sdmformer-1-32", heads=4, img_size=32, num_classes=10)
    with torch.no_grad():
        for m in model.masks().values():
            m.weight.uniform_(-0.3, 1.0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, model, dataset={"name": "digits-dvs", "T": 2, "img_size": 32,
                                          "root": None})
    return path


def test_quantize_with_qat_then_golden(checkpoint, tmp_path, capsys):
    ir_path = tmp_path / "tiny.sdmfir"
    rc = main(["quantize", "--checkpoint", str(checkpoint), "--bits", "4", "--qat-epochs", "1",
               "--subset", "24", "--batch-size", "8", "--out", str(ir_path), "--json",
               "--no-progress"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    # QAT in eval mode and the golden model agree on every op output of every sample
    assert summary["bit_exact_samples"] == summary["samples"] == 24
    assert summary["params_pruned"] < summary["params_float"]
    ir = IntegerIR.load(ir_path)
    assert ir.meta["quant_spec"]["weight_bits"] == 4
    assert ir.meta["dataset"]["name"] == "digits-dvs" and ir.meta["time_steps"] == 2
    assert ir.meta["accuracy"]["quantized"] == summary["quantized_accuracy"]

    dump = tmp_path / "vectors"
    rc = main(["golden", "--ir", str(ir_path), "--samples", "24", "--dump", str(dump),
               "--dump-samples", "3", "--json", "--no-progress"])
    assert rc == 0
    result = json.loads(capsys.readouterr().out)
    assert result["samples"] == 24
    assert result["accuracy"] == pytest.approx(summary["quantized_accuracy"])
    assert result["float_accuracy"] == summary["float_accuracy"]
    manifest, arrays = load_vectors(dump)
    assert manifest["samples"] == 3 and arrays["input"].shape == (3, 2, 2, 32, 32)


def test_golden_refuses_a_bad_ir_file(tmp_path, capsys):
    bad = tmp_path / "bad.sdmfir"
    bad.write_bytes(b"not a zip")
    assert main(["golden", "--ir", str(bad)]) == 2
    assert "bad.sdmfir" in capsys.readouterr().err
