"""Calibration of the resource model against per-unit Yosys results.

The measured data — every distinct unit of a few projects, synthesized out of context
(``sdmf synth --mode units``), with its features — and the coefficients fitted to it live
in ``calibration.json`` beside this module; ``benchmarks/calibrate_resources.py``
regenerates both (the command is recorded in the file). The fit is a non-negative least
squares per family, kind and resource, each row divided by the square root of the
measured value: between relative errors (small and large units alike, which left the
large units of the KV260 designs, and so the totals the planner compares with the part,
5–9 % low) and absolute ones (the small units ignored).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .glue import GlueCoeffs
from .memory import MemCost
from .model import LOGIC, Coeffs, memories_cost
from .units import desc_from_report, features, report_loads_params

CALIBRATION = Path(__file__).with_name("calibration.json")
FORMAT = "sdmf-resource-calibration/1"


def collect(project: Path, family: str) -> list[dict[str, Any]]:
    """One point per distinct unit of ``project``'s per-unit synthesis of ``family``:
    layer, kind, features, the memories' modelled cost and the measured resources."""
    report = json.loads((project / "report.json").read_text())
    loaded = report_loads_params(report)
    layers = {lay["name"]: lay for lay in report["layers"]}
    points, seen = [], set()
    for u in unit_results(project, report, family):
        if u["unit"] in seen:
            continue
        seen.add(u["unit"])
        desc = desc_from_report(layers[u["layer"]], report["streams"], loaded)
        feats, internal = features(desc)
        mem = memories_cost([*desc.memories, *internal], family, desc.name)
        points.append({"project": project.name, "layer": desc.name, "kind": desc.kind,
                       "features": feats, "mem_model": vars(mem),
                       "measured": {k: u[k] for k in ("LUT", "LUT_MEM", "FF", "BRAM18",
                                                      "URAM", "DSP")}})
    return points


def unit_results(project: Path, report: dict[str, Any], family: str) -> list[dict[str, Any]]:
    """The per-unit results of ``project``: its ``synth_<family>.json`` (units mode) or,
    for an interrupted run, the units already in its cache (``reports/units_<family>/``)."""
    from ..synth import group_cells
    from ..synth_units import unit_key

    synth_path = project / "reports" / f"synth_{family}.json"
    if synth_path.exists():
        synth = json.loads(synth_path.read_text())
        if synth.get("mode") != "units":
            raise ValueError(f"{synth_path}: mode {synth.get('mode')!r}; the calibration "
                             "needs a per-unit synthesis (sdmf synth --mode units)")
        return synth["units"]
    top = (report["top"], report.get("ip_top"))
    lib = [s for s in report["sources"] if Path(s).stem not in top]
    out = []
    for inst in report["instances"]:
        key = unit_key(project, family, inst["module"], inst["params"], lib,
                       inst.get("unused_ports", ()))
        cache = project / "reports" / f"units_{family}" / f"{inst['module']}-{key[:12]}.json"
        if cache.exists():
            hit = json.loads(cache.read_text())
            if hit.get("key") == key:
                out.append({"layer": inst["layer"], "module": inst["module"],
                            "unit": cache.stem, **group_cells(hit["cells"])})
    return out


def logic_target(point: dict[str, Any], resource: str) -> float:
    """What the logic coefficients must explain: LUTs (logic + memory) less the modelled
    memory LUTs, FF, DSP."""
    m = point["measured"]
    if resource == "LUT":
        return m["LUT"] + m["LUT_MEM"] - MemCost(**point["mem_model"]).LUT_MEM
    return m[resource]


def fit(points: list[dict[str, Any]],
        keep: Coeffs | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Coefficients per kind and logic resource (non-negative least squares). A feature
    no point exercises (all zero or absent, e.g. the lane-event terms measured apart:
    calibration.json ``lane_events``) keeps its coefficient from ``keep``."""
    from scipy.optimize import nnls

    coeffs: dict[str, dict[str, dict[str, float]]] = {}
    for kind in sorted({p["kind"] for p in points}):
        pts = [p for p in points if p["kind"] == kind]
        names = sorted({f for p in pts for f in p["features"]})
        a = np.array([[p["features"].get(f, 0.0) for f in names] for p in pts], float)
        idle = [f for i, f in enumerate(names) if not a[:, i].any()]
        coeffs[kind] = {}
        for res in LOGIC:
            y = np.array([max(0.0, logic_target(p, res)) for p in pts])
            w = 1.0 / np.sqrt(np.maximum(y, 10.0))
            x, _ = nnls(a * w[:, None], y * w)
            coeffs[kind][res] = {f: round(float(c), 6) for f, c in zip(names, x) if c > 0}
            kept = (keep or {}).get(kind, {}).get(res, {})
            coeffs[kind][res] |= {f: c for f, c in kept.items() if f in idle or f not in names}
    return coeffs


@cache
def _load(path: str) -> dict[str, Any]:
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {FORMAT!r}")
    return data


def _family(family: str, path: Path) -> dict[str, Any]:
    fams = _load(str(path))["families"]
    if family not in fams:
        raise ValueError(f"{path}: no calibration for family {family!r}; calibrated: "
                         f"{', '.join(sorted(fams))}")
    return fams[family]


def load_coeffs(family: str, path: Path = CALIBRATION) -> Coeffs:
    """The fitted coefficients of ``family`` (``xc7``, ``xcup``)."""
    return _family(family, path)["coeffs"]


def load_glue(family: str, path: Path = CALIBRATION) -> GlueCoeffs:
    """The glue coefficients of ``family`` (:mod:`.glue`)."""
    glue = _family(family, path).get("glue")
    if not glue:
        raise ValueError(f"{path}: family {family!r} has no glue calibration; rerun "
                         "python benchmarks/calibrate_resources.py")
    return glue["coeffs"]
