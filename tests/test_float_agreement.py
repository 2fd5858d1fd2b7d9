"""The integer network of a trained checkpoint tracks the float network's logits.

On the first ``N`` digits-dvs test samples, the golden model's integer logits ×
``meta.logit_scale`` are compared with the logits of the float checkpoint
(``SpikingTransformer`` with its masks, eval mode), for the shipped IR (after QAT)
and for the checkpoint re-quantized now (no QAT) by the current quant/ code.

Tolerances (measured on these 32 samples; mean float logit range R ≈ 4.69):

* class agreement ≥ 0.85 — measured 1.00 (shipped) and 0.97 (re-quantized);
* median |logit error| ≤ 0.08·R ≈ 0.375 — measured 0.17 (shipped) and 0.15
  (re-quantized).

Spikes flip under quantization, so logits differ by a few percent; the bounds have
a margin of ~2× over the measured values, while a BN fold that drops the running
mean gives agreement 0.66 and median error ≈ 1.01 (0.22·R) on the re-quantized model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sdmf.model.checkpoint import load_model
from sdmf.model.data import build_dataset
from sdmf.quant.build import QuantSpec
from sdmf.quant.export import export_ir
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IntegerIR
from sdmf.quant.qat import QuantizedModel

MODELS = Path(__file__).resolve().parents[1] / "models" / "digits-dvs"
N = 32
MIN_AGREEMENT = 0.85
MAX_MEDIAN_ERROR = 0.08     # × the mean range (max − min) of the float logits


@pytest.fixture(scope="module")
def reference():
    """The float model, its checkpoint, N test samples and their float logits."""
    model, ckpt = load_model(MODELS / "sdmformer-1-128.pt")
    ds = build_dataset("digits-dvs", "test", T=ckpt["dataset"]["T"],
                       img_size=ckpt["dataset"]["img_size"], progress=False)
    x = torch.stack([ds[i][0] for i in range(N)])
    with torch.no_grad():
        logits = model.eval()(x).double()
    return model, ckpt, x, logits


def _assert_tracks(ir: IntegerIR, x: torch.Tensor, float_logits: torch.Tensor) -> None:
    result = GoldenModel(ir).run(x)
    logits = result.logits.double() * ir.meta["logit_scale"]
    spread = float((float_logits.max(1).values - float_logits.min(1).values).mean())
    error = float((logits - float_logits).abs().median())
    agree = float((result.pred == float_logits.argmax(1)).double().mean())
    assert agree >= MIN_AGREEMENT, f"class agreement {agree:.3f}"
    assert error <= MAX_MEDIAN_ERROR * spread, \
        f"median |Δlogit| {error:.3f} > {MAX_MEDIAN_ERROR} × mean range {spread:.3f}"


def test_shipped_ir_tracks_the_float_checkpoint(reference):
    _, _, x, float_logits = reference
    _assert_tracks(IntegerIR.load(MODELS / "sdmformer-1-128-int8.sdmfir"), x, float_logits)


def test_checkpoint_requantized_now_tracks_the_float_checkpoint(reference):
    """Catches faults in today's folding/quantization, which the shipped IR cannot show."""
    model, ckpt, x, float_logits = reference
    qmodel = QuantizedModel(model, QuantSpec(weight_bits=8), time_steps=ckpt["dataset"]["T"])
    _assert_tracks(export_ir(qmodel), x, float_logits)
