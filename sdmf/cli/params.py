"""Parameter counts: used, as the official Spikformer code prints them, and after pruning.

For an SDMFormer the pruned count uses the learned masks (from --checkpoint;
a fresh model keeps every channel) and is compared with the same-size
Spikformer — the paper's Table 1 ratio.
"""

from __future__ import annotations

import argparse
from typing import Any

from sdmf.model.pruning import (
    count_mask_params,
    count_params,
    count_params_pruned,
    official_unused_params,
    param_breakdown,
    prune_plan,
)
from sdmf.model.transformer import SpikingTransformer

from .common import add_model_args, emit, format_table, model_from_args

HELP = "parameter counts (used, official, pruned) and the ratio to Spikformer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_args(parser, default_model="sdmformer-2-256")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def param_report(model: SpikingTransformer) -> dict[str, Any]:
    """Every figure `sdmf params` prints, as a dict."""
    cfg = model.cfg
    plan = prune_plan(model)
    used = count_params(model)
    report: dict[str, Any] = {
        "model": cfg.name,
        "num_classes": cfg.num_classes,
        "img_size": cfg.img_size,
        "params": used,
        "params_official": used + official_unused_params(cfg),
        "params_pruned": count_params_pruned(model, plan),
        "mask_params": count_mask_params(model),
        "breakdown": param_breakdown(model),
        "layers": {
            name: {"cout": p.cout, "kept_out": len(p.out_keep), "cin": p.cin,
                   "kept_in": len(p.in_keep), "masking_ratio": round(p.masking_ratio, 6),
                   "params": p.params, "params_full": p.params_full}
            for name, p in plan.items()
        },
    }
    if cfg.arch != "spikformer":
        baseline = SpikingTransformer(cfg.baseline())
        base_used = count_params(baseline)
        report["baseline"] = baseline.cfg.name
        report["baseline_params"] = base_used
        report["baseline_params_official"] = base_used + official_unused_params(baseline.cfg)
        report["ratio"] = report["params_pruned"] / base_used
        report["ratio_official"] = report["params_pruned"] / report["baseline_params_official"]
    return report


def _text(r: dict[str, Any]) -> str:
    lines = [f"{r['model']}  ({r['num_classes']} classes, {r['img_size']}×{r['img_size']})", ""]
    lines.append(format_table(["part", "params"], [[k, v] for k, v in r["breakdown"].items()]))
    lines += ["", f"used parameters         {r['params']:>12,}"]
    if r["params_official"] != r["params"]:
        lines.append(f"as official code prints {r['params_official']:>12,}  "
                     "(+ unused pos_embed and LayerNorms)")
    lines.append(f"after pruning           {r['params_pruned']:>12,}  (masks folded away)")
    if "baseline_params" in r:
        lines.append(f"{r['baseline']} (used) {r['baseline_params']:>12,}")
        lines.append(f"ratio pruned/baseline   {100 * r['ratio']:>11.2f}%  "
                     f"(vs official count {100 * r['ratio_official']:.2f}%)")
    masked = {k: v for k, v in r["layers"].items() if v["masking_ratio"] or v["kept_in"] < v["cin"]}
    if masked:
        rows = [[k, f"{v['kept_out']}/{v['cout']}", f"{v['kept_in']}/{v['cin']}",
                 v["masking_ratio"], v["params"]] for k, v in masked.items()]
        lines += ["", format_table(["layer", "out kept", "in kept", "mask ratio", "params"], rows)]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    model, _ = model_from_args(args)
    report = param_report(model)
    emit(report, args.json, _text(report))
    return 0
