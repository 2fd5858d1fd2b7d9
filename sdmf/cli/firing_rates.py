"""Per-layer firing rates of an integer IR beside a trained reference IR's.

Runs the golden model with every tap on the first --samples test samples of the
dataset the IR records (at its own image size and T) and reports, for every LIF
op, the mean spike rate over samples, time steps, positions and the IR's (kept)
channels; beside it the same measure of the reference IR (default: the shipped,
trained digits-dvs SDMFormer, on its own recorded data) at the op of the same name.
The paper's Fig. 6 gives no values in its text, so its column stays empty.
Firing rates say nothing about accuracy. docs/activity.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from torch.utils.data import DataLoader, Subset

import sdmf
from sdmf.io import write_json
from sdmf.quant.firing import PAPER_FIG6_NOTE, LayerRate, compare_rates, lif_rates
from sdmf.quant.ir import IntegerIR, IRError

from .argtypes import existing_file, out_file, positive_int
from .common import CliError, emit, format_table
from .datasets import add_data_args, dataset_for_ir

HELP = "per-layer firing rates of an IR (golden model) beside the trained digits-dvs model's"

DEFAULT_REFERENCE = (Path(sdmf.__file__).resolve().parents[1] / "models" / "digits-dvs"
                     / "sdmformer-1-128-int8.sdmfir")


def add_report_args(parser: argparse.ArgumentParser, data: bool = True) -> None:
    """Options shared with ``sdmf activity-ir``: samples, reference, plot, output; with
    ``data`` the dataset options (else only ``--cache-dir``: the data is digits-dvs)."""
    parser.add_argument("--samples", type=positive_int, default=16,
                        help="held-out (test split) samples the rates are measured on "
                        "(default 16)")
    parser.add_argument("--reference", type=existing_file, default=None,
                        help="trained reference IR, measured on its own recorded data "
                        "(default: the shipped digits-dvs SDMFormer)")
    parser.add_argument("--no-reference", action="store_true", help="no reference column")
    parser.add_argument("--reference-samples", type=positive_int, default=364,
                        help="test samples of the reference (default 364: all of digits-dvs)")
    parser.add_argument("--plot", type=out_file, help="also draw the rates into this PNG")
    parser.add_argument("--report-json", type=out_file,
                        help="also write the JSON report to this file")
    parser.add_argument("--batch-size", type=positive_int, default=4)
    if data:
        add_data_args(parser)
    else:
        parser.add_argument("--cache-dir", help="frame cache (default $SDMF_CACHE or "
                            "~/.cache/sdmf)")
        parser.set_defaults(dataset=None, data_dir=None)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ir", required=True, type=existing_file, help="IR file (.sdmfir)")
    add_report_args(parser)


def load_ir(path: Path) -> IntegerIR:
    try:
        return IntegerIR.load(path)
    except (FileNotFoundError, IRError) as exc:
        raise CliError(str(exc)) from exc


def measure(ir: IntegerIR, args: argparse.Namespace, samples: int,
            source: str) -> tuple[dict[str, LayerRate], dict[str, Any]]:
    """Rates of ``ir`` on the first ``samples`` test samples of its recorded dataset."""
    dataset, info = dataset_for_ir(args, ir.meta, "test")
    n = min(samples, len(dataset))
    if n == 0:
        raise CliError(f"{source}: its dataset's test split holds no samples")
    shape = tuple(dataset[0][0].shape)
    if shape != tuple(ir.input_shape):
        raise CliError(f"{source}: the IR's input shape {list(ir.input_shape)} differs from "
                       f"the dataset's samples {list(shape)}")
    loader = DataLoader(Subset(dataset, range(n)), batch_size=args.batch_size)
    rates = lif_rates(ir, loader, progress=not args.no_progress,
                      total=-(-n // args.batch_size))
    return rates, {**info, "split": "test", "samples": n}


def reference_rates(args: argparse.Namespace) -> tuple[dict[str, LayerRate] | None,
                                                        dict[str, Any] | None]:
    """The reference IR's rates (None with --no-reference)."""
    if args.no_reference:
        return None, None
    path = args.reference or DEFAULT_REFERENCE
    if not path.is_file():
        raise CliError(f"reference IR {path} not found; pass --reference FILE or --no-reference")
    ref = load_ir(path)
    own_data = argparse.Namespace(**{**vars(args), "dataset": None, "data_dir": None})
    rates, data = measure(ref, own_data, args.reference_samples, str(path))
    return rates, {"ir": str(path), "hash": ref.content_hash(), "data": data}


def report(ir: IntegerIR, args: argparse.Namespace, extra: dict[str, Any] | None = None,
           header: str = "") -> dict[str, Any]:
    """Measure, print (table or JSON), optionally plot; returns the JSON object."""
    rates, data = measure(ir, args, args.samples, "IR")
    ref, ref_info = reference_rates(args)
    rows = compare_rates(rates, ref)
    result = {**(extra or {}), "hash": ir.content_hash(), "data": data, "reference": ref_info,
              "rates": rows, "paper_fig6": PAPER_FIG6_NOTE,
              "note": "firing rates only: no accuracy is claimed or measured"}
    if args.plot:
        from sdmf.model.analysis.plots import plot_rate_comparison

        series = {"this IR": [r["rate"] for r in rows]}
        if ref is not None:
            series["trained digits-dvs"] = [r["reference"] for r in rows]
        result["plot"] = str(plot_rate_comparison([r["component"] for r in rows], series,
                                                  args.plot, "firing rate per layer"))
    if args.report_json:
        write_json(args.report_json, result)
    emit(result, args.json, header + rate_table(rows, ref_info))
    return result


def rate_table(rows: list[dict[str, Any]], ref_info: dict[str, Any] | None) -> str:
    """The text table: layer, component, channels, rate, reference rate, paper."""
    body = [[r["layer"], r["component"], r["channels"], round(r["rate"], 4),
             "—" if r["reference"] is None else round(r["reference"], 4),
             "—" if r["paper"] is None else r["paper"]] for r in rows]
    ref = "reference" if ref_info is None else "trained ref"
    text = format_table(["LIF op", "layer", "channels", "rate", ref, "paper Fig. 6"], body)
    notes = [f"paper Fig. 6: {PAPER_FIG6_NOTE}"]
    if ref_info:
        d = ref_info["data"]
        notes.insert(0, f"trained ref: {ref_info['ir']} on {d['name']} {d['img_size']}², "
                     f"T = {d['T']}, {d['samples']} test samples")
    return text + "\n" + "\n".join(notes)


def run(args: argparse.Namespace) -> int:
    ir = load_ir(args.ir)
    report(ir, args, {"ir": str(args.ir)}, header=f"{args.ir}\n")
    return 0
