"""Evaluate a checkpoint: accuracy, per-class accuracy and a confusion-matrix PNG.

Without --dataset the test split of the dataset recorded in the checkpoint is
used, with the recorded T and the model's img_size. The PNG and a JSON report
are written to --out (default: the checkpoint's directory).

examples:
  sdmf eval --checkpoint runs/digits/best.pt
  sdmf eval --checkpoint runs/gesture/best.pt --data-dir data/ --json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sdmf.io import write_json

from . import train as train_cli
from .argtypes import existing_file, nonneg_int, out_dir, positive_int
from .common import CliError, emit, format_table
from .energy import resolve_device

HELP = "evaluate a checkpoint (accuracy, per-class accuracy, confusion matrix PNG)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=existing_file,
                        help="checkpoint written by `sdmf train`")
    parser.add_argument("--dataset", default=None,
                        help="dataset name (default: the one recorded in the checkpoint)")
    parser.add_argument("--split", default="test", help="dataset split (default test)")
    parser.add_argument("--data-dir", default=None,
                        help="dataset root (default: the one recorded in the checkpoint)")
    parser.add_argument("--cache-dir", default=None,
                        help="where frame caches are kept (default: the checkpoint's)")
    parser.add_argument("-T", "--time-steps", type=positive_int, default=None,
                        help="frames per sample (default: the checkpoint's)")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="default 32")
    parser.add_argument("--workers", type=nonneg_int, default=0,
                        help="data-loader workers (default 0)")
    parser.add_argument("--device", default=None, help="torch device (default cuda if available)")
    parser.add_argument("--out", type=out_dir, default=None,
                        help="directory for the PNG and JSON report (default: next to the "
                             "checkpoint)")
    parser.add_argument("--no-plot", dest="plot", action="store_false",
                        help="skip the confusion-matrix PNG")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _dataset_args(args: argparse.Namespace, ckpt: dict[str, Any]) -> dict[str, Any]:
    rec = ckpt.get("dataset") or {}
    name = args.dataset or rec.get("name")
    if not name:
        raise CliError(f"{args.checkpoint} records no dataset; pass --dataset NAME")
    same = name == rec.get("name")
    return {"name": name, "split": args.split,
            "time_steps": int(args.time_steps or rec.get("T") or 16),
            "root": args.data_dir or (rec.get("root") if same else None),
            "cache_dir": args.cache_dir or rec.get("cache_dir"),
            "class_names": rec.get("class_names") if same else None}


def run(args: argparse.Namespace) -> int:
    from sdmf.model.checkpoint import load_model
    from sdmf.model.training import data as tdata
    from sdmf.model.training.distributed import DistContext
    from sdmf.model.training.loop import evaluate
    from sdmf.model.training.metrics import confusion_report, plot_confusion

    if args.batch_size < 1:
        raise CliError("--batch-size must be >= 1")
    try:
        model, ckpt = load_model(args.checkpoint)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    ds = _dataset_args(args, ckpt)
    train_cli.check_dataset(ds["name"])
    img = model.cfg.img_size
    try:
        dataset = tdata.build_split(ds["name"], ds["split"], root=ds["root"],
                                    time_steps=ds["time_steps"], img_size=img,
                                    cache_dir=ds["cache_dir"], progress=not args.json)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        raise CliError(f"cannot load dataset {ds['name']!r} ({ds['split']}): {exc}") from exc
    classes = tdata.num_classes_of(dataset)
    if classes != model.cfg.num_classes:
        raise CliError(f"dataset {ds['name']!r} has {classes} classes, the model "
                       f"{model.cfg.num_classes}")
    info = getattr(dataset, "info", None)
    names = getattr(info, "class_names", None) or ds["class_names"]

    device = resolve_device(args.device)
    model.to(device)
    t0 = time.time()
    loader = tdata.eval_loader(dataset, args.batch_size, DistContext(device=device), args.workers)
    result = evaluate(model, loader, num_classes=classes, ctx=DistContext(device=device),
                      progress=not args.json)
    report = confusion_report(result["confusion"], list(names) if names else None)
    ckpt_path = Path(args.checkpoint)
    out = Path(args.out) if args.out else ckpt_path.parent
    stem = f"{ckpt_path.stem}-{ds['name']}-{ds['split']}"
    report = {"checkpoint": str(ckpt_path), "model": model.cfg.name, "dataset": ds["name"],
              "split": ds["split"], "T": ds["time_steps"], "img_size": img,
              "loss": result["loss"], **report, "time_s": time.time() - t0}
    try:
        if args.plot:
            png = plot_confusion(report["confusion_matrix"], out / f"{stem}-confusion.png",
                                 class_names=report["class_names"],
                                 title=f"{model.cfg.name} on {ds['name']} {ds['split']}: "
                                       f"{report['accuracy']:.2%}")
            report["confusion_png"] = str(png)
        report["report_json"] = str(out / f"{stem}-eval.json")
        write_json(report["report_json"], report)
    except OSError as exc:
        raise CliError(f"cannot write the report to {out}: {exc}") from exc

    rows = [[n, report["support"][n], "-" if a is None else f"{a:.2%}"]
            for n, a in report["per_class_accuracy"].items()]
    text = "\n".join([
        f"{model.cfg.name} on {ds['name']} ({ds['split']}, T={ds['time_steps']}, img {img}): "
        f"accuracy {report['accuracy']:.2%} over {report['num_samples']} samples",
        format_table(["class", "samples", "accuracy"], rows),
        f"report: {report['report_json']}"
        + (f"\nconfusion matrix: {report['confusion_png']}" if args.plot else ""),
    ])
    emit(report, args.json, text)
    return 0
