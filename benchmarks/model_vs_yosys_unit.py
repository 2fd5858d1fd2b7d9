"""The resource model against Yosys on single units of a planned design, without
generating the project (no token recurrence, no ROM images: use --params loaded).

    python benchmarks/model_vs_yosys_unit.py \\
        --ir models/activity/sdmformer-2-256-128-t16-int8.sdmfir --board kv260 \\
        --params loaded --layer blocks.0.mlp.fc1 [--layer …] [--family xcup]

Plans the IR for the board (FitBoard; --plan balanced: the default plan), writes the
library sources and one Yosys script per layer under --out, synthesizes each unit out of
context as ``sdmf synth --mode units`` does and prints model / Yosys / error per resource
(JSON with --json).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from sdmf.hw.backends import get_backend
from sdmf.hw.backends.rtl.kinds import rtl_kind
from sdmf.hw.backends.rtl.memories import mark_loaded, plan_memories
from sdmf.hw.backends.rtl.scripts import yosys_unit_script
from sdmf.hw.boards import BOARDS
from sdmf.hw.flow import board_estimator
from sdmf.hw.graph import from_ir
from sdmf.hw.passes import FitBoard, default_passes, run_passes
from sdmf.hw.resources.calibration import load_coeffs
from sdmf.hw.resources.compare import COMPARED, error_pct
from sdmf.hw.resources.model import predict
from sdmf.hw.resources.units import MemDesc, UnitDesc
from sdmf.hw.synth import parse_stat, run_yosys
from sdmf.quant.ir import IntegerIR


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ir", type=Path, required=True)
    ap.add_argument("--board", choices=list(BOARDS), required=True)
    ap.add_argument("--params", choices=["rom", "loaded"], default="loaded")
    ap.add_argument("--layer", action="append", required=True)
    ap.add_argument("--family", default=None, help="default: the board's")
    ap.add_argument("--plan", choices=["board", "balanced"], default="board",
                    help="FitBoard for --board (default) or the balanced default plan")
    ap.add_argument("--out", type=Path, default=Path("build/model_vs_yosys"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    board = BOARDS[args.board]
    family = args.family or board.family
    graph = from_ir(IntegerIR.load(args.ir), get_backend("rtl").kinds, "weights")
    planner = FitBoard(board, board_estimator("rtl", args.params, board.family)) \
        if args.plan == "board" else None
    graph = plan_memories(run_passes(graph, default_passes(planner=planner)))
    mark_loaded(graph, args.params)
    (args.out / "mem").mkdir(parents=True, exist_ok=True)
    rtl = args.out / "rtl"
    rtl.mkdir(exist_ok=True)
    sources = []
    for lay in graph.layers.values():
        src = rtl_kind(lay).source
        if not (rtl / src.name).exists():
            shutil.copy(src, rtl / src.name)
        if f"rtl/{src.name}" not in sources:
            sources.append(f"rtl/{src.name}")
    rows = []
    for name in args.layer:
        lay = graph.layers[name]
        inst = rtl_kind(lay).unit(graph, lay)
        script, text = f"{name}.{family}.ys", yosys_unit_script(
            sources, inst.module, inst.sv_params(), family, f"{name}.{family}.txt",
            ["busy_cycles"])
        stat = args.out / f"{name}.{family}.txt"
        seconds = 0.0                    # 0: the same script's result, kept from a run before
        if not (stat.exists() and (args.out / script).exists()
                and (args.out / script).read_text() == text):
            stat.unlink(missing_ok=True)
            (args.out / script).write_text(text)
            seconds = run_yosys(args.out, script, args.out / f"{name}.{family}.log")
        got = parse_stat(stat.read_text())
        unit = UnitDesc(name, lay.kind, lay.attrs, lay.widths, lay.parallel,
                        sum(s.word_bits for s in graph.inputs_of(name)),
                        sum(s.word_bits for s in graph.outputs_of(name)),
                        [MemDesc(m.name, m.depth, m.width, m.style, m.loaded,
                                 not m.loaded and m.name in rtl_kind(lay).prm_roles)
                         for m in lay.memories])
        p = predict(unit, load_coeffs(family), family)
        model = {**{r: p[r] for r in COMPARED}, "LUT": p["LUT"] + p["LUT_MEM"]}
        yosys = {**{r: got[r] for r in COMPARED}, "LUT": got["LUT"] + got["LUT_MEM"]}
        rows.append({"layer": name, "knobs": lay.parallel, "placement": lay.placement,
                     "seconds": round(seconds, 1), "model": model, "yosys": yosys,
                     "error_pct": {r: error_pct(model[r], yosys[r]) for r in COMPARED}})
    if args.json:
        print(json.dumps(rows, indent=1))
    for r in rows:
        print(f"{r['layer']} {r['knobs']} {r['placement']} ({r['seconds']} s): " + "  ".join(
            f"{k} {r['model'][k]:,}/{r['yosys'][k]:,}"
            + (f" ({e:+.1f} %)" if (e := r["error_pct"][k]) is not None else "")
            for k in COMPARED))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
