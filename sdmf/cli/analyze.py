"""Analyses of a trained SDMFormer against Spikformer: the paper's Figs. 1, 5 and 6.

Writes into --out: masking_ratios.png (Fig. 5, masked-channel ratio per
component and block), firing_rates.png (Fig. 6, channel-averaged firing rate at
the Q, K, V, MLP1 and MLP2 outputs, Spikformer and SDMFormer side by side),
inactive_channels.png and channel_rates.png (Fig. 1, per-sample ratio of
channels that never fire after block 0's SSA, and one sample's channel rates),
layer_rates.png (input firing rate of every synaptic layer) and analysis.json
with every number. The baseline is --baseline-checkpoint, else an untrained
same-size Spikformer (recorded as baseline_source). Fig. 1 uses the trained
baseline when given, else the model. See docs/analyses.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sdmf.model.analysis.report import run_analysis

from .argtypes import out_dir
from .common import CliError, add_model_args, emit, format_table
from .energy import add_baseline_args, add_data_args, load_baseline, load_setup

HELP = "masking ratios, firing rates and inactive channels (plots + analysis.json)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_args(parser, default_model="sdmformer-2-256")
    add_baseline_args(parser)
    add_data_args(parser)
    parser.add_argument("--out", required=True, type=out_dir,
                        help="output folder for the PNGs and JSON")
    parser.add_argument("--json", action="store_true", help="print analysis.json to stdout")


def _text(r: dict[str, Any], out: Path) -> str:
    ds = r["dataset"]
    lines = [f"{r['model']} vs {r['baseline_model']} [{r['baseline_source']}] on "
             f"{ds['name']}/{ds['split']}: {r['samples']} samples, T = {r['T']}", ""]
    comps = list(next(iter(r["masking_ratios"].values())))
    rows = [[blk, *(v[c] for c in comps)] for blk, v in r["masking_ratios"].items()]
    lines += ["masking ratio (Fig. 5)", format_table(["block", *comps], rows), ""]
    rates = r["firing_rates"]
    rows = []
    for blk, per in rates["model"].items():
        for comp, v in per.items():
            base = rates.get("baseline", {}).get(blk, {}).get(comp, {}).get("active")
            rows.append([f"{blk} {comp}", "-" if base is None else base, v["active"], v["all"]])
    lines += ["output firing rate (Fig. 6)",
              format_table(["unit", "baseline", "model (active ch.)", "model (all ch.)"], rows),
              ""]
    ic = r["inactive_channels"]
    lines.append(f"inactive channels after one SSA block (Fig. 1, {ic['model_name']}): "
                 f"mean {ic['mean']:.3f}, median {ic['median']:.3f} over {ic['samples']} samples; "
                 f"sample {ic['representative_sample']}: {ic['representative_inactive_channels']}"
                 f"/{ic['channels']} inactive")
    inputs = r["layer_rates"]["model"]["inputs"]
    lines += ["", format_table(["layer", "input rate"], [[k, v] for k, v in inputs.items()])]
    lines += ["", f"wrote {', '.join(r['plots'].values())} and analysis.json to {out}"]
    lines += [f"note: {n}" for n in r["notes"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    setup = load_setup(args)
    baseline, source = load_baseline(args, setup)
    meta = {"checkpoint": args.checkpoint, "baseline_checkpoint": args.baseline_checkpoint,
            "dataset": setup.spec.to_dict(), "notes": setup.notes}
    out = Path(args.out)
    try:
        result = run_analysis(setup.model, baseline, source, setup.dataset, args.batch_size,
                              out, progress=setup.progress, meta=meta)
    except OSError as exc:
        raise CliError(f"cannot write the analysis to {out}: {exc}") from exc
    emit(result, args.json, _text(result, out))
    return 0
