"""The quantize recipe as a library function (``sdmf.quant.recipe.quantize``).

A tiny lively SDMFormer on random event counts: fast, no dataset needed. The CLI
(`sdmf quantize`, tests/test_quant_cli.py) calls the same function.
"""

from __future__ import annotations

import pytest
import torch
from tiny_models import counts, tiny
from torch.utils.data import TensorDataset

from sdmf.cli.main import main
from sdmf.model.checkpoint import save_checkpoint
from sdmf.quant import recipe
from sdmf.quant.build import QuantSpec
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR
from sdmf.quant.recipe import GoldenMismatchError, QuantizeError, quantize

T, CLASSES = 2, 4
DATASET = {"name": "random-counts", "root": None, "T": T, "img_size": 32}


def _model():
    torch.manual_seed(3)
    model = tiny("sdmformer-1-32", num_classes=CLASSES)
    with torch.no_grad():
        for mask in model.masks().values():
            mask.weight.uniform_(-0.4, 1.0)          # ~30 % of the channels pruned
    return model


def _split(n: int, seed: int) -> TensorDataset:
    x = counts(n, seed=seed).float()
    y = torch.randint(0, CLASSES, (n,), generator=torch.Generator().manual_seed(seed))
    return TensorDataset(x, y)


def _quantize(model, **kw):
    args = {"time_steps": T, "qat_epochs": 1, "batch_size": 8, "seed": 5,
            "source": "tiny.pt", "dataset": DATASET, "progress": False, **kw}
    return quantize(model, _split(16, 1), _split(12, 2), QuantSpec(weight_bits=4), **args)


@pytest.fixture(scope="module")
def result():
    return _quantize(_model())


def test_the_recipe_returns_a_verified_ir_and_records_what_it_measured(result):
    ir = result.ir
    assert result.bit_exact_samples == result.samples == 12
    assert ir.meta["qat_vs_golden"] == {"samples": 12, "bit_exact": 12}
    assert ir.meta["accuracy"] == {"float": result.float_accuracy,
                                   "quantized": result.quantized_accuracy,
                                   "split": "test", "samples": 12}
    assert ir.meta["source_checkpoint"] == "tiny.pt" and ir.meta["dataset"] == DATASET
    assert "masks_ignored" not in ir.meta        # recorded only when set
    assert ir.meta["quant_spec"]["weight_bits"] == 4 and ir.meta["time_steps"] == T
    assert ir.meta["qat"]["epochs"] == 1 and ir.meta["qat"]["losses"] == result.losses
    assert len(result.losses) == 1
    assert result.params_deployed == ir.meta["params_deployed"]
    assert result.params_pruned < result.params_float


def test_the_recorded_accuracies_are_those_of_the_float_and_golden_models(result):
    test = _split(12, 2)
    x, y = test.tensors
    golden = GoldenModel(result.ir).run(x).pred
    assert result.quantized_accuracy == int((golden == y).sum()) / len(y)
    with torch.no_grad():
        floats = _model().eval()(x).argmax(-1)
    assert result.float_accuracy == int((floats == y).sum()) / len(y)


def test_the_recipe_is_reproducible_and_leaves_the_model_alone(result, tmp_path):
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    again = _quantize(model)
    assert again.ir.content_hash() == result.ir.content_hash()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    loaded = IntegerIR.load(again.ir.save(tmp_path / "tiny.sdmfir"))
    assert loaded.content_hash() == result.ir.content_hash()


def test_ignore_masks_quantizes_every_channel_of_a_copy(result):
    model = _model()
    masks = {k: m.weight.clone() for k, m in model.masks().items()}
    full = _quantize(model, qat_epochs=0, ignore_masks=True)
    assert all(torch.equal(masks[k], m.weight) for k, m in model.masks().items())
    assert full.ir.meta["masks_ignored"] is True
    kept = full.ir.meta["kept_channels"]
    for name, unit in model.conv_units().items():
        assert len(kept[name]["out"]) == unit.conv.out_channels, name
    assert full.params_pruned > result.params_pruned
    assert full.bit_exact_samples == full.samples


class _HeadOffByOne(GoldenModel):
    """A golden model whose logits tap is one higher than the contract's."""

    def run(self, x, taps=False):
        out = super().run(x, taps=taps)
        if taps:
            out.taps["head"] = out.taps["head"] + 1
        return out


def test_a_qat_golden_mismatch_is_an_error_naming_the_ops(monkeypatch):
    monkeypatch.setattr(recipe, "GoldenModel", _HeadOffByOne)
    with pytest.raises(GoldenMismatchError, match=r"differ on 12 samples \(ops head\)") as exc:
        _quantize(_model(), qat_epochs=0)
    assert (exc.value.samples, exc.value.bit_exact, exc.value.differing_ops) == (12, 0, ["head"])


def test_a_network_the_ir_gate_refuses_is_an_error():
    # T = 256 exceeds the 8-bit T field of the configuration register
    with pytest.raises(QuantizeError, match=r"no valid IR: .*input_shape\[0\]"):
        _quantize(_model(), time_steps=256, qat_epochs=0)


def test_the_cli_reports_a_mismatch_and_writes_nothing(monkeypatch, tmp_path, capsys):
    ckpt = save_checkpoint(tmp_path / "tiny.pt", _model(), dataset=DATASET)
    monkeypatch.setattr(recipe, "GoldenModel", _HeadOffByOne)
    monkeypatch.setattr("sdmf.cli.quantize.dataset_from_args",
                        lambda args, ckpt, split, cfg: (_split(8, 1 if split == "train" else 2),
                                                        DATASET))
    out = tmp_path / "tiny.sdmfir"
    assert main(["quantize", "--checkpoint", str(ckpt), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "differ on 8 samples (ops head); IR not written" in err
    assert not out.exists()
