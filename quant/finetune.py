"""Quantization-aware fine-tuning and accuracy measurement for quantized models."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm

from .golden import GoldenModel
from .qat import QuantizedModel


def accuracy(predict: Callable[[torch.Tensor], torch.Tensor],
             batches: Iterable[tuple[torch.Tensor, torch.Tensor]], desc: str = "eval",
             progress: bool = True) -> float:
    """Top-1 accuracy of ``predict(frames) -> classes`` over ``(frames, labels)`` batches."""
    correct = total = 0
    for x, y in tqdm(batches, desc=desc, leave=False, disable=not progress):
        correct += int((predict(x).cpu() == y).sum())
        total += int(y.numel())
    return correct / max(total, 1)


@torch.no_grad()
def float_predict(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    model.eval()
    return lambda x: model(x).argmax(-1)


def golden_predict(golden: GoldenModel) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda x: golden.run(x).pred


@torch.no_grad()
def verify_against_golden(qmodel: QuantizedModel, golden: GoldenModel,
                          batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
                          progress: bool = True) -> dict[str, float | int | list[str]]:
    """Compare the QAT model in eval mode with the golden model on every tap and logit.

    Returns the golden model's accuracy, the number of samples checked, how many were
    bit-exact on every op output, and the names of ops that ever differed.
    """
    qmodel.eval()
    correct = total = exact = 0
    differing: set[str] = set()
    for x, y in tqdm(batches, desc="verify QAT vs golden", leave=False, disable=not progress):
        g = golden.run(x, taps=True)
        q = qmodel.run(x, taps=True)
        same = torch.ones(x.shape[0], dtype=torch.bool)
        for name, value in g.taps.items():
            eq = (q[name].to(torch.int64) == value).flatten(1).all(dim=1)
            if not bool(eq.all()):
                differing.add(name)
            same &= eq
        exact += int(same.sum())
        correct += int((g.pred == y).sum())
        total += int(y.numel())
    return {"accuracy": correct / max(total, 1), "samples": total, "bit_exact": exact,
            "differing_ops": sorted(differing)}


def qat_finetune(qmodel: QuantizedModel, batches: Callable[[int], Iterable], epochs: int,
                 lr: float = 1e-4, weight_decay: float = 0.0, label_smoothing: float = 0.1,
                 progress: bool = True) -> list[float]:
    """Fine-tune ``qmodel`` for ``epochs``; ``batches(epoch)`` yields ``(frames, labels)``.

    AdamW with a cosine decay to 1 % of ``lr``; returns the mean loss per epoch.
    """
    if epochs <= 0:
        return []
    params = [p for p in qmodel.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=lr * 0.01)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
    history = []
    for epoch in range(epochs):
        qmodel.train()
        total, count = 0.0, 0
        bar = tqdm(batches(epoch), desc=f"QAT epoch {epoch + 1}/{epochs}", leave=False,
                   disable=not progress)
        for x, y in bar:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(qmodel(x), y)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * y.numel()
            count += y.numel()
            bar.set_postfix(loss=f"{total / count:.4f}")
        sched.step()
        history.append(total / max(count, 1))
    qmodel.eval()
    return history
