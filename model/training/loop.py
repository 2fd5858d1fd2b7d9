"""One training epoch and one evaluation pass (DDP-aware, AMP on CUDA)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from .augment import augment_batch
from .config import TrainConfig
from .distributed import DistContext, all_reduce_sum, unwrap
from .mixup import mixup_batch, smooth_one_hot, soft_cross_entropy


@dataclass(frozen=True)
class Precision:
    """Autocast settings: ``dtype`` None means full float32."""

    device_type: str = "cpu"
    dtype: torch.dtype | None = None

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)


def masks_of(model: nn.Module) -> list[nn.Module]:
    """The ChannelMask modules of an SDMFormer (empty for Spikformer)."""
    inner = unwrap(model)
    return list(inner.masks().values()) if hasattr(inner, "masks") else []


def mask_soft_keep(model: nn.Module) -> torch.Tensor | None:
    """Mean over masks of ``mean(soft_keep())``: the differentiable sparsity term."""
    masks = masks_of(model)
    if not masks:
        return None
    return torch.stack([m.soft_keep().mean() for m in masks]).mean()


@torch.no_grad()
def masking_ratio(model: nn.Module) -> float | None:
    """Fraction of all masked channels that are switched off (None without masks)."""
    masks = masks_of(model)
    if not masks:
        return None
    kept = sum(int(m.keep().sum()) for m in masks)
    total = sum(m.weight.numel() for m in masks)
    return 1.0 - kept / total


def _progress(loader: DataLoader, desc: str, enabled: bool) -> Any:
    return tqdm(loader, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)


def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    cfg: TrainConfig, *, epoch: int, num_classes: int, ctx: DistContext,
                    rng: np.random.Generator, precision: Precision = Precision(),
                    scaler: torch.amp.GradScaler | None = None,
                    progress: bool = True) -> dict[str, float]:
    """Train for one epoch; returns ``{"loss", "acc", "mask_keep"}`` averaged over all ranks.

    ``rng`` drives augmentation and Mixup; ``loss`` is the classification loss alone
    (without the mask sparsity term), ``acc`` is measured against the dominant
    (soft-)target class.
    """
    model.train()
    device = ctx.device
    use_mixup = cfg.mixup_active(epoch)
    totals = torch.zeros(3, dtype=torch.float64, device=device)  # loss·n, correct, n
    bar = _progress(loader, f"epoch {epoch + 1}/{cfg.epochs}", progress and ctx.is_main)
    for step, (frames, labels) in enumerate(bar):
        if cfg.max_steps_per_epoch is not None and step >= cfg.max_steps_per_epoch:
            break
        x = frames.to(device, non_blocking=True).float()
        y = labels.to(device, non_blocking=True).long()
        if cfg.augment:
            x = augment_batch(x, rng)
        targets = smooth_one_hot(y, num_classes, cfg.label_smoothing)
        if use_mixup:
            x, targets, _ = mixup_batch(x, targets, rng, alpha=cfg.mixup_alpha,
                                        prob=cfg.mixup_prob)
        with precision.autocast():
            logits = model(x)
        loss = soft_cross_entropy(logits, targets)
        total = loss
        if cfg.mask_sparsity > 0:
            keep = mask_soft_keep(model)
            if keep is not None:
                total = loss + cfg.mask_sparsity * keep
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(total).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            total.backward()
            optimizer.step()
        n = y.shape[0]
        correct = (logits.argmax(-1) == targets.argmax(-1)).sum()
        totals += torch.stack([loss.detach().double() * n, correct.double(),
                               torch.tensor(n, dtype=torch.float64, device=device)])
        if ctx.is_main and progress:
            bar.set_postfix(loss=f"{loss.item():.3f}",
                            acc=f"{float(totals[1] / max(totals[2], 1)):.1%}")
    all_reduce_sum(totals, ctx)
    count = max(float(totals[2]), 1.0)
    keep = mask_soft_keep(model)
    return {"loss": float(totals[0]) / count, "acc": float(totals[1]) / count,
            "mask_keep": float(keep.detach()) if keep is not None else None}


@torch.no_grad()
def evaluate(model: nn.Module, loader: DataLoader, *, num_classes: int,
             ctx: DistContext | None = None, precision: Precision = Precision(),
             progress: bool = False, desc: str = "eval") -> dict[str, Any]:
    """Plain cross-entropy and accuracy over ``loader`` (summed exactly over ranks).

    Returns ``{"loss", "acc", "num_samples", "confusion"}``; ``confusion[i, j]``
    counts samples of true class ``i`` predicted as ``j`` (int64 CPU tensor).
    """
    ctx = ctx or DistContext()
    net = unwrap(model)
    net.eval()
    device = ctx.device
    loss_sum = torch.zeros(1, dtype=torch.float64, device=device)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    for frames, labels in _progress(loader, desc, progress and ctx.is_main):
        x = frames.to(device, non_blocking=True).float()
        y = labels.to(device, non_blocking=True).long()
        with precision.autocast():
            logits = net(x)
        loss_sum += F.cross_entropy(logits.float(), y, reduction="sum").double()
        confusion += torch.bincount(y * num_classes + logits.argmax(-1),
                                    minlength=num_classes**2).view(num_classes, num_classes)
    all_reduce_sum(loss_sum, ctx)
    all_reduce_sum(confusion, ctx)
    n = int(confusion.sum())
    return {"loss": float(loss_sum) / max(n, 1), "acc": float(confusion.trace()) / max(n, 1),
            "num_samples": n, "confusion": confusion.cpu()}
