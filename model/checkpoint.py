"""Checkpoints that carry their full configuration.

A checkpoint is a ``torch.save`` dict with at least ``format`` (version tag),
``model_config`` (a :class:`ModelConfig` dict) and ``model`` (state dict).
Training adds ``optimizer``, ``scheduler``, ``epoch``, ``rng``, ``train_config``,
``dataset`` and ``metrics``. Files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sdmf.io import atomic_write

from .config import ModelConfig
from .transformer import SpikingTransformer

FORMAT = "sdmf-checkpoint/1"


def save_checkpoint(path: str | Path, model: SpikingTransformer, **extra: Any) -> Path:
    """Atomically write ``model`` (unwrapped from DDP if needed) plus ``extra`` entries."""
    model = getattr(model, "module", model)
    payload = {"format": FORMAT, "model_config": model.cfg.to_dict(),
               "model": model.state_dict(), **extra}
    with atomic_write(path, "wb") as fh:
        torch.save(payload, fh)
    return Path(path)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load and validate a checkpoint dict (CPU tensors)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # truncated or not a torch file
        raise ValueError(f"{path}: not a readable checkpoint ({exc})") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path}: field 'format' must be {FORMAT!r}")
    for key in ("model_config", "model"):
        if key not in ckpt:
            raise ValueError(f"{path}: missing field {key!r}")
    return ckpt


def load_model(path: str | Path) -> tuple[SpikingTransformer, dict[str, Any]]:
    """Rebuild the model recorded in a checkpoint; returns ``(model, checkpoint_dict)``."""
    ckpt = read_checkpoint(path)
    try:
        cfg = ModelConfig.from_dict(ckpt["model_config"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: field 'model_config' is invalid: {exc}") from exc
    model = SpikingTransformer(cfg)
    try:
        model.load_state_dict(ckpt["model"])
    except RuntimeError as exc:
        raise ValueError(f"{path}: field 'model' does not match its model_config: {exc}") from exc
    model.eval()
    return model, ckpt


SLIM_KEYS = ("format", "model_config", "model", "dataset", "train_config", "metrics",
             "history", "epoch", "best")


def slim_checkpoint(src: str | Path, dst: str | Path) -> Path:
    """Copy a checkpoint without optimizer, scheduler, scaler and RNG state (for release).

    The result loads with :func:`load_model` and every ``--checkpoint`` command, but
    cannot ``--resume`` training.
    """
    ckpt = read_checkpoint(src)
    slim = {k: ckpt[k] for k in SLIM_KEYS if k in ckpt}
    with atomic_write(dst, "wb") as fh:
        torch.save(slim, fh)
    return Path(dst)
