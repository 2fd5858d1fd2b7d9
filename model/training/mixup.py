"""Batch Mixup and label-smoothed soft targets (timm's ``Mixup`` in batch mode).

With probability ``prob`` a batch is blended with its reverse:
``x ← λx + (1−λ)·flip(x)``, ``y ← λy + (1−λ)·flip(y)``, ``λ ~ Beta(α, α)``.
Targets are label-smoothed one-hot vectors (``1 − s + s/K`` on, ``s/K`` off),
so every target row sums to 1 and :func:`soft_cross_entropy` covers both cases.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def smooth_one_hot(labels: torch.Tensor, num_classes: int, smoothing: float = 0.0) -> torch.Tensor:
    """``[B]`` integer labels → ``[B, K]`` float targets with label smoothing."""
    off = smoothing / num_classes
    out = torch.full((labels.shape[0], num_classes), off, device=labels.device)
    return out.scatter_(1, labels.long().view(-1, 1), 1.0 - smoothing + off)


def mixup_batch(x: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator, *,
                alpha: float = 0.5, prob: float = 0.5) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Mix ``x`` and soft ``targets`` with their batch reverse; returns ``(x, targets, λ)``.

    Always draws the same number of random values from ``rng`` (determinism).
    """
    apply = rng.random() < prob
    lam = float(rng.beta(alpha, alpha))
    if not apply or x.shape[0] < 2:
        return x, targets, 1.0
    x = x * lam + x.flip(0) * (1.0 - lam)
    targets = targets * lam + targets.flip(0) * (1.0 - lam)
    return x, targets, lam


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``−Σ_k t_k log softmax(logits)_k`` (in float32)."""
    return torch.sum(-targets * F.log_softmax(logits.float(), dim=-1), dim=-1).mean()
