"""Seeding and RNG state capture, so that a resumed run replays an uninterrupted one.

Every epoch re-seeds its own random streams from ``(seed, epoch)`` (data order,
augmentation and Mixup), so resuming at an epoch boundary needs no RNG state at
all; the global states are still saved and restored for anything else that
draws from them.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def epoch_seed(seed: int, epoch: int, stream: int, rank: int = 0) -> int:
    """A well-mixed 63-bit seed for one random stream of one epoch."""
    state = np.random.SeedSequence([seed, epoch, stream, rank]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def epoch_rng(seed: int, epoch: int, rank: int = 0) -> np.random.Generator:
    """The generator that drives augmentation and Mixup in ``epoch`` on ``rank``."""
    return np.random.default_rng(epoch_seed(seed, epoch, stream=1, rank=rank))


def capture_rng(loader_generator: torch.Generator | None = None) -> dict[str, Any]:
    """Python, NumPy, torch (CPU and CUDA) and data-loader generator states."""
    state: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state(),
                             "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if loader_generator is not None:
        state["loader"] = loader_generator.get_state()
    return state


def restore_rng(state: dict[str, Any], loader_generator: torch.Generator | None = None) -> None:
    """Inverse of :func:`capture_rng` (missing entries are skipped)."""
    if "python" in state:
        random.setstate(state["python"])
    if "numpy" in state:
        np.random.set_state(state["numpy"])
    if "torch" in state:
        torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        states = state["cuda"][: torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(states)
    if "loader" in state and loader_generator is not None:
        loader_generator.set_state(state["loader"])
