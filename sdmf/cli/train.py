"""Train an SDMFormer / Spikformer on an event-camera dataset (Spikformer's DVS recipe).

Writes log.jsonl, last.pt (every epoch) and best.pt (best test accuracy) into
--out. Re-run the same command with --resume to continue a killed run exactly.
Multi-GPU: launch the same command with `torchrun --nproc_per_node=N -m sdmf.cli.main train ...`.

examples:
  sdmf train --out runs/digits
  sdmf train --model sdmformer-1-64 --img-size 64 -T 4 --epochs 30 --warmup-epochs 3 \\
      --out runs/small --mask-sparsity 0.1
  sdmf train --dataset dvs128-gesture --data-dir data/ --out runs/gesture --resume
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .argtypes import (
    as_text,
    below_one,
    finite_float,
    nonneg_float,
    nonneg_int,
    out_dir,
    positive_float,
    positive_int,
    probability,
)
from .common import CliError, emit

HELP = "train a model (AdamW + cosine, Mixup, DVS augmentation; resumable, DDP-ready)"


def _defaults() -> Any:
    from sdmf.model.training.config import TrainConfig

    return TrainConfig()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    d = _defaults()
    g = parser.add_argument_group("model")
    g.add_argument("--model", default=d.model,
                   help=f"sdmformer-L-D or spikformer-L-D (default {d.model})")
    g.add_argument("--heads", type=positive_int, default=None, help="attention heads (default 16)")
    g.add_argument("--mask-init", type=finite_float, default=None,
                   help="initial channel-mask logit of SDMFormer (default 0.1)")

    g = parser.add_argument_group("data")
    g.add_argument("--dataset", default=d.dataset, help=f"dataset name (default {d.dataset})")
    g.add_argument("--data-dir", default=None, help="dataset root directory")
    g.add_argument("--cache-dir", default=None, help="where frame caches are kept")
    g.add_argument("--download", action="store_true", help="download the dataset if missing")
    g.add_argument("-T", "--time-steps", type=positive_int, default=d.time_steps,
                   help=f"frames per sample (default {d.time_steps})")
    g.add_argument("--img-size", type=positive_int, default=None,
                   help="frame height = width, divisible by 16 (default: the dataset's)")
    g.add_argument("--workers", type=nonneg_int, default=d.workers,
                   help=f"data-loader worker processes (default {d.workers})")

    g = parser.add_argument_group("recipe")
    g.add_argument("--epochs", type=positive_int, default=d.epochs, help=f"default {d.epochs}")
    g.add_argument("--batch-size", type=positive_int, default=d.batch_size,
                   help=f"per-process batch size (default {d.batch_size})")
    g.add_argument("--lr", type=positive_float, default=d.lr,
                   help=f"peak AdamW lr (default {d.lr:g})")
    g.add_argument("--weight-decay", type=nonneg_float, default=d.weight_decay,
                   help=f"default {d.weight_decay:g}")
    g.add_argument("--warmup-epochs", type=nonneg_int, default=d.warmup_epochs,
                   help=f"linear warm-up epochs (default {d.warmup_epochs})")
    g.add_argument("--warmup-lr", type=nonneg_float, default=d.warmup_lr,
                   help=f"lr of the first warm-up epoch (default {d.warmup_lr:g})")
    g.add_argument("--min-lr", type=nonneg_float, default=d.min_lr,
                   help=f"cosine floor (default {d.min_lr:g})")
    g.add_argument("--mixup", action=argparse.BooleanOptionalAction, default=d.mixup,
                   help="batch Mixup (default on)")
    g.add_argument("--mixup-alpha", type=positive_float, default=d.mixup_alpha,
                   help=f"Beta(alpha, alpha) (default {d.mixup_alpha:g})")
    g.add_argument("--mixup-prob", type=probability, default=d.mixup_prob,
                   help=f"probability a batch is mixed (default {d.mixup_prob:g})")
    g.add_argument("--mixup-off-epoch", type=nonneg_int, default=None,
                   help="switch Mixup off from this 0-based epoch on (default never)")
    g.add_argument("--label-smoothing", type=below_one, default=d.label_smoothing,
                   help=f"default {d.label_smoothing:g}")
    g.add_argument("--no-augment", dest="augment", action="store_false",
                   help="no flip / shear / translate / rotate / cutout")
    g.add_argument("--mask-sparsity", type=nonneg_float, default=d.mask_sparsity,
                   help="weight of the mean soft-keep of the channel masks in the loss "
                        f"(default {d.mask_sparsity:g})")
    g.add_argument("--seed", type=nonneg_int, default=d.seed, help=f"default {d.seed}")

    g = parser.add_argument_group("run")
    g.add_argument("--out", required=True, type=as_text(out_dir),
                   help="run directory (log.jsonl, last.pt, best.pt)")
    g.add_argument("--resume", action="store_true",
                   help="continue from OUT/last.pt if it exists (same recipe required)")
    g.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                   help="mixed precision (default: on for CUDA, always off on CPU)")
    g.add_argument("--amp-dtype", choices=("fp16", "bf16"), default=d.amp_dtype,
                   help=f"autocast dtype (default {d.amp_dtype}; fp16 uses a GradScaler)")
    g.add_argument("--device", default=None, help="torch device (default cuda if available)")
    g.add_argument("--no-progress", dest="progress", action="store_false",
                   help="no progress bars")
    g.add_argument("--max-steps-per-epoch", type=positive_int, default=None, help=argparse.SUPPRESS)
    g.add_argument("--json", action="store_true", help="print the final summary as JSON")


def config_from_args(args: argparse.Namespace) -> Any:
    """The :class:`TrainConfig` described by the command line."""
    from sdmf.model.training.config import TrainConfig

    try:
        return TrainConfig(
            out=args.out, model=args.model, heads=args.heads, mask_init=args.mask_init,
            dataset=args.dataset, data_dir=args.data_dir, cache_dir=args.cache_dir,
            download=args.download, time_steps=args.time_steps, img_size=args.img_size,
            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
            weight_decay=args.weight_decay, warmup_epochs=args.warmup_epochs,
            warmup_lr=args.warmup_lr, min_lr=args.min_lr, augment=args.augment,
            mixup=args.mixup, mixup_alpha=args.mixup_alpha, mixup_prob=args.mixup_prob,
            mixup_off_epoch=args.mixup_off_epoch, label_smoothing=args.label_smoothing,
            mask_sparsity=args.mask_sparsity, seed=args.seed, workers=args.workers,
            amp=args.amp, amp_dtype=args.amp_dtype, device=args.device, resume=args.resume,
            max_steps_per_epoch=args.max_steps_per_epoch, progress=args.progress)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def check_dataset(name: str) -> None:
    """Fail early with the list of known datasets."""
    try:
        from sdmf.model.data import DATASETS
    except ImportError as exc:
        raise CliError(f"the dataset layer sdmf.model.data is unavailable ({exc})") from exc
    if name not in DATASETS:
        raise CliError(f"unknown dataset {name!r}; choose from {', '.join(sorted(DATASETS))}")


def check_model(name: str) -> None:
    from sdmf.model.config import config_from_name

    try:
        config_from_name(name)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from sdmf.model.training.fit import fit

    cfg = config_from_args(args)
    check_model(cfg.model)
    check_dataset(cfg.dataset)

    rank0 = _is_rank0()

    def log(msg: str) -> None:
        if rank0:
            print(msg, file=sys.stderr if args.json else sys.stdout, flush=True)

    try:
        summary = fit(cfg, log=log)
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    if not rank0:
        return 0
    last = summary["last"] or {}
    text = (f"best test acc {summary['best_acc']:.2%} (epoch {(summary['best_epoch'] or 0) + 1}), "
            f"last {last.get('test_acc', float('nan')):.2%}; checkpoints in {summary['out']}")
    emit(summary, args.json, text)
    return 0


def _is_rank0() -> bool:
    from sdmf.model.training.distributed import env_world

    return env_world()[0] == 0
