"""The one place that turns a device name from the command line into a torch device."""

from __future__ import annotations

import torch


def pick_device(name: str | None = None) -> torch.device:
    """``None``/``"auto"``: CUDA when available, else CPU; ``"cuda"`` without a GPU is an error."""
    if name in (None, "", "auto"):
        name = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: no CUDA device is available (torch "
                         f"{torch.__version__}, CPU build: {torch.version.cuda is None})")
    return dev
