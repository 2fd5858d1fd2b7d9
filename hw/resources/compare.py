"""Model vs Yosys per layer: the resource model's prediction of every unit of a project
beside its out-of-context Yosys result (``sdmf synth --mode units``), with the error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .calibration import load_coeffs, load_glue
from .glue import predict_glue, report_counters, report_word_bits
from .model import predict
from .units import desc_from_report, report_loads_params

COMPARED = ("LUT", "FF", "BRAM18", "URAM", "DSP")   # LUT: logic + LUT memory


def error_pct(model: float, measured: float) -> float | None:
    """``(model − measured) / measured`` in per cent (None when nothing was measured)."""
    if measured == 0:
        return None if model else 0.0
    return round(100.0 * (model - measured) / measured, 1)


def _row(layer: str, module: str, model: dict[str, int], yosys: dict[str, int]) -> dict:
    """One table row from two resource dicts (LUT = logic + LUT memory)."""
    m = {**{r: model[r] for r in COMPARED}, "LUT": model["LUT"] + model["LUT_MEM"]}
    y = {**{r: yosys[r] for r in COMPARED}, "LUT": yosys["LUT"] + yosys["LUT_MEM"]}
    return {"layer": layer, "module": module, "model": m, "yosys": y,
            "error_pct": {r: error_pct(m[r], y[r]) for r in COMPARED}}


def model_vs_yosys(report: dict[str, Any], synth: dict[str, Any]) -> dict[str, Any]:
    """Per unit instance, the glue and in total: model, Yosys and error per resource."""
    family = synth["family"]
    coeffs = load_coeffs(family)
    loaded = report_loads_params(report)
    layers = {lay["name"]: lay for lay in report["layers"]}
    rows = [_row(u["layer"], u["module"],
                 predict(desc_from_report(layers[u["layer"]], report["streams"], loaded),
                         coeffs, family), u)
            for u in synth["units"]]
    note = "units and the top level's glue (sdmf.hw.resources.glue)"
    try:
        glue_coeffs = load_glue(family)
    except ValueError:           # a calibration being made: the units only
        glue_coeffs, note = None, "units only (no glue calibration for this family yet)"
    if glue_coeffs is not None and synth.get("glue"):
        rows.append(_row("(glue)", report.get("top", ""),
                         predict_glue(glue_coeffs, report_word_bits(report),
                                      report_counters(report)), synth["glue"]))
    tot_m = {r: sum(row["model"][r] for row in rows) for r in COMPARED}
    tot_y = {r: sum(row["yosys"][r] for row in rows) for r in COMPARED}
    return {"family": family, "units": rows,
            "total": {"model": tot_m, "yosys": tot_y,
                      "error_pct": {r: error_pct(tot_m[r], tot_y[r]) for r in COMPARED}},
            "note": f"{note}; LUT = logic + LUT memory"}


def compare_project(project: str | Path, family: str) -> dict[str, Any]:
    """:func:`model_vs_yosys` of a project synthesized with ``--mode units``."""
    project = Path(project)
    report = json.loads((project / "report.json").read_text())
    path = project / "reports" / f"synth_{family}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run sdmf synth --project {project} "
                                f"--family {family} --mode units first")
    synth = json.loads(path.read_text())
    if not synth.get("units"):
        raise ValueError(f"{path}: not a per-unit synthesis (sdmf synth --mode units)")
    return model_vs_yosys(report, synth)


def _cell(m: int, y: int, e: float | None) -> str:
    return f"{m:,} / {y:,} ({'–' if e is None else f'{e:+.1f} %'})"


def compare_markdown(cmp: dict[str, Any]) -> str:
    """The table: per layer ``model / Yosys (error)`` for each resource, then the total."""
    lines = [f"## Resource model vs Yosys ({cmp['family']}, per unit)", "",
             f"{cmp['note']}; cells: model / Yosys (error).", "",
             "| layer | module | " + " | ".join(COMPARED) + " |",
             "|---|---|" + "---:|" * len(COMPARED)]
    for row in [*cmp["units"], {"layer": "**total**", "module": "", **cmp["total"]}]:
        lines.append(f"| {row['layer']} | {row['module']} | " + " | ".join(
            _cell(row["model"][r], row["yosys"][r], row["error_pct"][r]) for r in COMPARED)
            + " |")
    return "\n".join(lines) + "\n"
