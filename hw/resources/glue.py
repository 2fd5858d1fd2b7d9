"""The top level's own logic (the *glue* around the units): control registers, stream
adapters and, in a runtime-loaded design, the parameter loader, whose word register and
write bus are as wide as the widest loaded parameter word (``info['param_bits']``, a
multiple of 64; docs/params.md).

Per family and resource (LUT with LUT memory, FF): ``base + per_word_bit · word_bits``,
``word_bits`` the loader's word register (0 for a ROM design, which has no loader). The
coefficients are fitted to the glue that ``sdmf synth --mode units`` reports (the top
with its units as black boxes): ``base`` per family from its ROM designs, the slope
pooled over the loaded designs of every family (the loader's RTL is the same on both).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .units import report_loads_params

GLUE = ("LUT", "FF")
GlueCoeffs = Mapping[str, Mapping[str, float]]        # resource -> base, per_word_bit


def report_word_bits(report: Mapping[str, Any]) -> int:
    """The loader's word register of a ``report.json`` design (0: ROM parameters)."""
    return int(report["info"].get("param_bits", 0)) if report_loads_params(report) else 0


def glue_point(project: Path, family: str) -> dict[str, Any] | None:
    """The glue of ``project``'s per-unit synthesis of ``family`` (None before one)."""
    path = project / "reports" / f"synth_{family}.json"
    if not path.exists():
        return None
    glue = json.loads(path.read_text()).get("glue")
    if not glue:
        return None
    report = json.loads((project / "report.json").read_text())
    return {"project": project.name, "word_bits": report_word_bits(report),
            "measured": {"LUT": glue["LUT"] + glue["LUT_MEM"], "FF": glue["FF"]}}


def fit_glue(points: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Coefficients per family from the glue points of every family (module docstring).
    A family without ROM designs takes the mean base of the others."""
    rom = {f: [p for p in pts if not p["word_bits"]] for f, pts in points.items()}
    every_rom = [p for pts in rom.values() for p in pts]
    if not every_rom:
        raise ValueError("the glue fit needs at least one ROM design's glue")
    base = {f: {r: _mean(p["measured"][r] for p in (rom[f] or every_rom)) for r in GLUE}
            for f in points}
    loaded = [(f, p) for f, pts in points.items() for p in pts if p["word_bits"]]
    slope = {}
    for r in GLUE:   # least squares of y − base = slope · w, relative to y
        num = sum(p["word_bits"] * (p["measured"][r] - base[f][r]) / p["measured"][r] ** 2
                  for f, p in loaded)
        den = sum((p["word_bits"] / p["measured"][r]) ** 2 for f, p in loaded)
        slope[r] = max(0.0, num / den) if den else 0.0
    return {f: {r: {"base": round(base[f][r], 1), "per_word_bit": round(slope[r], 6)}
                for r in GLUE} for f in points}


def predict_glue(coeffs: GlueCoeffs, word_bits: int) -> dict[str, int]:
    """The glue's LUT (logic; its few LUT memories included) and FF for a loader word
    register of ``word_bits`` (0: a ROM design); the other resources 0."""
    out = {r: round(coeffs[r]["base"] + coeffs[r]["per_word_bit"] * word_bits) for r in GLUE}
    return {"LUT": out["LUT"], "LUT_MEM": 0, "FF": out["FF"], "BRAM18": 0, "URAM": 0, "DSP": 0}


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals)
