"""What-if: event-driven issue per lane instead of per chunk, on a project's planning samples.

    python benchmarks/lane_events_whatif.py --project P [--samples 4] [--json]

Today an ``EV = 1`` convolution issues one fan-in op per non-zero PI-chunk (any of its PI
inputs spiked) and all PI·PO lanes read their weights, so a chunk with one spike wastes
PI − 1 weight reads (:func:`sdmf.hw.kinds.conv_lif.event_ops`). A *lane-event* unit would
give each of the PI input lanes its own weight bank (channels c ≡ u mod PI) and its own
next-spike encoder: an (output group, time step) then takes the most spikes any one lane
has, not the number of non-zero chunks. This prints, per convolution of P's plan, the
busy cycles on the slowest planning sample both ways (the LIF and EMIT ops unchanged),
at P's PI and at 2·PI and 4·PI (same PO). The lane unit is now built (``EV = 2``,
``--event-driven lanes``; :func:`sdmf.hw.kinds.conv_lif.lane_ops` is its count); this sizes
it for a chunk-event project.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from interval_whatif import planning_taps, rebuilt  # benchmarks/ (the script's folder)

from sdmf.hw.activity import layer_inputs
from sdmf.hw.kinds import ceil_div
from sdmf.hw.kinds.conv_lif import event_ops, lane_ops


def busy(attrs: dict, po: int, ops_per_step: np.ndarray) -> int:
    """``positions + G·(T·positions + Σ ops)`` (the EV = 1 count with other ops)."""
    n, T, G = attrs["positions"], attrs["T"], ceil_div(attrs["COUT"], po)
    return int(n + G * (T * n + int(ops_per_step.sum())))


def whatif(project: Path, samples: int) -> list[dict[str, Any]]:
    graph, ir = rebuilt(project)
    taps = planning_taps(ir, samples)
    rows = []
    for lay in graph.layers.values():
        if lay.kind != "conv_lif" or not lay.attrs["CIN"]:
            continue
        a, k = lay.attrs, lay.parallel
        xs = [layer_inputs(graph, lay, t)["s"] for t in taps]
        chunk = max(busy(a, k["PO"], event_ops(a, k, x)) for x in xs)
        lanes = {}
        for pi in (k["PI"], 2 * k["PI"], 4 * k["PI"]):
            if a["CIN"] % pi == 0 and k.get("PK", 1) == 1:
                lanes[pi] = max(busy(a, k["PO"], lane_ops(a, pi, x)) for x in xs)
        rows.append({"layer": lay.name, "PO": k["PO"], "PI": k["PI"], "chunk": chunk,
                     "lane": lanes})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not (a.project / "report.json").exists():
        print(f"lane_events_whatif: {a.project}/report.json does not exist", file=sys.stderr)
        return 2
    rows = whatif(a.project, a.samples)
    if a.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'layer':<22} {'PO':>3} {'PI':>3} {'chunk events':>13}  lane events (PI: cycles, ×)")
    for r in rows:
        alt = "  ".join(f"PI {pi}: {c:,} ({r['chunk'] / c:.2f}×)" for pi, c in r["lane"].items())
        print(f"{r['layer']:<22} {r['PO']:>3} {r['PI']:>3} {r['chunk']:>13,}  {alt}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
