"""The top level's own logic (the *glue* around the units): control registers, stream
adapters and, in a runtime-loaded design, the parameter loader, whose word register and
write bus are as wide as the widest loaded parameter word (``info['param_bits']``, a
multiple of 64; docs/params.md).

Per family and resource (LUT with LUT memory, FF):
``base + per_word_bit · word_bits + per_counter · counters``, ``word_bits`` the loader's
word register (0 for a ROM design, which has no loader), ``counters`` the busy counters
the control block reads out (``--counters``: 0 without; its AXI4-Lite read multiplexer
grows with them). The coefficients are fitted to the glue that ``sdmf synth --mode units``
reports (the top with its units as black boxes): ``base`` per family from its ROM designs
without counters, the word-bit slope pooled over the loaded designs without counters of
every family (the loader's RTL is the same on both), the counter slope over the designs
with counters, what base and loader leave of them.
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


def report_counters(report: Mapping[str, Any]) -> int:
    """The busy counters a ``report.json`` design's control block reads out."""
    return len((report.get("interface") or {}).get("counters") or {})


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
            "counters": report_counters(report),
            "measured": {"LUT": glue["LUT"] + glue["LUT_MEM"], "FF": glue["FF"]}}


def fit_glue(points: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Coefficients per family from the glue points of every family (module docstring).
    A family without ROM designs takes the mean base of the others; one without designs
    with counters the pooled counter slope (0 if no family has one)."""
    plain = {f: [p for p in pts if not p.get("counters")] for f, pts in points.items()}
    rom = {f: [p for p in pts if not p["word_bits"]] for f, pts in plain.items()}
    every_rom = [p for pts in rom.values() for p in pts]
    if not every_rom:
        raise ValueError("the glue fit needs at least one ROM design's glue without counters")
    base = {f: {r: _mean(p["measured"][r] for p in (rom[f] or every_rom)) for r in GLUE}
            for f in points}
    loaded = [(f, p) for f, pts in plain.items() for p in pts if p["word_bits"]]
    slope = {r: _rel_slope([(p["word_bits"], p["measured"][r] - base[f][r],
                             p["measured"][r]) for f, p in loaded]) for r in GLUE}
    counted = [(f, p) for f, pts in points.items() for p in pts if p.get("counters")]
    per_counter = {r: _rel_slope([(p["counters"], p["measured"][r] - base[f][r]
                                   - slope[r] * p["word_bits"], p["measured"][r])
                                  for f, p in counted]) for r in GLUE}
    return {f: {r: {"base": round(base[f][r], 1), "per_word_bit": round(slope[r], 6),
                    "per_counter": round(per_counter[r], 6)}
                for r in GLUE} for f in points}


def _rel_slope(rows: list[tuple[float, float, float]]) -> float:
    """Least squares of ``y = slope · x`` over ``(x, y, measured)``, each row relative to
    its measured value; never negative, 0 without rows."""
    num = sum(x * y / m ** 2 for x, y, m in rows)
    den = sum((x / m) ** 2 for x, _, m in rows)
    return max(0.0, num / den) if den else 0.0


def predict_glue(coeffs: GlueCoeffs, word_bits: int, counters: int = 0) -> dict[str, int]:
    """The glue's LUT (logic; its few LUT memories included) and FF for a loader word
    register of ``word_bits`` (0: a ROM design) and ``counters`` busy counters read out;
    the other resources 0."""
    out = {r: round(coeffs[r]["base"] + coeffs[r]["per_word_bit"] * word_bits
                    + coeffs[r].get("per_counter", 0.0) * counters) for r in GLUE}
    return {"LUT": out["LUT"], "LUT_MEM": 0, "FF": out["FF"], "BRAM18": 0, "URAM": 0, "DSP": 0}


def _mean(values: Iterable[float]) -> float:
    vals = list(values)
    return sum(vals) / len(vals)
