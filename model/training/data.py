"""Datasets and data loaders for training (thin glue over :mod:`sdmf.model.data`)."""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .config import TrainConfig
from .distributed import DistContext, ShardSampler, barrier


def build_split(name: str, split: str, *, root: str | None, time_steps: int,
                img_size: int | None, cache_dir: str | None = None, download: bool = False,
                progress: bool = True) -> Dataset:
    """``sdmf.model.data.build_dataset`` imported lazily (training works without it)."""
    from ..data import build_dataset

    return build_dataset(name, split, root=root, T=time_steps, img_size=img_size,
                         cache_dir=cache_dir, download=download, progress=progress)


def build_datasets(cfg: TrainConfig, ctx: DistContext) -> tuple[Dataset, Dataset]:
    """Train and test splits; rank 0 builds first (downloads and caches), then the rest."""
    def make() -> tuple[Dataset, Dataset]:
        kw = dict(root=cfg.data_dir, time_steps=cfg.time_steps, img_size=cfg.img_size,
                  cache_dir=cfg.cache_dir, download=cfg.download,
                  progress=cfg.progress and ctx.is_main)
        return build_split(cfg.dataset, "train", **kw), build_split(cfg.dataset, "test", **kw)

    if ctx.is_main:
        sets = make()
        barrier(ctx)
    else:
        barrier(ctx)
        sets = make()
    return sets


def num_classes_of(dataset: Dataset) -> int:
    """``dataset.info.num_classes``, else ``max(dataset.targets) + 1``."""
    info = getattr(dataset, "info", None)
    if info is not None and getattr(info, "num_classes", None):
        return int(info.num_classes)
    targets = getattr(dataset, "targets", None)
    if targets is None:
        targets = [int(dataset[i][1]) for i in range(len(dataset))]
    return int(max(int(t) for t in targets)) + 1


def dataset_record(dataset: Dataset, cfg: TrainConfig, img_size: int) -> dict[str, Any]:
    """What a checkpoint records about its data: enough for ``sdmf eval`` to rebuild it."""
    info = getattr(dataset, "info", None)
    names = getattr(info, "class_names", None)
    return {"name": getattr(info, "name", None) or cfg.dataset, "T": cfg.time_steps,
            "img_size": img_size, "root": cfg.data_dir, "cache_dir": cfg.cache_dir,
            "num_classes": num_classes_of(dataset),
            "class_names": list(names) if names else None}


def frame_shape(dataset: Dataset) -> tuple[int, ...]:
    """Shape ``(T, C, H, W)`` of the first sample."""
    if len(dataset) == 0:
        raise ValueError("dataset is empty")
    return tuple(torch.as_tensor(dataset[0][0]).shape)


def train_loader(dataset: Dataset, cfg: TrainConfig, ctx: DistContext,
                 generator: torch.Generator) -> tuple[DataLoader, DistributedSampler]:
    """Shuffled loader over this rank's share of ``dataset``; returns the sampler for ``set_epoch``.

    The order comes from a ``DistributedSampler`` (also with one process), which
    permutes with a generator seeded from ``cfg.seed + epoch`` alone: it does not
    depend on the number of workers, on the loader's ``generator`` (which only seeds
    the workers) or on where a run was resumed. The last partial batch is dropped
    when the per-rank share holds at least one full batch.
    """
    sampler = DistributedSampler(dataset, num_replicas=ctx.world_size, rank=ctx.rank,
                                 shuffle=True, seed=cfg.seed)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, sampler=sampler,
                        num_workers=cfg.workers, generator=generator,
                        drop_last=len(sampler) > cfg.batch_size,
                        pin_memory=ctx.device.type == "cuda",
                        persistent_workers=cfg.workers > 0)
    return loader, sampler


def eval_loader(dataset: Dataset, batch_size: int, ctx: DistContext,
                workers: int = 0) -> DataLoader:
    """In-order loader over this rank's shard (every sample exactly once over all ranks)."""
    return DataLoader(dataset, batch_size=batch_size,
                      sampler=ShardSampler(len(dataset), ctx.rank, ctx.world_size),
                      num_workers=workers, pin_memory=ctx.device.type == "cuda",
                      persistent_workers=workers > 0)
