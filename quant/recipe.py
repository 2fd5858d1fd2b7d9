"""The quantize recipe: a trained float model → a verified integer IR.

:func:`quantize` does what ``sdmf quantize`` does, without the command line: switch
the masks on (``ignore_masks``), measure the float accuracy, build the Brevitas
:class:`~sdmf.quant.qat.QuantizedModel` (BN folded, masks as pruning), fine-tune it
(QAT), export the IR, run the golden model on the test set, check that QAT in eval
mode and the golden model agree bit for bit on every op output of every sample, and
record the metadata. It raises :class:`QuantizeError` instead of returning an IR it
could not verify; writing the IR (``ir.save``) is left to the caller.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from sdmf.model.pruning import count_params, count_params_pruned
from sdmf.model.transformer import SpikingTransformer

from .build import QuantSpec
from .export import export_ir
from .finetune import accuracy, float_predict, qat_finetune, verify_against_golden
from .golden import GoldenModel
from .ir import IntegerIR
from .qat import QuantizedModel
from .validate import IRError

__all__ = ["GoldenMismatchError", "QuantizeError", "QuantizeResult", "quantize"]


class QuantizeError(RuntimeError):
    """The recipe produced no valid, verified IR; the message says why."""


class GoldenMismatchError(QuantizeError):
    """The QAT model in eval mode and the golden model differ on some samples."""

    def __init__(self, samples: int, bit_exact: int, differing_ops: list[str]) -> None:
        super().__init__(f"QAT model and golden model differ on {samples - bit_exact} "
                         f"samples (ops {', '.join(differing_ops)})")
        self.samples = samples
        self.bit_exact = bit_exact
        self.differing_ops = differing_ops


@dataclass
class QuantizeResult:
    """The verified IR and the numbers measured on the way (also recorded in ``ir.meta``)."""

    ir: IntegerIR
    float_accuracy: float
    quantized_accuracy: float      # the golden model's, on the test set
    samples: int                   # test samples checked against the golden model
    bit_exact_samples: int         # of those, bit-exact on every op output and logit
    params_float: int
    params_pruned: int
    losses: list[float] = field(default_factory=list)   # mean QAT loss per epoch

    @property
    def params_deployed(self) -> int:
        return int(self.ir.meta["params_deployed"])


def quantize(model: SpikingTransformer, train_set: Dataset, test_set: Dataset, spec: QuantSpec,
             *, time_steps: int, qat_epochs: int = 0, lr: float = 1e-4, batch_size: int = 32,
             seed: int = 0, ignore_masks: bool = False, source: str | None = None,
             dataset: Mapping[str, Any] | None = None, progress: bool = True) -> QuantizeResult:
    """Quantize ``model`` into a verified integer IR (see the module docstring).

    ``train_set`` feeds QAT (shuffled per epoch by a generator seeded ``seed + epoch``),
    ``test_set`` the accuracies and the golden check; the global torch RNG is seeded with
    ``seed`` first. ``ignore_masks`` quantizes a copy of ``model`` with every channel kept.
    ``source`` (the checkpoint) and ``dataset`` are recorded in ``ir.meta``. Raises
    :class:`QuantizeError` when the network is no valid IR and :class:`GoldenMismatchError`
    when QAT and golden disagree.
    """
    if ignore_masks:
        model = _all_masks_on(model)
    torch.manual_seed(seed)
    test_loader = DataLoader(test_set, batch_size=batch_size)
    float_acc = accuracy(float_predict(model), test_loader, "float eval", progress)
    qmodel = QuantizedModel(model, spec, time_steps=time_steps)
    losses = qat_finetune(qmodel, _shuffled(train_set, batch_size, seed), qat_epochs, lr=lr,
                          progress=progress)
    meta: dict[str, Any] = {
        "source_checkpoint": source,
        # recorded only when set, so `make models` reproduces the shipped IR bit for bit
        **({"masks_ignored": True} if ignore_masks else {}),
        "dataset": dict(dataset or {}),
        "qat": {"epochs": qat_epochs, "lr": lr, "losses": losses},
        "params_float": count_params(model),
        "params_pruned": count_params_pruned(model),
    }
    try:
        ir = export_ir(qmodel, meta)
    except IRError as exc:
        raise QuantizeError(f"the quantized network is no valid IR: {exc}") from exc
    check = verify_against_golden(qmodel, GoldenModel(ir), test_loader, progress)
    ir.meta["accuracy"] = {"float": float_acc, "quantized": check["accuracy"],
                           "split": "test", "samples": len(test_set)}
    ir.meta["qat_vs_golden"] = {"samples": check["samples"], "bit_exact": check["bit_exact"]}
    if check["bit_exact"] != check["samples"]:
        raise GoldenMismatchError(check["samples"], check["bit_exact"], check["differing_ops"])
    return QuantizeResult(ir=ir, float_accuracy=float_acc,
                          quantized_accuracy=check["accuracy"], samples=check["samples"],
                          bit_exact_samples=check["bit_exact"],
                          params_float=meta["params_float"],
                          params_pruned=meta["params_pruned"], losses=losses)


def _all_masks_on(model: SpikingTransformer) -> SpikingTransformer:
    """A copy of ``model`` with every mask gate switched on (the unpruned network)."""
    model = copy.deepcopy(model)
    with torch.no_grad():
        for mask in model.masks().values():
            mask.weight.fill_(1.0)
    return model


def _shuffled(train_set: Dataset, batch_size: int,
              seed: int) -> Callable[[int], Iterable[tuple[torch.Tensor, torch.Tensor]]]:
    """``epoch -> batches``: the training set reshuffled by a generator seeded per epoch."""
    def batches(epoch: int) -> DataLoader:
        g = torch.Generator().manual_seed(seed + epoch)
        return DataLoader(train_set, batch_size=batch_size, shuffle=True, generator=g)
    return batches
