"""What-if experiments on a project's overlapped interval, by the token recurrence (the
model `sdmf sim` checks the RTL against), without generating or simulating anything.

    python benchmarks/interval_whatif.py --project P [--samples 4] [--split train|test]
        [--repeat I]
        [--set LAYER:KNOB=N[,KNOB=N] ...] [--decouple-rows R] [--fork-fifo N]
        [--fifo-scale X] [--json]

Rebuilds P's graph from its IR with P's knobs (event-driven, P's word beats and
decoupling FIFOs), applies the changes — knobs of single layers (``--set sps.3:PO=64``),
the decoupling FIFOs instead of P's (``--decouple-rows R``: R input rows in front of every
3×3 convolution after the first; ``--fork-fifo N``: N tokens on every fork output into a
compute unit; sdmf.hw.passes.Decouple), every FIFO's depth times X (``--fifo-scale``) —
and prints every data-dependent layer's busy cycles and the
back-to-back intervals on the first N training samples (``--split test``: test samples,
those `sdmf sim` measures; ``--repeat I``: sample I, N times: the steady state of one
sample), with their img/s at 250 MHz over the stream and on the slowest interval.
Resources are not checked: this asks what would bound the interval, not whether it fits.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sdmf.cli.plan import golden_taps
from sdmf.hw.activity import activity_report
from sdmf.hw.backends import get_backend
from sdmf.hw.graph import HwGraph, from_ir
from sdmf.hw.passes import Decouple, default_passes, run_passes
from sdmf.hw.passes.base import GraphPass
from sdmf.hw.timing import stream_rates
from sdmf.quant.ir import IntegerIR


class ScaleFifos(GraphPass):
    """Every FIFO's depth (SizeFifos' and the decoupling FIFOs) times ``scale``."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def apply(self, graph: HwGraph) -> HwGraph:
        for lay in graph.layers.values():
            if lay.kind == "fifo":
                lay.attrs["DEPTH"] = max(2, int(lay.attrs["DEPTH"] * self.scale))
        return graph


def knob_changes(items: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item in items:
        layer, _, pairs = item.partition(":")
        for pair in pairs.split(","):
            knob, _, value = pair.partition("=")
            if not (layer and knob and value.isdigit()):
                raise SystemExit(f"--set {item!r}: expected LAYER:KNOB=N[,KNOB=N]")
            out.setdefault(layer, {})[knob] = int(value)
    return out


def planning_taps(ir: IntegerIR, samples: int, split: str = "train") -> list:
    """The golden model's tensors of the first ``samples`` samples of ``split`` (train:
    the planning samples; test: those `sdmf sim` measures)."""
    args = argparse.Namespace(dataset=None, data_dir=None, cache_dir=None, no_progress=True)
    return golden_taps(args, ir, split, samples, "--samples")


def rebuilt(project: Path, changes: dict[str, dict[str, int]] | None = None,
            extra: GraphPass | None = None,
            decouple: tuple[int, int] | None = None) -> tuple[HwGraph, IntegerIR]:
    """``project``'s graph rebuilt from its IR with its knobs (event-driven, its word
    beats, its decoupling FIFOs unless ``decouple`` = (rows, fork tokens) replaces them),
    ``changes`` applied to single layers' knobs and ``extra`` run after the FIFO passes;
    planned by the RTL backend (memories), without the interval."""
    report = json.loads((project / "report.json").read_text())
    ir = IntegerIR.load(project / "model.sdmfir")
    knobs = {lay["name"]: dict(lay["parallel"]) for lay in report["layers"] if lay["parallel"]}
    for layer, ch in (changes or {}).items():
        if layer not in knobs:
            raise SystemExit(f"--set: {project} has no layer {layer!r} with knobs")
        knobs[layer].update(ch)
    nb = max(s["nb"] for s in report["streams"]) if report.get("streams") else 1
    own = report["info"].get("decouple", {})
    rows, tokens = decouple or (own.get("rows", 0), own.get("fork_tokens", 0))
    gen = get_backend("rtl")
    passes = default_passes(overrides=knobs, word_beats=nb,
                            decouple_rows=rows, fork_tokens=tokens)
    if extra is not None:
        at = next(i for i, p in enumerate(passes) if isinstance(p, Decouple)) + 1
        passes.insert(at, extra)
    return gen.plan(run_passes(from_ir(ir, gen.kinds, "weights"), passes), False), ir


def whatif(project: Path, samples: int, repeat: int | None, changes: dict[str, dict[str, int]],
           rows: int | None, scale: float, fork_tokens: int | None = None,
           split: str = "train") -> dict[str, Any]:
    given = rows is not None or fork_tokens is not None
    graph, ir = rebuilt(project, changes, ScaleFifos(scale),
                        (rows or 0, fork_tokens or 0) if given else None)
    rows, fork_tokens = (graph.info["decouple"][k] for k in ("rows", "fork_tokens"))
    taps = planning_taps(ir, samples if repeat is None else repeat + 1, split)
    if repeat is not None:
        taps = [taps[repeat]] * samples
    act = activity_report(graph, taps)
    busy = {k: max(v) for k, v in act["busy"].items()}
    iv = act["intervals"]
    return {"project": str(project), "split": split, "changes": changes, "decouple_rows": rows,
            "fork_tokens": fork_tokens, "fifo_scale": scale, "repeat": repeat, "busy_max": busy,
            "intervals": iv, "throughput": stream_rates(iv, 250.0),
            "busiest": max(busy, key=busy.__getitem__) if busy else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", type=Path, required=True)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--split", choices=["train", "test"], default="train",
                    help="the samples: train (the planner's, default) or test (sdmf sim's)")
    ap.add_argument("--repeat", type=int, default=None, metavar="I")
    ap.add_argument("--set", action="append", default=[], metavar="LAYER:KNOB=N")
    ap.add_argument("--decouple-rows", type=int, default=None, metavar="R")
    ap.add_argument("--fork-fifo", type=int, default=None, metavar="N")
    ap.add_argument("--fifo-scale", type=float, default=1.0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not (a.project / "report.json").exists():
        print(f"interval_whatif: {a.project}/report.json does not exist", file=sys.stderr)
        return 2
    r = whatif(a.project, a.samples, a.repeat, knob_changes(a.set), a.decouple_rows,
               a.fifo_scale, a.fork_fifo, a.split)
    if a.json:
        print(json.dumps(r, indent=1))
        return 0
    iv = r["intervals"]
    rate = r["throughput"]
    print(f"intervals {', '.join(f'{x:,}' for x in iv)} cycles; busiest layer "
          f"{r['busiest']} {r['busy_max'][r['busiest']]:,}")
    if rate is not None:
        print(f"at 250 MHz: {rate['mean_img_s']:,.1f} img/s over the stream (mean interval), "
              f"{rate['slowest_img_s']:,.1f} on the slowest interval")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
