"""DVS128 Gesture, CIFAR10-DVS and N-Caltech101 through tonic, from files under ``root``.

tonic keeps each dataset in ``<root>/<tonic class name>/``:

* DVS128 Gesture: ``DVSGesture/ibmGestureTrain/user<NN>_<lighting>/<label>.npy`` and
  ``DVSGesture/ibmGestureTest/...`` (tonic's preprocessed release: one ``[N, 4]``
  array of x, y, p, t in ms per gesture, file named by its label 0..10).
* CIFAR10-DVS: ``CIFAR10DVS/<class>/*.aedat4`` (tonic's AEDAT4 release, class folders
  ``airplane`` … ``truck``).
* N-Caltech101: ``NCALTECH101/Caltech101/<class>/*.bin`` (the original 40-bit ATIS
  files, 101 class folders).

Samples are ordered by path (tonic's directory walk order is platform dependent).
Splits: DVS128 Gesture's official train/test folders; CIFAR10-DVS per class the first
90 % (900 of 1000) in sorted file-name order train, the last 10 % test; N-Caltech101
per class a seeded hash order (SHA-256 of ``"0/<class>/<file name>"``) whose first
``round(n/10)`` files (half up) are test and the rest train, independent of platform,
numpy version and of which other files exist.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from .aedat4 import read_aedat4
from .cache import file_fingerprint
from .registry import DATASETS, NCALTECH101_CLASSES

SPLIT_SEED = 0

LAYOUTS = {
    "dvs128-gesture": "<root>/DVSGesture/ibmGesture{Train,Test}/user<NN>_<lighting>/<label>.npy",
    "cifar10-dvs": "<root>/CIFAR10DVS/<class>/<name>.aedat4",
    "n-caltech101": "<root>/NCALTECH101/Caltech101/<class>/<name>.bin",
}


def _data_folder(name: str, root: Path, split: str) -> tuple[Path, str]:
    if name == "dvs128-gesture":
        sub = "ibmGestureTrain" if split == "train" else "ibmGestureTest"
        return root / "DVSGesture" / sub, ".npy"
    if name == "cifar10-dvs":
        return root / "CIFAR10DVS", ".aedat4"
    return root / "NCALTECH101" / "Caltech101", ".bin"


def _open_tonic(name: str, root: Path, split: str, download: bool) -> Any:
    from . import _tonic

    folder, suffix = _data_folder(name, root, split)
    if not download and not _tonic.has_files(folder, suffix):
        raise FileNotFoundError(
            f"{folder}: no {suffix} files for {name}; expected {LAYOUTS[name]} "
            "(see docs/datasets.md), or pass download=True to let tonic fetch them")
    try:
        if name == "dvs128-gesture":
            ds = _tonic.DVSGesture(str(root), train=split == "train")
        elif name == "cifar10-dvs":
            ds = _tonic.CIFAR10DVS(str(root))
        else:
            ds = _tonic.NCALTECH101(str(root))
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError(f"{folder}: unexpected folder layout ({type(exc).__name__}: {exc}); "
                         f"expected {LAYOUTS[name]}") from exc
    if not ds.data:
        raise FileNotFoundError(f"{folder}: no {suffix} files for {name}; "
                                f"expected {LAYOUTS[name]}")
    return ds


def _labels(name: str, ds: Any) -> list[int]:
    labels = []
    for path, target in zip(ds.data, ds.targets, strict=True):
        if name == "n-caltech101":
            if target not in NCALTECH101_CLASSES:
                raise ValueError(f"{path}: folder {target!r} is not an N-Caltech101 class")
            target = NCALTECH101_CLASSES.index(target)
        elif not 0 <= int(target) < DATASETS[name].num_classes:
            raise ValueError(f"{path}: label {target} out of range")
        labels.append(int(target))
    return labels


def cifar10_dvs_split(paths: list[str], labels: list[int], split: str) -> list[int]:
    """Indices of ``split``: per class, the first ``floor(9n/10)`` in sorted path order train."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for i in sorted(range(len(paths)), key=lambda i: paths[i]):
        by_class[labels[i]].append(i)
    out = []
    for members in by_class.values():
        n_train = 9 * len(members) // 10
        out += members[:n_train] if split == "train" else members[n_train:]
    return out


def ncaltech101_split(paths: list[str], labels: list[int], split: str,
                      seed: int = SPLIT_SEED) -> list[int]:
    """Indices of ``split``: per class, the first ``round(n/10)`` in seeded hash order test."""
    by_class: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_class[label].append(i)
    out = []
    for label, members in by_class.items():
        cls = NCALTECH101_CLASSES[label]

        def rank(i: int, cls: str = cls) -> str:
            key = f"{seed}/{cls}/{os.path.basename(paths[i])}"
            return hashlib.sha256(key.encode()).hexdigest()

        ordered = sorted(members, key=rank)
        n_test = (len(members) + 5) // 10
        out += ordered[n_test:] if split == "train" else ordered[:n_test]
    return out


class TonicSource:
    """Event source over one split of a tonic dataset (samples sorted by path)."""

    source_tag = "src"

    def __init__(self, name: str, ds: Any, indices: list[int], labels: list[int]) -> None:
        self.name = name
        self.ds = ds
        self.indices = sorted(indices, key=lambda k: Path(ds.data[k]).as_posix())
        self.labels = [labels[k] for k in self.indices]
        info = DATASETS[name]
        self.canvas = (info.sensor_size[0], info.sensor_size[1])
        self.use_aedat = importlib.util.find_spec("aedat") is not None

    def __len__(self) -> int:
        return len(self.indices)

    def path(self, index: int) -> str:
        return self.ds.data[self.indices[index]]

    def key(self, index: int) -> str:
        return file_fingerprint(self.path(index))

    def read(self, index: int) -> np.ndarray:
        k, path = self.indices[index], self.path(index)
        try:
            if self.name == "n-caltech101":
                size = os.path.getsize(path)
                if size % 5:
                    raise ValueError(f"size {size} is not a multiple of the 5-byte event "
                                     "(truncated?)")
            if self.name == "cifar10-dvs" and not self.use_aedat:
                events = read_aedat4(path)
            else:
                events, _ = self.ds[k]
        except Exception as exc:
            raise ValueError(f"{path}: cannot read {self.name} events "
                             f"({type(exc).__name__}: {exc})") from exc
        return events


def build_tonic_source(name: str, split: str, root: str | Path,
                       download: bool = False) -> TonicSource:
    """Open ``name`` under ``root`` with tonic and select ``split``."""
    root = Path(root).expanduser()
    ds = _open_tonic(name, root, split, download)
    labels = _labels(name, ds)
    paths = [Path(p).as_posix() for p in ds.data]
    if name == "dvs128-gesture":
        indices = list(range(len(paths)))
    elif name == "cifar10-dvs":
        indices = cifar10_dvs_split(paths, labels, split)
    else:
        indices = ncaltech101_split(paths, labels, split)
    return TonicSource(name, ds, indices, labels)
