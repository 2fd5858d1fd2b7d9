"""``fit``: the whole training run, with per-epoch checkpoints and exact resume."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset

from sdmf.io import atomic_write

from ..checkpoint import read_checkpoint, save_checkpoint
from ..registry import create_model
from .config import TrainConfig, resume_mismatches
from .data import (
    build_datasets,
    dataset_record,
    eval_loader,
    frame_shape,
    num_classes_of,
    train_loader,
)
from .distributed import DistContext, barrier, cleanup, init_distributed, unwrap
from .loop import Precision, evaluate, masking_ratio, train_one_epoch
from .schedule import CosineWarmupSchedule
from .state import capture_rng, epoch_rng, epoch_seed, restore_rng, seed_everything

LAST, BEST, LOG = "last.pt", "best.pt", "log.jsonl"
NO_DECAY_NAMES = ("lpe",)


def build_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW; no weight decay on biases, norm weights, masks (all 1-D) and the LPE."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        skip = p.ndim <= 1 or name.split(".")[-1] in NO_DECAY_NAMES
        (no_decay if skip else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, eps=cfg.eps)


def resolve_precision(cfg: TrainConfig, device: torch.device) -> Precision:
    """AMP on CUDA unless ``cfg.amp`` is False; never on CPU."""
    if device.type != "cuda" or cfg.amp is False:
        return Precision(device.type, None)
    dtype = torch.bfloat16 if cfg.amp_dtype == "bf16" else torch.float16
    return Precision("cuda", dtype)


def _default_log(ctx: DistContext) -> Callable[[str], None]:
    def log(msg: str) -> None:
        if ctx.is_main:
            print(msg, file=sys.stdout, flush=True)
    return log


def _keep_log_before(path: Path, epoch: int) -> None:
    """Drop log records of epochs ``>= epoch`` (written by a run killed before its checkpoint)."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [ln for ln in lines if _log_epoch(ln) < epoch]
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.writelines(ln + "\n" for ln in kept)


def _log_epoch(line: str) -> float:
    """The epoch of a log line; infinity for a line cut short by a kill."""
    try:
        return int(json.loads(line)["epoch"])
    except (ValueError, KeyError, TypeError):
        return float("inf")


