"""Cosine learning-rate schedule with linear warm-up, stepped once per epoch.

Like timm's ``CosineLRScheduler`` (``t_in_epochs=True``, ``warmup_prefix=True``)::

    e < W:   lr(e) = warmup_lr + e · (base_lr − warmup_lr) / W
    e ≥ W:   lr(e) = min_lr + ½ (base_lr − min_lr) (1 + cos(π (e − W) / (E − W)))

for epochs ``e = 0 … E−1``. The schedule is a pure function of the epoch, so its
whole state is the epoch index (what a checkpoint stores).
"""

from __future__ import annotations

import math
from typing import Any

import torch


def cosine_lr(epoch: int, *, base_lr: float, epochs: int, warmup_epochs: int = 0,
              warmup_lr: float = 1e-5, min_lr: float = 1e-5) -> float:
    """The learning rate of ``epoch`` (0-based) under the schedule above."""
    if epoch < warmup_epochs:
        return warmup_lr + epoch * (base_lr - warmup_lr) / warmup_epochs
    span = max(epochs - warmup_epochs, 1)
    progress = min(epoch - warmup_epochs, span) / span
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))


class CosineWarmupSchedule:
    """Sets every param group's ``lr`` from :func:`cosine_lr` at the start of an epoch."""

    def __init__(self, optimizer: torch.optim.Optimizer, *, base_lr: float, epochs: int,
                 warmup_epochs: int = 0, warmup_lr: float = 1e-5, min_lr: float = 1e-5) -> None:
        self.optimizer = optimizer
        self.params = dict(base_lr=base_lr, epochs=epochs, warmup_epochs=warmup_epochs,
                           warmup_lr=warmup_lr, min_lr=min_lr)
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        return cosine_lr(epoch, **self.params)

    def step(self, epoch: int) -> float:
        """Enter ``epoch``: set and return its learning rate."""
        self.epoch = epoch
        lr = self.lr_at(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr

    def state_dict(self) -> dict[str, Any]:
        return {"kind": "cosine-warmup-per-epoch", "epoch": self.epoch, **self.params}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch = int(state["epoch"])
