"""Samples for the analyses: a real dataset (``sdmf.model.data``) or seeded synthetic events.

``synthetic`` needs no files: item ``i`` is drawn from a generator seeded with
``(seed, i)``, so every run sees the same frames. Each item has a per-sample
event density ``λ ~ U(0.5, 1.5)·density`` and per-pixel Poisson event counts
with that mean, for every time step and polarity; a random rectangle carries
three times the density (a crude moving-object stand-in). Labels are
``i mod num_classes``. Firing rates measured on it describe the model, not a
task — use a real dataset for numbers that go in a report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Subset

SYNTHETIC = "synthetic"


class SyntheticEvents(Dataset):
    """``n`` reproducible random event-count samples ``([T, 2, H, W] float32, label)``."""

    def __init__(self, n: int, T: int, img_size: int,
                 num_classes: int = 10, seed: int = 0,
                 density: float = 0.2) -> None:
        self.n, self.T, self.img_size = n, T, img_size
        self.num_classes, self.seed, self.density = num_classes, seed, density

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
        S = self.img_size
        scale = 0.5 + float(torch.rand(1, generator=g))
        lam = torch.full((self.T, 2, S, S), self.density * scale)
        y0, x0 = (int(v) for v in torch.randint(0, S // 2, (2,), generator=g))
        lam[:, :, y0:y0 + S // 2, x0:x0 + S // 2] *= 3
        return torch.poisson(lam, generator=g), i % self.num_classes


@dataclass(frozen=True)
class DataSpec:
    """Which samples to run: dataset name, split, root, frames per sample, size, count."""

    name: str
    split: str = "test"
    root: str | None = None
    T: int = 16
    img_size: int = 128
    samples: int = 100
    seed: int = 0
    cache_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_samples(spec: DataSpec, num_classes: int = 10, progress: bool = True) -> Dataset:
    """The ``spec.samples`` samples to analyse (a seeded random subset of the split)."""
    if spec.samples < 1:
        raise ValueError(f"samples must be >= 1, got {spec.samples}")
    if spec.name == SYNTHETIC:
        return SyntheticEvents(spec.samples, spec.T, spec.img_size, num_classes, spec.seed)
    from sdmf.model.data import build_dataset  # lazy: optional until a real dataset is used

    ds = build_dataset(spec.name, spec.split, root=spec.root, T=spec.T, img_size=spec.img_size,
                       cache_dir=spec.cache_dir, progress=progress)
    if spec.samples >= len(ds):
        return ds
    g = torch.Generator().manual_seed(spec.seed)
    idx = sorted(int(i) for i in torch.randperm(len(ds), generator=g)[:spec.samples])
    return Subset(ds, idx)


def batches(dataset: Dataset, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(frames [B, T, 2, H, W], labels [B])`` in order, single process."""
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    yield from DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
