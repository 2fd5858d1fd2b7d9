"""Run the integer golden model of an IR over a dataset split.

Reports the accuracy measured now next to the float and quantized accuracy the
IR recorded at export, the throughput, and optionally dumps test vectors
(every op's output per sample and time step) for testbenches.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from sdmf.quant.golden import GoldenModel, dump_vectors
from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_file, out_dir, positive_int
from .common import CliError, emit
from .datasets import add_data_args, dataset_for_ir

HELP = "run the integer golden model of an IR (accuracy, throughput, test vectors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ir", required=True, type=existing_file,
                        help="IR file from `sdmf quantize`")
    add_data_args(parser)
    parser.add_argument("--split", default="test", choices=["train", "test"])
    parser.add_argument("--samples", type=positive_int, default=None,
                        help="first N samples only")
    parser.add_argument("--batch-size", type=positive_int, default=16)
    parser.add_argument("--dump", type=out_dir, help="write test vectors of --dump-samples here")
    parser.add_argument("--dump-samples", type=positive_int, default=8)
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _check_frames(path: Path, ir: IntegerIR, dataset: Dataset) -> None:
    """The dataset's samples must have the IR's input shape [T, C, H, W]."""
    if len(dataset) == 0:
        raise CliError("the dataset split holds no samples")
    shape = tuple(torch.as_tensor(dataset[0][0]).shape)
    if shape != tuple(ir.input_shape):
        raise CliError(f"{path}: the IR's input shape {list(ir.input_shape)} differs from the "
                       f"dataset's samples {list(shape)}")


def run(args: argparse.Namespace) -> int:
    try:
        ir = IntegerIR.load(args.ir)
    except (FileNotFoundError, IRError) as exc:
        raise CliError(str(exc)) from exc
    golden = GoldenModel(ir)
    dataset, info = dataset_for_ir(args, ir.meta, args.split)
    _check_frames(args.ir, ir, dataset)
    if args.samples is not None:
        dataset = Subset(dataset, range(min(args.samples, len(dataset))))
    correct = total = 0
    start = time.perf_counter()
    for x, y in tqdm(DataLoader(dataset, batch_size=args.batch_size), desc="golden",
                     disable=args.no_progress, leave=False):
        correct += int((golden.run(x).pred == y).sum())
        total += int(y.numel())
    seconds = time.perf_counter() - start
    recorded = ir.meta.get("accuracy", {})
    result = {
        "ir": str(args.ir), "hash": ir.content_hash(), "dataset": info, "split": args.split,
        "samples": total, "accuracy": correct / max(total, 1),
        "float_accuracy": recorded.get("float"), "quantized_accuracy_at_export":
        recorded.get("quantized"), "img_per_s": total / seconds if seconds else None,
    }
    if args.dump:
        n = min(args.dump_samples, len(dataset))
        xs, ys = zip(*(dataset[i] for i in range(n)))
        x = torch.stack(xs)
        try:
            dump_vectors(ir, x, golden.run(x, taps=True), args.dump,
                         labels=[int(v) for v in ys])
        except OSError as exc:
            raise CliError(f"cannot write test vectors to {args.dump}: {exc}") from exc
        result["dump"] = str(args.dump)
    fa = result["float_accuracy"]
    text = (f"{args.ir}: {total} {args.split} samples of {info['name']}\n"
            f"  golden accuracy   {100 * result['accuracy']:6.2f} %\n"
            + (f"  float accuracy    {100 * fa:6.2f} %  (recorded at export)\n" if fa is not None
               else "")
            + f"  throughput        {result['img_per_s']:.1f} img/s (CPU, integer golden model)"
            + (f"\n  test vectors      {args.dump}" if args.dump else ""))
    emit(result, args.json, text)
    return 0
