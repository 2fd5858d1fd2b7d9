"""Build an activity-realistic integer IR of an untrained SDMFormer and report its firing rates.

Untrained (seeded) weights; masks switching off the paper's Fig. 5 proportions of
each layer's channels (seeded choice); BatchNorm statistics re-estimated on
digits-dvs frames rendered at --img-size and -T (train split); per-layer BN bias
shifts towards the trained digits-dvs model's firing rates (--rate-samples 0: none);
then the quantize recipe (no QAT, QAT ≡ golden checked on --check-samples test
samples). The IR's firing rates on held-out test samples are printed beside the
trained digits-dvs model's. The weights are random: the IR has NO accuracy; it is
for hardware sizing, cycles and activity-dependent measurements. docs/activity.md.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import torch
from torch.utils.data import Subset

from sdmf.model.config import config_from_name
from sdmf.model.data import build_dataset
from sdmf.quant.activity import ActivityIRResult, activity_ir
from sdmf.quant.recipe import QuantizeError

from .argtypes import int_range, nonneg_int, out_file, positive_int
from .common import CliError
from .firing_rates import add_report_args, report

HELP = "activity-realistic IR of an untrained SDMFormer (masks, BN, rates) + its firing rates"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=out_file, help="IR file to write (.sdmfir)")
    parser.add_argument("--model", default="sdmformer-2-256",
                        help="sdmformer-L-D (default sdmformer-2-256)")
    parser.add_argument("--img-size", type=int_range(16, 1024), default=128,
                        help="input height = width, a multiple of 16 (default 128)")
    parser.add_argument("-T", "--time-steps", dest="time_steps", type=int_range(1, 255),
                        default=16, help="time steps (default 16)")
    parser.add_argument("--seed", type=nonneg_int, default=0,
                        help="weights, masks and data order (default 0)")
    parser.add_argument("--classes", type=positive_int, default=10, help="head size (default 10)")
    parser.add_argument("--calib-samples", type=positive_int, default=32,
                        help="train samples for BN re-estimation (default 32)")
    parser.add_argument("--rate-samples", type=nonneg_int, default=8,
                        help="of those, the samples for the rate calibration (default 8; "
                        "0: plain BN re-estimation)")
    parser.add_argument("--check-samples", type=positive_int, default=2,
                        help="test samples on which QAT ≡ golden is verified (default 2)")
    parser.add_argument("--bits", type=int_range(2, 16), default=8,
                        help="weight bit width of the quantize recipe (default 8)")
    parser.add_argument("--threads", type=int_range(1, 64), default=2,
                        help="torch CPU threads (default 2; the same count gives the same IR)")
    add_report_args(parser, data=False)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = config_from_name(args.model, img_size=args.img_size)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if cfg.arch != "sdmformer":
        raise CliError(f"--model {args.model}: activity IRs need an SDMFormer (its masks)")
    torch.set_num_threads(args.threads)
    stage = _stage_printer(args.no_progress)
    stage(f"digits-dvs at {args.img_size}×{args.img_size}, T = {args.time_steps} "
          "(generated and cached on first use)")
    info = {"name": "digits-dvs", "root": None, "T": args.time_steps, "img_size": args.img_size}
    try:
        train, test = (build_dataset("digits-dvs", split, T=args.time_steps,
                                     img_size=args.img_size, cache_dir=args.cache_dir,
                                     progress=not args.no_progress)
                       for split in ("train", "test"))
    except (ValueError, OSError, RuntimeError) as exc:
        raise CliError(str(exc)) from exc
    calib = Subset(train, range(min(args.calib_samples, len(train))))
    check = Subset(test, range(min(args.check_samples, len(test))))
    t0 = time.perf_counter()
    try:
        built = activity_ir(args.model, img_size=args.img_size, time_steps=args.time_steps,
                            seed=args.seed, calib_set=calib, check_set=check,
                            rate_samples=args.rate_samples, classes=args.classes,
                            batch_size=args.batch_size, dataset=info, stage=stage,
                            progress=not args.no_progress, weight_bits=args.bits)
    except (ValueError, QuantizeError) as exc:
        raise CliError(str(exc)) from exc
    build_s = time.perf_counter() - t0
    try:
        path = built.ir.save(args.out)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    stage(f"wrote {path}; firing rates on {args.samples} held-out samples")
    t1 = time.perf_counter()
    extra = _summary(built, args, path.stat().st_size, build_s)
    report(built.ir, args, extra, header=_header(extra))
    stage(f"rates measured in {time.perf_counter() - t1:.0f} s; peak RSS "
          f"{_peak_rss_mib():.0f} MiB")
    return 0


def _summary(built: ActivityIRResult, args: argparse.Namespace, size: int,
             build_s: float) -> dict:
    return {
        "ir": str(args.out), "bytes": size, "hash": built.ir.content_hash(),
        "model": args.model, "img_size": args.img_size,
        "T": args.time_steps, "seed": args.seed, "threads": args.threads,
        "weight_bits": args.bits,
        "calibration_samples": built.calibration_samples,
        "rate_samples": built.ir.meta["activity"]["rate_samples"],
        "qat_vs_golden": built.ir.meta["qat_vs_golden"],
        "masks": built.masks, "shifts": built.ir.meta["activity"]["shifts"],
        "params_pruned": built.ir.meta["params_pruned"],
        "params_deployed": built.ir.meta["params_deployed"],
        "build_seconds": round(build_s, 1), "peak_rss_MiB": round(_peak_rss_mib()),
    }


def _header(extra: dict) -> str:
    masks = ", ".join(f"{k.removeprefix('blocks.')} {v['masked']}/{v['channels']}"
                      for k, v in extra["masks"].items())
    return (f"wrote {extra['ir']} ({extra['bytes']:,} bytes, hash {extra['hash'][:16]}…)\n"
            f"  {extra['model']} at {extra['img_size']}², T = {extra['T']}, "
            f"{extra['weight_bits']}-bit weights, seed {extra['seed']}: "
            "UNTRAINED weights — activity only, no accuracy\n"
            f"  masked channels: {masks}\n"
            f"  built in {extra['build_seconds']} s, peak RSS {extra['peak_rss_MiB']} MiB; "
            f"QAT ≡ golden on {extra['qat_vs_golden']['bit_exact']}/"
            f"{extra['qat_vs_golden']['samples']} samples\n\n")


def _peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage_printer(quiet: bool):
    def say(line: str) -> None:
        if not quiet:
            print(f"[activity-ir] {line}", file=sys.stderr, flush=True)
    return say
