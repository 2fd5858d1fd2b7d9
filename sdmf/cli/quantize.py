"""Quantize a trained checkpoint into the integer IR.

BN is folded, the learned masks are applied as physical pruning, weights get
per-output-channel symmetric Brevitas quantization at --bits, optional QAT
fine-tunes with the exact integer forward, and the IR is written together with
the float and quantized (golden-model) test accuracy measured now.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch
from torch.utils.data import DataLoader, Subset

from sdmf.model.pruning import count_params, count_params_pruned
from sdmf.quant.build import QuantSpec
from sdmf.quant.export import export_ir
from sdmf.quant.finetune import accuracy, float_predict, qat_finetune, verify_against_golden
from sdmf.quant.golden import GoldenModel
from sdmf.quant.ir import IRError
from sdmf.quant.limits import FRAC_BITS, IN_BITS, WEIGHT_BITS
from sdmf.quant.qat import QuantizedModel

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
    if args.ignore_masks:
        with torch.no_grad():
            for mask in model.masks().values():
                mask.weight.fill_(1.0)
    progress = not args.no_progress
    train_set, info = dataset_from_args(args, ckpt, "train", model.cfg)
    test_set, _ = dataset_from_args(args, ckpt, "test", model.cfg)
    if args.subset is not None:
        train_set = Subset(train_set, range(min(args.subset, len(train_set))))
        test_set = Subset(test_set, range(min(args.subset, len(test_set))))
    T = info["T"]
    try:
        spec = QuantSpec(weight_bits=args.bits, in_bits=args.in_bits, frac_bits=args.frac_bits,
                         lpe_bits=args.lpe_bits)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    torch.manual_seed(args.seed)
    test_loader = DataLoader(test_set, batch_size=args.batch_size)
    t0 = time.time()
    float_acc = accuracy(float_predict(model), test_loader, "float eval", progress)
    qmodel = QuantizedModel(model, spec, time_steps=T)

    def train_batches(epoch: int):
        g = torch.Generator().manual_seed(args.seed + epoch)
        return DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=g)

    losses = qat_finetune(qmodel, train_batches, args.qat_epochs, lr=args.lr, progress=progress)
    meta: dict[str, Any] = {
        "source_checkpoint": str(args.checkpoint),
        "masks_ignored": bool(args.ignore_masks),
        "dataset": info,
        "qat": {"epochs": args.qat_epochs, "lr": args.lr, "losses": losses},
        "params_float": count_params(model),
        "params_pruned": count_params_pruned(model),
    }
    try:
        ir = export_ir(qmodel, meta)
    except IRError as exc:
        raise CliError(f"the quantized network is no valid IR: {exc}") from exc
    golden = GoldenModel(ir)
    check = verify_against_golden(qmodel, golden, test_loader, progress)
    quant_acc = check["accuracy"]
    ir.meta["accuracy"] = {"float": float_acc, "quantized": quant_acc,
                           "split": "test", "samples": len(test_set)}
    ir.meta["qat_vs_golden"] = {"samples": check["samples"], "bit_exact": check["bit_exact"]}
    if check["bit_exact"] != check["samples"]:
        bad = check["samples"] - check["bit_exact"]
        raise CliError(f"QAT model and golden model differ on {bad} samples "
                       f"(ops {', '.join(check['differing_ops'])}); IR not written")
    try:
        path = ir.save(args.out)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    summary = {
        "ir": str(path), "hash": ir.content_hash(), "bits": spec.weight_bits,
        "float_accuracy": float_acc, "quantized_accuracy": quant_acc,
        "bit_exact_samples": check["bit_exact"], "samples": check["samples"],
        "params_float": meta["params_float"], "params_pruned": meta["params_pruned"],
        "params_deployed": ir.meta["params_deployed"], "seconds": round(time.time() - t0, 1),
    }
    text = (f"wrote {path} ({spec.weight_bits}-bit weights, T={T})\n"
            f"  float accuracy      {100 * float_acc:6.2f} %\n"
            f"  quantized accuracy  {100 * quant_acc:6.2f} %  (golden model, {len(test_set)} "
            f"test samples)\n"
            f"  QAT eval vs golden  {check['bit_exact']}/{check['samples']} samples bit-exact "
            "on every op output and logit\n"
            f"  parameters          {summary['params_float']:,} float → "
            f"{summary['params_pruned']:,} pruned; {summary['params_deployed']:,} integer "
            "values deployed")
    emit(summary, args.json, text)
    return 0