def _append_log(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")


def _format_epoch(rec: dict[str, Any], epochs: int) -> str:
    text = (f"epoch {rec['epoch'] + 1}/{epochs}  lr {rec['lr']:.2e}  "
            f"train loss {rec['train_loss']:.4f} acc {rec['train_acc']:.2%}  "
            f"test loss {rec['test_loss']:.4f} acc {rec['test_acc']:.2%}")
    if rec["masking_ratio"] is not None:
        text += f"  masked {rec['masking_ratio']:.1%}"
    return text + f"  {rec['time_s']:.1f}s"


def _load_resume(out: Path, cfg: TrainConfig) -> dict[str, Any] | None:
    last = out / LAST
    if not last.exists():
        return None
    if not cfg.resume:
        raise FileExistsError(f"{out} already holds a run ({last}); pass --resume to continue "
                              "it or choose another --out")
    ckpt = read_checkpoint(last)
    for key in ("train_config", "optimizer", "epoch"):
        if key not in ckpt:
            raise ValueError(f"{last}: not a training checkpoint (missing {key!r})")
    diff = resume_mismatches(ckpt["train_config"], cfg)
    if diff:
        raise ValueError(f"--resume with a different recipe than {last}:\n  " + "\n  ".join(diff))
    return ckpt


def fit(cfg: TrainConfig, train_set: Dataset | None = None, test_set: Dataset | None = None, *,
        log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train ``cfg.model`` on ``cfg.dataset`` (or the given datasets); returns a summary dict.

    Writes ``log.jsonl``, ``last.pt`` (every epoch) and ``best.pt`` (on a new best
    test accuracy) into ``cfg.out``. With ``cfg.resume`` and an existing ``last.pt``,
    continues after its epoch with everything (weights, optimizer, schedule, RNG)
    restored from disk. Works unchanged under ``torchrun`` (DDP).
    """
    ctx = init_distributed(cfg.device)
    log = log or _default_log(ctx)
    try:
        return _fit(cfg, ctx, train_set, test_set, log)
    finally:
        cleanup(ctx)


def _fit(cfg: TrainConfig, ctx: DistContext, train_set: Dataset | None,
         test_set: Dataset | None, log: Callable[[str], None]) -> dict[str, Any]:
    start_time = time.time()
    out = Path(cfg.out)
    resume = _load_resume(out, cfg)
    seed_everything(cfg.seed)
    if train_set is None or test_set is None:
        train_set, test_set = build_datasets(cfg, ctx)
    T, C, H, W = frame_shape(train_set)
    if H != W or (cfg.img_size is not None and cfg.img_size != H):
        raise ValueError(f"dataset frames are {H}x{W}, model needs square img_size "
                         f"{cfg.img_size or H}")
    if cfg.time_steps != T:
        raise ValueError(f"dataset gives T={T} frames, config says time_steps={cfg.time_steps}")
    num_classes = num_classes_of(train_set)
    dataset_info = dataset_record(train_set, cfg, H)

    model = create_model(cfg.model, num_classes=num_classes, img_size=H, heads=cfg.heads,
                         mask_init=cfg.mask_init, in_channels=C)
    if resume is not None:
        unwrap(model).load_state_dict(resume["model"])
    model.to(ctx.device)
    optimizer = build_optimizer(model, cfg)
    schedule = CosineWarmupSchedule(optimizer, base_lr=cfg.lr, epochs=cfg.epochs,
                                    warmup_epochs=cfg.warmup_epochs, warmup_lr=cfg.warmup_lr,
                                    min_lr=cfg.min_lr)
    precision = resolve_precision(cfg, ctx.device)
    scaler = torch.amp.GradScaler("cuda") if precision.dtype == torch.float16 else None
    generator = torch.Generator()

    start_epoch, best = 0, {"acc": -1.0, "epoch": None}
    history: list[dict[str, Any]] = []
    if resume is not None:
        optimizer.load_state_dict(resume["optimizer"])
        schedule.load_state_dict(resume["scheduler"])
        if scaler is not None and resume.get("scaler"):
            scaler.load_state_dict(resume["scaler"])
        start_epoch = int(resume["epoch"]) + 1
        best = dict(resume.get("best", best))
        history = list(resume.get("history", []))
        restore_rng(resume.get("rng", {}), generator)
        log(f"resuming {out / LAST} after epoch {start_epoch} of {cfg.epochs}")
    if ctx.is_main:
        out.mkdir(parents=True, exist_ok=True)
        _keep_log_before(out / LOG, start_epoch)

    net: nn.Module = model
    if ctx.distributed:
        ids = [ctx.device.index] if ctx.device.type == "cuda" else None
        net = DistributedDataParallel(model, device_ids=ids)
    loader, sampler = train_loader(train_set, cfg, ctx, generator)
    test_loader = eval_loader(test_set, cfg.batch_size, ctx, cfg.workers)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{cfg.model}: {n_params:,} parameters, {num_classes} classes, img {H}, T {T}; "
        f"{len(train_set)} train / {len(test_set)} test samples on {ctx.device}"
        f"{f' x{ctx.world_size}' if ctx.distributed else ''}"
        f"{f', amp {precision.dtype}' if precision.dtype else ''}")

    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.time()
        lr = schedule.step(epoch)
        generator.manual_seed(epoch_seed(cfg.seed, epoch, stream=0))
        sampler.set_epoch(epoch)
        train = train_one_epoch(net, loader, optimizer, cfg, epoch=epoch,
                                num_classes=num_classes, ctx=ctx,
                                rng=epoch_rng(cfg.seed, epoch, ctx.rank), precision=precision,
                                scaler=scaler, progress=cfg.progress)
        train_time = time.time() - t0
        test = evaluate(net, test_loader, num_classes=num_classes, ctx=ctx, precision=precision)
        record = {"epoch": epoch, "lr": lr, "train_loss": train["loss"],
                  "train_acc": train["acc"], "test_loss": test["loss"], "test_acc": test["acc"],
                  "masking_ratio": masking_ratio(model), "mask_keep": train["mask_keep"],
                  "mixup": cfg.mixup_active(epoch), "train_time_s": train_time,
                  "time_s": time.time() - t0}
        history.append(record)
        improved = test["acc"] > best["acc"]
        if improved:
            best = {"acc": test["acc"], "epoch": epoch}
        if ctx.is_main:
            _append_log(out / LOG, record)
            payload = dict(optimizer=optimizer.state_dict(), scheduler=schedule.state_dict(),
                           scaler=scaler.state_dict() if scaler is not None else None,
                           epoch=epoch, rng=capture_rng(generator), train_config=cfg.to_dict(),
                           dataset=dataset_info, metrics=record, best=best, history=history)
            save_checkpoint(out / LAST, model, **payload)
            if improved:
                save_checkpoint(out / BEST, model, **payload)
        log(_format_epoch(record, cfg.epochs) + ("  *best*" if improved else ""))
    barrier(ctx)
    return {"out": str(out), "model": cfg.model, "dataset": dataset_info,
            "num_parameters": n_params, "epochs": cfg.epochs, "start_epoch": start_epoch,
            "best_acc": best["acc"], "best_epoch": best["epoch"],
            "last": history[-1] if history else None,
            "checkpoint_last": str(out / LAST), "checkpoint_best": str(out / BEST),
            "time_s": time.time() - start_time, "world_size": ctx.world_size}
