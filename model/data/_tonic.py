"""tonic's dataset classes, made to trust files the user already laid out.

Each stock class checks for the downloaded archive plus a minimum file count (100,
1000 or 8709) and downloads when either is missing. These subclasses (same class
names, so tonic's ``<root>/<ClassName>/`` folder is unchanged) count the data as
present as soon as one data file is there; only when none is does tonic's own
download (``download=True``) run. Imported lazily: ``import tonic`` is slow.
"""

from __future__ import annotations

from pathlib import Path

import tonic.datasets as td


def has_files(folder: str | Path, suffix: str) -> bool:
    """Whether ``folder`` (recursively) holds at least one ``*suffix`` file."""
    folder = Path(folder)
    return folder.is_dir() and next(folder.rglob(f"*{suffix}"), None) is not None


class DVSGesture(td.DVSGesture):
    """tonic's DVSGesture reading ``<root>/DVSGesture/ibmGesture{Train,Test}/``."""

    def _check_exists(self) -> bool:
        return has_files(Path(self.location_on_system, self.folder_name), ".npy")


class CIFAR10DVS(td.CIFAR10DVS):
    """tonic's CIFAR10DVS reading ``<root>/CIFAR10DVS/<class>/*.aedat4``."""

    def _check_exists(self) -> bool:
        return has_files(Path(self.location_on_system, self.folder_name), ".aedat4")


class NCALTECH101(td.NCALTECH101):
    """tonic's NCALTECH101 reading ``<root>/NCALTECH101/Caltech101/<class>/*.bin``."""

    def _check_exists(self) -> bool:
        return has_files(Path(self.location_on_system, self.folder_name), ".bin")
