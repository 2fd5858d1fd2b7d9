"""The training recipe as one dataclass (stored verbatim in every training checkpoint).

Defaults follow Spikformer's DVS recipe: AdamW (lr 1e-3, weight decay 0.06, eps 1e-8),
cosine schedule with 10 warm-up epochs from 1e-5 to a 1e-5 floor, label smoothing 0.1,
batch Mixup (alpha 0.5, probability 0.5), batch size 16, T = 16 and 200 epochs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

AmpDtype = Literal["fp16", "bf16"]

# Fields that may differ between a run and its ``--resume``: they change where or how
# fast the run executes, or (``epochs``) extend it, but not the recipe itself.
RESUME_MUTABLE = frozenset({
    "epochs", "out", "resume", "workers", "progress", "data_dir", "cache_dir", "download",
    "device", "amp", "amp_dtype",
})


@dataclass
class TrainConfig:
    """Every knob of ``sdmf train`` (see docs/training.md)."""

    out: str = "runs/train"
    model: str = "sdmformer-2-256"
    heads: int | None = None
    mask_init: float | None = None
    dataset: str = "digits-dvs"
    data_dir: str | None = None
    cache_dir: str | None = None
    download: bool = False
    time_steps: int = 16
    img_size: int | None = None
    epochs: int = 200
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.06
    eps: float = 1e-8
    warmup_epochs: int = 10
    warmup_lr: float = 1e-5
    min_lr: float = 1e-5
    augment: bool = True
    mixup: bool = True
    mixup_alpha: float = 0.5
    mixup_prob: float = 0.5
    mixup_off_epoch: int | None = None
    label_smoothing: float = 0.1
    mask_sparsity: float = 0.0
    seed: int = 2021
    workers: int = 4
    amp: bool | None = None
    amp_dtype: AmpDtype = "fp16"
    device: str | None = None
    resume: bool = False
    max_steps_per_epoch: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        positive = ("epochs", "batch_size", "time_steps")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.warmup_epochs < 0 or self.warmup_epochs >= self.epochs:
            raise ValueError(
                f"warmup_epochs must be in [0, epochs) = [0, {self.epochs}), got "
                f"{self.warmup_epochs} (lower it with --warmup-epochs)")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not 0.0 <= self.mixup_prob <= 1.0 or self.mixup_alpha <= 0:
            raise ValueError("mixup_prob must be in [0, 1] and mixup_alpha > 0")
        if self.mask_sparsity < 0:
            raise ValueError(f"mask_sparsity must be >= 0, got {self.mask_sparsity}")
        if self.lr <= 0 or self.min_lr < 0 or self.warmup_lr < 0:
            raise ValueError("lr must be > 0 and min_lr, warmup_lr >= 0")
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")
        if self.amp_dtype not in ("fp16", "bf16"):
            raise ValueError(f"amp_dtype must be 'fp16' or 'bf16', got {self.amp_dtype!r}")
        if self.max_steps_per_epoch is not None and self.max_steps_per_epoch < 1:
            raise ValueError("max_steps_per_epoch must be >= 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Rebuild a config; unknown keys (from a newer version) are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown train config field(s): {', '.join(unknown)}")
        return cls(**data)

    def mixup_active(self, epoch: int) -> bool:
        """Whether Mixup is applied in ``epoch`` (0-based)."""
        return self.mixup and (self.mixup_off_epoch is None or epoch < self.mixup_off_epoch)


def resume_mismatches(saved: dict[str, Any], current: TrainConfig) -> list[str]:
    """Recipe fields that differ between a checkpoint's config and ``current``."""
    now = current.to_dict()
    return [f"{k}: checkpoint {saved.get(k)!r} vs now {now[k]!r}"
            for k in now if k not in RESUME_MUTABLE and saved.get(k) != now[k]]
