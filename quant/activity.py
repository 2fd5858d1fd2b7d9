"""Activity-realistic integer IRs of untrained networks (docs/activity.md).

Hardware work on the paper's configuration (sdmformer-2-256, 128×128, T = 16) needs
an IR whose layers spike like a trained network's, without training at 128² on a
CPU. :func:`activity_ir` builds one:

1. the named model with **untrained** weights (``torch.manual_seed(seed)``);
2. every channel mask switched off for a fixed fraction of its channels
   (``sdmf.model.analysis.activity.FIG5_MASKED``, the proportions of the paper's
   Fig. 5); which channels is a seeded permutation per mask;
3. every BatchNorm's running statistics re-estimated on digits-dvs frames at the
   IR's image size and T (:func:`~sdmf.model.analysis.calibrate.calibrate_bn`), the
   masks already on so that each layer sees the masked activity before it;
4. rate calibration (:func:`~sdmf.model.analysis.ratecal.calibrate_rates`, unless
   ``rate_samples`` is 0): per-layer BN bias shifts towards the trained digits-dvs
   model's firing rates — plain re-estimation leaves the attention LIF silent;
5. the quantize recipe :func:`sdmf.quant.recipe.quantize` (no QAT), which folds BN,
   prunes the masked channels, quantizes and checks the QAT model against the golden
   model bit for bit.

The weights are random, so the IR's predictions mean nothing: its metadata carries
no ``accuracy`` but an ``activity`` record that says how it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from sdmf.model import create_model
from sdmf.model.analysis.activity import mask_fractions, set_mask_fractions
from sdmf.model.analysis.calibrate import calibrate_bn
from sdmf.model.analysis.ratecal import LayerShift, calibrate_rates

from .build import QuantSpec
from .ir import IntegerIR
from .recipe import quantize

__all__ = ["ActivityIRResult", "activity_ir"]


@dataclass
class ActivityIRResult:
    """The IR and what was done to make it."""

    ir: IntegerIR
    masks: dict[str, dict[str, int | float]]   # per unit: masked, channels, fraction
    calibration_samples: int                    # BN re-estimation
    shifts: list[LayerShift]                    # rate calibration (empty: skipped)
    check_samples: int                          # samples QAT ≡ golden was verified on


def activity_ir(model_name: str, *, img_size: int, time_steps: int, seed: int,
                calib_set: Dataset, check_set: Dataset, rate_samples: int = 8,
                classes: int = 10, batch_size: int = 8,
                dataset: Mapping[str, Any] | None = None,
                stage: Callable[[str], None] | None = None,
                progress: bool = True, weight_bits: int = 8) -> ActivityIRResult:
    """An activity-realistic IR of untrained ``model_name`` (see the module docstring).

    ``calib_set`` re-estimates the BN statistics (frames ``[T, 2, S, S]``, S =
    ``img_size``); its first ``rate_samples`` samples drive the rate calibration (0:
    none, plain BN re-estimation); ``check_set`` is where the recipe verifies QAT ≡
    golden; ``weight_bits``: the recipe's weight width. ``stage`` receives a line as each
    step starts. Raises ``ValueError`` for a
    bad name, size or data and :class:`~sdmf.quant.recipe.QuantizeError` from the recipe.
    """
    say = stage or (lambda _line: None)
    torch.manual_seed(seed)
    model = create_model(model_name, img_size=img_size, num_classes=classes).eval()
    if not model.cfg.masked or model.cfg.pos_embed != "lpe":
        raise ValueError(f"{model_name} is no SDMFormer: activity IRs need its masks")
    _check_frames(calib_set, time_steps, img_size)
    masks = set_mask_fractions(model, mask_fractions(model), seed)
    say(f"BN re-estimation on {len(calib_set)} samples")
    seen = calibrate_bn(model, DataLoader(calib_set, batch_size=batch_size), progress=progress,
                        total=-(-len(calib_set) // batch_size))
    shifts: list[LayerShift] = []
    if rate_samples:
        n = min(rate_samples, len(calib_set))
        say(f"rate calibration on {n} samples")
        frames = torch.stack([calib_set[i][0] for i in range(n)])
        shifts = calibrate_rates(model, frames, progress=progress)
    say(f"quantize recipe (QAT ≡ golden on {len(check_set)} samples)")
    spec = QuantSpec(weight_bits=weight_bits)
    result = quantize(model, calib_set, check_set, spec, time_steps=time_steps,
                      qat_epochs=0, batch_size=batch_size, seed=seed,
                      dataset=dataset, progress=progress)
    ir = result.ir
    ir.meta.pop("accuracy", None)   # random weights: an accuracy would mean nothing
    ir.meta["activity"] = {
        "method": "untrained weights; masks at the paper's Fig. 5 proportions; BN running "
                  "statistics re-estimated on the calibration samples; BN biases shifted "
                  "towards the trained digits-dvs model's firing rates. NOT a trained model: "
                  "its predictions carry no accuracy (docs/activity.md)",
        "seed": seed, "calibration_samples": seen, "calibration_split": "train",
        "rate_samples": min(rate_samples, len(calib_set)),
        "masked_fraction": {k: v["fraction"] for k, v in masks.items()},
        "shifts": [asdict(s) for s in shifts],
    }
    return ActivityIRResult(ir=ir, masks=masks, calibration_samples=seen, shifts=shifts,
                            check_samples=result.samples)


def _check_frames(data: Dataset, time_steps: int, img_size: int) -> None:
    """The first sample of ``data`` has the shape ``[T, 2, S, S]`` the IR is built for."""
    if len(data) == 0:
        raise ValueError("the calibration set is empty")
    shape = tuple(data[0][0].shape)
    if shape[0] != time_steps or shape[2:] != (img_size, img_size):
        raise ValueError(f"calibration frames are {list(shape)}, expected "
                         f"[{time_steps}, 2, {img_size}, {img_size}]")
