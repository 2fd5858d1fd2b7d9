"""Accuracy reports and the confusion-matrix figure of ``sdmf eval``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sdmf.io import atomic_write


def confusion_report(confusion: torch.Tensor,
                     class_names: list[str] | None = None) -> dict[str, Any]:
    """Accuracy, per-class accuracy (recall; None for a class with no samples) and the matrix."""
    cm = confusion.to(torch.int64).cpu()
    n = int(cm.sum())
    support = cm.sum(1)
    names = list(class_names) if class_names else [str(i) for i in range(cm.shape[0])]
    per_class = [float(cm[i, i]) / int(s) if int(s) else None for i, s in enumerate(support)]
    return {"accuracy": float(cm.trace()) / n if n else 0.0, "num_samples": n,
            "class_names": names, "per_class_accuracy": dict(zip(names, per_class, strict=True)),
            "support": dict(zip(names, (int(s) for s in support), strict=True)),
            "confusion_matrix": cm.tolist()}


def plot_confusion(confusion: torch.Tensor | list[list[int]], path: str | Path, *,
                   class_names: list[str] | None = None, title: str = "") -> Path:
    """Write a row-normalised confusion matrix (counts annotated) as a PNG, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = torch.as_tensor(confusion, dtype=torch.float64)
    k = cm.shape[0]
    names = list(class_names) if class_names else [str(i) for i in range(k)]
    rows = cm / cm.sum(1, keepdim=True).clamp(min=1)
    size = min(max(4.0, 0.45 * k + 2.5), 24.0)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    im = ax.imshow(rows.numpy(), cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class")
    ax.set_xticks(range(k), names, rotation=90 if k > 10 else 0, fontsize=8 if k > 20 else 10)
    ax.set_yticks(range(k), names, fontsize=8 if k > 20 else 10)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if title:
        ax.set_title(title)
    if k <= 20:
        for i in range(k):
            for j in range(k):
                if cm[i, j]:
                    ax.text(j, i, int(cm[i, j]), ha="center", va="center", fontsize=8,
                            color="white" if rows[i, j] > 0.5 else "black")
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120)
    plt.close(fig)
    return Path(path)
