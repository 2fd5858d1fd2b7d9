"""Board planning (FitBoard) of an IR without writing the project: the plan, its predicted
utilisation and the bottleneck bound (the interval's lower bound; `sdmf hwgen --fit-board`
also computes the exact interval by the token recurrence, minutes for large designs).

    python benchmarks/board_plan.py --ir models/digits-dvs/sdmformer-1-128-int8.sdmfir \\
        --board pynq_z2 [--params loaded] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sdmf.cli.hwgen import board_plan_text
from sdmf.hw.backends import get_backend
from sdmf.hw.boards import BOARDS
from sdmf.hw.flow import board_estimator
from sdmf.hw.graph import from_ir
from sdmf.hw.passes import FitBoard, default_passes, run_passes
from sdmf.quant.ir import IntegerIR

CLOCK_MHZ = 250.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ir", type=Path, required=True)
    ap.add_argument("--board", choices=list(BOARDS), required=True)
    ap.add_argument("--params", choices=["rom", "loaded"], default="rom")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    board = BOARDS[args.board]
    start = time.perf_counter()
    graph = from_ir(IntegerIR.load(args.ir), get_backend("rtl").kinds, "weights")
    planner = FitBoard(board, board_estimator("rtl", args.params, board.family))
    graph = run_passes(graph, default_passes(planner=planner))
    seconds = time.perf_counter() - start
    cyc = graph.info["cycles"]
    layers = {lay.name: {"knobs": lay.parallel, "placement": lay.placement,
                         "cycles": lay.cycles} for lay in graph.layers.values()
              if lay.parallel or lay.placement}
    result = {"ir": str(args.ir), "board": args.board, "params": args.params,
              "seconds": round(seconds, 1), "bound": cyc["bound"],
              "bottleneck": cyc["bottleneck"],
              "img_per_s_250mhz": CLOCK_MHZ * 1e6 / cyc["bound"],
              "lanes": graph.info["parallelism"]["lanes"],
              "board_plan": graph.info["board_plan"], "layers": layers}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(board_plan_text(graph.info["board_plan"]))
    print(f"bottleneck {cyc['bottleneck']}: {cyc['bound']:,} cycles = "
          f"{result['img_per_s_250mhz']:,.1f} img/s at {CLOCK_MHZ:g} MHz; "
          f"{result['lanes']} lanes; planned in {seconds:.1f} s")
    for name, lay in layers.items():
        print(f"  {name}: {lay['knobs']} {lay['placement'] or ''} {lay['cycles']:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
