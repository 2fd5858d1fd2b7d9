"""Event-camera datasets as ``[T, 2, S, S]`` count frames (see ``docs/datasets.md``).

``build_dataset(name, split)`` returns a torch ``Dataset`` of ``(frames, label)`` with
float32 event-count frames; ``DATASETS`` describes every dataset up front.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from torch.utils.data import Dataset

from .cache import default_cache_dir
from .dataset import FramedDataset
from .framing import EVENT_DTYPE, FRAMING_VERSION, events_to_frames, fit_events
from .registry import DATASETS, SPLITS, DatasetInfo, check_split, get_info

__all__ = [
    "DATASETS",
    "EVENT_DTYPE",
    "FRAMING_VERSION",
    "SPLITS",
    "DatasetInfo",
    "FramedDataset",
    "build_dataset",
    "default_cache_dir",
    "events_to_frames",
    "fit_events",
]


def _positive(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def build_dataset(name: str, split: str, *, root: str | Path | None = None, T: int = 16,
                  img_size: int | None = None, cache_dir: str | Path | None = None,
                  download: bool = False, progress: bool = True) -> Dataset:
    """A split of dataset ``name`` whose items are ``(frames [T, 2, S, S] float32, label)``.

    ``name`` is a key of :data:`DATASETS`, ``split`` is ``"train"`` or ``"test"``.
    ``root`` holds the real datasets' files in tonic's layout (default
    ``<default_cache_dir()>/datasets``; digits-dvs ignores it); ``img_size`` defaults
    to the dataset's ``default_img_size``; frames (and digits-dvs event streams) are
    cached under ``cache_dir`` (default :func:`default_cache_dir`). ``download`` lets
    tonic fetch a missing dataset. The returned dataset has ``.info`` and ``.targets``.
    """
    info = get_info(name)
    check_split(split)
    T = _positive("T", T)
    size = _positive("img_size", info.default_img_size if img_size is None else img_size)
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    if name == "digits-dvs":
        from .digits_dvs import build_digits_dvs

        source = build_digits_dvs(split, size=size, cache_dir=cache, progress=progress)
        info = replace(info, sensor_size=(size, size, 2))
    else:
        from .neuromorphic import build_tonic_source

        data_root = (Path(root).expanduser() if root is not None
                     else default_cache_dir() / "datasets")
        source = build_tonic_source(name, split, data_root, download=download)
    return FramedDataset(info, split, source, T=T, img_size=size, cache_dir=cache)
