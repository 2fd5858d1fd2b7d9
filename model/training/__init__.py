"""Training and evaluation of SDMFormer / Spikformer (Spikformer's DVS recipe)."""

from .augment import AugmentParams, DVSAugment, augment_batch
from .config import TrainConfig
from .fit import build_optimizer, fit
from .loop import evaluate, mask_soft_keep, masking_ratio, train_one_epoch
from .metrics import confusion_report, plot_confusion
from .mixup import mixup_batch, smooth_one_hot, soft_cross_entropy
from .schedule import CosineWarmupSchedule, cosine_lr

__all__ = [
    "AugmentParams",
    "CosineWarmupSchedule",
    "DVSAugment",
    "TrainConfig",
    "augment_batch",
    "build_optimizer",
    "confusion_report",
    "cosine_lr",
    "evaluate",
    "fit",
    "mask_soft_keep",
    "masking_ratio",
    "mixup_batch",
    "plot_confusion",
    "smooth_one_hot",
    "soft_cross_entropy",
    "train_one_epoch",
]
