"""Create models by name (``sdmformer-2-256``, ``spikformer-1-512`` …)."""

from __future__ import annotations

from typing import Any

from .config import ModelConfig, config_from_name
from .transformer import SpikingTransformer


def create_model(name_or_cfg: str | ModelConfig, **overrides: Any) -> SpikingTransformer:
    """Build a model from a name plus overrides (``num_classes=11``, ``img_size=64`` …)."""
    cfg = name_or_cfg if isinstance(name_or_cfg, ModelConfig) else config_from_name(
        name_or_cfg, **overrides)
    return SpikingTransformer(cfg)
