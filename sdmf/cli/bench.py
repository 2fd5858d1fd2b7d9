"""Inference and training throughput (img/s) and peak memory (the paper's Tables 5 and 6).

Inference runs in eval mode under torch.no_grad; training does forward,
backward and an AdamW step in train mode (mixed precision on CUDA unless
--no-amp). Warm-up iterations are not timed and CUDA is synchronised around the
clock. One image = one sample of T frames; inputs are random event counts
already on the device. Peak memory: torch.cuda.max_memory_allocated on CUDA,
the peak growth of the process RSS on CPU. See docs/analyses.md.
"""

from __future__ import annotations

import argparse
from typing import Any

import torch

from sdmf.model.analysis.bench import benchmark

from .argtypes import nonneg_int, positive_int
from .common import CliError, add_model_args, emit, model_from_args
from .energy import resolve_device

HELP = "inference/training throughput (img/s) and peak memory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_args(parser, default_model="sdmformer-2-256")
    parser.add_argument("--batch-size", type=positive_int, default=16,
                        help="batch size (default 16)")
    parser.add_argument("-T", "--time-steps", dest="T", type=positive_int, default=16,
                        help="time steps per sample (default 16)")
    parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="auto",
                        help="device (default auto: cuda when available)")
    parser.add_argument("--warmup", type=nonneg_int, default=3, help="untimed warm-up iterations")
    parser.add_argument("--iters", type=positive_int, default=10, help="timed iterations")
    parser.add_argument("--mode", choices=["inference", "train", "both"], default="both")
    parser.add_argument("--no-amp", action="store_true",
                        help="train in float32 on CUDA too (default: fp16 mixed precision)")
    parser.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _text(r: dict[str, Any]) -> str:
    lines = [f"{r['model']} on {r['device']} ({r['device_name']}), torch {r['torch']}, "
             f"{r['threads']} threads",
             f"batch {r['batch_size']}, T = {r['T']}, {r['img_size']}×{r['img_size']}, "
             f"{r['warmup']} warm-up + {r['iters']} timed iterations"]
    mem = r["peak_memory_MiB"]
    if r["inference_img_per_s"] is not None:
        lines.append(f"inference  {r['inference_img_per_s']:10.2f} img/s   peak memory "
                     f"{mem['inference']:9.1f} MiB")
    if r["train_img_per_s"] is not None:
        amp = " (mixed precision)" if r["amp"] else ""
        lines.append(f"training   {r['train_img_per_s']:10.2f} img/s   peak memory "
                     f"{mem['train']:9.1f} MiB{amp}")
    lines.append(f"memory: {r['peak_memory_source']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    model, _ = model_from_args(args)
    if args.checkpoint and args.img_size and args.img_size != model.cfg.img_size:
        raise CliError(f"--img-size {args.img_size} differs from the checkpoint's "
                       f"{model.cfg.img_size}")
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        result = benchmark(model, args.batch_size, args.T, resolve_device(args.device),
                           args.warmup, args.iters, args.mode, amp=not args.no_amp)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    result["checkpoint"] = args.checkpoint
    emit(result, args.json, _text(result))
    return 0
