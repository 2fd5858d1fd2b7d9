"""Quantize a trained checkpoint into the integer IR.

BN is folded, the learned masks are applied as physical pruning, weights get
per-output-channel symmetric Brevitas quantization at --bits, optional QAT
fine-tunes with the exact integer forward, and the IR is written together with
the float and quantized (golden-model) test accuracy measured now. The recipe is
:func:`sdmf.quant.recipe.quantize`; this command parses, loads, writes and prints.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from torch.utils.data import Subset

from sdmf.quant.build import QuantSpec
from sdmf.quant.limits import FRAC_BITS, IN_BITS, WEIGHT_BITS
from sdmf.quant.recipe import GoldenMismatchError, QuantizeError, QuantizeResult, quantize

from .argtypes import (
    as_text,
    existing_file,
    int_range,
    nonneg_int,
    out_file,
    positive_float,
    positive_int,
)
from .common import CliError, emit, model_from_args
from .datasets import add_data_args, dataset_from_args

HELP = "fold BN, prune, quantize (optional QAT) and write the integer IR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=as_text(existing_file),
                        help="float checkpoint from `sdmf train`")
    parser.add_argument("--out", required=True, type=out_file, help="IR file to write (.sdmfir)")
    parser.add_argument("--bits", type=int_range(*WEIGHT_BITS), default=8,
                        help="weight bit width, 2..16 (default 8; 4 works)")
    parser.add_argument("--in-bits", type=int_range(*IN_BITS), default=8,
                        help="input event-count width, 1..16; larger counts saturate "
                        "(default 8)")
    parser.add_argument("--frac-bits", type=int_range(*FRAC_BITS), default=4,
                        help="fractional bits of the LIF membrane, 0..16 (default 4)")
    parser.add_argument("--lpe-bits", type=int_range(2, 16), default=8,
                        help="LPE width, 2..16 (default 8)")
    parser.add_argument("--qat-epochs", type=nonneg_int, default=0, help="QAT fine-tuning epochs")
    parser.add_argument("--lr", type=positive_float, default=1e-4, help="QAT learning rate")
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--seed", type=nonneg_int, default=0)
    parser.add_argument("--ignore-masks", action="store_true",
                        help="keep every channel (switch all masks on): the unpruned network, "
                        "for comparisons")
    parser.add_argument("--subset", type=positive_int, default=None,
                        help="use only the first N samples of each split (quick checks)")
    add_data_args(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    model, ckpt = model_from_args(args)
    train_set, info = dataset_from_args(args, ckpt, "train", model.cfg)
    test_set, _ = dataset_from_args(args, ckpt, "test", model.cfg)
    if args.subset is not None:
        train_set = Subset(train_set, range(min(args.subset, len(train_set))))
        test_set = Subset(test_set, range(min(args.subset, len(test_set))))
    try:
        spec = QuantSpec(weight_bits=args.bits, in_bits=args.in_bits, frac_bits=args.frac_bits,
                         lpe_bits=args.lpe_bits)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    t0 = time.time()
    try:
        result = quantize(model, train_set, test_set, spec, time_steps=info["T"],
                          qat_epochs=args.qat_epochs, lr=args.lr, batch_size=args.batch_size,
                          seed=args.seed, ignore_masks=args.ignore_masks,
                          source=str(args.checkpoint), dataset=info,
                          progress=not args.no_progress)
    except GoldenMismatchError as exc:
        raise CliError(f"{exc}; IR not written") from exc
    except QuantizeError as exc:
        raise CliError(str(exc)) from exc
    try:
        path = result.ir.save(args.out)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    _report(result, path, info["T"], round(time.time() - t0, 1), args.json)
    return 0


def _report(result: QuantizeResult, path: Path, T: int, seconds: float, as_json: bool) -> None:
    """Print the summary (JSON or text) of a written IR."""
    bits = result.ir.meta["quant_spec"]["weight_bits"]
    summary = {
        "ir": str(path), "hash": result.ir.content_hash(), "bits": bits,
        "float_accuracy": result.float_accuracy, "quantized_accuracy": result.quantized_accuracy,
        "bit_exact_samples": result.bit_exact_samples, "samples": result.samples,
        "params_float": result.params_float, "params_pruned": result.params_pruned,
        "params_deployed": result.params_deployed, "seconds": seconds,
    }
    test_samples = result.ir.meta["accuracy"]["samples"]
    text = (f"wrote {path} ({bits}-bit weights, T={T})\n"
            f"  float accuracy      {100 * result.float_accuracy:6.2f} %\n"
            f"  quantized accuracy  {100 * result.quantized_accuracy:6.2f} %  (golden model, "
            f"{test_samples} test samples)\n"
            f"  QAT eval vs golden  {result.bit_exact_samples}/{result.samples} samples "
            "bit-exact on every op output and logit\n"
            f"  parameters          {result.params_float:,} float → "
            f"{result.params_pruned:,} pruned; {result.params_deployed:,} integer "
            "values deployed")
    emit(summary, as_json, text)
