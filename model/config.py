"""Model configuration: one dataclass describes both Spikformer and SDMFormer.

Named configs follow the paper's ``M-L-D`` notation: ``sdmformer-2-256`` is an
SDMFormer with L = 2 encoder blocks and embedding dimension D = 256.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

Arch = Literal["spikformer", "sdmformer"]
PosEmbed = Literal["rpe", "lpe", "none"]
MlpResidual = Literal["block", "each"]

_NAME_RE = re.compile(r"^(spikformer|sdmformer)-(\d+)-(\d+)$")


@dataclass(frozen=True)
class ModelConfig:
    """Every hyper-parameter that shapes a model (stored verbatim in checkpoints)."""

    arch: Arch = "sdmformer"
    depth: int = 2
    dim: int = 256
    heads: int = 16
    num_classes: int = 10
    img_size: int = 128
    in_channels: int = 2
    mlp_ratio: int = 1
    attn_scale: float = 0.25
    attn_threshold: float = 0.5
    pos_embed: PosEmbed = "lpe"
    masked: bool = True
    mask_init: float = 0.1
    mlp_residual: MlpResidual = "block"

    def __post_init__(self) -> None:
        if self.img_size % 16:
            raise ValueError(f"img_size must be divisible by 16, got {self.img_size}")
        if self.dim % 8:
            raise ValueError(f"dim must be divisible by 8 (SPS widths D/8..D), got {self.dim}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")
        if self.mlp_residual == "each" and self.mlp_ratio != 1:
            raise ValueError("mlp_residual='each' needs mlp_ratio=1 (C→C DMConvs)")
        for name, value in (("depth", self.depth), ("num_classes", self.num_classes)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

    @property
    def name(self) -> str:
        return f"{self.arch}-{self.depth}-{self.dim}"

    @property
    def num_tokens(self) -> int:
        return (self.img_size // 16) ** 2

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown model config field(s): {', '.join(unknown)}")
        return cls(**data)

    def baseline(self) -> ModelConfig:
        """The same-size Spikformer (the paper's comparison partner)."""
        return spikformer_config(self.depth, self.dim, heads=self.heads,
                                 num_classes=self.num_classes, img_size=self.img_size,
                                 in_channels=self.in_channels)


def spikformer_config(depth: int, dim: int, **kw: Any) -> ModelConfig:
    """Spikformer-L-D, DVS variant: 4× MLP, RPE, no masks."""
    base = dict(arch="spikformer", depth=depth, dim=dim, mlp_ratio=4, pos_embed="rpe",
                masked=False)
    return ModelConfig(**{**base, **kw})


def sdmformer_config(depth: int, dim: int, **kw: Any) -> ModelConfig:
    """SDMFormer-L-D: DMEB blocks (masked C→C MLP) and LPE."""
    base = dict(arch="sdmformer", depth=depth, dim=dim, mlp_ratio=1, pos_embed="lpe",
                masked=True)
    return ModelConfig(**{**base, **kw})


def config_from_name(name: str, **overrides: Any) -> ModelConfig:
    """Parse ``spikformer-L-D`` / ``sdmformer-L-D`` and apply keyword overrides."""
    match = _NAME_RE.match(name.strip().lower())
    if not match:
        raise ValueError(
            f"unknown model name {name!r}: expected 'sdmformer-L-D' or 'spikformer-L-D', "
            "e.g. sdmformer-2-256"
        )
    arch, depth, dim = match.group(1), int(match.group(2)), int(match.group(3))
    factory = sdmformer_config if arch == "sdmformer" else spikformer_config
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return factory(depth, dim, **overrides)


def with_overrides(cfg: ModelConfig, **overrides: Any) -> ModelConfig:
    """A copy of ``cfg`` with the non-None overrides applied."""
    return replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
