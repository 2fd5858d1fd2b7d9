"""The torch ``Dataset`` shared by every loader: event source → cached count frames."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from .cache import FrameCache
from .framing import events_to_frames, fit_events
from .registry import DatasetInfo


class EventSource(Protocol):
    """Where a split's event streams come from (one per sample, in a fixed order)."""

    canvas: tuple[int, int]   # (W, H) the coordinates live on
    source_tag: str           # names the source format/version in the cache path
    labels: list[int]

    def __len__(self) -> int: ...

    def key(self, index: int) -> str:
        """A cache key unique to this sample's input (fingerprint or stable id)."""
        ...

    def read(self, index: int) -> np.ndarray:
        """The sample's events; ``ValueError("<file>: ...")`` if its file is unreadable."""
        ...


class FramedDataset(Dataset):
    """Items are ``(frames, label)``: float32 ``[T, 2, S, S]`` event counts and an int.

    Frames are computed on first access (events → :func:`fit_events` →
    :func:`events_to_frames`) and cached as compressed ``.npz`` files; later epochs
    only load them.
    """

    def __init__(self, info: DatasetInfo, split: str, source: EventSource, *,
                 T: int, img_size: int, cache_dir: str | Path) -> None:
        self.info = info
        self.split = split
        self.source = source
        self.T = T
        self.img_size = img_size
        self.targets: list[int] = list(source.labels)
        self.cache = FrameCache(cache_dir, info.name, split, source.source_tag, T, img_size)

    def __len__(self) -> int:
        return len(self.targets)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.info.name!r}, split={self.split!r}, n={len(self)}, "
                f"T={self.T}, img_size={self.img_size})")

    def _index(self, index: int) -> int:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} out of range for {n} samples")
        return index % n

    def count_frames(self, index: int) -> np.ndarray:
        """The sample's ``[T, 2, S, S]`` counts (small unsigned dtype), cached on disk."""
        index = self._index(index)
        key = self.source.key(index)
        frames = self.cache.load(key)
        if frames is None:
            events = fit_events(self.source.read(index), self.source.canvas, self.img_size)
            frames = events_to_frames(events, (self.img_size, self.img_size, 2), self.T)
            frames = self.cache.store(key, frames)
        return frames

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        index = self._index(index)
        frames = self.count_frames(index)
        return torch.from_numpy(frames.astype(np.float32)), self.targets[index]

    def cache_all(self, progress: bool = True) -> None:
        """Frame and cache every sample now (otherwise it happens during the first epoch)."""
        for i in tqdm(range(len(self)), desc=f"{self.info.name}/{self.split} frames",
                      disable=not progress, leave=False):
            self.count_frames(i)
